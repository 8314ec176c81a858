// Training the tiny CNN on the toy problem: the whole training loop of an
// image classifier in one screen (forward, loss, backward, optimizer step).
#pragma once
#include <cstdint>
#include <cstdio>
#include <vector>

#include "engine/autograd.h"
#include "engine/optim.h"
#include "train/toy_problem.h"
#include "models/tiny_cnn.h"

namespace cudagrad {

struct ToyTrainResult {
  std::vector<float> losses;   // one per step
  float final_accuracy = 0;    // on a fresh batch, in evaluation mode
};

inline float accuracy(const Tensor& logits, const std::vector<int32_t>& labels) {
  std::vector<float> v = logits.to_vector();
  const int K = logits.dim(1);
  int correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    int best = 0;
    for (int k = 1; k < K; ++k)
      if (v[i * K + k] > v[i * K + best]) best = k;
    correct += best == labels[i];
  }
  return static_cast<float>(correct) / labels.size();
}

// Adam on fresh batches of the toy problem; prints one line every
// `print_every` steps when print_every > 0.
inline ToyTrainResult train_toy(int steps, int batch, float lr, uint64_t seed, int print_every) {
  Generator gen(seed);
  auto net = make_tiny_cnn(4, gen);
  Adam optimizer(net->parameters(), lr);
  ToyTrainResult result;
  for (int step = 1; step <= steps; ++step) {
    ToyBatch b = make_toy_batch(batch, gen);
    Tensor logits = net->forward(b.images);
    Tensor loss = cross_entropy(logits, b.labels, Tensor());
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    result.losses.push_back(loss.item());
    if (print_every > 0 && (step % print_every == 0 || step == 1))
      std::printf("step %4d | loss %.4f | batch accuracy %5.1f%%\n", step, loss.item(),
                  100.f * accuracy(logits, b.labels));
  }
  net->eval();
  NoGradGuard no_grad;
  ToyBatch test = make_toy_batch(256, gen);
  result.final_accuracy = accuracy(net->forward(test.images), test.labels);
  return result;
}

}  // namespace cudagrad
