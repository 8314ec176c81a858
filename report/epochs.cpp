#include "report/epochs.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "base/error.h"
#include "base/files.h"

namespace cudagrad {
namespace report {

namespace {

// metrics.csv holds numbers and plain names only, so a cell is whatever
// lies between commas (no quoting); surrounding spaces are dropped.
std::vector<std::string> split_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) {
    const size_t first = cell.find_first_not_of(" \t\r");
    const size_t last = cell.find_last_not_of(" \t\r");
    cells.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
  }
  if (!line.empty() && line.back() == ',') cells.push_back("");
  return cells;
}

// The numeric fields of EpochRow, each with the header name of its column.
struct Field {
  const char* name;
  double EpochRow::*member;
};
const Field kFields[] = {
    {"train_loss", &EpochRow::train_loss},
    {"train_acc", &EpochRow::train_acc},
    {"val_loss", &EpochRow::val_loss},
    {"val_acc", &EpochRow::val_acc},
    {"val_balanced_acc", &EpochRow::val_balanced_acc},
    {"lr", &EpochRow::lr},
    {"seconds", &EpochRow::seconds},
};

}  // namespace

std::vector<EpochRow> parse_epochs_csv(const std::string& text, const std::string& source) {
  std::istringstream in(text);
  std::string line;
  CG_CHECK(std::getline(in, line), source << ": empty file, expected a header line");
  const std::vector<std::string> header = split_cells(line);
  auto column_of = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return static_cast<int>(i);
    return -1;
  };
  const int epoch_column = column_of("epoch");
  CG_CHECK(epoch_column >= 0, source << ": the header has no 'epoch' column");

  std::vector<EpochRow> rows;
  for (int line_number = 2; std::getline(in, line); ++line_number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank line
    const std::vector<std::string> cells = split_cells(line);
    CG_CHECK(cells.size() == header.size(), source << ":" << line_number << ": " << cells.size()
                                                   << " cells, the header has " << header.size());
    auto number = [&](int column) {
      const std::string& cell = cells[column];
      if (cell.empty() || cell == "nan" || cell == "NaN") return std::nan("");
      char* end = nullptr;
      errno = 0;
      const double x = std::strtod(cell.c_str(), &end);
      CG_CHECK(end && *end == '\0' && errno == 0, source << ":" << line_number << ": column '"
                                                         << header[column] << "' holds '" << cell
                                                         << "', not a number");
      return x;
    };
    EpochRow row;
    const double epoch = number(epoch_column);
    CG_CHECK(std::isfinite(epoch) && epoch == std::floor(epoch) && std::fabs(epoch) < 1e9,
             source << ":" << line_number << ": epoch '" << cells[epoch_column]
                    << "' is not a whole number");
    row.epoch = static_cast<int>(epoch);
    for (const Field& f : kFields) {
      const int column = column_of(f.name);
      row.*f.member = column >= 0 ? number(column) : std::nan("");
    }
    rows.push_back(row);
  }
  return rows;
}

std::vector<EpochRow> read_epochs_csv(const std::string& path) {
  return parse_epochs_csv(files::read_file(path), path);
}

}  // namespace report
}  // namespace cudagrad
