// LeNet as seed 003's tutorial builds it (after LeCun et al., 1998), for
// 3x224x224 images. Names as the tutorial's PyTorch module (conv1 ... fc3).
//
//   layer   kernel            output (224 input)   parameters (7 classes)
//   conv1   5x5, 3->6, pad 2  6 x 224 x 224               456
//   pool1   max 2x2           6 x 112 x 112
//   conv2   5x5, 6->16        16 x 108 x 108            2,416
//   pool2   max 2x2           16 x 54 x 54
//   fc1     46,656 -> 120     120                   5,598,840
//   fc2     120 -> 84         84                       10,164
//   fc3     84 -> classes     7                           595
//                                                   5,612,471
// ReLU follows conv1, conv2, fc1 and fc2. fc1 holds 99.8% of the weights and
// fixes the input at 224x224: any other size reaches it with a different
// number of features, which is an Error saying so.
#pragma once
#include <memory>
#include <string>

#include "layers/network.h"

namespace cudagrad {

class LeNet : public Network {
 public:
  static constexpr int64_t kFlatFeatures = 16 * 54 * 54;  // what fc1 takes: 46,656

  LeNet(int classes, Generator& gen) : Network("LeNet") {
    add("conv1", std::make_shared<Conv2d>(3, 6, 5, 1, 2, gen));
    add("relu1", std::make_shared<ReLU>());
    add("pool1", std::make_shared<MaxPool2d>(2, 2));
    add("conv2", std::make_shared<Conv2d>(6, 16, 5, 1, 0, gen));
    add("relu2", std::make_shared<ReLU>());
    add("pool2", std::make_shared<MaxPool2d>(2, 2));
    add("flatten", std::make_shared<Flatten>());
    add("fc1", std::make_shared<Linear>(kFlatFeatures, 120, gen));
    add("relu3", std::make_shared<ReLU>());
    add("fc2", std::make_shared<Linear>(120, 84, gen));
    add("relu4", std::make_shared<ReLU>());
    add("fc3", std::make_shared<Linear>(84, classes, gen));
  }

  // Sequential's chain, with fc1's input checked first so the error can say
  // which input size LeNet needs.
  Shape infer_shape(const Shape& in, ShapeTrace& trace) const override {
    Shape s = in;
    for (const auto& [name, layer] : children()) {
      if (name == "fc1")
        CG_CHECK(s[1] == kFlatFeatures,
                 "linear 'fc1' expects (N, " << kFlatFeatures << ") but got (N, " << s[1]
                                             << ") from input " << in[1] << "x" << in[2] << "x"
                                             << in[3] << "; LeNet needs 224x224");
      s = trace.through(name, *layer, s);
    }
    return s;
  }
};

inline std::shared_ptr<Network> make_lenet(int classes, Generator& gen) {
  return std::make_shared<LeNet>(classes, gen);
}

}  // namespace cudagrad
