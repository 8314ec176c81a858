// MobileNet v1 (Howard et al., 2017, Table 1), with a width multiplier
// alpha that scales every layer's channels (int(c alpha), as Keras does).
//
//   name        layer                            output (224 input, alpha 1)
//   conv1       3x3 conv, 3->32, stride 2, BN, ReLU      32 x 112 x 112
//   blocks.0    depthwise-separable, 32->64               64 x 112 x 112
//   blocks.1    depthwise-separable, 64->128, stride 2    128 x 56 x 56
//   blocks.2    128->128                                  128 x 56 x 56
//   blocks.3    128->256, stride 2                        256 x 28 x 28
//   blocks.4    256->256                                  256 x 28 x 28
//   blocks.5    256->512, stride 2                        512 x 14 x 14
//   blocks.6-10 5 x 512->512                              512 x 14 x 14
//   blocks.11   512->1024, stride 2                       1024 x 7 x 7
//   blocks.12   1024->1024                                1024 x 7 x 7
//   head        see MobileNetHead
//
// The body (conv1 and blocks) has 3,228,864 values at alpha 1, 21,888 of
// them BN running statistics: exactly Keras's MobileNet(include_top=False).
// Padding is symmetric (1 on every side); Keras pads stride-2 layers on the
// bottom/right only, which gives the same sizes. ReLU, not Keras's ReLU6, as
// the tutorials describe it. BN uses Keras's eps 1e-3, so Keras weights can
// be loaded; its momentum stays PyTorch's 0.1 (Keras: 0.01) so the running
// statistics settle within the short runs of a CPU.
#pragma once
#include <memory>
#include <sstream>
#include <string>

#include "layers/depthwise_separable.h"
#include "layers/network.h"

namespace cudagrad {

enum class MobileNetHead {
  pooled,  // global average pool, linear C -> classes (the paper's, without softmax)
  dense,   // seed 004: flatten, dense 1024 ReLU, dropout 0.5, dense 1024 ReLU,
           // dropout 0.5, dense classes; its size depends on the input size
  none,    // the body alone, (N, C, H/32, W/32): for counting and features
};

struct MobileNetOptions {
  float width = 1.f;  // alpha
  MobileNetHead head = MobileNetHead::pooled;
  int input = 224;    // the input side: only the dense head depends on it
};

inline std::shared_ptr<Network> make_mobilenet(int classes, Generator& gen,
                                               const MobileNetOptions& options = {}) {
  CG_CHECK(options.width > 0.f && options.width <= 4.f,
           "MobileNet width multiplier must be in (0, 4], got " << options.width);
  auto channels = [&](int c) { return static_cast<int>(c * options.width); };
  const float eps = 1e-3f;
  struct Block {
    int out, stride;
  };
  const Block blocks[] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1},
                          {512, 2}, {512, 1}, {512, 1}, {512, 1}, {512, 1},
                          {512, 1}, {1024, 2}, {1024, 1}};

  std::ostringstream name;
  name << "MobileNet v1, width " << options.width;  // "MobileNet v1, width 0.5"
  auto net = std::make_shared<Network>(name.str());
  int c = channels(32);
  net->add("conv1", std::make_shared<Conv2d>(3, c, 3, 2, 1, gen, /*bias=*/false));
  net->add("bn1", std::make_shared<BatchNorm2d>(c, 0.1f, eps));
  net->add("relu", std::make_shared<ReLU>());
  auto body = net->add("blocks", std::make_shared<Sequential>());
  for (const Block& b : blocks) {
    body->add(std::make_shared<DepthwiseSeparable>(c, channels(b.out), b.stride, gen, eps));
    c = channels(b.out);
  }

  if (options.head == MobileNetHead::pooled) {
    net->add("pool", std::make_shared<GlobalAvgPool>());
    net->add("fc", std::make_shared<Linear>(c, classes, gen));
  } else if (options.head == MobileNetHead::dense) {
    // Flatten's length is C x (input/32)^2, read off the body's output shape.
    const Shape features = net->output_shape({1, 3, options.input, options.input});
    const int flat = static_cast<int>(shape_numel(features));
    net->add("flatten", std::make_shared<Flatten>());
    auto head = net->add("classifier", std::make_shared<Sequential>());
    head->add(std::make_shared<Linear>(flat, 1024, gen));
    head->add(std::make_shared<ReLU>());
    head->add(std::make_shared<Dropout>(0.5f, gen.next_u64()));
    head->add(std::make_shared<Linear>(1024, 1024, gen));
    head->add(std::make_shared<ReLU>());
    head->add(std::make_shared<Dropout>(0.5f, gen.next_u64()));
    head->add(std::make_shared<Linear>(1024, classes, gen));
  }
  return net;
}

}  // namespace cudagrad
