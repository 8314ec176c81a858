// Running a trained model over images: class probabilities for every image
// a loader serves (averaged over test-time augmentation views), or for
// image files given by name.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/augment.h"
#include "data/loader.h"
#include "engine/tensor.h"
#include "layers/module.h"

namespace cudagrad {
namespace train {

struct Predictions {
  int classes = 0;
  std::vector<float> probabilities;  // (N, classes), rows sum to 1
  std::vector<int32_t> labels;       // (N) true labels
  std::vector<int64_t> indices;      // (N) cache indices
  // Weighted cross-entropy over the whole set with PyTorch's reduction
  // (sum_i w[y_i] nll_i / sum_i w[y_i]); NaN with TTA views.
  double loss = 0;
  int64_t correct = 0;  // argmax == label

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  double accuracy() const { return size() ? static_cast<double>(correct) / size() : 0; }
};

// Evaluation mode, no graph; the model is left in evaluation mode.
// class_weights: (K) or undefined for ones.
Predictions predict_loader(Module& model, data::Loader& loader, int64_t epoch, Device device,
                           const Tensor& class_weights);

// A batch's images as an (n * views, 3, H, W) tensor on `device`.
Tensor batch_images(const data::Batch& batch, Device device);

// Files decoded, resized to input x input and normalized: (n, 3, input, input).
Tensor load_images(const std::vector<std::string>& paths, int input,
                   const data::Normalization& normalization, Device device);

// Row-wise softmax of (n, k) logits, computed stably (max subtracted).
std::vector<float> softmax_rows(const std::vector<float>& logits, int k);

int argmax(const float* row, int k);

}  // namespace train
}  // namespace cudagrad
