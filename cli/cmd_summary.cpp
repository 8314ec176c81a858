// cudagrad summary: a model's layers with output shapes, parameters and
// FLOPs, and Keras' totals (layers/summary.h).
#include <iostream>

#include "engine/error.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "layers/summary.h"
#include "models/registry.h"

namespace cudagrad {
namespace cli {

int summary_command(const Args& args) {
  const Flags flags = parse_flags(args, {"--model", "--classes", "--input", "--width", "--head"});
  CG_CHECK(flags.count("--model"), "summary needs --model NAME (see 'cudagrad help')");
  ModelOptions options;
  options.input = int_flag(flags, "--input", 224, 1, 4096);
  const std::string name = flags.at("--model");
  CG_CHECK(name == "mobilenet" || (!flags.count("--width") && !flags.count("--head")),
           "--width and --head apply to mobilenet only");
  options.width = float_flag(flags, "--width", 1.f, 0.f, 10.f);  // make_model checks the range
  const std::string head = choice_flag(flags, "--head", "pooled", {"pooled", "dense"});
  options.head = head == "dense" ? MobileNetHead::dense : MobileNetHead::pooled;
  const int classes = int_flag(flags, "--classes", 7, 1, 100000);

  Generator gen(0);  // the weights do not matter here, only their shapes
  auto model = make_model(name, classes, gen, options);
  print_summary(*model, {3, options.input, options.input}, std::cout);
  return 0;
}

}  // namespace cli
}  // namespace cudagrad
