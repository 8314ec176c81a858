// The models: parameter counts against torchvision and Keras, shapes,
// torchvision's state_dict names, the input-size error, freezing, gradient
// checks of the two building blocks, and the `cudagrad summary` command.
//
// Forward passes use small inputs (32x32 or 64x64, batch 1-2): the reference
// kernels are plain loops. Only LeNet runs at 224x224, which its fc1 needs.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/autograd.h"
#include "base/error.h"
#include "kernels/cpu/cpu.h"
#include "layers/dense_block.h"
#include "layers/depthwise_separable.h"
#include "layers/residual.h"
#include "layers/summary.h"
#include "models/registry.h"
#include "tests/gradcheck.h"

using namespace cudagrad;

namespace {

std::shared_ptr<Network> model(const std::string& name, int classes = 7,
                               const ModelOptions& options = {}) {
  Generator gen(1);
  return make_model(name, classes, gen, options);
}

void check_counts(const Module& m, int64_t trainable, int64_t non_trainable) {
  const ParameterCount c = count_parameters(m);
  CHECK(c.trainable == trainable);
  CHECK(c.non_trainable == non_trainable);
  CHECK(c.total == trainable + non_trainable);
}

// Runs a forward pass without recording a graph and checks that the shape
// inference predicted its output shape. Batch 1 runs in evaluation mode: at
// a 32x32 input ResNet's layer4 is 1x1, and a BN in training mode needs more
// than one value per channel.
Shape forward_shape(Module& m, const Shape& input) {
  NoGradGuard no_grad;
  if (input[0] == 1) m.eval();
  Shape shape = m.forward(Tensor::zeros(input)).shape();
  CHECK(shape_str(m.output_shape(input)) == shape_str(shape));
  return shape;
}

}  // namespace

// ---- parameter counts ------------------------------------------------------------------

TEST_CASE("models: LeNet has the tutorial's 5,612,471 parameters at 7 classes") {
  check_counts(*model("lenet"), 5612471, 0);
}

// Trainable counts: sum(p.numel() for p in model.parameters()); non-trainable:
// the BN running_mean and running_var buffers (num_batches_tracked left out).
// Computed once with torchvision 0.14.1: torchvision.models.resnetXX(num_classes=7).
TEST_CASE("models: ResNet-18/34/50 parameter counts equal torchvision's") {
  check_counts(*model("resnet18"), 11180103, 9600);
  check_counts(*model("resnet34"), 21288263, 17024);
  check_counts(*model("resnet50"), 23522375, 53120);
  // At 1000 classes, the familiar ImageNet number.
  CHECK(count_parameters(*model("resnet18", 1000)).trainable == 11689512);
}

// Keras: MobileNet(alpha=1.0, include_top=False) reports Total params
// 3,228,864, Non-trainable params 21,888 (the BN moving mean and variance).
TEST_CASE("models: MobileNet v1 body counts as Keras's, heads add their layers") {
  ModelOptions body;
  body.head = MobileNetHead::none;
  check_counts(*model("mobilenet", 7, body), 3228864 - 21888, 21888);

  // Pooled head: linear 1024 -> 7.
  check_counts(*model("mobilenet"), 3228864 - 21888 + 1024 * 7 + 7, 21888);

  // Seed 004's dense head at 224: flatten 7*7*1024, dense 1024, dense 1024, dense 7.
  ModelOptions dense;
  dense.head = MobileNetHead::dense;
  const int64_t head = (50176 * 1024 + 1024) + (1024 * 1024 + 1024) + (1024 * 7 + 7);
  check_counts(*model("mobilenet", 7, dense), 3228864 - 21888 + head, 21888);
}

// torchvision 0.14.1: densenetXXX(num_classes=1000); the non-trainable
// count is every BN's running_mean and running_var, as for ResNet.
TEST_CASE("models: DenseNet-121/169/201 parameter counts equal torchvision's") {
  check_counts(*model("densenet121", 1000), 7978856, 83648);
  check_counts(*model("densenet169", 1000), 14149480, 158400);
  check_counts(*model("densenet201", 1000), 20013928, 229056);
  check_counts(*model("densenet121"), 6961031, 83648);  // 7 classes
}

