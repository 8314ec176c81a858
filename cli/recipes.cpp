#include "cli/recipes.h"

#include "base/error.h"

namespace cudagrad {
namespace cli {

namespace {

using namespace train;

// Seed 003 trains LeNet, and its ImageNet-pretrained ResNet-18 with the
// same settings: Adam lr 1e-5, batch 10, 30 epochs, weighted cross-entropy
// (median frequency), flip + rotation 60, 224x224. The ResNet's weights
// come from --pretrained FILE (README).
TrainConfig seed003(ModelKind model, const std::string& name) {
  TrainConfig c;
  c.recipe = name;
  c.model = model;
  c.optimizer = OptimizerKind::adam;
  c.lr = 1e-5f;
  c.batch = 10;
  c.epochs = 30;
  c.class_weights = data::ClassWeighting::median_frequency;
  c.augment = AugmentPreset::flip_rotate;
  c.input = 224;
  return c;
}

// Seed 004: Keras MobileNet with a dense head, SGD, Keras' augmentation
// (zoom, shift, rotation, nearest fill), up to 100 epochs with early
// stopping on the validation loss.
TrainConfig seed004() {
  TrainConfig c;
  c.recipe = "mobilenet-tutorial";
  c.model = ModelKind::mobilenet;
  c.head = MobileNetHead::dense;
  c.optimizer = OptimizerKind::sgd;
  c.lr = 1e-3f;
  c.momentum = 0.9f;
  c.batch = 32;
  c.epochs = 100;
  c.early_stopping = 10;
  c.class_weights = data::ClassWeighting::ones;
  c.augment = AugmentPreset::flip_zoom_shift_rotate;
  c.input = 224;
  return c;
}

}  // namespace

const std::vector<Recipe>& recipes() {
  static const std::vector<Recipe> all{
      {"lenet-tutorial",
       "seed 003's LeNet: Adam lr 1e-5, batch 10, 30 epochs, weighted cross-entropy "
       "(median frequency), flip + rotation 60, 224x224",
       seed003(ModelKind::lenet, "lenet-tutorial")},
      {"resnet18-tutorial",
       "seed 003's ResNet-18: as lenet-tutorial; add --pretrained FILE for ImageNet weights",
       seed003(ModelKind::resnet18, "resnet18-tutorial")},
      {"mobilenet-tutorial",
       "seed 004's MobileNet: dense head, SGD lr 1e-3 momentum 0.9, batch 32, up to 100 "
       "epochs, early stopping patience 10, flip + zoom + shift + rotation 30",
       seed004()},
  };
  return all;
}

const Recipe& recipe_named(const std::string& name) {
  std::vector<std::string> names;
  for (const Recipe& r : recipes()) {
    if (r.name == name) return r;
    names.push_back(r.name);
  }
  CG_FAIL("unknown recipe '" << name << "'; valid recipes: " << train::join(names));
}

}  // namespace cli
}  // namespace cudagrad
