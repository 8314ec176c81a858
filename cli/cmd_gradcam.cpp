// cudagrad gradcam: the Grad-CAM heat map of one image over the image, as
// seed 003 shows it (train/gradcam.h), written as a PNG.
#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "cli/options.h"
#include "base/files.h"
#include "base/error.h"
#include "report/image.h"
#include "train/checkpoint.h"
#include "train/device_choice.h"
#include "train/gradcam.h"
#include "train/inference.h"
#include "train/run_data.h"

namespace cudagrad {
namespace cli {

using namespace train;

namespace {

struct GradcamOptions {
  std::string checkpoint, image, out, layer, class_name, device = "auto";
  int threads = 0;
};

int run_gradcam(const GradcamOptions& o) {
  files::resolve_write_target(o.out);  // a FIFO or a device fails before the work
  set_cpu_threads(capped_threads(o.threads));
  const Device device = select_device(parse_choice<DeviceChoice>("--device", o.device), /*quiet=*/true);

  TrainedModel trained = load_trained_model(o.checkpoint);
  trained.model->to_device(device);
  const std::vector<std::string>& classes = trained.class_names;
  int target = -1;
  if (!o.class_name.empty()) {
    const auto it = std::find(classes.begin(), classes.end(), o.class_name);
    CG_CHECK(it != classes.end(),
             "--class " << o.class_name << ": the model's classes are " << train::join(classes));
    target = static_cast<int>(it - classes.begin());
  }
  const std::string layer =
      o.layer.empty() ? default_gradcam_layer(*trained.model, trained.config.input) : o.layer;
  const Tensor x = load_images({o.image}, trained.config.input,
                               normalization_of(trained.config.normalization), device);
  const GradcamResult r = gradcam(*trained.model, x, layer, target);
  report::write_png(o.out, gradcam_overlay_image(o.image, r));

  const int predicted = argmax(r.probabilities.data(), static_cast<int>(classes.size()));
  std::printf("%s: predicted %s (%.1f%%); Grad-CAM of %s at layer '%s' (%dx%d) -> %s\n",
              o.image.c_str(), classes[predicted].c_str(), 100 * r.probabilities[predicted],
              classes[r.target].c_str(), r.layer.c_str(), r.height, r.width, o.out.c_str());
  return 0;
}

}  // namespace

Runner gradcam_command(CLI::App& app) {
  auto o = std::make_shared<GradcamOptions>();
  app.add_option("--checkpoint", o->checkpoint,
                 "best.safetensors, last.ckpt, or a run folder (its best.safetensors)")
      ->type_name("FILE|DIR")
      ->required();
  app.add_option("--image", o->image, "the image to explain")->type_name("IMG")->required();
  app.add_option("--out", o->out, "the PNG to write")->type_name("OUT.png")->required();
  app.add_option("--layer", o->layer,
                 "the layer whose feature map is weighed (default: the last one with a feature map)")
      ->type_name("NAME");
  app.add_option("--class", o->class_name, "the class to explain (default: the predicted one)")
      ->type_name("NAME");
  add_device_option(app, o->device);
  add_threads_option(app, o->threads);
  return [o] { return run_gradcam(*o); };
}

}  // namespace cli
}  // namespace cudagrad
