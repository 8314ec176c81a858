// The benchmark's cases: one KernelTable call on one layer shape of a model.
//
// The shapes come from the models themselves (models/registry.h): each
// model is traced on shapes only (layers/module.h's ShapeTrace, no data),
// and each leaf layer becomes the calls that train it: a convolution its
// forward, backward-input and backward-weight passes, a batch norm its
// training forward, eval forward and backward, and so on; the head adds
// log-softmax and the loss, and the optimizer steps run over all the
// model's parameters. Layers of one model with the same op and shape (the
// repeated blocks of ResNet and MobileNet) are one case, counted in `layers`.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "kernels/kernel_table.h"

namespace cudagrad {
namespace bench {

// The buffers of one case in one backend's memory, by name.
class Workspace {
 public:
  explicit Workspace(const KernelTable& table) : table_(table) {}
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  void add(const std::string& name, const std::vector<float>& host);
  void add_labels(const std::string& name, const std::vector<int32_t>& host);
  // Outputs (name, element count), 4-byte elements, left unwritten.
  void add_outputs(std::initializer_list<std::pair<const char*, size_t>> outputs);
  float* f(const std::string& name) const;
  int32_t* i(const std::string& name) const;
  std::vector<float> read(const std::string& name) const;
  const KernelTable& table() const { return table_; }

 private:
  struct Buffer {
    std::string name;
    void* ptr;
    size_t count;
  };
  const Buffer& find(const std::string& name) const;
  void* allocate(const std::string& name, size_t count);
  const KernelTable& table_;
  std::vector<Buffer> buffers_;
};

enum class Bound { compute, memory };  // which rate and peak a case is measured against

struct BenchCase {
  std::string model;  // "resnet18"
  std::string op;     // the KernelTable field: "conv2d_forward"
  std::string shape;  // "32x64x56x56 >64 k3 s1 p1"
  int layers = 1;     // layers of the model with this op and shape
  Bound bound = Bound::memory;
  double flops = 0;         // of one call, 2 per multiply-add
  double bytes = 0;         // the least one call must move: inputs read once, outputs written once
  double tolerance = 1e-3;  // validation: worst error relative to max(1, max |want|)
  std::vector<std::string> outputs;  // compared between the two backends
  // Fills a workspace with the case's inputs (the same values for every
  // backend) and, where a pass needs another's results (a backward pass
  // needs its forward's saved statistics or indices), runs that first.
  std::function<void(Workspace&)> prepare;
  std::function<void(Workspace&)> run;  // the timed call
  // Whether a table can run this case (the baselines fill only some fields).
  std::function<bool(const KernelTable&)> available;
};

// The cases of one model at a batch size, 224x224 RGB input, `classes` outputs.
std::vector<BenchCase> model_cases(const std::string& model, int batch, int classes);

}  // namespace bench
}  // namespace cudagrad
