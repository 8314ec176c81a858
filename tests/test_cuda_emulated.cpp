// Every kernel of the CUDA backend, compiled by the host compiler against the
// SIMT emulation (kernels/cuda/emulation/simt.h), compared with the reference
// backend by the checks of tests/kernel_checks.cpp (awkward shapes, poisoned
// outputs, guard regions).
//
// Each check runs under both thread schedules (forward and reverse order
// between barriers), so a missing barrier or another race changes the
// result and fails.
//
// Coverage: each check lists the table functions it tests; run_group
// verifies that the check really called each one, and the last test counts
// them against the table and against kernels/cuda/README.md.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/emulation/schedule.h"
#include "tests/kernel_checks.h"

using namespace cudagrad;
using kernel_checks::KernelCheck;

namespace {

const KernelTable& emu = cuda_emulated::kernel_table();

void run_group(const std::string& group) {
  using simt::Schedule;
  for (Schedule schedule : {Schedule::forward, Schedule::reverse}) {
    INFO("schedule: " << (schedule == Schedule::forward ? "forward" : "reverse"));
    simt::set_schedule(schedule);
    kernel_checks::run_group(group, emu);
  }
  simt::set_schedule(Schedule::forward);
}

// ---- the table's kernel functions, for the coverage count -------------------------------------
// Every field of KernelTable after `name`: memory functions, then kernels.
#define CG_MEMORY_FUNCTIONS(X) X(allocate) X(deallocate) X(copy_from_host) X(copy_to_host) X(copy)
#define CG_KERNEL_FUNCTIONS(X)                                                                  \
  X(fill) X(add) X(accumulate) X(relu_forward) X(relu_backward) X(dropout_forward)               \
  X(dropout_backward) X(conv2d_forward) X(conv2d_backward_input) X(conv2d_backward_weight)       \
  X(depthwise_conv2d_forward) X(depthwise_conv2d_backward_input)                                 \
  X(depthwise_conv2d_backward_weight) X(batch_norm_forward_train) X(batch_norm_forward_eval)     \
  X(batch_norm_backward) X(batch_norm_relu_forward_train) X(batch_norm_relu_backward)            \
  X(max_pool2d_forward) X(max_pool2d_backward) X(avg_pool2d_forward)      \
  X(avg_pool2d_backward) X(global_avg_pool_forward) X(global_avg_pool_backward)                  \
  X(linear_forward) X(linear_backward_input) X(linear_backward_weight)                           \
  X(concat_channels_forward) X(concat_channels_backward) X(log_softmax_forward)                  \
  X(log_softmax_backward) X(nll_loss_forward) X(nll_loss_backward) X(count_non_finite)          \
  X(count_correct) X(sgd_step) X(adam_step)

#define CG_COUNT(field) +1
constexpr int kMemoryFunctions = 0 CG_MEMORY_FUNCTIONS(CG_COUNT);
constexpr int kKernelFunctions = 0 CG_KERNEL_FUNCTIONS(CG_COUNT);
#undef CG_COUNT
// A field added to KernelTable but not to the lists above fails here.
static_assert(sizeof(KernelTable) ==
                  sizeof(const char*) + (kMemoryFunctions + kKernelFunctions) * sizeof(void (*)()),
              "KernelTable changed: update the function lists of this test");

struct TableFunction {
  const char* name;
  bool present;  // filled in the emulated CUDA table
};

std::vector<TableFunction> kernel_functions() {
#define CG_ENTRY(field) TableFunction{#field, emu.field != nullptr},
  return {CG_KERNEL_FUNCTIONS(CG_ENTRY)};
#undef CG_ENTRY
}

}  // namespace

TEST_CASE("cuda emulated: memory") { run_group("memory"); }
TEST_CASE("cuda emulated: elementwise, relu, dropout, concat") { run_group("elementwise"); }
TEST_CASE("cuda emulated: log_softmax, nll_loss and the step counts") { run_group("head"); }
TEST_CASE("cuda emulated: pooling") { run_group("pooling"); }
TEST_CASE("cuda emulated: batch norm") { run_group("batch_norm"); }
TEST_CASE("cuda emulated: optimizers") { run_group("optimizers"); }
TEST_CASE("cuda emulated: linear (tiled SGEMM)") { run_group("linear"); }
TEST_CASE("cuda emulated: conv2d (implicit GEMM)") { run_group("conv2d"); }
TEST_CASE("cuda emulated: depthwise conv2d") { run_group("depthwise_conv2d"); }

