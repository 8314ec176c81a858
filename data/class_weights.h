// Per-class loss weights that make rare classes count more, computed from
// the training split's class counts (count_c images of class c, n in all,
// k classes present):
//
//   ones               w_c = 1
//   median-frequency   w_c = median(count) / count_c    (seed 003; the
//                      median of an even number of counts is the mean of the
//                      middle two, as numpy's)
//   balanced           w_c = n / (k * count_c)          (seed 001, sklearn's)
//   balanced-sqrt      w_c = sqrt(n / (k * count_c))
//
// A class with no training images gets weight 0 and is left out of the
// median and of k: it cannot appear in a training batch anyway.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cudagrad {
namespace data {

enum class ClassWeighting { ones, median_frequency, balanced, balanced_sqrt };

std::string class_weighting_name(ClassWeighting w);  // "ones", "median-frequency", ...
ClassWeighting parse_class_weighting(const std::string& name);

std::vector<double> class_weights(const std::vector<int64_t>& counts, ClassWeighting weighting);

// "class weights (median-frequency): akiec 1.5719, bcc 1.0000, ..." for the log.
std::string describe_class_weights(const std::vector<std::string>& class_names,
                                   const std::vector<double>& weights, ClassWeighting weighting);

}  // namespace data
}  // namespace cudagrad
