// Per-layer forward and backward time, as Caffe's `time` command prints it,
// so that the slow layer of a network is visible. While a Profiler is alive
// on a thread, each LayerScope adds its forward time to its layer, and
// backward() adds each node's time to the layer that recorded the node.
// Nested layers are all reported: "layer1" includes "layer1.0.conv1".
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

namespace cudagrad {

struct LayerTiming {
  std::string layer;
  double forward_ms = 0, backward_ms = 0;
};

class Profiler {
 public:
  // wall: elapsed time. cpu: CPU time of the whole process (all threads), the
  // fairer measure on a machine shared with other work, where wall time also
  // counts the time other programs held the cores.
  enum class Clock { wall, cpu };
  explicit Profiler(Clock clock = Clock::wall);
  ~Profiler();
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  static Profiler* active();  // this thread's, or nullptr
  double now_ms() const;      // on this profiler's clock
  void add_forward(const std::string& layer, double ms);
  void add_backward(const std::string& layer, double ms);
  const std::vector<LayerTiming>& timings() const { return timings_; }  // first-seen order

 private:
  LayerTiming& entry(const std::string& layer);
  std::vector<LayerTiming> timings_;
  std::unordered_map<std::string, size_t> index_;
  Profiler* previous_;
  Clock clock_;
};

}  // namespace cudagrad
