// Tensor: a float32, NCHW, contiguous array on one device, plus the autograd
// bookkeeping (requires_grad, grad, and the node that produced it).
//
// A Tensor is a cheap handle: copies share the same TensorImpl. reshape()
// and flatten() return views that share storage with their source.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/device.h"

namespace cudagrad {

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& shape);  // "(2, 3, 4)"
int64_t shape_numel(const Shape& shape);

class Generator;
struct Node;

struct KernelTable;

// Raw memory on one device, freed by the backend that allocated it.
class Storage {
 public:
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_;
  const KernelTable* allocator_;  // the backend whose allocate() made data_
};

class Tensor;

struct TensorImpl {
  Shape shape;
  std::shared_ptr<Storage> storage;  // numel floats, shared by views
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // same shape; created by backward()
  std::shared_ptr<Node> grad_fn;     // the op that produced this tensor (none for leaves)
  bool retain_grad = false;          // keep the gradient of this intermediate result
};

class Tensor {
 public:
  Tensor() = default;  // undefined: used for "no bias", "no gradient"
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation -----------------------------------------------------------
  static Tensor empty(const Shape& shape, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, Device device = Device::cpu());
  static Tensor full(const Shape& shape, float value, Device device = Device::cpu());
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape,
                            Device device = Device::cpu());
  static Tensor randn(const Shape& shape, Generator& gen, float mean = 0.f, float stddev = 1.f,
                      Device device = Device::cpu());
  static Tensor uniform(const Shape& shape, Generator& gen, float low, float high,
                        Device device = Device::cpu());

  // ---- inspection ------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int64_t dim(int i) const;  // negative i counts from the end
  int ndim() const { return static_cast<int>(shape().size()); }
  int64_t numel() const;
  Device device() const;
  float* data() const;                  // backend memory: host for cpu, device for cuda
  std::vector<float> to_vector() const;  // a host copy
  float item() const;                    // the value of a one-element tensor
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same_storage(const Tensor& other) const;

  // ---- copies and views --------------------------------------------------------
  Tensor to(Device device) const;   // a copy on another device (no autograd)
  Tensor clone() const;             // a copy on the same device (no autograd)
  Tensor detach() const;            // shares storage, no grad_fn, requires_grad false
  void copy_from(const Tensor& src);  // in place, same shape, any devices; no autograd
  Tensor reshape(const Shape& shape) const;  // a view; one dimension may be -1
  Tensor flatten() const;                    // (N, ...) -> (N, rest), a view

  // ---- autograd ---------------------------------------------------------------
  bool requires_grad() const;
  Tensor& set_requires_grad(bool on);
  Tensor grad() const;  // undefined until backward() reaches this tensor
  // An intermediate result's gradient is freed during backward() unless this
  // is called first (Grad-CAM reads the gradient of a feature map this way).
  void retain_grad();
  void zero_grad();     // drops the gradient
  Node* grad_fn() const;
  // Back-propagates from this tensor. Without grad_output the tensor must
  // hold one element (a loss); with it, grad_output has this tensor's shape.
  // The graph is released afterwards unless retain_graph is true.
  void backward(bool retain_graph = false) const;
  void backward(const Tensor& grad_output, bool retain_graph = false) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

}  // namespace cudagrad
