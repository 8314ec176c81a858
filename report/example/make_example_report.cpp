// Writes report/example/report.html: what `cudagrad report` produces, filled
// with made-up numbers and drawn "lesions" so that it can be opened without
// training anything. Nothing here is a measured result.
//
//   build/report/make_example_report /tmp/example && cp /tmp/example/report.html report/example/
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "report/html_report.h"
#include "report/image.h"

using namespace cudagrad::report;

namespace {

const std::vector<std::string> kClasses = {"akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"};

// Predictions for a test split of HAM10000's size and class mix, from a
// model that finds each class with a made-up probability (vasc never).
void make_predictions(std::vector<int>* labels, std::vector<float>* probs) {
  const int counts[] = {65, 103, 220, 23, 223, 1341, 28};
  const double skill[] = {0.6, 0.7, 0.45, 0.4, 0.55, 0.9, 0.0};
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> uniform(0, 1);
  for (int c = 0; c < 7; ++c)
    for (int i = 0; i < counts[c]; ++i) {
      std::vector<double> w(7);
      for (int k = 0; k < 7; ++k) w[k] = uniform(rng) * (k == 5 ? 2.0 : 1.0);
      if (uniform(rng) < skill[c]) w[c] += 2.5;
      double sum = 0;
      for (double v : w) sum += v;
      labels->push_back(c);
      for (double v : w) probs->push_back(static_cast<float>(v / sum));
    }
}

// A brown ellipse on skin tone, 224 x 224: a stand-in for a photograph.
Image drawn_lesion(int i) {
  Image img;
  img.width = img.height = 224;
  img.pixels.resize(224 * 224 * 3);
  const double cx = 90 + 12 * i, cy = 120 - 8 * i, r = 55 + 6 * i;
  for (int y = 0; y < 224; ++y)
    for (int x = 0; x < 224; ++x) {
      const double d = std::hypot(x - cx, (y - cy) * 1.2);
      const double t = std::clamp((r - d) / 15.0, 0.0, 1.0);
      uint8_t* p = &img.pixels[(y * 224 + x) * 3];
      p[0] = static_cast<uint8_t>(225 - 100 * t);
      p[1] = static_cast<uint8_t>(185 - 110 * t);
      p[2] = static_cast<uint8_t>(165 - 110 * t);
    }
  return img;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_example_report FOLDER\n");
    return 2;
  }
  try {
    ReportInputs in;
    in.title = "Example report (made-up numbers)";
    in.settings = {{"note", "illustration only: no model was trained for this page"},
                   {"model", "lenet"},
                   {"optimizer", "adam, lr 1e-05"},
                   {"batch", "10"},
                   {"epochs", "30"},
                   {"class weights", "median-frequency"},
                   {"input", "224 x 224"}};
    for (int e = 1; e <= 30; ++e) {
      EpochRow r;
      r.epoch = e;
      r.train_loss = 1.9 * std::exp(-e / 9.0) + 0.3;
      r.val_loss = 1.8 * std::exp(-e / 12.0) + 0.5 + 0.02 * (e % 3);
      r.train_acc = 0.9 - 0.5 * std::exp(-e / 8.0);
      r.val_acc = 0.8 - 0.45 * std::exp(-e / 9.0);
      r.val_balanced_acc = 0.55 - 0.4 * std::exp(-e / 10.0);
      r.lr = 1e-5;
      r.seconds = 95;
      in.epochs.push_back(r);
    }
    std::vector<int> labels;
    std::vector<float> probs;
    make_predictions(&labels, &probs);
    in.evaluation = compute_metrics(labels, probs, kClasses);
    in.distribution = ClassDistribution{kClasses,
                                        {"train", "val", "test"},
                                        {{209, 329, 703, 74, 712, 4291, 91},
                                         {52, 82, 176, 18, 178, 1073, 23},
                                         {65, 103, 220, 23, 223, 1341, 28}}};
    for (int i = 0; i < 4; ++i) {
      // A 7 x 7 map (ResNet-18's last convolution at 224 px) peaking near
      // the lesion's center.
      std::vector<float> heat(49);
      for (int k = 0; k < 49; ++k)
        heat[k] = static_cast<float>(std::exp(
            -(std::pow(k / 7 - 3.0 + 0.3 * i, 2) + std::pow(k % 7 - 2.5 - 0.4 * i, 2)) / 2.5));
      const std::string truth = kClasses[(i * 3) % 7];
      in.gradcams.push_back({gradcam_overlay(drawn_lesion(i), heat, 7, 7), truth,
                             i == 2 ? "nv" : truth, 0.55 + 0.1 * i,
                             "drawn example " + std::to_string(i + 1)});
    }
    for (const auto& path : write_html_report(argv[1], in)) std::printf("wrote %s\n", path.c_str());
  } catch (const cudagrad::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