// Grid-stride loops (blocks_for's launches) capped at one block: every such
// loop over more than 256 elements (most of the checks' sizes) then runs
// more than one iteration, so an index that is not advanced by the stride
// fails here. The launch record confirms the cap was applied.
TEST_CASE("cuda emulated: every group again with one block per grid-stride launch") {
  simt::set_grid_stride_cap(1);
  simt::start_recording();
  for (const std::string& group : kernel_checks::groups()) {
    CAPTURE(group);
    run_group(group);
  }
  const std::vector<simt::LaunchRecord> launches = simt::stop_recording();
  simt::set_grid_stride_cap(4096);
  int grid_stride_launches = 0;
  for (const simt::LaunchRecord& launch : launches) {
    if (launch.kernel.find("fill_kernel") != std::string::npos ||
        launch.kernel.find("sgd_step_kernel") != std::string::npos) {
      ++grid_stride_launches;
      CHECK(launch.grid[0] == 1);
    }
  }
  CHECK(grid_stride_launches > 0);
}

// The launch shapes the wave-efficiency work relies on, read from the launch
// record: a GEMM with few output tiles and a long K is split over K.
TEST_CASE("cuda emulated: a long-K GEMM is split over K into enough blocks") {
  const LinearShape s{600, 20, 9};  // dW (9 x 20) = dY^T (9 x 600) * X: 1 tile, K 600
  std::vector<float> x(600 * 20, 0.5f), dy(600 * 9, 0.25f);
  float* dx = static_cast<float*>(emu.allocate(x.size() * 4));
  float* ddy = static_cast<float*>(emu.allocate(dy.size() * 4));
  float* dw = static_cast<float*>(emu.allocate(9 * 20 * 4));
  emu.copy_from_host(dx, x.data(), x.size() * 4);
  emu.copy_from_host(ddy, dy.data(), dy.size() * 4);
  simt::start_recording();
  emu.linear_backward_weight(s, dx, ddy, dw, nullptr);
  const std::vector<simt::LaunchRecord> launches = simt::stop_recording();
  std::vector<float> got(9 * 20);
  emu.copy_to_host(got.data(), dw, got.size() * 4);
  for (void* p : {static_cast<void*>(dx), static_cast<void*>(ddy), static_cast<void*>(dw)})
    emu.deallocate(p);
  REQUIRE(launches.size() == 2);
  CHECK(launches[0].kernel == "gemm_split_k");
  CHECK(launches[0].grid[2] == 2);  // 600 / 256: two slices of 304 and 296
  CHECK(launches[0].flops == 2.0 * 9 * 20 * 600);
  CHECK(launches[1].kernel == "gemm_split_sum");
  for (float v : got) CHECK(v == 600 * 0.5f * 0.25f);  // exact: powers of two
}

// The wave-efficiency target (bench/WAVES.md): every launch over 100 MFLOP
// has at least an H100's 132 blocks. These are the 20 layer shapes of
// LeNet, ResNet-18 and MobileNet at batch 32, 224x224, whose weight gradient
// (or, for LeNet's first linear layer, forward pass) was one GEMM of 1 to 72
// blocks before split-K. Counted from the launch record, nothing run.
TEST_CASE("cuda emulated: the models' large GEMMs launch at least 132 blocks") {
  struct Conv {
    int C_in, H, C_out, kernel, stride, padding;
  };
  const Conv convs[] = {
      {3, 224, 6, 5, 1, 2},     {6, 112, 16, 5, 1, 0},    {3, 224, 64, 7, 2, 3},
      {64, 56, 64, 3, 1, 1},    {64, 56, 128, 3, 2, 1},   {128, 28, 128, 3, 1, 1},
      {64, 56, 128, 1, 2, 0},   {128, 28, 256, 3, 2, 1},  {128, 28, 256, 1, 2, 0},
      {256, 14, 512, 1, 2, 0},  {3, 224, 32, 3, 2, 1},    {32, 112, 64, 1, 1, 0},
      {64, 56, 128, 1, 1, 0},   {128, 56, 128, 1, 1, 0},  {128, 28, 256, 1, 1, 0},
      {256, 28, 256, 1, 1, 0},  {256, 14, 512, 1, 1, 0},  {512, 14, 512, 1, 1, 0},
      {512, 7, 1024, 1, 1, 0},
  };
  auto gemm_blocks = [](const std::vector<simt::LaunchRecord>& launches) {
    for (const simt::LaunchRecord& l : launches) {
      if (l.flops > 0) return l.grid[0] * l.grid[1] * l.grid[2];  // the GEMM, not its sum
    }
    return 0u;
  };
  for (const Conv& c : convs) {
    Conv2dShape s;
    s.N = 32, s.C_in = c.C_in, s.H = s.W = c.H, s.C_out = c.C_out;
    s.kernel = c.kernel, s.stride = c.stride, s.padding = c.padding;
    CAPTURE(c.C_in);
    CAPTURE(c.H);
    CAPTURE(c.C_out);
    simt::start_recording(/*run_kernels=*/false);
    emu.conv2d_backward_weight(s, nullptr, nullptr, nullptr, nullptr);
    CHECK(gemm_blocks(simt::stop_recording()) >= 132);
  }
  simt::start_recording(/*run_kernels=*/false);
  emu.linear_forward(LinearShape{32, 46656, 120}, nullptr, nullptr, nullptr, nullptr);
  CHECK(gemm_blocks(simt::stop_recording()) >= 132);
}

