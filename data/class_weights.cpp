#include "data/class_weights.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "data/data_error.h"

namespace cudagrad {
namespace data {

std::string class_weighting_name(ClassWeighting w) {
  switch (w) {
    case ClassWeighting::ones:
      return "ones";
    case ClassWeighting::median_frequency:
      return "median-frequency";
    case ClassWeighting::balanced:
      return "balanced";
    case ClassWeighting::balanced_sqrt:
      return "balanced-sqrt";
  }
  return "?";
}

ClassWeighting parse_class_weighting(const std::string& name) {
  for (ClassWeighting w : {ClassWeighting::ones, ClassWeighting::median_frequency,
                           ClassWeighting::balanced, ClassWeighting::balanced_sqrt})
    if (class_weighting_name(w) == name) return w;
  data_error("unknown class weighting '", name,
             "' (use ones, median-frequency, balanced or balanced-sqrt)");
}

std::vector<double> class_weights(const std::vector<int64_t>& counts, ClassWeighting weighting) {
  std::vector<double> present;  // counts of the classes that occur
  double n = 0;
  for (int64_t c : counts) {
    CG_CHECK(c >= 0, "negative class count " << c);
    if (c > 0) present.push_back(static_cast<double>(c));
    n += static_cast<double>(c);
  }
  std::vector<double> weights(counts.size(), 0.0);
  if (present.empty()) return weights;
  std::sort(present.begin(), present.end());
  const size_t m = present.size();
  const double median = m % 2 ? present[m / 2] : 0.5 * (present[m / 2 - 1] + present[m / 2]);
  const double k = static_cast<double>(m);
  for (size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] == 0) continue;
    const double count = static_cast<double>(counts[c]);
    switch (weighting) {
      case ClassWeighting::ones:
        weights[c] = 1.0;
        break;
      case ClassWeighting::median_frequency:
        weights[c] = median / count;
        break;
      case ClassWeighting::balanced:
        weights[c] = n / (k * count);
        break;
      case ClassWeighting::balanced_sqrt:
        weights[c] = std::sqrt(n / (k * count));
        break;
    }
  }
  return weights;
}

std::string describe_class_weights(const std::vector<std::string>& class_names,
                                   const std::vector<double>& weights, ClassWeighting weighting) {
  std::string out = "class weights (" + class_weighting_name(weighting) + "):";
  for (size_t c = 0; c < weights.size(); ++c) {
    char number[32];
    std::snprintf(number, sizeof number, "%.4f", weights[c]);
    out += (c ? ", " : " ") + (c < class_names.size() ? class_names[c] : std::to_string(c)) + " " +
           number;
  }
  return out;
}

}  // namespace data
}  // namespace cudagrad
