// Whole-model check: the tiny CNN must learn the separable toy problem. It
// fails if any backward pass or the optimizer is wrong enough to matter.
#include <doctest/doctest.h>

#include "train/train_toy.h"

using namespace cudagrad;

TEST_CASE("the tiny CNN learns the toy problem to ~100% accuracy") {
  ToyTrainResult r = train_toy(/*steps=*/150, /*batch=*/32, /*lr=*/0.01f, /*seed=*/3, 0);
  const float first = r.losses.front();
  float last10 = 0;
  for (size_t i = r.losses.size() - 10; i < r.losses.size(); ++i) last10 += r.losses[i] / 10;
  MESSAGE("loss " << first << " -> " << last10 << ", accuracy " << r.final_accuracy);
  CHECK(first > 1.0f);          // chance level is ln 4 = 1.39
  CHECK(last10 < 0.1f * first);
  CHECK(r.final_accuracy >= 0.98f);
}
