// What `train` checks before it makes the run folder, and data that could
// mean two things: each case is a one-line error naming the flag or path,
// status 1, and no run folder or cache left behind.
#include <doctest/doctest.h>

#include <cctype>
#include <set>
#include <sstream>

#include "cli_test_util.h"
#include "data/image.h"

using namespace cudagrad_test;

namespace {

// Trains into dir/run with cache dir/cache; returns the status, fills `out`.
int train_into(const TempDir& dir, const std::string& data, const std::string& flags,
               std::string& out) {
  return run_cli("train " + tiny_model_flags() + " --epochs 1 --data " + data + " --out " +
                     dir / "run" + " --cache-dir " + dir / "cache " + flags,
                 out);
}

// The error is exactly `message` (one line), and nothing was made.
void check_refused_before_work(const TempDir& dir, int status, const std::string& out,
                               const std::string& message) {
  INFO(out);
  CHECK(status == 1);
  CHECK(out == "cudagrad: error: " + message + "\n");
  CHECK_FALSE(fs::exists(dir / "run"));
  CHECK_FALSE(fs::exists(dir / "cache"));
}

void write_png(const std::string& path, int shade) {
  cudagrad::data::Image im;
  im.width = im.height = 16;
  im.pixels.assign(16 * 16 * 3, static_cast<uint8_t>(shade));
  fs::create_directories(fs::path(path).parent_path());
  cudagrad::data::write_image(path, im);
}

}  // namespace

TEST_CASE("validation: a split part left empty is refused before the run folder, naming the flag") {
  TempDir dir("val_split");
  std::string out;
  int status = train_into(dir, shared_sample_data(), "--split-fractions 0.96,0.02,0.02", out);
  check_refused_before_work(dir, status, out,
                            "--split-fractions 0.96,0.02,0.02: the val part gets no images (60 "
                            "images of 43 lesions; a part takes whole lesions); give it a larger "
                            "fraction, or 0 for no val part");
  status = train_into(dir, shared_sample_data(), "--folds 70 --fold 3", out);
  check_refused_before_work(dir, status, out,
                            "--folds 70: the dataset has 43 lesions and a fold takes whole "
                            "lesions; use at most 43 folds");
  // A fraction of 0 is a part the user asked not to have: fine.
  REQUIRE(train_into(dir, shared_sample_data(), "--split-fractions 0.8,0,0.2", out) == 0);
  CHECK(out.find("done: no validation images") != std::string::npos);
}

TEST_CASE("validation: class folders named after 2 HAM10000 codes do not silently make a 7-class model") {
  TempDir dir("val_classes");
  std::string out;
  for (int i = 0; i < 4; ++i) {
    write_png(dir / ("data/mel/m" + std::to_string(i) + ".png"), 40 * i);
    write_png(dir / ("data/nv/n" + std::to_string(i) + ".png"), 30 * i);
  }
  const int status = train_into(dir, dir / "data", "", out);
  check_refused_before_work(
      dir, status, out,
      "--data " + dir / "data" +
          ": no images of akiec, bcc, bkl, df, vasc, but --labels multiclass gives the model 7 "
          "classes (akiec, bcc, bkl, df, mel, nv, vasc); a class without images is never learned; "
          "class folders named after HAM10000 codes keep all of its classes (any other folder "
          "names become the classes)");
}

TEST_CASE("validation: two datasets below --data, or one image twice, stop with the candidates") {
  TempDir dir("val_ambiguous");
  std::string out;
  const std::string sample = shared_sample_data();
  const std::string metadata = read_text(sample + "/HAM10000_metadata.csv");
  // Two copies of a HAM10000 download below one folder.
  for (const char* copy : {"a", "b"}) {
    write_file(dir / (std::string("two/") + copy + "/HAM10000_metadata.csv"), metadata);
    fs::copy(sample + "/HAM10000_images_part_1", dir / (std::string("two/") + copy + "/images"),
             fs::copy_options::recursive);
  }
  int status = train_into(dir, dir / "two", "", out);
  check_refused_before_work(dir, status, out,
                            "--data " + dir / "two" + ": holds 2 datasets (" + dir / "two" +
                                "/a/HAM10000_metadata.csv, " + dir / "two" +
                                "/b/HAM10000_metadata.csv); give --data the folder or the .csv of "
                                "the one to use");

  // One listed image in both part folders (a part unpacked twice).
  const std::string twice = dir / "twice";
  fs::copy(sample, twice, fs::copy_options::recursive);
  std::string id;
  for (const auto& e : fs::directory_iterator(twice + "/HAM10000_images_part_1")) {
    id = e.path().filename().string();
    fs::copy_file(e.path(), twice + "/HAM10000_images_part_2/" + id);
    break;
  }
  REQUIRE(!id.empty());
  status = train_into(dir, twice, "", out);
  INFO(out);
  CHECK(status == 1);
  CHECK(out.find("cudagrad: error: " + twice + ": image " + id.substr(0, id.size() - 4) +
                 " is there twice (") != std::string::npos);
  CHECK(out.find("HAM10000_images_part_1/" + id) != std::string::npos);
  CHECK(out.find("HAM10000_images_part_2/" + id) != std::string::npos);
  CHECK(count_lines(out) == 1);
  CHECK_FALSE(fs::exists(dir / "run"));
}

