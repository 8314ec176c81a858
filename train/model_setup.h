// Building a model for a run and filling it with weights: from a checkpoint
// (exact names and shapes), from a pretrained file (torchvision's names, the
// classifier replaced for the class count), and freezing its backbone.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/safetensors.h"
#include "layers/network.h"
#include "train/train_config.h"

namespace cudagrad {
namespace train {

// The model the config names, for `classes` classes, initialized from
// `seed`. The input size is checked at once: a wrong one is an Error naming
// the first layer that cannot take it.
std::shared_ptr<Network> build_model(const TrainConfig& config, int classes, uint64_t seed);

// The name of the model's head: its last top-level layer with parameters
// ("fc" for ResNet and pooled MobileNet, "classifier" for MobileNet's dense
// head, "fc3" for LeNet). Everything before it is the backbone.
std::string head_name(const Module& model);

// Copies `tensors` into the model's parameters and buffers. Every name of
// the model must be there with the same shape, and nothing else; an Error
// naming `source` and the tensor otherwise.
void load_state(Module& model, const NamedTensors& tensors, const std::string& source);

// Loads a torchvision-named state dict (a .safetensors file) for transfer
// learning: every backbone tensor must be there with the model's shape; the
// head is taken only where its shapes match (the same class count), and is
// otherwise left freshly initialized. PyTorch's BN counters
// (num_batches_tracked) are ignored. Prints what it did.
void load_pretrained(Module& model, const std::string& path);

// Freezes every parameter outside the head (set_frozen on each backbone layer).
void freeze_backbone(Module& model);

// The model's Dropout layers in forward order: their mask counters are part
// of a checkpoint, so a resumed run draws the same masks.
std::vector<Dropout*> dropout_layers(Module& model);

}  // namespace train
}  // namespace cudagrad
