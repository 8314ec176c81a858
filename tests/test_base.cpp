// base/: what an Error carries (a message for the user, the source location
// apart), and the one file reader's answers for each way a read can fail.
#include <doctest/doctest.h>

#include <string>

#include "base/error.h"
#include "base/files.h"
#include "data_test_util.h"

using namespace cudagrad;
using cudagrad_test::error_of;
using cudagrad_test::TempDir;
using cudagrad_test::write_file;

TEST_CASE("errors: the message ends with the sentence, the source location is in where()") {
  int line = 0;
  try {
    line = __LINE__ + 1;
    CG_CHECK(1 + 1 == 3, "two and one make " << 1 + 1);
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "two and one make 2");
    CHECK(e.where() == std::string(__FILE__) + ":" + std::to_string(line));
  }
  CHECK(line != 0);
  // An error about the user's input has no location to show.
  try {
    throw Error("data.csv: no such file");
  } catch (const Error& e) {
    CHECK(e.where().empty());
  }
  // CG_FAIL keeps the location as well.
  try {
    CG_FAIL("always");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "always");
    CHECK(e.where().find("test_base.cpp:") != std::string::npos);
  }
}

TEST_CASE("files: read_file returns every byte and names the file when it cannot") {
  TempDir dir("read_file");
  const std::string bytes("a\0b\r\n\xff", 6);
  write_file(dir / "data.bin", bytes);
  CHECK(files::read_file(dir / "data.bin") == bytes);
  CHECK(files::read_file_or_empty(dir / "data.bin") == bytes);

  CHECK(error_of([&] { files::read_file(dir / "absent.csv", "a CSV file"); }) ==
        dir / "absent.csv" + ": cannot open (No such file or directory)");
  CHECK(files::read_file_or_empty(dir / "absent.csv").empty());
  CHECK(error_of([&] { files::read_file(dir.path().string(), "a CSV file"); }) ==
        dir.path().string() + ": is a folder, expected a CSV file");

  write_file(dir / "big.png", std::string((3 << 20) + 1, 'x'));
  CHECK(error_of([&] { files::read_file(dir / "big.png", "an image file", 3 << 20); }) ==
        dir / "big.png" + ": larger than 3 MiB, too large for an image file");
  CHECK(files::read_file(dir / "big.png").size() == (3u << 20) + 1);
}
