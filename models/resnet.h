// ResNet (He et al., "Deep Residual Learning for Image Recognition", 2015,
// Table 1) in torchvision's version: the same layers, in the same order,
// under the same names, so that a torchvision state_dict maps 1:1.
//
//   name      output (224 input)   ResNet-18     ResNet-34     ResNet-50
//   conv1     64 x 112 x 112       7x7, 64, stride 2, then bn1, relu
//   maxpool   64 x 56 x 56         3x3 max, stride 2
//   layer1    56 x 56              2 x basic     3 x basic     3 x bottleneck   planes 64
//   layer2    28 x 28              2 x basic     4 x basic     4 x bottleneck   planes 128
//   layer3    14 x 14              2 x basic     6 x basic     6 x bottleneck   planes 256
//   layer4    7 x 7                2 x basic     3 x basic     3 x bottleneck   planes 512
//   avgpool   512 or 2048          global average
//   fc        classes              linear
//
// The first block of layer2, layer3 and layer4 halves the size (stride 2)
// and gets a downsample shortcut (layers/residual.h). Any input size works:
// the global average pool absorbs it.
#pragma once
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "layers/network.h"
#include "layers/residual.h"

namespace cudagrad {

// torchvision initializes every convolution with Kaiming's normal (fan_out,
// ReLU gain): std = sqrt(2 / (C_out k k)), which keeps the variance of the
// activations steady through the depth when training from scratch.
inline void kaiming_normal_conv_weights(Module& net, Generator& gen) {
  for (auto& [name, w] : net.named_parameters()) {
    if (w.ndim() != 4) continue;
    const float fan_out = static_cast<float>(w.dim(0) * w.dim(2) * w.dim(3));
    w.copy_from(Tensor::randn(w.shape(), gen, 0.f, std::sqrt(2.f / fan_out)));
  }
}

// One stage: `blocks` blocks of `planes`, the first with `stride`.
template <typename Block>
std::shared_ptr<Sequential> resnet_stage(int& channels, int planes, int blocks, int stride,
                                         Generator& gen) {
  auto stage = std::make_shared<Sequential>();
  for (int i = 0; i < blocks; ++i) {
    stage->add(std::make_shared<Block>(channels, planes, i == 0 ? stride : 1, gen));
    channels = planes * Block::expansion;
  }
  return stage;
}

template <typename Block>
std::shared_ptr<Network> make_resnet(const std::string& name, const std::vector<int>& blocks,
                                     int classes, Generator& gen) {
  auto net = std::make_shared<Network>(name);
  int channels = 64;  // after the stem; updated by each stage
  net->add("conv1", std::make_shared<Conv2d>(3, 64, 7, 2, 3, gen, /*bias=*/false));
  net->add("bn1", std::make_shared<BatchNorm2d>(64));
  net->add("relu", std::make_shared<ReLU>());
  net->add("maxpool", std::make_shared<MaxPool2d>(3, 2, 1));
  net->add("layer1", resnet_stage<Block>(channels, 64, blocks[0], 1, gen));
  net->add("layer2", resnet_stage<Block>(channels, 128, blocks[1], 2, gen));
  net->add("layer3", resnet_stage<Block>(channels, 256, blocks[2], 2, gen));
  net->add("layer4", resnet_stage<Block>(channels, 512, blocks[3], 2, gen));
  net->add("avgpool", std::make_shared<GlobalAvgPool>());
  net->add("fc", std::make_shared<Linear>(channels, classes, gen));
  kaiming_normal_conv_weights(*net, gen);
  return net;
}

// depth 18, 34 or 50.
inline std::shared_ptr<Network> make_resnet(int depth, int classes, Generator& gen) {
  const std::string name = "ResNet-" + std::to_string(depth);
  if (depth == 18) return make_resnet<BasicBlock>(name, {2, 2, 2, 2}, classes, gen);
  if (depth == 34) return make_resnet<BasicBlock>(name, {3, 4, 6, 3}, classes, gen);
  if (depth == 50) return make_resnet<Bottleneck>(name, {3, 4, 6, 3}, classes, gen);
  CG_FAIL("ResNet depth must be 18, 34 or 50, got " << depth);
}

}  // namespace cudagrad
