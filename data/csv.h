// A small CSV reader (RFC 4180 plus what real exports contain).
//
// Handles: fields quoted with "..." that hold commas, line breaks and
// doubled quotes (""), LF / CRLF / lone-CR line ends, a UTF-8 byte-order mark
// at the start, empty fields, and blank lines (skipped). The first record is
// the header. Every record must have as many fields as the header; errors
// say "file:line: what", where line is the physical line the record starts
// on (1-based, the header is line 1).
#pragma once
#include <string>
#include <vector>

namespace cudagrad {
namespace data {

struct CsvTable {
  std::string source;                          // file name used in messages
  std::vector<std::string> header;             // column names, as written
  std::vector<std::vector<std::string>> rows;  // rows[r][c], header excluded
  std::vector<int> row_lines;                  // line on which rows[r] starts

  // Index of the column named `name`, or -1.
  int find_column(const std::string& name) const;
  // Index of the column named `name`; throws "file:1: missing column 'name'".
  int require_column(const std::string& name) const;
  // "file:line" for row r, to start an error message.
  std::string where(size_t r) const;
};

// Parses CSV text; `source` names it in error messages.
CsvTable parse_csv(const std::string& text, const std::string& source);

// Reads and parses a file; a file that cannot be opened is an error.
CsvTable read_csv(const std::string& path);

// s without leading and trailing spaces and tabs.
std::string trim_spaces(const std::string& s);

// Quotes a field for writing when it holds a comma, quote or line break.
std::string csv_escape(const std::string& field);

// One record as RFC 4180 writes it: fields escaped with csv_escape, joined
// by commas, ended by "\n" (RFC 4180 says CRLF; every reader we know, this
// one included, takes either). A record of one empty field is written as ""
// because an empty line would be read as no record at all. Every CSV file
// cudagrad writes is made of these, so parse_csv reads it back field for
// field (fuzz/fuzz_csv.cpp checks that round trip on arbitrary tables).
std::string csv_record(const std::vector<std::string>& fields);

}  // namespace data
}  // namespace cudagrad
