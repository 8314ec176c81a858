#include "examples/recipes.h"

#include "base/error.h"

namespace cudagrad {
namespace cli {

const std::vector<Recipe>& recipes() {
  static const std::vector<Recipe> all{
      {"lenet-tutorial",
       "seed 003's LeNet: Adam lr 1e-5, batch 10, 30 epochs, weighted cross-entropy "
       "(median frequency), flip + rotation 60, 224x224",
       {{"--model", "lenet"},
        {"--optimizer", "adam"},
        {"--lr", "1e-5"},
        {"--batch", "10"},
        {"--epochs", "30"},
        {"--class-weights", "median-frequency"},
        {"--augment", "flip-rotate"},
        {"--input", "224"}}},
      // Seed 003 trains its ImageNet-pretrained ResNet-18 with the LeNet
      // settings; the weights come from --pretrained FILE (README).
      {"resnet18-tutorial",
       "seed 003's ResNet-18: as lenet-tutorial; add --pretrained FILE for ImageNet weights",
       {{"--model", "resnet18"},
        {"--optimizer", "adam"},
        {"--lr", "1e-5"},
        {"--batch", "10"},
        {"--epochs", "30"},
        {"--class-weights", "median-frequency"},
        {"--augment", "flip-rotate"},
        {"--input", "224"}}},
      // Seed 004: Keras MobileNet with a dense head, SGD, Keras' augmentation
      // (zoom, shift, rotation, nearest fill), up to 100 epochs with early
      // stopping on the validation loss.
      {"mobilenet-tutorial",
       "seed 004's MobileNet: dense head, SGD lr 1e-3 momentum 0.9, batch 32, up to 100 "
       "epochs, early stopping patience 10, flip + zoom + shift + rotation 30",
       {{"--model", "mobilenet"},
        {"--head", "dense"},
        {"--optimizer", "sgd"},
        {"--lr", "1e-3"},
        {"--momentum", "0.9"},
        {"--batch", "32"},
        {"--epochs", "100"},
        {"--early-stopping", "10"},
        {"--class-weights", "ones"},
        {"--augment", "flip-zoom-shift-rotate"},
        {"--input", "224"}}},
  };
  return all;
}

Flags apply_recipe(const std::string& name, const Flags& user) {
  std::vector<std::string> names;
  for (const Recipe& r : recipes()) {
    names.push_back(r.name);
    if (r.name != name) continue;
    Flags merged = r.flags;
    for (const auto& [flag, value] : user) merged[flag] = value;
    // A recipe's MobileNet-only settings must not outlive a --model change.
    if (merged["--model"] != "mobilenet" && !user.count("--head")) merged.erase("--head");
    return merged;
  }
  CG_FAIL("unknown recipe '" << name << "'; valid recipes: " << join(names));
}

}  // namespace cli
}  // namespace cudagrad
