// Label sets. HAM10000's seven diagnoses (`dx`) in alphabetical order are the
// usual label order; the binary modes fold them for the melanoma write-ups.
//
//   multiclass:           0 akiec, 1 bcc, 2 bkl, 3 df, 4 mel, 5 nv, 6 vasc
//   mel-vs-rest:          0 other, 1 mel
//   malignant-vs-benign:  0 benign, 1 malignant (mel, bcc, akiec)
#pragma once
#include <string>
#include <vector>

namespace cudagrad {
namespace data {

enum class LabelMode { multiclass, mel_vs_rest, malignant_vs_benign };

// The seven dx codes, alphabetical: akiec bcc bkl df mel nv vasc.
const std::vector<std::string>& ham10000_classes();

// Names of the labels under `mode`, label i first.
std::vector<std::string> class_names(LabelMode mode);

// The label of dx code `dx` under `mode`, or -1 when `dx` is not one of the
// seven codes.
int label_for_dx(const std::string& dx, LabelMode mode);

// "multiclass", "mel-vs-rest", "malignant-vs-benign" and back; an unknown
// name is an Error listing the accepted ones.
std::string label_mode_name(LabelMode mode);
LabelMode parse_label_mode(const std::string& name);

}  // namespace data
}  // namespace cudagrad