TEST_CASE("models: freezing moves parameters to non-trainable") {
  auto net = model("resnet18");
  net->set_frozen(true);
  for (const auto& [name, child] : net->children())
    if (name == "fc") child->set_frozen(false);
  const int64_t fc = 512 * 7 + 7;
  check_counts(*net, fc, 11180103 + 9600 - fc);
  CHECK(net->parameters().size() == 2);  // fc.weight, fc.bias
}

// ---- names and shapes --------------------------------------------------------------------

namespace {

// tests/fixtures/<model>_names.txt is written by make_model_names.py from
// torchvision: "name d0,d1,..." per line, in state_dict order.
void check_torchvision_names(const std::string& name) {
  std::ifstream file(std::string(CUDAGRAD_SOURCE_DIR) + "/tests/fixtures/" + name + "_names.txt");
  REQUIRE(file.good());
  std::vector<std::string> expected, ours;
  for (std::string line; std::getline(file, line);)
    if (!line.empty() && line[0] != '#') expected.push_back(line);
  for (const auto& [tensor_name, t] : model(name)->state_dict()) {
    std::string dims;
    for (int64_t d : t.shape()) dims += (dims.empty() ? "" : ",") + std::to_string(d);
    ours.push_back(tensor_name + " " + dims);
  }
  REQUIRE(ours.size() == expected.size());
  for (size_t i = 0; i < ours.size(); ++i) CHECK(ours[i] == expected[i]);
}

}  // namespace

TEST_CASE("models: ResNet-18's state_dict names and shapes are torchvision's, in order") {
  check_torchvision_names("resnet18");
}

TEST_CASE("models: DenseNet-121's state_dict names and shapes are torchvision's, in order") {
  check_torchvision_names("densenet121");
}

TEST_CASE("models: forward shapes at small inputs match the shape inference") {
  CHECK(forward_shape(*model("resnet18"), {2, 3, 32, 32}) == Shape{2, 7});
  CHECK(forward_shape(*model("resnet34", 5), {1, 3, 32, 32}) == Shape{1, 5});
  CHECK(forward_shape(*model("resnet50"), {1, 3, 32, 32}) == Shape{1, 7});
  CHECK(forward_shape(*model("mobilenet"), {2, 3, 64, 64}) == Shape{2, 7});
  // 32x32 leaves DenseNet's last block at 1x1 (batch 1: evaluation mode).
  CHECK(forward_shape(*model("densenet121"), {1, 3, 32, 32}) == Shape{1, 7});
  CHECK(shape_str(model("densenet201")->output_shape({2, 3, 224, 224})) == "(2, 7)");

  ModelOptions half;
  half.width = 0.5f;
  half.head = MobileNetHead::none;
  CHECK(forward_shape(*model("mobilenet", 7, half), {1, 3, 64, 64}) == Shape{1, 512, 2, 2});

  ModelOptions dense;
  dense.head = MobileNetHead::dense;
  dense.input = 64;  // flatten 1024 x 2 x 2
  CHECK(forward_shape(*model("mobilenet", 3, dense), {1, 3, 64, 64}) == Shape{1, 3});
}

TEST_CASE("models: LeNet runs at 224x224") {
  CHECK(forward_shape(*model("lenet"), {1, 3, 224, 224}) == Shape{1, 7});
}

