#include "engine/tensor.h"

#include <sstream>

#include "base/error.h"
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/generator.h"

namespace cudagrad {

std::string shape_str(const Shape& shape) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ")";
  return os.str();
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    CG_CHECK(d >= 0, "negative dimension in shape " << shape_str(shape));
    n *= d;
  }
  return n;
}

// ---- Storage ------------------------------------------------------------------

Storage::Storage(size_t bytes, Device device)
    : bytes_(bytes), device_(device), allocator_(&kernels_for(device)) {
  if (bytes > 0) data_ = allocator_->allocate(bytes);
}

Storage::~Storage() {
  if (data_) allocator_->deallocate(data_);
}

// ---- creation -----------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, Device device) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->storage = std::make_shared<Storage>(shape_numel(shape) * sizeof(float), device);
  return Tensor(impl);
}

Tensor Tensor::full(const Shape& shape, float value, Device device) {
  Tensor t = empty(shape, device);
  kernels_for(device).fill(t.numel(), value, t.data());
  return t;
}

Tensor Tensor::zeros(const Shape& shape, Device device) { return full(shape, 0.f, device); }
Tensor Tensor::ones(const Shape& shape, Device device) { return full(shape, 1.f, device); }

Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape, Device device) {
  CG_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
           "from_vector: " << values.size() << " values do not fill shape " << shape_str(shape));
  Tensor t = empty(shape, device);
  kernels_for(device).copy_from_host(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor Tensor::randn(const Shape& shape, Generator& gen, float mean, float stddev, Device device) {
  std::vector<float> v(shape_numel(shape));
  for (float& x : v) x = mean + stddev * gen.normal();
  return from_vector(v, shape, device);
}

Tensor Tensor::uniform(const Shape& shape, Generator& gen, float low, float high, Device device) {
  std::vector<float> v(shape_numel(shape));
  for (float& x : v) x = gen.uniform(low, high);
  return from_vector(v, shape, device);
}

// ---- inspection ------------------------------------------------------------------

static const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl) {
  CG_CHECK(impl, "use of an undefined tensor");
  return *impl;
}

const Shape& Tensor::shape() const { return checked(impl_).shape; }

int64_t Tensor::dim(int i) const {
  const Shape& s = shape();
  int n = static_cast<int>(s.size());
  int j = i < 0 ? i + n : i;
  CG_CHECK(j >= 0 && j < n, "dimension " << i << " out of range for shape " << shape_str(s));
  return s[j];
}

int64_t Tensor::numel() const { return shape_numel(shape()); }
Device Tensor::device() const { return checked(impl_).storage->device(); }
float* Tensor::data() const { return static_cast<float*>(checked(impl_).storage->data()); }

std::vector<float> Tensor::to_vector() const {
  std::vector<float> v(numel());
  kernels_for(device()).copy_to_host(v.data(), data(), v.size() * sizeof(float));
  return v;
}

float Tensor::item() const {
  CG_CHECK(numel() == 1, "item() needs a one-element tensor, got shape " << shape_str(shape()));
  return to_vector()[0];
}

bool Tensor::same_storage(const Tensor& other) const {
  return defined() && other.defined() && impl_->storage == other.impl_->storage;
}

// ---- copies and views ---------------------------------------------------------------

Tensor Tensor::to(Device device) const {
  Tensor out = empty(shape(), device);
  out.copy_from(*this);
  return out;
}

Tensor Tensor::clone() const { return to(device()); }

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape();
  impl->storage = impl_->storage;
  return Tensor(impl);
}

void Tensor::copy_from(const Tensor& src) {
  CG_CHECK(src.shape() == shape(), "copy_from: shape " << shape_str(src.shape())
                                                        << " does not match " << shape_str(shape()));
  size_t bytes = numel() * sizeof(float);
  if (src.device() == device()) {
    kernels_for(device()).copy(data(), src.data(), bytes);
  } else if (src.device().is_cpu()) {
    kernels_for(device()).copy_from_host(data(), src.data(), bytes);
  } else if (device().is_cpu()) {
    kernels_for(src.device()).copy_to_host(data(), src.data(), bytes);
  } else {  // between two GPUs: through the host
    std::vector<float> host = src.to_vector();
    kernels_for(device()).copy_from_host(data(), host.data(), bytes);
  }
}

Tensor Tensor::reshape(const Shape& new_shape) const {
  Shape s = new_shape;
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      CG_CHECK(infer < 0, "reshape: more than one -1 in " << shape_str(new_shape));
      infer = static_cast<int>(i);
    } else {
      CG_CHECK(s[i] >= 0, "reshape: negative dimension in " << shape_str(new_shape));
      known *= s[i];
    }
  }
  if (infer >= 0) {
    CG_CHECK(known > 0 && numel() % known == 0,
             "reshape: cannot infer -1 in " << shape_str(new_shape) << " from " << shape_str(shape()));
    s[infer] = numel() / known;
  }
  CG_CHECK(shape_numel(s) == numel(),
           "reshape: " << shape_str(shape()) << " has " << numel() << " elements, "
                       << shape_str(new_shape) << " needs " << shape_numel(s));
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = s;
  impl->storage = impl_->storage;
  Tensor view(impl);
  Shape source_shape = shape();
  return record(view, "reshape", {*this}, [source_shape](const Tensor& g) {
    return std::vector<Tensor>{g.reshape(source_shape)};
  });
}

Tensor Tensor::flatten() const {
  CG_CHECK(ndim() >= 1, "flatten: needs at least one dimension");
  return reshape({dim(0), -1});
}

// ---- autograd accessors -------------------------------------------------------------

bool Tensor::requires_grad() const { return checked(impl_).requires_grad; }

Tensor& Tensor::set_requires_grad(bool on) {
  CG_CHECK(!impl_->grad_fn || on,
           "set_requires_grad(false) on the output of '" << impl_->grad_fn->name
                                                        << "': use detach() instead");
  impl_->requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return Tensor(checked(impl_).grad); }
void Tensor::retain_grad() {
  CG_CHECK(requires_grad(), "retain_grad() on a tensor that does not require a gradient");
  impl_->retain_grad = true;
}
void Tensor::zero_grad() { checked(impl_); impl_->grad.reset(); }
Node* Tensor::grad_fn() const { return checked(impl_).grad_fn.get(); }

}  // namespace cudagrad
