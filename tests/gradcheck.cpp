#include "tests/gradcheck.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "base/error.h"
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/generator.h"

namespace cudagrad {
namespace testing {

namespace {

// L = sum(y * r) in double.
double projected(const Tensor& y, const std::vector<float>& r) {
  std::vector<float> v = y.to_vector();
  double sum = 0;
  for (size_t i = 0; i < v.size(); ++i) sum += static_cast<double>(v[i]) * r[i];
  return sum;
}

// Up to `count` distinct element indices of [0, n), always including the
// first and last so edges and padding are exercised.
std::vector<int64_t> sample_indices(int64_t n, int count, Generator& gen) {
  std::vector<int64_t> all(n);
  for (int64_t i = 0; i < n; ++i) all[i] = i;
  if (n <= count) return all;
  for (int64_t i = n - 1; i > 0; --i) std::swap(all[i], all[gen.next_u64() % (i + 1)]);
  all.resize(count);
  all[0] = 0;
  all[1] = n - 1;
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

}  // namespace

GradCheckResult check_gradients(const TensorFunction& f, const std::vector<Tensor>& inputs,
                                const GradCheckOptions& options) {
  GradCheckResult result;
  Generator gen(options.seed);

  // Analytic gradients from autograd, for the fixed projection r.
  for (Tensor x : inputs) {  // handles: clearing through a copy clears the input
    if (x.defined()) x.zero_grad();
  }
  Tensor y = f(inputs);
  std::vector<float> r(y.numel());
  for (float& v : r) v = gen.uniform(-1.f, 1.f);
  const double base = projected(y, r);
  y.backward(Tensor::from_vector(r, y.shape(), y.device()));

  for (size_t which = 0; which < inputs.size(); ++which) {
    Tensor x = inputs[which];  // a handle: writes reach the caller's tensor
    if (!x.defined() || !x.requires_grad()) continue;
    Tensor grad = x.grad();
    std::vector<float> analytic =
        grad.defined() ? grad.to_vector() : std::vector<float>(x.numel(), 0.f);
    std::vector<float> values = x.to_vector();
    for (int64_t i : sample_indices(x.numel(), options.max_checks_per_input, gen)) {
      const float original = values[i];
      auto evaluate_at = [&](float value) {
        values[i] = value;
        x.copy_from(Tensor::from_vector(values, x.shape()));
        NoGradGuard no_grad;
        return projected(f(inputs), r);
      };
      const double h = options.step;
      const double plus = evaluate_at(static_cast<float>(original + h));
      const double minus = evaluate_at(static_cast<float>(original - h));
      values[i] = original;
      x.copy_from(Tensor::from_vector(values, x.shape()));

      if (options.skip_kinks) {
        const double right = (plus - base) / h, left = (base - minus) / h;
        if (std::fabs(right - left) >
            options.kink_threshold * std::max({1.0, std::fabs(right), std::fabs(left)})) {
          ++result.skipped;
          continue;
        }
      }
      const double a = analytic[i];
      auto error_of = [&](double numeric) {
        return std::fabs(a - numeric) / std::max({1.0, std::fabs(a), std::fabs(numeric)});
      };
      double numeric = (plus - minus) / (2 * h);
      double error = error_of(numeric);
      if (error > options.tolerance / 4) {  // not only at the edge: margins stay visible
        // Second opinion from Richardson extrapolation over h and h/2, which
        // cancels the h^2 term of the central difference's error: strong
        // curvature (batch norm over a small batch) no longer costs accuracy.
        // A kink between x+-h/2 and x+-h distorts only the first estimate.
        // A wrong gradient misses both.
        const double q = h / 2;
        const double half = (evaluate_at(static_cast<float>(original + q)) -
                             evaluate_at(static_cast<float>(original - q))) /
                            (2 * q);
        values[i] = original;
        x.copy_from(Tensor::from_vector(values, x.shape()));
        const double richardson = (4 * half - numeric) / 3;
        for (double candidate : {half, richardson})
          if (error_of(candidate) < error) {
            numeric = candidate;
            error = error_of(candidate);
          }
      }
      ++result.checked;
      if (error > result.worst_error || result.worst_where.empty()) {
        result.worst_error = error;
        std::ostringstream os;
        os << "input " << which << " " << shape_str(x.shape()) << " [" << i << "]: analytic " << a
           << ", numeric " << numeric;
        result.worst_where = os.str();
      }
    }
  }
  result.passed = result.checked > 0 && result.worst_error <= options.tolerance;
  return result;
}

void expect_gradients_match(const std::string& name, const TensorFunction& f,
                            const std::vector<Tensor>& inputs, const GradCheckOptions& options) {
  for (const KernelTable* backend : host_backends()) {
    HostBackendScope scope(*backend);
    const std::string label = name + " [" + backend->name + "]";
    GradCheckResult r = check_gradients(f, inputs, options);
    INFO(label << ": worst error " << r.worst_error << " = " << r.worst_error / options.tolerance
               << " of the tolerance " << options.tolerance << " at " << r.worst_where
               << "; checked " << r.checked << ", skipped " << r.skipped << " near kinks");
    CHECK(r.checked > 0);
    CHECK(r.passed);
    // Skipping most points would hide a wrong gradient behind "kinks".
    CHECK(r.skipped <= r.checked / 4 + 1);
    MESSAGE(label << ": worst gradient error " << r.worst_error / options.tolerance
                  << " of tolerance (" << r.checked << " checked, " << r.skipped << " skipped)");
  }
}

}  // namespace testing
}  // namespace cudagrad
