// One place that maps a model's name to its constructor, for the command
// line and the tests:
//   make_model("resnet18", 7, gen) -> ResNet-18 with a 7-way classifier
// An unknown name is an Error listing the valid ones.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "models/densenet.h"
#include "models/lenet.h"
#include "models/mobilenet.h"
#include "models/resnet.h"

namespace cudagrad {

// Settings that only some models read; the others ignore them.
struct ModelOptions {
  float width = 1.f;                          // MobileNet's width multiplier
  MobileNetHead head = MobileNetHead::pooled;  // MobileNet's classifier
  int input = 224;                            // input side (MobileNet's dense head)
};

inline const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names{"lenet", "resnet18", "resnet34", "resnet50",
                                              "mobilenet",
                                              "densenet121", "densenet169", "densenet201"};
  return names;
}

inline std::shared_ptr<Network> make_model(const std::string& name, int classes, Generator& gen,
                                           const ModelOptions& options = {}) {
  CG_CHECK(classes >= 1, "a model needs at least one class, got " << classes);
  if (name == "lenet") return make_lenet(classes, gen);
  if (name == "resnet18") return make_resnet(18, classes, gen);
  if (name == "resnet34") return make_resnet(34, classes, gen);
  if (name == "resnet50") return make_resnet(50, classes, gen);
  if (name == "mobilenet")
    return make_mobilenet(classes, gen, {options.width, options.head, options.input});
  if (name == "densenet121") return make_densenet(121, classes, gen);
  if (name == "densenet169") return make_densenet(169, classes, gen);
  if (name == "densenet201") return make_densenet(201, classes, gen);
  std::string valid;
  for (const std::string& n : model_names()) valid += (valid.empty() ? "" : ", ") + n;
  CG_FAIL("unknown model '" << name << "'; valid names: " << valid);
}

}  // namespace cudagrad
