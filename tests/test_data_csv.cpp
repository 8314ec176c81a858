// CSV reader: quoting, line ends, byte-order mark, and errors naming file:line.
#include <doctest/doctest.h>

#include <string>

#include "base/error.h"
#include "data/csv.h"

using cudagrad::Error;
using cudagrad::data::csv_escape;
using cudagrad::data::parse_csv;

namespace {
// The message an Error carries, or "" when parse_csv succeeds.
std::string parse_error(const std::string& text) {
  try {
    parse_csv(text, "t.csv");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("csv: plain rows, empty fields and a trailing line end") {
  auto t = parse_csv("a,b,c\n1,,3\n,,\n", "t.csv");
  REQUIRE(t.header == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0] == std::vector<std::string>{"1", "", "3"});
  CHECK(t.rows[1] == std::vector<std::string>{"", "", ""});
  CHECK(t.row_lines == std::vector<int>{2, 3});
  CHECK(t.find_column("c") == 2);
  CHECK(t.find_column("d") == -1);
}

TEST_CASE("csv: quoted fields hold commas, doubled quotes and line breaks") {
  auto t =
      parse_csv("name,note\n\"a,b\",\"say \"\"hi\"\"\"\n\"two\nlines\",x\nlast,\"\"\n", "t.csv");
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0][0] == "a,b");
  CHECK(t.rows[0][1] == "say \"hi\"");
  CHECK(t.rows[1][0] == "two\nlines");
  CHECK(t.rows[2][1] == "");
  // The record after a two-line field starts on line 5.
  CHECK(t.row_lines == std::vector<int>{2, 3, 5});
}

TEST_CASE("csv: CRLF, lone CR, byte-order mark, blank lines, no final line end") {
  auto t = parse_csv("\xEF\xBB\xBFimage,MEL\r\nISIC_1,1.0\r\n\r\nISIC_2,0.0\rISIC_3,0.0", "t.csv");
  REQUIRE(t.header == std::vector<std::string>{"image", "MEL"});
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0] == std::vector<std::string>{"ISIC_1", "1.0"});
  CHECK(t.rows[2] == std::vector<std::string>{"ISIC_3", "0.0"});
  CHECK(t.row_lines == std::vector<int>{2, 4, 5});
}

TEST_CASE("csv: errors name the file and line") {
  CHECK(parse_error("a,b\n1,2\n3\n") == "t.csv:3: short row: 1 fields, the header has 2");
  CHECK(parse_error("a,b\n1,2,3\n") == "t.csv:2: long row: 3 fields, the header has 2");
  CHECK(parse_error("a,b\n1,\"open\n\n") == "t.csv:2: quoted field never closed");
  CHECK(parse_error("a,b\n\"x\"y,2\n") == "t.csv:2: unexpected 'y' after a closing quote");
  CHECK(parse_error("") == "t.csv: the file is empty (expected a header line)");
  auto t = parse_csv("a,b\n", "t.csv");
  std::string missing;
  try {
    t.require_column("dx");
  } catch (const Error& e) {
    missing = e.what();
  }
  CHECK(missing == "t.csv:1: missing column 'dx' (the header has: a,b)");
}

TEST_CASE("csv: escaping round-trips through the parser") {
  std::string odd = "a \"q\", b\nc";
  CHECK(csv_escape("plain") == "plain");
  auto t = parse_csv("x\n" + csv_escape(odd) + "\n", "t.csv");
  REQUIRE(t.rows.size() == 1);
  CHECK(t.rows[0][0] == odd);
}

TEST_CASE("csv: csv_record quotes what needs quoting, and parse_csv reads every record back") {
  using cudagrad::data::csv_record;
  CHECK(csv_record({"plain", "two words", ""}) == "plain,two words,\n");
  CHECK(csv_record({"a,b", "say \"hi\"", "line\nbreak", "cr\r"}) ==
        "\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\",\"cr\r\"\n");
  CHECK(csv_record({""}) == "\"\"\n");  // not a blank line, which readers skip

  // Random tables over an alphabet rich in what needs quoting: 2000 records,
  // a fixed seed, each read back field for field.
  const std::string alphabet = "a,\"\n\r x;\t'";
  uint64_t state = 42;
  auto next = [&] {  // xorshift64
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int table = 0; table < 100; ++table) {
    const size_t columns = 1 + next() % 4;
    std::vector<std::vector<std::string>> records;
    std::string text;
    for (int r = 0; r < 20; ++r) {
      std::vector<std::string> fields(columns);
      for (auto& f : fields)
        for (size_t n = next() % 6; n > 0; --n) f += alphabet[next() % alphabet.size()];
      if (r == 0)  // header names are read trimmed, so give them none to trim
        for (auto& f : fields) f = "h" + f + "h";
      records.push_back(fields);
      text += csv_record(fields);
    }
    const auto back = parse_csv(text, "random.csv");
    CAPTURE(text);
    REQUIRE(back.rows.size() == records.size() - 1);
    CHECK(back.header == records[0]);
    for (size_t r = 1; r < records.size(); ++r) CHECK(back.rows[r - 1] == records[r]);
  }
}
