// Checkpoint format versions. Version 1 stored the run's config as flags and
// their text ({"--lr": "0.001"}); version 2 stores the typed config's JSON.
// A run folder written by version 1 must still evaluate and resume (bit for
// bit, as any resume), and a version-1 file whose config cannot be read must
// be a one-line error that says what the file is.
#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "engine/safetensors.h"
#include "tests/cli_test_util.h"
#include "train/checkpoint.h"

using namespace cudagrad_test;

namespace {

// The config as version 1 wrote it: every setting as its flag and its text.
nlohmann::json as_version1_flags(const nlohmann::json& config) {
  nlohmann::json flags = nlohmann::json::object();
  for (const auto& item : config.items()) {
    const nlohmann::json& v = item.value();
    std::string text;
    if (v.is_string()) {
      text = v.get<std::string>();
    } else if (v.is_boolean()) {
      text = v.get<bool>() ? "1" : "0";
    } else if (v.is_array()) {  // the split fractions: "0.64,0.16,0.2"
      for (const nlohmann::json& x : v) text += (text.empty() ? "" : ",") + x.dump();
    } else {
      text = v.dump();
    }
    flags["--" + item.key()] = text;
  }
  return flags;
}

// Rewrites a model or checkpoint file of a run as version 1 wrote it, with
// `edit` applied to its flags, and a checksum over the new metadata.
template <class Edit>
void make_version1(const std::string& path, Edit edit) {
  cudagrad::SafetensorsMetadata meta;
  const cudagrad::NamedTensors tensors = cudagrad::load_safetensors(path, &meta);
  nlohmann::json flags = as_version1_flags(nlohmann::json::parse(meta.at("config")));
  edit(flags);
  meta["config"] = flags.dump();
  meta["format_version"] = "1";
  meta["checksum"] = cudagrad::train::checkpoint_checksum(tensors, meta);
  cudagrad::save_safetensors(path, tensors, meta);
}

void make_version1(const std::string& path) {
  make_version1(path, [](nlohmann::json&) {});
}

std::string format_version_of(const std::string& path) {
  cudagrad::SafetensorsMetadata meta;
  cudagrad::load_safetensors(path, &meta);
  return meta.at("format_version");
}

std::string train_args(const TempDir& dir, const std::string& run, int epochs) {
  return "train --data " + shared_sample_data() + " " + tiny_model_flags() +
         " --optimizer sgd --epochs " + std::to_string(epochs) + " --out " + dir / run +
         " --cache-dir " + dir / "cache";
}

}  // namespace

TEST_CASE("checkpoint versions: a version 1 run folder evaluates and resumes bit for bit") {
  TempDir dir("ckpt_version1");
  std::string out;
  REQUIRE(run_cli(train_args(dir, "whole", 2), out) == 0);
  REQUIRE(run_cli(train_args(dir, "old", 1), out) == 0);
  CHECK(format_version_of(dir / "old/last.ckpt") == "2");
  make_version1(dir / "old/last.ckpt");
  make_version1(dir / "old/best.safetensors");

  REQUIRE(run_cli("evaluate --checkpoint " + dir / "old", out) == 0);
  CHECK(out.find("balanced accuracy") != std::string::npos);
  REQUIRE(run_cli("train --resume " + dir / "old" + " --epochs 2", out) == 0);
  INFO(out);
  CHECK(out.find("resuming") != std::string::npos);
  CHECK(same_model_weights(dir / "whole/last.ckpt", dir / "old/last.ckpt"));
  // What the resumed run wrote is the current version.
  CHECK(format_version_of(dir / "old/last.ckpt") == "2");
}

TEST_CASE("checkpoint versions: a version 1 config that cannot be read is a one-line error") {
  TempDir dir("ckpt_version1_bad");
  std::string out;
  REQUIRE(run_cli(train_args(dir, "old", 1), out) == 0);
  make_version1(dir / "old/best.safetensors", [](nlohmann::json& flags) { flags["--model"] = "alexnet"; });
  make_version1(dir / "old/last.ckpt", [](nlohmann::json& flags) { flags["--lr"] = "fast"; });
  for (const std::string& args : {"evaluate --checkpoint " + dir / "old/best.safetensors",
                                  "train --resume " + dir / "old" + " --epochs 2"}) {
    CAPTURE(args);
    CHECK(run_cli(args, out) == 1);
    CHECK(out.rfind("cudagrad: error: ", 0) == 0);
    CHECK(count_lines(out) == 1);
    CHECK(out.find("a format version 1 file") != std::string::npos);
  }
  CHECK(out.find("--lr 'fast' is not a number") != std::string::npos);
}
