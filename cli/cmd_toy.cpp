// cudagrad toy: the tiny CNN on a generated toy problem (train/train_toy.h),
// the whole training loop in one screen, in seconds.
#include <cstdio>

#include "cli/commands.h"
#include "cli/options.h"
#include "train/train_toy.h"

namespace cudagrad {
namespace cli {

namespace {

struct ToyOptions {
  int steps = 200, batch = 32, seed = 1;
  float lr = 0.01f;
};

}  // namespace

Runner toy_command(CLI::App& app) {
  auto o = std::make_shared<ToyOptions>();
  app.add_option("--steps", o->steps, "optimizer steps, each on a fresh batch")
      ->type_name("N")
      ->check(integer_in(1, 1000000))
      ->capture_default_str();
  app.add_option("--batch", o->batch, "images per step")
      ->type_name("N")
      ->check(integer_in(1, 65536))
      ->capture_default_str();
  app.add_option("--lr", o->lr, "Adam's learning rate")
      ->type_name("X")
      ->check(number_in(0, 10, /*open_low=*/true))
      ->capture_default_str();
  app.add_option("--seed", o->seed, "weights and data")
      ->type_name("N")
      ->check(integer_in(0, 2147483647))
      ->capture_default_str();
  return [o] {
    std::printf("training the tiny CNN on a generated toy problem (4 classes, 3x16x16 images)\n");
    const ToyTrainResult r = train_toy(o->steps, o->batch, o->lr, o->seed, 10);
    std::printf("loss %.4f -> %.4f; accuracy on 256 new images: %.1f%%\n", r.losses.front(),
                r.losses.back(), 100.f * r.final_accuracy);
    return 0;
  };
}

}  // namespace cli
}  // namespace cudagrad