TEST_CASE("models: a wrong input size is an Error naming the layer and the shapes") {
  auto lenet = model("lenet");
  CHECK_THROWS_WITH_AS(lenet->forward(Tensor::zeros({1, 3, 64, 64})),
                       doctest::Contains("linear 'fc1' expects (N, 46656) but got (N, 3136) "
                                         "from input 3x64x64; LeNet needs 224x224"),
                       Error);
  CHECK_THROWS_WITH_AS(lenet->output_shape({2, 3, 220, 230}),
                       doctest::Contains("but got (N, 46640) from input 3x220x230"), Error);
  // A one-channel image reaches ResNet's first convolution.
  CHECK_THROWS_WITH_AS(model("resnet18")->forward(Tensor::zeros({1, 1, 32, 32})),
                       doctest::Contains("layer 'conv1' (Conv2d): expects (N, 3, H, W), got "
                                         "(1, 1, 32, 32)"),
                       Error);
  // Too small for LeNet's second 5x5 convolution: named with its full path.
  CHECK_THROWS_WITH_AS(lenet->output_shape({1, 3, 6, 6}), doctest::Contains("layer 'conv2'"),
                       Error);
}

TEST_CASE("models: an unknown name lists the valid ones") {
  Generator gen(1);
  CHECK_THROWS_WITH_AS(make_model("vgg16", 7, gen),
                       doctest::Contains("unknown model 'vgg16'; valid names: lenet, resnet18, "
                                         "resnet34, resnet50, mobilenet"),
                       Error);
}

// ---- summary -------------------------------------------------------------------------------

TEST_CASE("summary: rows per layer, totals as Keras, FLOPs as torchvision hooks count") {
  auto net = model("resnet18");
  std::ostringstream os;
  print_summary(*net, {3, 32, 32}, os);
  const std::string text = os.str();
  CHECK(text.find("layer2.0.downsample.0") != std::string::npos);
  CHECK(text.find("(1, 128, 4, 4)") != std::string::npos);  // layer2 at a 32x32 input
  CHECK(text.find("Total params: 11,189,703\n") != std::string::npos);
  CHECK(text.find("Trainable params: 11,180,103\n") != std::string::npos);
  CHECK(text.find("Non-trainable params: 9,600\n") != std::string::npos);

  // 2 x the multiply-adds of every Conv2d and Linear, from forward hooks on
  // torchvision 0.14.1 models at 1x3x224x224 (output.numel() x in/groups x k x k).
  CHECK(count_flops(*net, {3, 224, 224}) == 3627129856);
  CHECK(count_flops(*model("resnet50"), {3, 224, 224}) == 8174301184);
  // MobileNet paper, Table 1: 569 million multiply-adds (its count rounds).
  CHECK(count_flops(*model("mobilenet", 1000), {3, 224, 224}) / 2 / 1000000 == 568);
  CHECK(count_flops(*model("densenet121", 1000), {3, 224, 224}) == 5668323328);
}

// ---- gradient checks of the building blocks -------------------------------------------------

namespace {

// The block's input plus every parameter, all checked by the gradient checker
// (perturbing a handle perturbs the block's own tensor).
//
// Every ReLU in a block follows a BN, and a BN couples its whole batch: moving
// one weight by h moves every activation, and some would cross zero, the
// ReLU's kink, where a finite difference is wrong. So each BN is set to put
// its channels far from zero: gamma in [0.5, 0.8] keeps gamma x_hat within
// about +-2.4 for these small batches (|x_hat| < 3), and beta is +3 on even
// channels (ReLU passes them) and -3 on odd ones (ReLU blocks them, so their
// upstream gradient must be exactly 0). The same sign pattern on every BN
// keeps the residual sum away from zero too; the input stays within +-0.5
// so the identity shortcut does as well.
std::vector<Tensor> input_and_parameters(const Module& block, const Shape& input,
                                         Generator& gen) {
  std::vector<Tensor> inputs{Tensor::uniform(input, gen, -0.5f, 0.5f).set_requires_grad(true)};
  for (auto [name, p] : block.named_parameters()) {
    if (p.ndim() == 1 && name.size() > 6 && name.substr(name.size() - 6) == "weight")
      p.copy_from(Tensor::uniform(p.shape(), gen, 0.5f, 0.8f));
    if (p.ndim() == 1 && name.size() > 4 && name.substr(name.size() - 4) == "bias") {
      std::vector<float> beta(p.numel());
      for (size_t c = 0; c < beta.size(); ++c) beta[c] = c % 2 == 0 ? 3.f : -3.f;
      p.copy_from(Tensor::from_vector(beta, p.shape()));
    }
    inputs.push_back(p);
  }
  return inputs;
}

// A BN in training mode divides by its batch's standard deviation, which
// curves the loss strongly in the weights in front of it: at h = 1e-2 the
// central difference's own error (h^2/6 times the third derivative) reaches
// the tolerance, and the checker's Richardson estimate is what agrees.
// BN biases of +-3 keep the ReLUs after each BN away from their kinks.
testing::GradCheckOptions block_options() { return testing::GradCheckOptions{}; }

}  // namespace

