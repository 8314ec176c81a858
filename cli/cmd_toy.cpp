// cudagrad toy: the tiny CNN on a generated toy problem (examples/train_toy.h),
// the whole training loop in one screen, in seconds.
#include <cstdio>

#include "cli/commands.h"
#include "cli/flags.h"
#include "examples/train_toy.h"

namespace cudagrad {
namespace cli {

int toy_command(const Args& args) {
  const Flags flags = parse_flags(args, {"--steps", "--batch", "--lr", "--seed"});
  std::printf("training the tiny CNN on a generated toy problem (4 classes, 3x16x16 images)\n");
  const ToyTrainResult r = train_toy(
      int_flag(flags, "--steps", 200, 1, 1000000), int_flag(flags, "--batch", 32, 1, 65536),
      float_flag(flags, "--lr", 0.01f, 0.f, 10.f), int_flag(flags, "--seed", 1, 0, 2147483647), 10);
  std::printf("loss %.4f -> %.4f; accuracy on 256 new images: %.1f%%\n", r.losses.front(),
              r.losses.back(), 100.f * r.final_accuracy);
  return 0;
}

}  // namespace cli
}  // namespace cudagrad
