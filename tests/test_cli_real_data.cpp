// The command line on the real images in ../shared/data (skipped, saying
// why, when they are absent): train on the partial HAM10000 download
// (--skip-missing 1) and evaluate on the ISIC 2018 Task 3 images as a
// second test set, at 32x32 so the test stays quick.
#include <doctest/doctest.h>

#include <string>

#include "base/json.h"
#include "tests/cli_test_util.h"

using namespace cudagrad_test;

TEST_CASE("cli: train on real HAM10000 images, evaluate on the ISIC 2018 images") {
  REQUIRE_SHARED_DATA(ham, "ham10000");
  REQUIRE_SHARED_DATA(isic, "isic2018-task3");
  TempDir dir("cli_real");
  std::string out;
  const std::string run = dir / "run";
  REQUIRE(run_cli("train --data " + ham + " --skip-missing 1 " + tiny_model_flags() +
                      " --epochs 1 --out " + run + " --cache-dir " + dir / "c",
                  out) == 0);
  INFO(out);
  CHECK(out.find("206 images of 10015 listed (9809 missing, skipped)") != std::string::npos);

  REQUIRE(run_cli("evaluate --checkpoint " + run + " --data " + isic + " --cache-dir " + dir / "c", out) == 0);
  CHECK(out.find("on 1007 images (all part)") != std::string::npos);
  const cudagrad::Json eval =
      cudagrad::json::parse(read_text(run + "/eval-isic2018-task3.json"), "eval");
  CHECK(eval.at("samples").get<int64_t>() == 1007);
}
