// The model summary: one row per layer, as darknet prints at load and Keras
// prints with model.summary(), computed from shapes alone (see ShapeTrace in
// layers/module.h), so it is instant for any model and input size.
//
//   name    layer                        output shape        params        FLOPs
//   conv1   Conv2d 3->64 7x7 stride 2..  (1, 64, 112, 112)    9,408  236,027,904
//   ...
//   Total params: 11,189,703
//   Trainable params: 11,180,103
//   Non-trainable params: 9,600
//
// Parameters are counted as Keras counts them: Total includes the BN running
// statistics (they are saved with the model), and those statistics count as
// non-trainable, like frozen parameters. FLOPs are for one image and count
// 2 x the multiply-adds of convolutions and linear layers only; BN, ReLU,
// pooling and residual additions are not counted (each is one or two
// operations per activation, well under 1% of a convolutional network).
#pragma once
#include <cstdint>
#include <ostream>
#include <string>

#include "layers/module.h"

namespace cudagrad {

struct ParameterCount {
  int64_t total = 0;          // every parameter and buffer value
  int64_t trainable = 0;      // parameters that require a gradient
  int64_t non_trainable = 0;  // frozen parameters and buffers (running statistics)
};

ParameterCount count_parameters(const Module& model);

// Sums the FLOPs of every layer for one image of input shape (C, H, W).
int64_t count_flops(const Module& model, const Shape& image);

// Prints the table for one image of shape (C, H, W), then the totals.
void print_summary(const Module& model, const Shape& image, std::ostream& os);

// 11180103 -> "11,180,103"
std::string with_thousands(int64_t n);

}  // namespace cudagrad
