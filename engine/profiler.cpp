#include "engine/profiler.h"

namespace cudagrad {

static thread_local Profiler* t_profiler = nullptr;

Profiler::Profiler() : previous_(t_profiler) { t_profiler = this; }
Profiler::~Profiler() { t_profiler = previous_; }
Profiler* Profiler::active() { return t_profiler; }

LayerTiming& Profiler::entry(const std::string& layer) {
  auto it = index_.find(layer);
  if (it != index_.end()) return timings_[it->second];
  index_[layer] = timings_.size();
  timings_.push_back({layer, 0, 0});
  return timings_.back();
}

void Profiler::add_forward(const std::string& layer, double ms) { entry(layer).forward_ms += ms; }
void Profiler::add_backward(const std::string& layer, double ms) { entry(layer).backward_ms += ms; }

}  // namespace cudagrad