TEST_CASE("gradcheck: BasicBlock with a downsample shortcut, BN in training and evaluation") {
  Generator gen(3);
  BasicBlock block(3, 4, /*stride=*/2, gen);
  std::vector<Tensor> inputs = input_and_parameters(block, {2, 3, 5, 6}, gen);
  CHECK(inputs.size() == 1 + 9);  // x; conv1, bn1 (2), conv2, bn2 (2), downsample conv, bn (2)
  auto f = [&](const std::vector<Tensor>& in) { return block.forward(in[0]); };
  testing::expect_gradients_match("BasicBlock train", f, inputs, block_options());
  block.eval();
  testing::expect_gradients_match("BasicBlock eval", f, inputs, block_options());
}

TEST_CASE("gradcheck: BasicBlock with the identity shortcut, and Bottleneck") {
  Generator gen(4);
  BasicBlock basic(4, 4, 1, gen);
  auto f = [&](const std::vector<Tensor>& in) { return basic.forward(in[0]); };
  testing::expect_gradients_match("BasicBlock identity", f,
                                  input_and_parameters(basic, {2, 4, 4, 5}, gen), block_options());

  Bottleneck bottleneck(6, 2, 2, gen);  // 6 -> 8 channels, stride 2 on the 3x3
  auto g = [&](const std::vector<Tensor>& in) { return bottleneck.forward(in[0]); };
  testing::expect_gradients_match("Bottleneck", g,
                                  input_and_parameters(bottleneck, {2, 6, 5, 5}, gen), block_options());
}

TEST_CASE("gradcheck: depthwise-separable block, stride 1 and 2") {
  for (int stride : {1, 2}) {
    Generator gen(5 + stride);
    DepthwiseSeparable block(3, 5, stride, gen, 1e-3f);
    auto f = [&](const std::vector<Tensor>& in) { return block.forward(in[0]); };
    testing::expect_gradients_match("DepthwiseSeparable stride " + std::to_string(stride), f,
                                    input_and_parameters(block, {2, 3, 6, 5}, gen), block_options());
  }
}

// DenseNet's blocks run norm1-relu1-conv1 as one op that recomputes in
// backward (engine/ops.h); the checker sees only the blocks' inputs and
// outputs, so a wrong recomputation fails here like a wrong formula.
// (In evaluation the blocks run the plain ops, each checked on its own; 20
// elements per tensor keep this to seconds.)
TEST_CASE("gradcheck: DenseBlock of two layers and a Transition, BN in training") {
  testing::GradCheckOptions options = block_options();
  options.max_checks_per_input = 20;
  Generator gen(9);
  DenseBlock block(2, 3, /*growth=*/2, /*bn_size=*/2, gen);  // 3 -> 7 channels
  std::vector<Tensor> inputs = input_and_parameters(block, {2, 3, 3, 4}, gen);
  CHECK(inputs.size() == 1 + 2 * 6);  // x; per layer norm1 (2), conv1, norm2 (2), conv2
  auto f = [&](const std::vector<Tensor>& in) { return block.forward(in[0]); };
  testing::expect_gradients_match("DenseBlock", f, inputs, options);

  Transition transition(5, 2, gen);
  std::vector<Tensor> t_inputs = input_and_parameters(transition, {2, 5, 4, 6}, gen);
  auto g = [&](const std::vector<Tensor>& in) { return transition.forward(in[0]); };
  testing::expect_gradients_match("Transition", g, t_inputs, options);
}

