// evaluate, predict, gradcam and report on a small trained run, and
// transfer learning with --pretrained and --freeze backbone.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "report/image.h"
#include "tests/cli_test_util.h"
#include "tests/report_test_helpers.h"

using namespace cudagrad_test;

namespace {

// Splits "a,b,c" into cells.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string cell; std::getline(ss, cell, ',');) out.push_back(cell);
  return out;
}

}  // namespace

TEST_CASE("cli: evaluate, predict, gradcam and report on a trained run") {
  TempDir dir("cli_commands");
  std::string out;
  const std::string run = dir / "run";
  REQUIRE(run_cli("train --data " + shared_sample_data() + " " + tiny_model_flags() +
                      " --epochs 2 --out " + run + " --cache-dir " + dir / "c",
                  out) == 0);

  {  // evaluate prints the tables and saves eval.json
    REQUIRE(run_cli("evaluate --checkpoint " + run + " --tta 2", out) == 0);
    INFO(out);
    CHECK(out.find("test part, 2 TTA views averaged") != std::string::npos);
    for (const char* text : {"balanced accuracy", "macro F1", "weighted F1", "macro ROC-AUC",
                             "majority baseline", "confusion matrix", "akiec"})
      CHECK(out.find(text) != std::string::npos);
    const nlohmann::json eval = nlohmann::json::parse(read_text(run + "/eval.json"));
    CHECK(eval.at("split").get<std::string>() == "test");
    CHECK(eval.at("tta").get<int>() == 2);
    CHECK(run_cli("evaluate --checkpoint " + run + " --split holdout", out) == 1);
    CHECK(out.find("no part 'holdout'") != std::string::npos);
  }

  {  // predict writes one row per image in the ISIC layout
    const std::string images = shared_sample_data() + "/HAM10000_images_part_1";
    REQUIRE(run_cli("predict --checkpoint " + run + "/best.safetensors " + images + " --csv " +
                        dir / "p.csv",
                    out) == 0);
    const std::string csv = read_text(dir / "p.csv");
    std::stringstream lines(csv);
    std::string line;
    std::getline(lines, line);
    CHECK(line == "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC,prediction");
    int rows = 0;
    while (std::getline(lines, line)) {
      const std::vector<std::string> c = cells(line);
      REQUIRE(c.size() == 9);
      CHECK(c[0].rfind("ISIC_", 0) == 0);
      double sum = 0;
      for (int k = 1; k <= 7; ++k) sum += std::stod(c[k]);
      CHECK(sum == doctest::Approx(1.0).epsilon(1e-4));
      ++rows;
    }
    int files = 0;
    for (const auto& e : fs::directory_iterator(images)) files += e.path().extension() == ".jpg";
    CHECK(rows == files);
    // To stdout, the exact submission layout, one image.
    const std::string one = images + "/ISIC_9000000.jpg";
    REQUIRE(run_cli("predict --checkpoint " + run + "/last.ckpt --submission 1 " + one, out) == 0);
    CHECK(out.rfind("image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\nISIC_9000000,", 0) == 0);
    CHECK(count_lines(out) == 2);
  }

  {  // gradcam writes an overlay of the image's size
    const std::string image = shared_sample_data() + "/HAM10000_images_part_1/ISIC_9000000.jpg";
    REQUIRE(run_cli("gradcam --checkpoint " + run + " --image " + image + " --out " + dir / "g.png" +
                        " --layer blocks.10 --class mel",
                    out) == 0);
    CHECK(out.find("Grad-CAM of mel at layer 'blocks.10' (2x2)") != std::string::npos);
    const cudagrad::report::Image png = cudagrad::report::read_png(dir / "g.png");
    CHECK(png.width == 320);
    CHECK(png.height == 240);  // 600x450 shown 320 wide
    CHECK(run_cli("gradcam --checkpoint " + run + " --image " + image + " --out " + dir / "h.png" +
                      " --layer fc",
                  out) == 1);
    CHECK(out.find("not a feature map") != std::string::npos);
    CHECK(run_cli("gradcam --checkpoint " + run + " --image " + image + " --out " + dir / "h.png" +
                      " --layer layer4",
                  out) == 1);
    CHECK(out.find("no layer named 'layer4'") != std::string::npos);
  }

  {  // report writes the page, its charts and a Grad-CAM grid
    REQUIRE(run_cli("report " + run + " --gradcam 3", out) == 0);
    INFO(out);
    for (const char* file : {"report.html", "curves.svg", "confusion.svg", "classes.svg", "eval.json"})
      CHECK(fs::exists(run + "/" + file));
    // The curves hold a point per logged epoch, the matrix a cell per pair
    // of the 7 HAM10000 classes.
    const auto curves = report_test::parse_xml(read_text(run + "/curves.svg"));
    for (const auto* s : curves->with("class", "series")) CHECK(s->all("circle").size() == 2);
    CHECK(curves->with("class", "series").size() == 5);  // train, val; train, val, val balanced
    const auto confusion = report_test::parse_xml(read_text(run + "/confusion.svg"));
    CHECK(confusion->with("class", "cell").size() == 7 * 7);
    int overlays = 0;
    for (const auto& e : fs::directory_iterator(run + "/gradcam")) overlays += e.path().extension() == ".png";
    CHECK(overlays == 3);
    const std::string html = read_text(run + "/report.html");
    CHECK(html.find("<html") != std::string::npos);
    // Self-contained: the one URL is the SVG namespace, which nothing fetches.
    const size_t namespaces = report_test::svg_elements_of(html).size();
    CHECK(namespaces == 3);
    size_t urls = 0;
    for (size_t at = html.find("http"); at != std::string::npos; at = html.find("http", at + 1)) ++urls;
    CHECK(urls == namespaces);
    CHECK(html.find("xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
    CHECK(run_cli("report " + dir / "nothing", out) == 1);
  }
}

TEST_CASE("cli: --pretrained loads weights by name and replaces the head, and --freeze backbone trains only the head") {
  TempDir dir("cli_pretrained");
  std::string out;
  const std::string data = " --data " + shared_sample_data() + " --cache-dir " + dir / "c";
  // A two-class run stands in for an ImageNet checkpoint: same backbone names, another head.
  REQUIRE(run_cli("train" + data + " " + tiny_model_flags() + " --labels mel-vs-rest --epochs 1 --out " +
                      dir / "source",
                  out) == 0);
  const std::string weights = dir / "source/best.safetensors";
  REQUIRE(run_cli("train" + data + " " + tiny_model_flags() + " --pretrained " + weights +
                      " --freeze backbone --epochs 1 --out " + dir / "target",
                  out) == 0);
  INFO(out);
  CHECK(out.find("head 'fc' replaced by a fresh one for this class count") != std::string::npos);
  CHECK(out.find("(1,799 trainable)") != std::string::npos);  // fc: 256 x 7 + 7
  CHECK(read_text(dir / "target/config.json").find("\"normalization\": \"imagenet\"") !=
        std::string::npos);

  // Another width: every backbone tensor has the wrong shape.
  CHECK(run_cli("train" + data + " --model mobilenet --width 0.5 --input 32 --pretrained " +
                    weights + " --epochs 1 --out " + dir / "wrong",
                out) == 1);
  CHECK(out.find("has shape") != std::string::npos);
  CHECK(out.find("conv1.weight") != std::string::npos);
}
