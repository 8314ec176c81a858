// DenseNet-BC (Huang et al., "Densely Connected Convolutional Networks",
// 2017, Table 1) in torchvision's version: the same layers, in the same
// order, under the same names, so that a torchvision state_dict maps 1:1.
// Growth rate k = 32, bottleneck width 4k, compression 0.5, no dropout.
//
//   name          output (224 input)      DenseNet-121   DenseNet-169   DenseNet-201
//   features.conv0         112 x 112      7x7, 64, stride 2, then norm0, relu0
//   features.pool0         56 x 56        3x3 max, stride 2
//   features.denseblock1   56 x 56        6 layers       6              6         -> 256
//   features.transition1   28 x 28        1x1 conv to half the channels, 2x2 average, stride 2
//   features.denseblock2   28 x 28        12             12             12        -> 512
//   features.transition2   14 x 14
//   features.denseblock3   14 x 14        24 -> 1024     32 -> 1280     48 -> 1792
//   features.transition3   7 x 7
//   features.denseblock4   7 x 7          16 -> 1024     32 -> 1664     32 -> 1920
//   features.norm5, relu, pool            batch norm, ReLU, global average
//   classifier             classes        linear
//
// Each dense layer is BN-ReLU-conv 1x1 (to 4k channels), BN-ReLU-conv 3x3
// (to k), over the concatenation of every earlier feature map of its block
// (layers/dense_block.h). Parameters at 1,000 classes, as torchvision's:
// 7,978,856 / 14,149,480 / 20,013,928.
//
// Memory: the dense layers' first BN-ReLU-conv is one op that keeps only
// its inputs and recomputes the concatenation and the normalized tensor in
// the backward pass (layers/dense_block.h says why and how). A DenseNet-121
// training step at batch 8, 224x224 (forward, weighted cross-entropy,
// backward, Adam; bench/train_throughput on the 2-core Sapphire Rapids
// build machine, 2026-12-06, shared with other builds, load average 7):
//
//                                      peak RSS   train img/s,      forward + backward img/s,
//                                                 2 threads, wall   1 thread, CPU time
//   cudagrad, recomputing (this file)  853 MB     1.16              4.7
//   cudagrad, the three ops kept       1648 MB    1.20              4.9
//   PyTorch 1.13 (Debian), torchvision 1571 MB    1.44              -
//
// "The three ops kept" is the same build with the op replaced by
// concat_channels, batch_norm2d_relu and conv2d (a local change, measured
// and not kept). The last column is bench-layers (batch 8; the wall-clock
// column is distorted by the load: see README, "Known issues"): the
// recomputation costs 7% of the backward pass (1.13 s against 1.06 s per
// batch) and 4% of forward + backward. Half the memory for a few percent
// of time: at batch 8 the naive form already needs 1.6 GB, and its
// O(L^2) part grows with the batch and the image.
#pragma once
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "layers/dense_block.h"
#include "layers/network.h"

namespace cudagrad {

// torchvision's DenseNet arguments (drop_rate is always 0 here).
struct DenseNetOptions {
  int growth_rate = 32;                      // k: channels each dense layer adds
  std::vector<int> block_config{6, 12, 24, 16};  // layers per dense block
  int num_init_features = 64;                // conv0's channels
  int bn_size = 4;                           // the bottleneck is bn_size k channels wide
};

// torchvision initializes every convolution with Kaiming's normal in its
// default fan_in mode (unlike ResNet's fan_out): std = sqrt(2 / (C_in k k)).
// BN starts at weight 1, bias 0 (BatchNorm2d's default) and the classifier's
// bias at 0; its weight keeps PyTorch's default uniform.
inline void densenet_init(Module& net, Generator& gen) {
  for (auto& [name, w] : net.named_parameters()) {
    if (w.ndim() == 4) {
      const float fan_in = static_cast<float>(w.dim(1) * w.dim(2) * w.dim(3));
      w.copy_from(Tensor::randn(w.shape(), gen, 0.f, std::sqrt(2.f / fan_in)));
    } else if (name == "classifier.bias") {
      w.copy_from(Tensor::zeros(w.shape()));
    }
  }
}

inline std::shared_ptr<Network> make_densenet(const std::string& name,
                                              const DenseNetOptions& options, int classes,
                                              Generator& gen) {
  const int k = options.growth_rate;
  CG_CHECK(k >= 1 && options.bn_size >= 1 && options.num_init_features >= 1 &&
               !options.block_config.empty(),
           "DenseNet needs a growth rate, bn_size, initial features and at least one block");
  auto net = std::make_shared<Network>(name);
  auto features = net->add("features", std::make_shared<Sequential>());
  int channels = options.num_init_features;
  features->add("conv0", std::make_shared<Conv2d>(3, channels, 7, 2, 3, gen, /*bias=*/false));
  features->add("norm0", std::make_shared<BatchNorm2d>(channels));
  features->add("relu0", std::make_shared<ReLU>());
  features->add("pool0", std::make_shared<MaxPool2d>(3, 2, 1));
  for (size_t i = 0; i < options.block_config.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    auto block = features->add("denseblock" + n,
                               std::make_shared<DenseBlock>(options.block_config[i], channels, k,
                                                            options.bn_size, gen));
    channels = block->out_channels(k);
    if (i + 1 < options.block_config.size()) {
      features->add("transition" + n, std::make_shared<Transition>(channels, channels / 2, gen));
      channels /= 2;
    }
  }
  features->add("norm5", std::make_shared<BatchNorm2d>(channels));
  net->add("relu", std::make_shared<ReLU>());
  net->add("pool", std::make_shared<GlobalAvgPool>());
  net->add("classifier", std::make_shared<Linear>(channels, classes, gen));
  densenet_init(*net, gen);
  return net;
}

// depth 121, 169 or 201.
inline std::shared_ptr<Network> make_densenet(int depth, int classes, Generator& gen) {
  DenseNetOptions options;
  if (depth == 121) options.block_config = {6, 12, 24, 16};
  else if (depth == 169) options.block_config = {6, 12, 32, 32};
  else if (depth == 201) options.block_config = {6, 12, 48, 32};
  else CG_FAIL("DenseNet depth must be 121, 169 or 201, got " << depth);
  return make_densenet("DenseNet-" + std::to_string(depth), options, classes, gen);
}

}  // namespace cudagrad
