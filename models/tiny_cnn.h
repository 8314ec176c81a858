// A tiny LeNet-like network for the toy problem in train/toy_problem.h:
// small enough to train in seconds on a CPU with the reference kernels.
//   (N, 3, 16, 16) conv 3->8 3x3 pad 1, BN, ReLU, maxpool 2   -> (N, 8, 8, 8)
//                  conv 8->16 3x3 pad 1, ReLU, maxpool 2      -> (N, 16, 4, 4)
//                  flatten, linear 256 -> classes
#pragma once
#include <memory>

#include "layers/layers.h"

namespace cudagrad {

inline std::shared_ptr<Sequential> make_tiny_cnn(int classes, Generator& gen) {
  auto net = std::make_shared<Sequential>();
  net->add(std::make_shared<Conv2d>(3, 8, 3, 1, 1, gen));
  net->add(std::make_shared<BatchNorm2d>(8));
  net->add(std::make_shared<ReLU>());
  net->add(std::make_shared<MaxPool2d>(2, 2));
  net->add(std::make_shared<Conv2d>(8, 16, 3, 1, 1, gen));
  net->add(std::make_shared<ReLU>());
  net->add(std::make_shared<MaxPool2d>(2, 2));
  net->add(std::make_shared<Flatten>());
  net->add(std::make_shared<Linear>(16 * 4 * 4, classes, gen));
  return net;
}

}  // namespace cudagrad