TEST_CASE("validation: --resume says which limit ended the run, and a larger one continues it") {
  TempDir dir("val_resume");
  std::string out;
  REQUIRE(train_into(dir, shared_sample_data(), "--max-steps 3", out) == 0);
  // One epoch done (stopped by --max-steps in it): --max-steps alone cannot go on.
  CHECK(run_cli("train --resume " + dir / "run" + " --max-steps 100", out) == 1);
  CHECK(out == "cudagrad: error: --resume " + dir / "run" +
                   ": nothing to continue: the run reached its --epochs (it finished 1 epochs; "
                   "pass --epochs 2 or more)\n");
  CHECK(run_cli("train --resume " + dir / "run" + " --epochs 3 --max-steps 5", out) == 0);
  CHECK(out.find("stopped after 5 steps (--max-steps)") != std::string::npos);
  CHECK(run_cli("train --resume " + dir / "run" + " --epochs 3", out) == 1);
  CHECK(out.find("reached its --max-steps (it ran 5 steps; pass --max-steps 6 or more)") !=
        std::string::npos);
  REQUIRE(run_cli("train --resume " + dir / "run" + " --epochs 3 --max-steps 100", out) == 0);
}

// The words of `text` that look like options: "--" and then [a-z-]+.
// (Plain scanning: std::regex trips a false GCC 12 warning under ASan.)
std::vector<std::string> options_in(const std::string& text) {
  std::vector<std::string> found;
  for (size_t at = text.find("--"); at != std::string::npos; at = text.find("--", at + 2)) {
    size_t end = at + 2;
    while (end < text.size() && (std::islower(static_cast<unsigned char>(text[end])) || text[end] == '-'))
      ++end;
    if (end > at + 2 && std::islower(static_cast<unsigned char>(text[at + 2])))
      found.push_back(text.substr(at, end - at));
    at = end - 2;
  }
  return found;
}

TEST_CASE("help: every option a command's help lists is one the command accepts") {
  std::string out;
  REQUIRE(run_cli("help", out) == 0);
  // Command lines read "  <name>   <summary>".
  std::vector<std::string> commands;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.compare(0, 2, "  ") != 0 || line.size() < 3 || !std::islower(line[2])) continue;
    const size_t end = line.find("  ", 2);
    if (end != std::string::npos) commands.push_back(line.substr(2, end - 2));
  }
  REQUIRE(commands.size() >= 9);
  const std::set<std::string> switches{"--overwrite"};  // no value
  int checked = 0;
  for (const std::string& command : commands) {
    REQUIRE(run_cli("help " + command, out) == 0);
    for (const std::string& flag : options_in(out)) {
      CAPTURE(command);
      CAPTURE(flag);
      // The listed option parses; the made-up one after it is what fails,
      // before the command does any work.
      const std::string value = switches.count(flag) ? "" : " 1";
      std::string result;
      run_cli(command + " " + flag + value + " --not-an-option 1", result);
      CHECK(result.find("unknown option " + flag) == std::string::npos);
      CHECK(result.find("unknown option --not-an-option") != std::string::npos);
      ++checked;
    }
  }
  CHECK(checked > 60);
}

TEST_CASE("threads: caching obeys --threads") {
  TempDir dir("val_threads");
  std::string out;
  REQUIRE(train_into(dir, shared_sample_data(), "", out) == 0);  // tiny_model_flags: --threads 1
  CHECK(out.find("caching 32x32 (") != std::string::npos);
  CHECK(out.find(", 1 threads)") != std::string::npos);
}
