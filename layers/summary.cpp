#include "layers/summary.h"

#include <algorithm>
#include <iomanip>
#include <string>
#include <vector>

#include "base/error.h"

namespace cudagrad {

ParameterCount count_parameters(const Module& model) {
  ParameterCount c;
  for (const auto& [name, t] : model.named_parameters())
    (t.requires_grad() ? c.trainable : c.non_trainable) += t.numel();
  for (const auto& [name, t] : model.named_buffers()) c.non_trainable += t.numel();
  c.total = c.trainable + c.non_trainable;
  return c;
}

std::string with_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

namespace {

// A batch of one image, traced through the model.
std::vector<TracedLayer> trace_image(const Module& model, const Shape& image) {
  CG_CHECK(image.size() == 3, "summary: the image shape must be (C, H, W), got " << shape_str(image));
  ShapeTrace trace;
  trace.through("", model, {1, image[0], image[1], image[2]});
  return trace.layers();
}

int64_t own_values(const Module& layer) {  // a leaf's parameters and buffers
  int64_t n = 0;
  for (const auto& [name, t] : layer.state_dict()) n += t.numel();
  return n;
}

}  // namespace

int64_t count_flops(const Module& model, const Shape& image) {
  int64_t flops = 0;
  for (const TracedLayer& l : trace_image(model, image)) flops += l.layer->flops(l.input, l.output);
  return flops;
}

void print_summary(const Module& model, const Shape& image, std::ostream& os) {
  const std::vector<TracedLayer> layers = trace_image(model, image);

  // Render every cell first, so each column can be as wide as its widest cell.
  struct Row {
    std::string name, layer, shape, params, flops;
  };
  std::vector<Row> rows{{"name", "layer", "output shape", "params", "FLOPs"}};
  int64_t total_flops = 0;
  for (const TracedLayer& l : layers) {
    const std::string described = l.layer->describe();
    const int64_t flops = l.layer->flops(l.input, l.output);
    total_flops += flops;
    rows.push_back({l.name, l.layer->kind() + (described.empty() ? "" : " " + described),
                    shape_str(l.output), with_thousands(own_values(*l.layer)),
                    flops ? with_thousands(flops) : "-"});
  }
  size_t w[5] = {0, 0, 0, 0, 0};
  for (const Row& r : rows) {
    w[0] = std::max(w[0], r.name.size());
    w[1] = std::max(w[1], r.layer.size());
    w[2] = std::max(w[2], r.shape.size());
    w[3] = std::max(w[3], r.params.size());
    w[4] = std::max(w[4], r.flops.size());
  }
  const size_t width = w[0] + w[1] + w[2] + w[3] + w[4] + 8;

  os << model.kind() << ", input " << shape_str({1, image[0], image[1], image[2]}) << "\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    os << std::left << std::setw(w[0]) << r.name << "  " << std::setw(w[1]) << r.layer << "  "
       << std::setw(w[2]) << r.shape << "  " << std::right << std::setw(w[3]) << r.params << "  "
       << std::setw(w[4]) << r.flops << "\n";
    if (i == 0) os << std::string(width, '-') << "\n";
  }
  os << std::string(width, '=') << "\n";
  const ParameterCount c = count_parameters(model);
  os << "Total params: " << with_thousands(c.total) << "\n"
     << "Trainable params: " << with_thousands(c.trainable) << "\n"
     << "Non-trainable params: " << with_thousands(c.non_trainable) << "\n"
     << "FLOPs per image: " << with_thousands(total_flops)
     << " (2 x multiply-adds of convolutions and linear layers)\n";
}

}  // namespace cudagrad
