// The command line's pieces called directly: config round trip, recipes,
// learning-rate schedules, checkpoint checks, layer capture and Grad-CAM.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/autograd.h"
#include "engine/generator.h"
#include "engine/safetensors.h"
#include "train/checkpoint.h"
#include "train/gradcam.h"
#include "train/lr_schedule.h"
#include "train/model_setup.h"
#include "train/run_data.h"
#include "cli/recipes.h"
#include "cli/train_flags.h"
#include "train/train_config.h"
#include "models/registry.h"
#include "tests/data_test_util.h"

using namespace cudagrad;
using namespace cudagrad::cli;
using namespace cudagrad::train;
using cudagrad_test::error_of;
using cudagrad_test::TempDir;

TEST_CASE("cli pieces: a config written as JSON reads back to the same config") {
  TrainConfig c = config_from_flags({{"--model", "mobilenet"}, {"--width", "0.35"},
                                      {"--head", "dense"}, {"--input", "96"},
                                      {"--lr", "3.3e-5"}, {"--optimizer", "adamw"},
                                      {"--folds", "5"}, {"--fold", "2"}, {"--seed", "7"},
                                      {"--schedule", "plateau"}, {"--on-nan", "skip"}});
  CHECK(c.weight_decay == doctest::Approx(0.01f));  // AdamW's default decay
  const TrainConfig d = from_json(nlohmann::json::parse(config_json(c)), "config.json");
  CHECK(to_json(d) == to_json(c));
  CHECK(d.lr == c.lr);  // bit for bit
  CHECK(d.width == c.width);
  CHECK(d.fold == 2);
  CHECK(config_json(d).find("\"width\": 0.35") != std::string::npos);
}

TEST_CASE("cli pieces: recipes set the tutorials' settings and explicit flags win") {
  const TrainConfig lenet = config_from_flags({{"--recipe", "lenet-tutorial"}, {"--epochs", "2"}});
  CHECK(lenet.model == ModelKind::lenet);
  CHECK(lenet.optimizer == OptimizerKind::adam);
  CHECK(lenet.lr == doctest::Approx(1e-5f));
  CHECK(lenet.batch == 10);
  CHECK(lenet.epochs == 2);
  CHECK(lenet.class_weights == data::ClassWeighting::median_frequency);
  CHECK(lenet.augment == AugmentPreset::flip_rotate);
  CHECK(lenet.input == 224);

  const TrainConfig mobile = config_from_flags({{"--recipe", "mobilenet-tutorial"}});
  CHECK(mobile.optimizer == OptimizerKind::sgd);
  CHECK(mobile.lr == doctest::Approx(1e-3f));
  CHECK(mobile.momentum == doctest::Approx(0.9f));
  CHECK(mobile.batch == 32);
  CHECK(mobile.early_stopping == 10);
  CHECK(mobile.head == MobileNetHead::dense);
  // Another model drops the recipe's MobileNet-only head.
  CHECK(config_from_flags({{"--recipe", "mobilenet-tutorial"}, {"--model", "resnet18"}}).model ==
        ModelKind::resnet18);
  CHECK(error_of([] { recipe_named("vgg"); }).find("lenet-tutorial") != std::string::npos);
}

TEST_CASE("cli pieces: learning-rate schedules") {
  TrainConfig c;
  c.lr = 1.f;
  c.epochs = 10;
  c.step_size = 3;
  TrainingState s;
  c.schedule = Schedule::step;
  CHECK(scheduled_lr(c, 2, s) == doctest::Approx(1.0));
  CHECK(scheduled_lr(c, 3, s) == doctest::Approx(0.1));
  CHECK(scheduled_lr(c, 9, s) == doctest::Approx(0.001));
  c.schedule = Schedule::cosine;
  CHECK(scheduled_lr(c, 0, s) == doctest::Approx(1.0));
  CHECK(scheduled_lr(c, 5, s) == doctest::Approx(0.5));
  c.schedule = Schedule::plateau;
  c.step_size = 1;  // patience: decay after more than one epoch without improvement
  s.lr = 1.0;
  for (double loss : {1.0, 0.9, 0.95, 0.92}) update_plateau(c, loss, s);
  CHECK(s.lr == doctest::Approx(0.1));
  CHECK(scheduled_lr(c, 4, s) == doctest::Approx(0.1));
}

TEST_CASE("cli pieces: checkpoints refuse edited metadata and newer formats") {
  TempDir dir("cli_pieces_ckpt");
  Generator gen(0);
  TrainConfig config = config_from_flags({{"--model", "mobilenet"}, {"--width", "0.25"},
                                           {"--input", "32"}});
  auto model = build_model(config, 7, 1);
  const std::string path = dir / "best.safetensors";
  save_model_file(path, *model, config, {"a", "b", "c", "d", "e", "f", "g"}, 1, 0.5);
  CHECK_NOTHROW(load_trained_model(path));

  SafetensorsMetadata meta;
  NamedTensors tensors = load_safetensors(path, &meta);
  meta["class_names"] = "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"x\"]";  // a renamed class
  save_safetensors(path, tensors, meta);
  CHECK(error_of([&] { load_trained_model(path); }).find("checksum mismatch") != std::string::npos);

  meta["format_version"] = "99";
  save_safetensors(path, tensors, meta);
  CHECK(error_of([&] { load_trained_model(path); }).find("format version 99 is newer") !=
        std::string::npos);

  save_safetensors(path, tensors);  // a plain state dict: for --pretrained, not a checkpoint
  CHECK(error_of([&] { load_trained_model(path); }).find("not a cudagrad model") != std::string::npos);
}

