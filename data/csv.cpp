#include "data/csv.h"


#include "base/files.h"
#include "data/data_error.h"

namespace cudagrad {
namespace data {

namespace {

bool is_line_end(char c) { return c == '\n' || c == '\r'; }

// Length of the line end at text[i]: 2 for CRLF, 1 for LF or a lone CR.
size_t line_end_length(const std::string& text, size_t i) {
  return (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
}

}  // namespace

int CsvTable::find_column(const std::string& name) const {
  for (size_t c = 0; c < header.size(); ++c)
    if (header[c] == name) return static_cast<int>(c);
  return -1;
}

int CsvTable::require_column(const std::string& name) const {
  int c = find_column(name);
  if (c < 0) {
    std::string have;
    for (const auto& h : header) have += (have.empty() ? "" : ",") + h;
    data_error(source, ":1: missing column '", name, "' (the header has: ", have, ")");
  }
  return c;
}

std::string CsvTable::where(size_t r) const {
  return source + ":" + std::to_string(row_lines.at(r));
}

CsvTable parse_csv(const std::string& text, const std::string& source) {
  std::vector<std::vector<std::string>> records;
  std::vector<int> lines;
  const size_t n = text.size();
  size_t i = 0;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // UTF-8 byte-order mark
  int line = 1;

  while (i < n) {
    if (is_line_end(text[i])) {  // blank line
      i += line_end_length(text, i);
      ++line;
      continue;
    }
    const int record_line = line;
    std::vector<std::string> record;
    for (;;) {  // one field per pass
      std::string field;
      if (text[i] == '"') {
        const int quote_line = line;
        ++i;
        for (;;) {
          if (i >= n) data_error(source, ":", quote_line, ": quoted field never closed");
          if (text[i] == '"') {
            if (i + 1 < n && text[i + 1] == '"') {  // "" is one quote
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (is_line_end(text[i]) && line_end_length(text, i) == 1) ++line;
          field += text[i++];
        }
        if (i < n && text[i] != ',' && !is_line_end(text[i]))
          data_error(source, ":", line, ": unexpected '", text[i], "' after a closing quote");
      } else {
        // An unquoted field runs to the next comma or line end; a quote in
        // its middle is kept literally, as spreadsheets write it.
        while (i < n && text[i] != ',' && !is_line_end(text[i])) field += text[i++];
      }
      record.push_back(std::move(field));
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < n) {  // the record's line end
        i += line_end_length(text, i);
        ++line;
      }
      break;
    }
    records.push_back(std::move(record));
    lines.push_back(record_line);
  }

  if (records.empty()) data_error(source, ": the file is empty (expected a header line)");
  CsvTable table;
  table.source = source;
  for (const auto& name : records[0]) table.header.push_back(trim_spaces(name));
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != table.header.size())
      data_error(source, ":", lines[r], ": ",
                 records[r].size() < table.header.size() ? "short" : "long",
                 " row: ", records[r].size(), " fields, the header has ", table.header.size());
    table.rows.push_back(std::move(records[r]));
    table.row_lines.push_back(lines[r]);
  }
  return table;
}

CsvTable read_csv(const std::string& path) {
  return parse_csv(files::read_file(path, "a CSV file"), path);
}

std::string trim_spaces(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::string csv_escape(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_record(const std::vector<std::string>& fields) {
  if (fields.size() == 1 && fields[0].empty()) return "\"\"\n";
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + csv_escape(fields[i]);
  return out + "\n";
}

}  // namespace data
}  // namespace cudagrad