// Batch norm cuts a channel over several blocks when the channels alone
// would leave the GPU idle: counted from the launch record without running
// (the kernels' values are checked by the batch_norm group above).
TEST_CASE("cuda emulated: batch norm launches enough blocks for ResNet's first layer") {
  struct Case {
    BatchNormShape shape;
    unsigned blocks_x, blocks_y;
  };
  // 64 channels of 32*112*112: 5 chunks each; 512 channels: one block each.
  // The test shape {5, 3, 23, 37}: 4255 values, 2 chunks of at least 2048.
  for (const Case& c : {Case{{32, 64, 112, 112}, 64, 5}, Case{{32, 512, 7, 7}, 512, 1},
                        Case{{5, 3, 23, 37}, 3, 2}}) {
    CAPTURE(c.shape.C);
    simt::start_recording(/*run_kernels=*/false);
    emu.batch_norm_forward_train(c.shape, nullptr, nullptr, nullptr, 1e-5f, 0.1f, nullptr,
                                 nullptr, nullptr, nullptr, nullptr);
    emu.batch_norm_backward(c.shape, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                            nullptr);
    const std::vector<simt::LaunchRecord> launches = simt::stop_recording();
    const size_t per_pass = c.blocks_y == 1 ? 1 : 2;  // one kernel, or stats then apply
    REQUIRE(launches.size() == 2 * per_pass);
    for (const simt::LaunchRecord& l : launches) {
      CHECK(l.grid[0] == c.blocks_x);
      CHECK(l.grid[1] == c.blocks_y);
    }
  }
}

TEST_CASE("cuda emulated: coverage of the kernel table, as the README reports it") {
  const std::vector<TableFunction> functions = kernel_functions();
  std::set<std::string> covered;
  const std::vector<std::string>& groups = kernel_checks::groups();
  for (const KernelCheck& check : kernel_checks::all_checks()) {
    INFO("check group " << check.group);
    CHECK(std::find(groups.begin(), groups.end(), std::string(check.group)) != groups.end());
    for (const char* f : check.functions) covered.insert(f);
  }
  int exist = 0, tested = 0;
  for (const TableFunction& f : functions) {
    exist += f.present;
    tested += f.present && covered.count(f.name);
    if (!f.present) MESSAGE("the CUDA backend has no " << f.name);
    if (f.present && !covered.count(f.name)) MESSAGE(f.name << " has no emulated test");
  }
  CHECK(exist == kKernelFunctions);

  // The README's sentence "<n> of <m> kernel functions", possibly across lines.
  std::ifstream readme(CUDAGRAD_SOURCE_DIR "/kernels/cuda/README.md");
  REQUIRE(readme.good());
  std::vector<std::string> words;
  for (std::string word; readme >> word;) words.push_back(word);
  auto is_number = [](const std::string& w) {
    return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  int readme_tested = -1, readme_exist = -1;
  for (size_t i = 0; i + 4 < words.size(); ++i) {
    if (is_number(words[i]) && words[i + 1] == "of" && is_number(words[i + 2]) &&
        words[i + 3] == "kernel" && words[i + 4] == "functions") {
      readme_tested = std::stoi(words[i]);
      readme_exist = std::stoi(words[i + 2]);
    }
  }
  REQUIRE_MESSAGE(readme_tested >= 0,
                  "kernels/cuda/README.md must say \"<n> of <m> kernel functions\"");
  INFO("README: " << readme_tested << " of " << readme_exist << "; counted: " << tested << " of "
                  << exist);
  CHECK(readme_tested == tested);
  CHECK(readme_exist == exist);
}
