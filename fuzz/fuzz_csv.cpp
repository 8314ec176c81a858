// The metadata readers on arbitrary bytes: the CSV parser, then the HAM10000
// metadata, ISIC 2018 ground-truth and lesion-grouping row checks on
// whatever table it accepted.
//
// Beyond "no crash", a table that parses must survive a round trip: written
// back with csv_escape and parsed again it gives the same header and rows,
// so the parser cannot be silently dropping or merging fields.
#include <cstdint>
#include <string>

#include "base/error.h"
#include "data/csv.h"
#include "data/dataset_internal.h"
#include "fuzz/fuzz_check.h"

using namespace cudagrad::data;

namespace {

// Written with the writer cudagrad uses (csv_record). The BOM keeps a
// byte-order mark that was part of the first header name from being
// stripped as one on the second read.
std::string write_back(const CsvTable& t) {
  std::string out = "\xEF\xBB\xBF" + csv_record(t.header);
  for (const auto& row : t.rows) out += csv_record(row);
  return out;
}

void check_table(const CsvTable& t) {
  FUZZ_CHECK(t.rows.size() == t.row_lines.size());
  for (size_t r = 0; r < t.rows.size(); ++r) {
    FUZZ_CHECK(t.rows[r].size() == t.header.size());
    FUZZ_CHECK(t.row_lines[r] >= 2 && (r == 0 || t.row_lines[r] > t.row_lines[r - 1]));
  }
  CsvTable again = parse_csv(write_back(t), "again.csv");
  FUZZ_CHECK(again.header == t.header);
  FUZZ_CHECK(again.rows == t.rows);
}

void check_listed(const std::vector<detail::ListedImage>& listed, const CsvTable& t, int classes) {
  FUZZ_CHECK(listed.size() == t.rows.size());
  for (const auto& item : listed) {
    FUZZ_CHECK(!item.image_id.empty() && !item.group_id.empty());
    FUZZ_CHECK(item.label >= 0 && item.label < classes);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CsvTable table;
  try {
    table = parse_csv(std::string(reinterpret_cast<const char*>(data), size), "fuzz.csv");
  } catch (const cudagrad::Error&) {
    return 0;
  }
  check_table(table);
  for (LabelMode mode : {LabelMode::multiclass, LabelMode::malignant_vs_benign}) {
    const int classes = static_cast<int>(class_names(mode).size());
    try {
      check_listed(detail::list_ham10000(table, mode), table, classes);
    } catch (const cudagrad::Error&) {
    }
    try {
      check_listed(detail::list_isic2018(table, {}, mode), table, classes);
    } catch (const cudagrad::Error&) {
    }
  }
  try {
    for (const auto& [image, lesion] : detail::lesion_groupings(table)) FUZZ_CHECK(!lesion.empty());
  } catch (const cudagrad::Error&) {
  }
  return 0;
}
