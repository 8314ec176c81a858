#include "data/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "base/files.h"
#include "data/csv.h"
#include "data/data_error.h"
#include "data/random.h"

namespace cudagrad {
namespace data {

int Split::part_index(const std::string& name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

std::vector<int64_t> Split::indices(const std::string& name) const {
  const int p = part_index(name);
  std::vector<int64_t> out;
  for (size_t i = 0; i < part.size(); ++i)
    if (part[i] == p) out.push_back(static_cast<int64_t>(i));
  return out;
}

std::vector<int64_t> Split::sizes() const {
  std::vector<int64_t> out(names.size(), 0);
  for (int p : part) out.at(p) += 1;
  return out;
}

std::vector<int> assign_stratified_groups(const std::vector<Sample>& samples, int num_classes,
                                          const std::vector<double>& fractions, uint64_t seed) {
  double total = 0;
  for (double f : fractions) {
    CG_CHECK(f >= 0, "split fractions must not be negative");
    total += f;
  }
  CG_CHECK(!fractions.empty() && std::fabs(total - 1.0) < 1e-6,
           "split fractions must sum to 1, not " << total);

  // 1. Groups, in order of first appearance, with their members.
  std::map<std::string, int> group_of;
  std::vector<std::vector<int64_t>> members;
  for (size_t i = 0; i < samples.size(); ++i) {
    CG_CHECK(samples[i].label >= 0 && samples[i].label < num_classes,
             "sample " << samples[i].image_id << " has label " << samples[i].label
                       << " outside [0, " << num_classes << ")");
    auto [it, inserted] = group_of.emplace(samples[i].group_id, static_cast<int>(members.size()));
    if (inserted) members.emplace_back();
    members[it->second].push_back(static_cast<int64_t>(i));
  }
  // A group's stratum: its most common label, the smaller one on a tie.
  std::vector<std::vector<int>> groups_of_class(num_classes);
  for (size_t g = 0; g < members.size(); ++g) {
    std::vector<int> votes(num_classes, 0);
    for (int64_t i : members[g]) votes[samples[i].label] += 1;
    int stratum = static_cast<int>(std::max_element(votes.begin(), votes.end()) - votes.begin());
    groups_of_class[stratum].push_back(static_cast<int>(g));
  }

  std::vector<int> bin(samples.size(), 0);
  for (int c = 0; c < num_classes; ++c) {
    // 2. Random order from (seed, class), then largest groups first.
    std::vector<int>& groups = groups_of_class[c];
    SplitMix64 rng(mix_seed(seed, static_cast<uint64_t>(c)));
    shuffle(groups, rng);
    std::stable_sort(groups.begin(), groups.end(),
                     [&](int a, int b) { return members[a].size() > members[b].size(); });
    // 3. Each group to the bin furthest below its target.
    double n_c = 0;
    for (int g : groups) n_c += static_cast<double>(members[g].size());
    std::vector<double> deficit(fractions.size());
    for (size_t b = 0; b < fractions.size(); ++b) deficit[b] = fractions[b] * n_c;
    for (int g : groups) {
      size_t best = 0;
      for (size_t b = 1; b < deficit.size(); ++b)
        if (deficit[b] > deficit[best]) best = b;
      deficit[best] -= static_cast<double>(members[g].size());
      for (int64_t i : members[g]) bin[i] = static_cast<int>(best);
    }
  }
  return bin;
}

Split split_train_val_test(const std::vector<Sample>& samples, int num_classes,
                           const SplitFractions& fractions, uint64_t seed) {
  Split split;
  split.names = {"train", "val", "test"};
  split.part = assign_stratified_groups(samples, num_classes,
                                        {fractions.train, fractions.val, fractions.test}, seed);
  return split;
}

Split split_k_folds(const std::vector<Sample>& samples, int num_classes, int k, uint64_t seed) {
  CG_CHECK(k >= 2, "k-fold needs at least 2 folds, not " << k);
  Split split;
  for (int f = 0; f < k; ++f) split.names.push_back("fold" + std::to_string(f));
  split.part =
      assign_stratified_groups(samples, num_classes, std::vector<double>(k, 1.0 / k), seed);
  return split;
}

Split fold_train_val(const Split& folds, int fold) {
  CG_CHECK(fold >= 0 && fold < static_cast<int>(folds.names.size()),
           "fold " << fold << " outside [0, " << folds.names.size() << ")");
  Split split;
  split.names = {"train", "val"};
  for (int p : folds.part) split.part.push_back(p == fold ? 1 : 0);
  return split;
}

void require_every_class_in(const Split& split, const std::string& name,
                            const std::vector<Sample>& samples,
                            const std::vector<std::string>& class_names) {
  CG_CHECK(split.part.size() == samples.size(),
           "split has " << split.part.size() << " entries for " << samples.size() << " samples");
  const int wanted = split.part_index(name);
  CG_CHECK(wanted >= 0, "the split has no part '" << name << "'");
  const size_t k = class_names.size();
  std::vector<int64_t> in_part(k, 0), elsewhere(k, 0);
  for (size_t i = 0; i < samples.size(); ++i) {
    const size_t label = static_cast<size_t>(samples[i].label);
    CG_CHECK(label < k, "sample " << samples[i].image_id << " has label " << samples[i].label
                                  << " outside [0, " << k << ")");
    (split.part[i] == wanted ? in_part : elsewhere)[label] += 1;
  }
  std::ostringstream missing;
  int count = 0;
  for (size_t c = 0; c < k; ++c) {
    if (in_part[c] > 0 || elsewhere[c] == 0) continue;
    missing << (count++ ? ", " : "") << class_names[c] << " (" << elsewhere[c]
            << (elsewhere[c] == 1 ? " image" : " images") << ", all in other parts)";
  }
  if (count > 0)
    data_error("the ", name, " part has no images of ", count == 1 ? "class " : "classes ",
               missing.str(), "; a model trained on it cannot learn ", count == 1 ? "it" : "them",
               " (use more images, another seed or other split fractions)");
}

void write_splits_csv(const std::string& path, const std::vector<Sample>& samples,
                      const Split& split) {
  CG_CHECK(split.part.size() == samples.size(),
           "split has " << split.part.size() << " entries for " << samples.size() << " samples");
  std::ostringstream os;
  os << csv_record({"image_id", "group_id", "label", "split"});
  for (size_t i = 0; i < samples.size(); ++i)
    os << csv_record({samples[i].image_id, samples[i].group_id, std::to_string(samples[i].label),
                      split.names.at(split.part[i])});
  files::write_file_atomically(path, os.str());
}

namespace {
// Part names in a readable order: train, val, test first, then the rest
// (fold0, fold1, ..., fold10) by length and then alphabetically.
bool part_name_before(const std::string& a, const std::string& b) {
  auto rank = [](const std::string& s) {
    return s == "train" ? 0 : s == "val" ? 1 : s == "test" ? 2 : 3;
  };
  if (rank(a) != rank(b)) return rank(a) < rank(b);
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}
}  // namespace

Split read_splits_csv(const std::string& path, const std::vector<Sample>& samples) {
  CsvTable table = read_csv(path);
  const int id_col = table.require_column("image_id");
  const int split_col = table.require_column("split");
  std::map<std::string, std::pair<std::string, int>> listed;  // image id -> part name, line
  std::set<std::string, decltype(&part_name_before)> names(&part_name_before);
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const std::string& id = table.rows[r][id_col];
    const std::string& name = table.rows[r][split_col];
    if (name.empty()) data_error(table.where(r), ": empty split");
    auto [it, inserted] = listed.emplace(id, std::make_pair(name, table.row_lines[r]));
    if (!inserted)
      data_error(table.where(r), ": image '", id, "' listed twice (also on line ",
                 it->second.second, ")");
    names.insert(name);
  }
  Split split;
  split.names.assign(names.begin(), names.end());
  for (const auto& s : samples) {
    auto it = listed.find(s.image_id);
    if (it == listed.end())
      data_error(path, ": image '", s.image_id,
                 "' of the dataset is not listed (the dataset changed since the split ",
                 "was written; delete the file to split again)");
    split.part.push_back(split.part_index(it->second.first));
    listed.erase(it);
  }
  if (!listed.empty())
    data_error(path, ":", listed.begin()->second.second, ": image '", listed.begin()->first,
               "' is not in the dataset (", listed.size(),
               " such images; the dataset changed since the split ",
               "was written; delete the file to split again)");
  return split;
}

}  // namespace data
}  // namespace cudagrad
