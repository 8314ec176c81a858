// The whole training loop of an image classifier in one screen
// (train/train_toy.h): a tiny CNN learns the toy problem of
// train/toy_problem.h in seconds.
//
//   toy [STEPS]     (default 200)
#include <cstdio>
#include <cstdlib>

#include "train/train_toy.h"

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 200;
  const cudagrad::ToyTrainResult r =
      cudagrad::train_toy(steps, /*batch=*/32, /*lr=*/0.01f, /*seed=*/1, /*print_every=*/10);
  std::printf("loss %.4f -> %.4f; accuracy on 256 new images: %.1f%%\n", r.losses.front(),
              r.losses.back(), 100.f * r.final_accuracy);
  return 0;
}
