// The CSV writer and reader as a pair: any table cudagrad writes with
// csv_record must read back with parse_csv field for field. (fuzz_csv goes
// the other way: arbitrary bytes into the reader.)
//
// The input bytes become a table: byte 0x00 ends a field, byte 0x01 ends a
// record, every other byte is field content (commas, quotes, CR, LF, a
// byte-order mark, anything). The first record is the header; the other
// records are padded or cut to its width, as the writers always produce
// rectangular tables.
#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "data/csv.h"
#include "fuzz/fuzz_check.h"

using namespace cudagrad::data;

namespace {

using Table = std::vector<std::vector<std::string>>;

Table table_from_bytes(const uint8_t* data, size_t size) {
  Table table(1);
  table.back().emplace_back();
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0x00) {
      table.back().emplace_back();
    } else if (data[i] == 0x01) {
      table.emplace_back();
      table.back().emplace_back();
    } else {
      table.back().back() += static_cast<char>(data[i]);
    }
  }
  for (auto& row : table) row.resize(table[0].size());
  return table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Table table = table_from_bytes(data, size);
  // A byte-order mark opening the first header name is indistinguishable
  // from one opening the file; cudagrad's header names never start with one.
  if (table[0][0].compare(0, 3, "\xEF\xBB\xBF") == 0) return 0;
  std::string text;
  for (const auto& record : table) text += csv_record(record);
  CsvTable back;
  try {
    back = parse_csv(text, "roundtrip.csv");
  } catch (const cudagrad::Error&) {
    FUZZ_CHECK(false);  // what the writer wrote, the reader must read
  }
  // Header names are read with surrounding spaces and tabs trimmed.
  FUZZ_CHECK(back.header.size() == table[0].size());
  for (size_t c = 0; c < table[0].size(); ++c) FUZZ_CHECK(back.header[c] == trim_spaces(table[0][c]));
  FUZZ_CHECK(back.rows == Table(table.begin() + 1, table.end()));
  return 0;
}
