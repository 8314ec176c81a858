#include "train/inference.h"

#include <cmath>
#include <limits>

#include "base/error.h"
#include "data/image.h"
#include "engine/autograd.h"
#include "engine/ops.h"

namespace cudagrad {
namespace train {

Tensor batch_images(const data::Batch& batch, Device device) {
  return Tensor::from_vector(
      batch.images, {static_cast<int64_t>(batch.size) * batch.views, 3, batch.height, batch.width},
      device);
}

std::vector<float> softmax_rows(const std::vector<float>& logits, int k) {
  std::vector<float> out(logits.size());
  for (size_t r = 0; r < logits.size() / k; ++r) {
    const float* x = &logits[r * k];
    float max = x[0];
    for (int j = 1; j < k; ++j) max = std::max(max, x[j]);
    double sum = 0;
    for (int j = 0; j < k; ++j) sum += std::exp(static_cast<double>(x[j] - max));
    for (int j = 0; j < k; ++j) out[r * k + j] = static_cast<float>(std::exp(static_cast<double>(x[j] - max)) / sum);
  }
  return out;
}

int argmax(const float* row, int k) {
  int best = 0;
  for (int j = 1; j < k; ++j)
    if (row[j] > row[best]) best = j;
  return best;
}

Predictions predict_loader(Module& model, data::Loader& loader, int64_t epoch, Device device,
                           const Tensor& class_weights) {
  model.eval();
  NoGradGuard no_grad;
  Predictions p;
  double weighted_loss = 0, weight_sum = 0;
  std::vector<float> weights = class_weights.defined() ? class_weights.to_vector() : std::vector<float>();
  loader.start_epoch(epoch);
  data::Batch batch;
  while (loader.next(batch)) {
    Tensor logits = model.forward(batch_images(batch, device));
    const int k = static_cast<int>(logits.dim(1));
    p.classes = k;
    const std::vector<float> probs = softmax_rows(logits.to_vector(), k);
    // Views of one image sit next to each other: average their probabilities.
    for (int i = 0; i < batch.size; ++i) {
      std::vector<float> mean(k, 0.f);
      for (int v = 0; v < batch.views; ++v)
        for (int j = 0; j < k; ++j) mean[j] += probs[(i * batch.views + v) * k + j] / batch.views;
      p.correct += argmax(mean.data(), k) == batch.labels[i];
      p.probabilities.insert(p.probabilities.end(), mean.begin(), mean.end());
      p.labels.push_back(batch.labels[i]);
      p.indices.push_back(batch.indices[i]);
    }
    if (batch.views == 1) {
      // cross_entropy gives this batch's weighted mean; undo the division
      // by the batch's weight sum so the whole set is reduced as one batch.
      double batch_weight = 0;
      for (int32_t y : batch.labels) batch_weight += weights.empty() ? 1.0 : weights[y];
      if (batch_weight > 0) {  // a batch of zero-weight classes adds nothing
        weighted_loss += cross_entropy(logits, batch.labels, class_weights).item() * batch_weight;
        weight_sum += batch_weight;
      }
    }
  }
  p.loss = weight_sum > 0 ? weighted_loss / weight_sum : std::numeric_limits<double>::quiet_NaN();
  return p;
}

Tensor load_images(const std::vector<std::string>& paths, int input,
                   const data::Normalization& normalization, Device device) {
  const size_t image = static_cast<size_t>(3) * input * input;
  std::vector<float> values(paths.size() * image);
  for (size_t i = 0; i < paths.size(); ++i) {
    const data::Image img = data::load_resized(paths[i], input, input);
    data::normalize_to_chw(img.pixels.data(), input, input, normalization, &values[i * image]);
  }
  return Tensor::from_vector(values, {static_cast<int64_t>(paths.size()), 3, input, input}, device);
}

}  // namespace train
}  // namespace cudagrad
