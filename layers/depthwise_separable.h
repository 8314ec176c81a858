// MobileNet v1's depthwise-separable block (Howard et al., 2017, Figure 3):
// a standard 3x3 convolution split into
//   depthwise 3x3 (one filter per channel, stride s) -> BN -> ReLU
//   pointwise 1x1 (mixes channels: in -> out)        -> BN -> ReLU
// which costs 9 in + in out multiply-adds per output pixel instead of
// 9 in out, about 8-9 times less for the channel counts of MobileNet.
// Neither convolution has a bias: the BN after each absorbs it.
#pragma once
#include <memory>
#include <string>

#include "layers/layers.h"

namespace cudagrad {

class DepthwiseSeparable : public Sequential {
 public:
  DepthwiseSeparable(int in, int out, int stride, Generator& gen, float bn_eps = 1e-5f) {
    add("depthwise", std::make_shared<Conv2d>(in, in, 3, stride, 1, gen, /*bias=*/false,
                                              /*groups=*/in));
    add("depthwise_bn", std::make_shared<BatchNorm2d>(in, 0.1f, bn_eps));
    add("depthwise_relu", std::make_shared<ReLU>());
    add("pointwise", std::make_shared<Conv2d>(in, out, 1, 1, 0, gen, /*bias=*/false));
    add("pointwise_bn", std::make_shared<BatchNorm2d>(out, 0.1f, bn_eps));
    add("pointwise_relu", std::make_shared<ReLU>());
  }
  std::string kind() const override { return "DepthwiseSeparable"; }
};

}  // namespace cudagrad
