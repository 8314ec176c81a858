// Batches from the image cache: shuffled per epoch, augmented, normalized to
// NCHW floats, prepared ahead on background threads while the training step
// runs on the current batch.
//
//   ImageCache cache = ImageCache::open_or_build(...);
//   Loader train(cache, split.indices("train"), options);
//   for (int epoch = 0; epoch < epochs; ++epoch) {
//     train.start_epoch(epoch);
//     Batch batch;
//     while (train.next(batch)) step(batch.images, batch.labels);
//     log(train.epoch_wait_seconds());  // > 0: the step outran the loader
//   }
//
// Workers take whole batches, a bounded number (prefetch) ahead of the
// consumer; batches come out in order. An image's augmentation depends only
// on (seed, epoch, cache index), so the batches are the same for any thread
// count. start_epoch() and next() are meant for one consumer thread.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "data/augment.h"
#include "data/cache.h"

namespace cudagrad {
namespace data {

struct LoaderOptions {
  int batch_size = 32;
  bool shuffle = true;  // a new order each epoch, from (seed, epoch)
  // Class-balanced sampling: each epoch draws size() images with
  // replacement, a class chosen uniformly and then an image of it, so rare
  // classes are seen as often as common ones (an alternative to class
  // weights in the loss; implies shuffling).
  bool class_balanced = false;
  bool drop_last = false;  // drop a last batch smaller than batch_size
  bool augment = false;    // training split only
  AugmentOptions augmentation;
  Normalization normalization;
  // Test-time augmentation: every image appears once per view, views of one
  // image next to each other. Empty: one plain view.
  std::vector<TtaView> tta;
  int threads = 2;   // background workers; 0 prepares each batch inside next()
  int prefetch = 4;  // batches prepared ahead of the consumer
  uint64_t seed = 0;
};

struct Batch {
  int size = 0;   // images in the batch (n)
  int views = 1;  // TTA views per image
  int channels = 3, height = 0, width = 0;
  std::vector<float> images;     // (n * views, 3, height, width), normalized
  std::vector<int32_t> labels;   // (n)
  std::vector<int64_t> indices;  // (n) cache indices, e.g. to name predictions
};

class Loader {
 public:
  // `indices`: the cache entries to serve (one split's). The cache must
  // outlive the loader.
  Loader(const ImageCache& cache, std::vector<int64_t> indices, LoaderOptions options = {});
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  int64_t size() const { return static_cast<int64_t>(indices_.size()); }
  int64_t batches_per_epoch() const;

  // Starts epoch `epoch` (any batches of an unfinished epoch are dropped).
  void start_epoch(int64_t epoch);
  // The next batch of the epoch in order; false when the epoch is done.
  bool next(Batch& batch);

  // Seconds next() spent waiting for a batch, this epoch and in all.
  double epoch_wait_seconds() const { return epoch_wait_; }
  double total_wait_seconds() const { return total_wait_; }

 private:
  void worker_loop();
  Batch make_batch(const std::vector<int64_t>& members, int64_t epoch) const;

  const ImageCache& cache_;
  const std::vector<int64_t> indices_;
  const LoaderOptions options_;
  std::vector<std::vector<int64_t>> by_class_;  // indices_ grouped by label, for class_balanced

  std::mutex mutex_;
  std::condition_variable changed_;  // any state below changed
  bool stopping_ = false;
  bool started_ = false;
  uint64_t generation_ = 0;  // bumped by start_epoch; stale work is discarded
  int64_t epoch_ = 0;
  std::vector<int64_t> order_;      // this epoch's order of indices_
  int64_t next_to_make_ = 0;        // batch number a worker takes next
  int64_t next_to_hand_out_ = 0;    // batch number next() returns next
  std::map<int64_t, Batch> ready_;  // finished batches not yet handed out
  std::string error_;               // a worker's failure, rethrown by next()
  double epoch_wait_ = 0, total_wait_ = 0;
  std::vector<std::thread> workers_;
};

}  // namespace data
}  // namespace cudagrad
