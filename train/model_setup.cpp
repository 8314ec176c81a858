#include "train/model_setup.h"

#include <cstdio>
#include <map>

#include "base/error.h"
#include "engine/generator.h"
#include "models/registry.h"

namespace cudagrad {
namespace train {

std::shared_ptr<Network> build_model(const TrainConfig& config, int classes, uint64_t seed) {
  ModelOptions options;
  options.width = config.width;
  options.head = config.head;
  options.input = config.input;
  Generator gen(seed);
  std::shared_ptr<Network> model = make_model(name_of(config.model), classes, gen, options);
  model->output_shape({1, 3, config.input, config.input});  // throws, naming the layer
  return model;
}

std::string head_name(const Module& model) {
  std::string head;
  for (const auto& [name, child] : model.children())
    if (!child->state_dict().empty()) head = name;
  CG_CHECK(!head.empty(), model.kind() << " has no layer with parameters");
  return head;
}

namespace {

bool under(const std::string& name, const std::string& prefix) {
  return name.compare(0, prefix.size() + 1, prefix + ".") == 0;
}

bool ends_with(const std::string& name, const std::string& suffix) {
  return name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void load_state(Module& model, const NamedTensors& tensors, const std::string& source) {
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : tensors) by_name[name] = &t;
  const NamedTensors state = model.state_dict();
  for (const auto& [name, t] : state) {
    auto it = by_name.find(name);
    CG_CHECK(it != by_name.end(), source << ": no tensor '" << name << "' for this " << model.kind()
                                         << " (is it a checkpoint of another model?)");
    CG_CHECK(it->second->shape() == t.shape(),
             source << ": tensor '" << name << "' has shape " << shape_str(it->second->shape())
                    << " but the " << model.kind() << " needs " << shape_str(t.shape()));
    by_name.erase(it);
  }
  CG_CHECK(by_name.empty(), source << ": tensor '" << by_name.begin()->first << "' (and "
                                   << by_name.size() - 1 << " more) is not part of this "
                                   << model.kind());
  for (const auto& [name, t] : state) {
    Tensor target = t;
    target.copy_from(find_tensor(tensors, name, source));
  }
}

void load_pretrained(Module& model, const std::string& path) {
  const NamedTensors file = load_safetensors(path);
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : file)
    if (!ends_with(name, ".num_batches_tracked")) by_name[name] = &t;
  const std::string head = head_name(model);
  int loaded = 0;
  bool head_replaced = false;
  for (const auto& [name, t] : model.state_dict()) {
    auto it = by_name.find(name);
    const bool in_head = under(name, head);
    if (in_head && (it == by_name.end() || it->second->shape() != t.shape())) {
      head_replaced = true;  // another class count (or none): keep the fresh head
      if (it != by_name.end()) by_name.erase(it);
      continue;
    }
    CG_CHECK(it != by_name.end(),
             "--pretrained " << path << ": no tensor '" << name << "' for " << model.kind()
                             << " (torchvision names expected, e.g. 'layer1.0.conv1.weight')");
    CG_CHECK(it->second->shape() == t.shape(),
             "--pretrained " << path << ": tensor '" << name << "' has shape "
                             << shape_str(it->second->shape()) << " but " << model.kind()
                             << " needs " << shape_str(t.shape()));
    Tensor target = t;
    target.copy_from(*it->second);
    by_name.erase(it);
    ++loaded;
  }
  CG_CHECK(by_name.empty(), "--pretrained " << path << ": tensor '" << by_name.begin()->first
                                            << "' (and " << by_name.size() - 1
                                            << " more) is not part of " << model.kind());
  std::printf("pretrained: %d tensors from %s; head '%s' %s\n", loaded, path.c_str(), head.c_str(),
              head_replaced ? "replaced by a fresh one for this class count" : "loaded too");
}

void freeze_backbone(Module& model) {
  const std::string head = head_name(model);
  for (const auto& [name, child] : model.children())
    if (name != head) child->set_frozen(true);
}

namespace {
void find_dropouts(Module& m, std::vector<Dropout*>& out) {
  if (auto* d = dynamic_cast<Dropout*>(&m)) out.push_back(d);
  for (const auto& [name, child] : m.children()) find_dropouts(*child, out);
}
}  // namespace

std::vector<Dropout*> dropout_layers(Module& model) {
  std::vector<Dropout*> out;
  find_dropouts(model, out);
  return out;
}

}  // namespace train
}  // namespace cudagrad
