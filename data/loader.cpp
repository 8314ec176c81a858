#include "data/loader.h"

#include <algorithm>
#include <chrono>

#include "data/data_error.h"
#include "data/random.h"

namespace cudagrad {
namespace data {

Loader::Loader(const ImageCache& cache, std::vector<int64_t> indices, LoaderOptions options)
    : cache_(cache), indices_(std::move(indices)), options_(std::move(options)) {
  CG_CHECK(options_.batch_size >= 1, "batch size must be at least 1, not " << options_.batch_size);
  CG_CHECK(options_.threads >= 0 && options_.prefetch >= 1,
           "loader needs threads >= 0 and prefetch >= 1, not " << options_.threads << " and "
                                                               << options_.prefetch);
  for (int64_t i : indices_)
    CG_CHECK(i >= 0 && i < cache_.size(), "index " << i << " is not in the cache");
  for (TtaView v : options_.tta)
    CG_CHECK(
        (v != TtaView::rotate90 && v != TtaView::rotate270) || cache_.width() == cache_.height(),
        "a 90-degree TTA view needs square images, the cache holds " << cache_.width() << "x"
                                                                     << cache_.height());
  if (options_.class_balanced) {
    for (int64_t i : indices_) {
      const int32_t label = cache_.label(i);
      CG_CHECK(label >= 0, "image " << cache_.image_id(i) << " has label " << label);
      if (static_cast<size_t>(label) >= by_class_.size()) by_class_.resize(label + 1);
      by_class_[label].push_back(i);
    }
    by_class_.erase(
        std::remove_if(by_class_.begin(), by_class_.end(), [](const auto& c) { return c.empty(); }),
        by_class_.end());
  }
  for (int t = 0; t < options_.threads; ++t) workers_.emplace_back(&Loader::worker_loop, this);
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& w : workers_) w.join();
}

int64_t Loader::batches_per_epoch() const {
  const int64_t n = size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void Loader::start_epoch(int64_t epoch) {
  std::vector<int64_t> order = indices_;
  SplitMix64 rng(mix_seed(options_.seed, static_cast<uint64_t>(epoch), 0x5EEDull));
  if (options_.class_balanced && !by_class_.empty()) {
    for (auto& slot : order) {
      const auto& members = by_class_[rng.below(by_class_.size())];
      slot = members[rng.below(members.size())];
    }
  } else if (options_.shuffle) {
    shuffle(order, rng);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    started_ = true;
    epoch_ = epoch;
    order_ = std::move(order);
    next_to_make_ = next_to_hand_out_ = 0;
    ready_.clear();
    error_.clear();
    epoch_wait_ = 0;
  }
  changed_.notify_all();
}

Batch Loader::make_batch(const std::vector<int64_t>& members, int64_t epoch) const {
  Batch batch;
  batch.size = static_cast<int>(members.size());
  batch.views = options_.tta.empty() ? 1 : static_cast<int>(options_.tta.size());
  batch.height = cache_.height();
  batch.width = cache_.width();
  const size_t plane3 = cache_.image_bytes();  // 3 * H * W values per image
  batch.images.resize(members.size() * batch.views * plane3);
  std::vector<uint8_t> scratch(plane3);
  for (size_t j = 0; j < members.size(); ++j) {
    const int64_t index = members[j];
    batch.indices.push_back(index);
    batch.labels.push_back(cache_.label(index));
    const uint8_t* pixels = cache_.image(index);
    if (options_.augment) {
      augment_image(pixels, batch.width, batch.height, options_.augmentation, options_.seed, epoch,
                    index, scratch.data());
      pixels = scratch.data();
    }
    for (int v = 0; v < batch.views; ++v) {
      const uint8_t* view = pixels;
      std::vector<uint8_t> turned;
      if (!options_.tta.empty() && options_.tta[v] != TtaView::identity) {
        turned.resize(plane3);
        apply_tta_view(pixels, batch.width, batch.height, options_.tta[v], turned.data());
        view = turned.data();
      }
      float* out = batch.images.data() + (j * batch.views + v) * plane3;
      normalize_to_chw(view, batch.width, batch.height, options_.normalization, out);
    }
  }
  return batch;
}

void Loader::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    // Work when a batch is due and the consumer is not too far behind.
    changed_.wait(lock, [&] {
      return stopping_ || (started_ && error_.empty() && next_to_make_ < batches_per_epoch() &&
                           next_to_make_ < next_to_hand_out_ + options_.prefetch);
    });
    if (stopping_) return;
    const int64_t number = next_to_make_++;
    const uint64_t generation = generation_;
    const int64_t epoch = epoch_;
    const size_t begin = static_cast<size_t>(number) * options_.batch_size;
    const size_t end = std::min(order_.size(), begin + options_.batch_size);
    std::vector<int64_t> members(order_.begin() + begin, order_.begin() + end);
    lock.unlock();
    Batch batch;
    std::string error;
    try {
      batch = make_batch(members, epoch);
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    if (generation != generation_) continue;  // start_epoch came in between: discard
    if (!error.empty())
      error_ = error;
    else
      ready_.emplace(number, std::move(batch));
    changed_.notify_all();
  }
}

bool Loader::next(Batch& batch) {
  CG_CHECK(started_, "call start_epoch before next");
  if (next_to_hand_out_ >= batches_per_epoch()) return false;
  const auto start = std::chrono::steady_clock::now();
  if (workers_.empty()) {  // no background threads: the consumer waits for all of it
    const int64_t number = next_to_hand_out_++;
    const size_t begin = static_cast<size_t>(number) * options_.batch_size;
    const size_t end = std::min(order_.size(), begin + options_.batch_size);
    batch = make_batch(std::vector<int64_t>(order_.begin() + begin, order_.begin() + end), epoch_);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    epoch_wait_ += took;
    total_wait_ += took;
    return true;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !error_.empty() || ready_.count(next_to_hand_out_) > 0; });
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  epoch_wait_ += waited;
  total_wait_ += waited;
  if (!error_.empty()) throw Error(error_);
  auto it = ready_.find(next_to_hand_out_);
  batch = std::move(it->second);
  ready_.erase(it);
  ++next_to_hand_out_;
  lock.unlock();
  changed_.notify_all();  // a prefetch slot is free
  return true;
}

}  // namespace data
}  // namespace cudagrad
