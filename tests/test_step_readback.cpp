// A training step reads from its device once: the loss, the count of right
// predictions and the count of non-finite gradient values come back in one
// copy (engine/ops.h: read_step), so a GPU waits once per step instead of
// once per gradient tensor.
//
// The copies are counted with a host backend whose copy_to_host counts its
// calls: every read of a tensor's values goes through the table's
// copy_to_host (Tensor::to_vector), on every device, so the count is what a
// GPU would see. Then the same steps run on the CUDA kernels under the SIMT
// emulation (kernels/cuda/emulation) and must match the CPU backend: the
// whole step (forward, loss, backward, counts, Adam) on the CUDA code.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "engine/dispatch.h"
#include "engine/generator.h"
#include "engine/ops.h"
#include "engine/optim.h"
#include "train/train_step.h"
#include "kernels/cpu/cpu.h"
#include "kernels/cuda/cuda_backend.h"
#include "models/tiny_cnn.h"

using namespace cudagrad;

namespace {

int g_copies_to_host = 0;
void (*g_copy_to_host)(void*, const void*, size_t) = nullptr;
void counting_copy_to_host(void* host_dst, const void* src, size_t bytes) {
  ++g_copies_to_host;
  g_copy_to_host(host_dst, src, bytes);
}

// The CPU backend with a counting copy_to_host.
KernelTable counting_table() {
  KernelTable t = cpu::kernel_table();
  g_copy_to_host = t.copy_to_host;
  t.copy_to_host = counting_copy_to_host;
  t.name = "cpu, counting copies to the host";
  return t;
}

data::Batch random_batch(int n, uint64_t seed) {
  Generator g(seed);
  data::Batch b;
  b.size = n;
  b.height = b.width = 16;
  b.images.resize(static_cast<size_t>(n) * 3 * 16 * 16);
  for (float& v : b.images) v = g.normal();
  for (int i = 0; i < n; ++i) b.labels.push_back(i % 3);
  return b;
}

struct Run {
  std::vector<double> losses;
  std::vector<int64_t> correct;
  std::vector<float> weights;  // every parameter after the steps, end to end
};

// Three SGD steps of the tiny CNN (with batch norm) from seed 5's weights,
// on whatever host backend is in scope. (SGD, not Adam: Adam divides each
// gradient by its own running size, so a gradient that is rounding noise
// on both sides moves its weight by a full lr in either direction.)
Run three_steps() {
  Generator gen(5);
  auto model = make_tiny_cnn(3, gen);
  model->train();
  SGD sgd(model->parameters(), 0.1f, 0.9f);
  const Tensor class_weights = Tensor::from_vector({0.5f, 1.f, 2.f}, {3}, Device::cpu());
  Run run;
  for (int step = 0; step < 3; ++step) {
    const train::StepResult r = train::train_step(*model, sgd, class_weights, random_batch(6, 40 + step),
                                              Device::cpu(), /*restore_on_problem=*/true);
    REQUIRE_MESSAGE(r.applied, r.problem);
    run.losses.push_back(r.loss);
    run.correct.push_back(r.correct);
  }
  for (const auto& named : model->named_parameters())
    for (float v : named.second.to_vector()) run.weights.push_back(v);
  return run;
}

}  // namespace

TEST_CASE("a training step reads back from its device once") {
  static const KernelTable table = counting_table();
  HostBackendScope scope(table);
  Generator gen(5);
  auto model = make_tiny_cnn(3, gen);
  model->train();
  Adam adam(model->parameters(), 1e-2f);
  const Tensor class_weights = Tensor::from_vector({0.5f, 1.f, 2.f}, {3}, Device::cpu());
  for (int step = 0; step < 3; ++step) {
    const data::Batch batch = random_batch(6, 40 + step);
    g_copies_to_host = 0;
    const train::StepResult r =
        train::train_step(*model, adam, class_weights, batch, Device::cpu(), true);
    CHECK(r.applied);
    CHECK(std::isfinite(r.loss));
    CHECK(r.correct >= 0);
    CHECK(r.correct <= 6);
    CHECK_MESSAGE(g_copies_to_host == 1, "step " << step << " copied to the host "
                                                 << g_copies_to_host << " times");
  }

  SUBCASE("a non-finite loss is still caught, and its origin named") {
    // A NaN weight in the last layer makes the loss NaN: the step is
    // refused and the second forward pass names the layer.
    auto params = model->named_parameters();
    Tensor last = params.back().second;
    std::vector<float> w = last.to_vector();
    w[0] = std::numeric_limits<float>::quiet_NaN();
    last.copy_from(Tensor::from_vector(w, last.shape(), Device::cpu()));
    const train::StepResult r =
        train::train_step(*model, adam, class_weights, random_batch(6, 50), Device::cpu(), true);
    CHECK_FALSE(r.applied);
    INFO(r.problem);
    CHECK(r.problem.find("loss is") == 0);  // "nan" or "-nan", as the C library prints it
    CHECK(r.problem.find("'linear' in layer '8'") != std::string::npos);
  }
}

TEST_CASE("read_step counts right predictions and non-finite values") {
  const Tensor logits = Tensor::from_vector({1, 5, 2, /**/ 3, 3, 0, /**/ 0, 1, 9}, {3, 3},
                                            Device::cpu());
  const Tensor loss = Tensor::from_vector({0.75f}, {1}, Device::cpu());
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<Tensor> grads = {Tensor::from_vector({nan, 1, inf}, {3}, Device::cpu()),
                                     Tensor(),  // a parameter without a gradient
                                     Tensor::from_vector({-inf, 2}, {2}, Device::cpu())};
  for (const KernelTable* backend : host_backends()) {
    CAPTURE(backend->name);
    HostBackendScope scope(*backend);
    // Row 1's tie goes to the first maximum (class 0): right for label 0.
    const StepReadback r = read_step(loss.clone(), logits.clone(), {1, 0, 1}, grads);
    CHECK(r.loss == 0.75f);
    CHECK(r.correct == 2);
    CHECK(r.non_finite == 3);
  }
  CHECK_THROWS_WITH_AS(read_step(loss, logits, {1, 0}, {}),
                       doctest::Contains("2 labels for 3 rows"), Error);
}

TEST_CASE("three training steps on the emulated CUDA kernels match the CPU backend") {
  Run cpu_run, cuda_run;
  {
    HostBackendScope scope(cpu::kernel_table());
    cpu_run = three_steps();
  }
  {
    HostBackendScope scope(cuda_emulated::kernel_table());
    cuda_run = three_steps();
  }
  // Both sum in float in different orders (about 1e-6 relative); three SGD
  // steps at lr 0.1 carry that into the weights, which stay within 1e-4 of
  // each other (weights are of order 0.1-1); the losses agree to 1e-4
  // relative, the argmax counts exactly unless a logit pair lies within
  // rounding of a tie (not with seed 5).
  REQUIRE(cpu_run.weights.size() == cuda_run.weights.size());
  for (int step = 0; step < 3; ++step) {
    CAPTURE(step);
    CHECK(cuda_run.losses[step] == doctest::Approx(cpu_run.losses[step]).epsilon(1e-4));
    CHECK(cuda_run.correct[step] == cpu_run.correct[step]);
  }
  double worst = 0;
  for (size_t i = 0; i < cpu_run.weights.size(); ++i)
    worst = std::max(worst, std::fabs(double(cpu_run.weights[i]) - cuda_run.weights[i]));
  CHECK(worst < 1e-4);
}