TEST_CASE("cli pieces: LayerCapture keeps a named layer's output and its gradient") {
  Generator gen(0);
  auto net = make_model("resnet18", 3, gen);
  net->eval();
  Tensor x = Tensor::randn({1, 3, 64, 64}, gen);
  LayerCapture capture("layer2.1.conv1");
  Tensor y = net->forward(x);
  REQUIRE(capture.found());
  CHECK(capture.output().shape() == Shape{1, 128, 8, 8});
  y.backward(Tensor::ones({1, 3}));
  CHECK(capture.output().grad().defined());
  CHECK(default_gradcam_layer(*net, 64) == "layer4");
  CHECK(default_gradcam_layer(*make_model("lenet", 3, gen), 224) == "pool2");
  ModelOptions quarter;
  quarter.width = 0.25f;
  CHECK(default_gradcam_layer(*make_model("mobilenet", 3, gen, quarter), 64) == "blocks");
}

// A dense layer is called by its block with a list of feature maps, not
// through Module::operator(); the block names it and offers its output itself.
TEST_CASE("cli pieces: LayerCapture finds a layer inside a DenseNet block, and Grad-CAM's default") {
  Generator gen(0);
  auto net = make_model("densenet121", 3, gen);
  net->eval();
  LayerCapture capture("features.denseblock2.denselayer3");
  Tensor y = net->forward(Tensor::randn({1, 3, 64, 64}, gen));
  REQUIRE(capture.found());
  CHECK(capture.output().shape() == Shape{1, 32, 8, 8});  // growth 32 at 8x8
  y.backward(Tensor::ones({1, 3}));
  CHECK(capture.output().grad().defined());
  CHECK(default_gradcam_layer(*net, 64) == "relu");  // after norm5, before the pool
}

// With a global average pool and a linear head after the layer, Grad-CAM's
// channel weights are the head's weights divided by h w (the CAM of Zhou et
// al., 2016), so the map can be computed by hand.
TEST_CASE("cli pieces: Grad-CAM before a pooled linear head equals the class activation map") {
  Generator gen(3);
  ModelOptions options;
  options.width = 0.25f;
  auto net = make_model("mobilenet", 4, gen, options);
  net->eval();
  const Tensor x = Tensor::randn({1, 3, 96, 96}, gen);
  const GradcamResult r = gradcam(*net, x, "blocks", 2);
  REQUIRE(r.height == 3);
  REQUIRE(r.width == 3);
  CHECK(r.target == 2);

  LayerCapture capture("blocks");
  {
    NoGradGuard no_grad;
    net->forward(x);
  }
  const std::vector<float> a = capture.output().to_vector();
  const std::vector<float> w = find_tensor(net->state_dict(), "fc.weight").to_vector();  // (4, C)
  const int channels = static_cast<int>(capture.output().dim(1));
  for (int i = 0; i < 9; ++i) {
    double cam = 0;
    for (int c = 0; c < channels; ++c) cam += w[2 * channels + c] / 9.0 * a[c * 9 + i];
    CHECK(r.heat[i] == doctest::Approx(std::max(cam, 0.0)).epsilon(1e-4));
  }
}

// --split-by: by lesion (the default) no lesion's images are in two parts;
// by image (the tutorials' split) they may be, and here some are.
TEST_CASE("cli pieces: --split-by lesion keeps a lesion in one part, image splits it") {
  cudagrad::data::Dataset dataset;
  dataset.class_names = {"a", "b"};
  for (int lesion = 0; lesion < 30; ++lesion)
    for (int view = 0; view < 4; ++view) {
      cudagrad::data::Sample s;
      s.image_id = "img" + std::to_string(lesion) + "_" + std::to_string(view);
      s.group_id = "lesion" + std::to_string(lesion);
      s.label = lesion % 2;
      dataset.samples.push_back(s);
    }
  auto lesions_in_two_parts = [&](const cudagrad::data::Split& split) {
    int spread = 0;
    for (int lesion = 0; lesion < 30; ++lesion) {
      const int first = split.part[lesion * 4];
      for (int view = 1; view < 4; ++view)
        if (split.part[lesion * 4 + view] != first) {
          ++spread;
          break;
        }
    }
    return spread;
  };
  cudagrad::train::TrainConfig config;
  config.seed = 3;
  CHECK(lesions_in_two_parts(cudagrad::train::make_split(dataset, config)) == 0);
  config.split_by = cudagrad::train::SplitBy::image;
  const cudagrad::data::Split by_image = cudagrad::train::make_split(dataset, config);
  CHECK(lesions_in_two_parts(by_image) > 0);
  // The same fractions: part sizes within one lesion's 4 images of each other.
  const std::vector<int64_t> a = by_image.sizes(), b = cudagrad::train::make_split(dataset, {}).sizes();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(std::abs(a[i] - b[i]) <= 4);
  // The setting travels with the run's config.
  const cudagrad::train::TrainConfig back =
      cudagrad::train::from_json(nlohmann::json::parse(cudagrad::train::to_json(config).dump()),
                                 "config.json");
  CHECK(back.split_by == cudagrad::train::SplitBy::image);
}
