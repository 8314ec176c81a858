// cudagrad summary: a model's layers with output shapes, parameters and
// FLOPs, and Keras' totals (layers/summary.h).
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "base/error.h"
#include "layers/summary.h"
#include "models/registry.h"

namespace cudagrad {
namespace cli {

namespace {

struct SummaryOptions {
  std::string model, head = "pooled";
  int classes = 7, input = 224;
  float width = 1.f;
};

int summary(const SummaryOptions& o, bool width_or_head_given) {
  CG_CHECK(o.model == "mobilenet" || !width_or_head_given,
           "--width and --head apply to mobilenet only");
  ModelOptions options;
  options.input = o.input;
  options.width = o.width;  // make_model checks the range
  options.head = o.head == "dense" ? MobileNetHead::dense : MobileNetHead::pooled;
  Generator gen(0);  // the weights do not matter here, only their shapes
  auto model = make_model(o.model, o.classes, gen, options);  // an unknown name lists the models
  print_summary(*model, {3, options.input, options.input}, std::cout);
  return 0;
}

}  // namespace

Runner summary_command(CLI::App& app) {
  auto o = std::make_shared<SummaryOptions>();
  app.add_option("--model", o->model, "the architecture")
      ->type_name(choices_text<train::ModelKind>())
      ->required();
  app.add_option("--classes", o->classes, "the classifier's outputs")
      ->type_name("N")
      ->check(integer_in(1, 100000))
      ->capture_default_str();
  app.add_option("--input", o->input, "the input side: images are input x input")
      ->type_name("N")
      ->check(integer_in(1, 4096))
      ->capture_default_str();
  CLI::Option* width = app.add_option("--width", o->width, "MobileNet's width multiplier")
                           ->type_name("X")
                           ->check(number_in(0, 10, /*open_low=*/true));
  CLI::Option* head = app.add_option("--head", o->head, "MobileNet's classifier")
                          ->type_name("pooled|dense")
                          ->check(one_of({"pooled", "dense"}));
  return [o, width, head] { return summary(*o, width->count() > 0 || head->count() > 0); };
}

}  // namespace cli
}  // namespace cudagrad
