#include "train/gradcam.h"

#include <algorithm>

#include "base/error.h"
#include "data/image.h"
#include "engine/autograd.h"
#include "base/error.h"
#include "report/image.h"
#include "train/inference.h"
#include "train/train_config.h"

namespace cudagrad {
namespace train {

std::string default_gradcam_layer(const Network& model, int input) {
  Shape shape{1, 3, input, input};
  std::string last;
  for (const auto& [name, child] : model.children()) {
    shape = child->output_shape(shape);
    if (shape.size() == 4) last = name;
  }
  CG_CHECK(!last.empty(), model.kind() << " has no layer that outputs a feature map");
  return last;
}

namespace {

// Top-level names and, for a hint, one dotted name below them.
std::string layer_list(const std::vector<std::string>& seen) {
  std::vector<std::string> top;
  std::string example;
  for (const std::string& name : seen) {
    if (name.find('.') == std::string::npos) {
      if (std::find(top.begin(), top.end(), name) == top.end()) top.push_back(name);
    } else if (example.empty()) {
      example = name;
    }
  }
  return join(top) + (example.empty() ? "" : "; or a layer inside one, such as " + example);
}

}  // namespace

GradcamResult gradcam(Network& model, const Tensor& image, const std::string& layer, int target) {
  model.eval();
  // The input takes part in the graph so that every layer's output needs a
  // gradient, even when the model's parameters are frozen.
  Tensor x = image.detach();
  x.set_requires_grad(true);
  LayerCapture capture(layer);
  const Tensor logits = model.forward(x);
  CG_CHECK(capture.found(), "no layer named '" << layer << "' in " << model.kind()
                                                << "; its layers: " << layer_list(capture.seen()));
  const Tensor features = capture.output();  // A: (1, C, h, w)
  CG_CHECK(features.ndim() == 4, "layer '" << layer << "' outputs " << shape_str(features.shape())
                                           << ", not a feature map (N, C, H, W); pick a "
                                              "convolutional layer");

  GradcamResult r;
  r.layer = layer;
  const int k = static_cast<int>(logits.dim(1));
  r.probabilities = softmax_rows(logits.to_vector(), k);
  r.target = target >= 0 ? target : argmax(r.probabilities.data(), k);
  CG_CHECK(r.target < k, "class " << r.target << " is out of range for " << k << " classes");

  // d y_target / d logits is one-hot: back-propagate it to the feature map.
  std::vector<float> one_hot(k, 0.f);
  one_hot[r.target] = 1.f;
  logits.backward(Tensor::from_vector(one_hot, {1, k}, logits.device()));
  CG_CHECK(features.grad().defined(), "layer '" << layer << "' does not lead to the class scores");
  const std::vector<float> a = features.to_vector();
  const std::vector<float> g = features.grad().to_vector();
  for (const Tensor& p : model.parameters()) Tensor(p).zero_grad();  // nothing is trained here

  const int channels = static_cast<int>(features.dim(1));
  r.height = static_cast<int>(features.dim(2));
  r.width = static_cast<int>(features.dim(3));
  const size_t plane = static_cast<size_t>(r.height) * r.width;
  r.heat.assign(plane, 0.f);
  for (int c = 0; c < channels; ++c) {
    double alpha = 0;  // the mean gradient over the channel's plane
    for (size_t i = 0; i < plane; ++i) alpha += g[c * plane + i];
    alpha /= static_cast<double>(plane);
    for (size_t i = 0; i < plane; ++i) r.heat[i] += static_cast<float>(alpha * a[c * plane + i]);
  }
  for (float& v : r.heat) v = std::max(v, 0.f);
  return r;
}

report::Image gradcam_overlay_image(const std::string& image_path, const GradcamResult& result,
                                    int width) {
  const data::Image full = data::decode_image(image_path);
  const int height = std::max(1, full.height * width / std::max(1, full.width));
  const data::Image shown = data::resize(full, width, height);
  report::Image image;
  image.width = shown.width;
  image.height = shown.height;
  image.pixels = shown.pixels;  // both (height, width, 3) RGB
  return report::gradcam_overlay(image, result.heat, result.height, result.width);
}

}  // namespace train
}  // namespace cudagrad
