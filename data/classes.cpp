#include "data/classes.h"

#include "data/data_error.h"

namespace cudagrad {
namespace data {

const std::vector<std::string>& ham10000_classes() {
  static const std::vector<std::string> names = {"akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"};
  return names;
}

std::vector<std::string> class_names(LabelMode mode) {
  switch (mode) {
    case LabelMode::multiclass:
      return ham10000_classes();
    case LabelMode::mel_vs_rest:
      return {"other", "mel"};
    case LabelMode::malignant_vs_benign:
      return {"benign", "malignant"};
  }
  return {};
}

int label_for_dx(const std::string& dx, LabelMode mode) {
  const auto& names = ham10000_classes();
  int index = -1;
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == dx) index = static_cast<int>(i);
  if (index < 0) return -1;
  switch (mode) {
    case LabelMode::multiclass:
      return index;
    case LabelMode::mel_vs_rest:
      return dx == "mel" ? 1 : 0;
    case LabelMode::malignant_vs_benign:
      return (dx == "mel" || dx == "bcc" || dx == "akiec") ? 1 : 0;
  }
  return -1;
}

std::string label_mode_name(LabelMode mode) {
  switch (mode) {
    case LabelMode::multiclass:
      return "multiclass";
    case LabelMode::mel_vs_rest:
      return "mel-vs-rest";
    case LabelMode::malignant_vs_benign:
      return "malignant-vs-benign";
  }
  return "?";
}

LabelMode parse_label_mode(const std::string& name) {
  for (LabelMode m :
       {LabelMode::multiclass, LabelMode::mel_vs_rest, LabelMode::malignant_vs_benign})
    if (label_mode_name(m) == name) return m;
  data_error("unknown label mode '", name,
             "' (use multiclass, mel-vs-rest or malignant-vs-benign)");
}

}  // namespace data
}  // namespace cudagrad
