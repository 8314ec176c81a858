// cudagrad predict: class probabilities for image files, one CSV row per
// image, as seed 001 writes them and as the ISIC 2018 challenge takes
// submissions:
//
//   image,MEL,NV,BCC,AKIEC,BKL,DF,VASC,prediction
//   ISIC_0034524,0.0213,0.9012,...,nv
//
// The ISIC column order is used when the model's classes are HAM10000's
// seven; otherwise the model's class names, in label order. --submission 1
// leaves out the prediction column (the exact challenge layout).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cli/commands.h"
#include "cli/options.h"
#include "data/classes.h"
#include "data/csv.h"
#include "engine/autograd.h"
#include "base/error.h"
#include "base/files.h"
#include "train/checkpoint.h"
#include "train/device_choice.h"
#include "train/inference.h"
#include "train/run_data.h"

namespace cudagrad {
namespace cli {

using namespace train;

namespace {

namespace fs = std::filesystem;

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// Files as given; folders contribute their images (recursively, sorted by path).
std::vector<std::string> collect_images(const std::vector<std::string>& inputs) {
  std::vector<std::string> out;
  for (const std::string& in : inputs) {
    CG_CHECK(fs::exists(in), in << ": no such file or folder");
    if (!fs::is_directory(in)) {
      out.push_back(in);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(in))
      if (entry.is_regular_file() && is_image_file(entry.path())) found.push_back(entry.path().string());
    CG_CHECK(!found.empty(), in << ": no .jpg, .jpeg or .png images in this folder");
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

// Column order: ISIC's for the seven HAM10000 classes, else label order.
std::vector<int> column_order(const std::vector<std::string>& classes, std::vector<std::string>& header) {
  std::vector<int> order;
  if (classes == data::ham10000_classes()) {
    for (const char* name : {"mel", "nv", "bcc", "akiec", "bkl", "df", "vasc"}) {
      order.push_back(static_cast<int>(std::find(classes.begin(), classes.end(), name) - classes.begin()));
      std::string upper = name;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      header.push_back(upper);
    }
  } else {
    for (size_t c = 0; c < classes.size(); ++c) {
      order.push_back(static_cast<int>(c));
      header.push_back(classes[c]);
    }
  }
  return order;
}

struct PredictOptions {
  std::string checkpoint, csv, device = "auto";
  std::vector<std::string> inputs;
  int batch = 16, submission = 0, threads = 0;
};

int predict(const PredictOptions& o) {
  CG_CHECK(!o.inputs.empty(), "predict needs at least one image or folder");
  const int batch = o.batch;
  const bool submission = o.submission == 1;
  set_cpu_threads(capped_threads(o.threads));
  const bool to_stdout = o.csv.empty() || o.csv == "-" || o.csv == "/dev/stdout";
  if (!o.csv.empty()) files::resolve_write_target(o.csv);  // before the work
  const Device device = select_device(parse_choice<DeviceChoice>("--device", o.device), /*quiet=*/to_stdout);

  TrainedModel trained = load_trained_model(o.checkpoint);
  trained.model->to_device(device);
  const std::vector<std::string> images = collect_images(o.inputs);
  std::vector<std::string> header{"image"};
  const std::vector<int> order = column_order(trained.class_names, header);
  if (!submission) header.push_back("prediction");

  std::ostringstream csv;
  csv << data::csv_record(header);
  NoGradGuard no_grad;
  const int k = static_cast<int>(trained.class_names.size());
  const data::Normalization norm = normalization_of(trained.config.normalization);
  for (size_t first = 0; first < images.size(); first += batch) {
    const std::vector<std::string> chunk(images.begin() + first,
                                         images.begin() + std::min(images.size(), first + batch));
    const Tensor x = load_images(chunk, trained.config.input, norm, device);
    const std::vector<float> probs = softmax_rows(trained.model->forward(x).to_vector(), k);
    for (size_t i = 0; i < chunk.size(); ++i) {
      std::vector<std::string> row{fs::path(chunk[i]).stem().string()};
      char cell[32];
      for (int c : order) {
        std::snprintf(cell, sizeof cell, "%.6f", probs[i * k + c]);
        row.push_back(cell);
      }
      if (!submission) row.push_back(trained.class_names[argmax(&probs[i * k], k)]);
      csv << data::csv_record(row);
    }
  }
  if (to_stdout) {
    std::fputs(csv.str().c_str(), stdout);
  } else {
    files::write_file_atomically(o.csv, csv.str());
    std::printf("wrote %zu rows to %s (model %s, %s)\n", images.size(), o.csv.c_str(),
                name_of(trained.config.model).c_str(), trained.path.c_str());
  }
  return 0;
}

}  // namespace

Runner predict_command(CLI::App& app) {
  auto o = std::make_shared<PredictOptions>();
  app.add_option("--checkpoint", o->checkpoint,
                 "best.safetensors, last.ckpt, or a run folder (its best.safetensors)")
      ->type_name("FILE|DIR")
      ->required();
  app.add_option("images", o->inputs, "image files, and folders of them (searched recursively)")
      ->type_name("IMAGE|FOLDER");
  app.add_option("--csv", o->csv, "where to write the rows (default or -: standard output)")
      ->type_name("OUT|-");
  app.add_option("--submission", o->submission, "1: the ISIC challenge's columns only, no prediction")
      ->type_name("0|1")
      ->check(zero_or_one())
      ->capture_default_str();
  app.add_option("--batch", o->batch, "images per forward pass")
      ->type_name("N")
      ->check(integer_in(1, 4096))
      ->capture_default_str();
  add_device_option(app, o->device);
  add_threads_option(app, o->threads);
  return [o] { return predict(*o); };
}

}  // namespace cli
}  // namespace cudagrad