// The point of concat_batch_norm_relu_conv2d: what a training step leaves
// in the caching allocator (its peak, as the process's RSS sees it) grows
// with the block's depth L, not L^2. Under AnomalyGuard the op runs as its
// three ops, which keep the concatenation and the normalized tensor of
// every layer: the naive block, for comparison.
TEST_CASE("DenseBlock: a training step holds far less memory than the three ops would") {
  Generator gen(11);
  DenseBlock block(12, 16, /*growth=*/8, /*bn_size=*/4, gen);  // 16 -> 112 channels
  Tensor x = Tensor::randn({2, 16, 16, 16}, gen).set_requires_grad(true);
  auto reserved_by_step = [&](bool naive) {
    cpu::release_cached_memory();
    const size_t before = cpu::allocator_stats().reserved;
    {
      std::unique_ptr<AnomalyGuard> guard(naive ? new AnomalyGuard : nullptr);
      Tensor y = block.forward(x);
      y.backward(Tensor::ones(y.shape()));
    }
    x.zero_grad();
    for (Tensor p : block.parameters()) p.zero_grad();
    return static_cast<double>(cpu::allocator_stats().reserved - before);
  };
  const double naive = reserved_by_step(true), recomputing = reserved_by_step(false);
  MESSAGE("a 12-layer block's step reserves " << recomputing / 1e6 << " MB, the three ops "
                                              << naive / 1e6 << " MB");
  CHECK(recomputing < 0.6 * naive);
}

// ---- the command line -----------------------------------------------------------------------

namespace {

// Runs the built `cudagrad` with arguments; returns its exit status and
// what it printed (stdout and stderr).
int run_cli(const std::string& args, std::string& output) {
  const std::string command = std::string(CUDAGRAD_CLI) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  output.clear();
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("cli: cudagrad summary prints the layers and Keras-style totals") {
  std::string out;
  CHECK(run_cli("summary --model resnet18 --classes 7 --input 32", out) == 0);
  CHECK(out.find("layer4.1.bn2") != std::string::npos);
  CHECK(out.find("Total params: 11,189,703") != std::string::npos);
  CHECK(out.find("Trainable params: 11,180,103") != std::string::npos);
  CHECK(out.find("Non-trainable params: 9,600") != std::string::npos);

  CHECK(run_cli("summary --model densenet121 --classes 1000", out) == 0);
  CHECK(out.find("features.denseblock3.denselayer24.conv2") != std::string::npos);
  CHECK(out.find("(1, 1024, 7, 7)") != std::string::npos);  // denseblock4 and norm5
  CHECK(out.find("Trainable params: 7,978,856") != std::string::npos);
  CHECK(out.find("Non-trainable params: 83,648") != std::string::npos);

  CHECK(run_cli("summary --model mobilenet --width 0.5 --input 64", out) == 0);
  CHECK(out.find("Non-trainable params: 10,944") != std::string::npos);  // half of 21,888

  // Bad arguments: non-zero status and one line that says what is wrong.
  const std::pair<const char*, const char*> bad[] = {
      {"summary --model vgg16", "unknown model 'vgg16'"},
      {"summary --model lenet --input 64", "LeNet needs 224x224"},
      {"summary --model resnet18 --depth 3", "unknown option --depth"},
      {"summary --classes 7", "needs --model"},
      {"summary --model resnet18 --width 0.5", "apply to mobilenet only"},
  };
  for (const auto& entry : bad) {
    // Not a structured binding: CAPTURE keeps a reference in a lambda, and
    // clang before 16 cannot capture a binding.
    const std::string& args = entry.first;
    const std::string& message = entry.second;
    CAPTURE(args);
    CHECK(run_cli(args, out) == 1);
    CHECK(out.find(message) != std::string::npos);
    CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  }
}
