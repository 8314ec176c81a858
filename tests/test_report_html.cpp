// The HTML report, the files written beside it, atomic writing and the
// metrics.csv reader.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/files.h"
#include "base/json.h"
#include "report/html_report.h"
#include "report/charts.h"
#include "report/image.h"
#include "report_test_helpers.h"

using namespace cudagrad::report;
using cudagrad::Error;
namespace files = cudagrad::files;

namespace {

ReportInputs full_inputs() {
  ReportInputs in;
  in.title = "LeNet <tutorial> run";
  in.settings = {{"model", "lenet"}, {"lr", "1e-05"}, {"note", "<script>alert(1)</script>"}};
  for (int e = 1; e <= 4; ++e) {
    EpochRow r;
    r.epoch = e;
    r.train_loss = 1.5 / e;
    r.val_loss = 1.6 / e;
    r.train_acc = 0.5 + 0.1 * e;
    r.val_acc = 0.45 + 0.1 * e;
    r.val_balanced_acc = 0.3 + 0.05 * e;
    r.lr = 1e-5;
    r.seconds = 12.5;
    in.epochs.push_back(r);
  }
  const std::vector<float> probs = {0.7f, 0.2f, 0.1f, 0.1f, 0.8f, 0.1f,
                                    0.3f, 0.3f, 0.4f, 0.6f, 0.3f, 0.1f};
  in.evaluation = compute_metrics({0, 1, 2, 2}, probs, {"akiec", "bcc", "vasc"});
  in.distribution =
      ClassDistribution{{"akiec", "bcc", "vasc"}, {"train", "test"}, {{5, 9, 2}, {1, 2, 2}}};
  for (int i = 0; i < 3; ++i) {
    Image image;
    image.width = image.height = 32;
    image.pixels.assign(32 * 32 * 3, static_cast<uint8_t>(60 * i));
    in.gradcams.push_back({gradcam_overlay(image, {0, 1, 2, 3}, 2, 2), "vasc",
                           i == 0 ? "vasc" : "akiec", 0.6, "ISIC_00" + std::to_string(i)});
  }
  return in;
}

int count(const std::string& text, const std::string& part) {
  int n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// The images of one type ("png", "jpeg") embedded in the page, decoded.
std::vector<Image> embedded_images(const std::string& html, const std::string& type) {
  const std::string marker = "data:image/" + type + ";base64,";
  std::vector<Image> images;
  for (size_t at = html.find(marker); at != std::string::npos; at = html.find(marker, at + 1)) {
    const size_t start = at + marker.size(), end = html.find('"', start);
    images.push_back(
        decode_png(report_test::base64_decode(html.substr(start, end - start)), "page"));
  }
  return images;
}

}  // namespace

TEST_CASE("html: base64 and escaping") {
  // RFC 4648's test vectors.
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode(std::string("\xff\x00\x80", 3)) == "/wCA");
  CHECK(html_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
}

TEST_CASE("html: the page embeds every chart and holds the tables") {
  const ReportInputs in = full_inputs();
  const std::string html = render_html_report(in);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  // Self-contained: nothing is fetched. The one URL is the SVG namespace,
  // a name that no browser fetches.
  CHECK(count(html, "http") == count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);  // the settings value is escaped
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("<title>LeNet &lt;tutorial&gt; run</title>") != std::string::npos);

  // Curves, confusion and class distribution as inline SVG, exactly as the
  // chart functions draw them, in the order of the page; no PNG at all.
  const std::vector<std::string> svgs = report_test::svg_elements_of(html);
  REQUIRE(svgs.size() == 3);
  CHECK(svgs[0] == training_curves_svg(in.epochs));
  CHECK(svgs[1] == confusion_matrix_svg(in.evaluation->confusion, in.evaluation->class_names));
  for (const std::string& svg : svgs) CHECK(report_test::parse_xml(svg)->at("class") == "chart");
  const auto classes = report_test::parse_xml(svgs[2]);
  CHECK(classes->with("class", "bar").size() == 3 * 2);  // 3 classes x (train, test)
  CHECK(html.find("data:image/png") == std::string::npos);
  // The Grad-CAM tiles as JPEG (close to the overlay).
  const std::vector<Image> tiles = embedded_images(html, "jpeg");
  REQUIRE(tiles.size() == 3);
  for (int i = 0; i < 3; ++i) {
    const Image& want = in.gradcams[i].overlay;
    REQUIRE(tiles[i].width == want.width);
    REQUIRE(tiles[i].height == want.height);
    double error = 0;
    for (size_t j = 0; j < want.pixels.size(); ++j)
      error += std::abs(tiles[i].pixels[j] - want.pixels[j]);
    CHECK(error / want.pixels.size() < 4);  // mean absolute difference, out of 255
  }

  // The per-class table: akiec 1 of 1 right; bcc 1 of 1; vasc 1 of 2, and
  // the vasc image of sample 3 predicted akiec.
  CHECK(html.find("<tr><td>akiec</td><td>1</td><td>2</td><td>50.0%</td><td>100.0%</td>"
                  "<td>0.667</td>") != std::string::npos);
  CHECK(html.find("<tr><td>vasc</td><td>2</td><td>1</td><td>100.0%</td><td>50.0%</td>") !=
        std::string::npos);
  // Summary cards, settings and one row per epoch.
  CHECK(html.find("<div class=\"value\">75.0%</div><div class=\"label\">accuracy</div>"
                  "<div class=\"detail\">baseline 50.0%</div>") != std::string::npos);
  CHECK(html.find("balanced accuracy") != std::string::npos);
  CHECK(html.find("<dt>lr</dt><dd>1e-05</dd>") != std::string::npos);
  CHECK(count(html, "<tr><td>") == 4 + 3);  // epochs + classes
  CHECK(html.find("<tr><td>3</td><td>0.5000</td><td>80.0%</td>") != std::string::npos);
  // Captions name both classes and mark the wrong predictions.
  CHECK(count(html, "<figure>") == 3);
  CHECK(count(html, "class=\"wrong\">akiec</span> (0.60)") == 2);
  CHECK(html.find("ISIC_001") != std::string::npos);
}

TEST_CASE("html: a report with nothing in it says what is missing") {
  ReportInputs in;
  const std::string html = render_html_report(in);
  CHECK(html.find("No evaluation results were given.") != std::string::npos);
  CHECK(html.find("No per-epoch log.") != std::string::npos);
  CHECK(html.find("No Grad-CAM examples were given.") != std::string::npos);
  CHECK(html.find("<svg") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  in.distribution = ClassDistribution{{"a", "b"}, {"train"}, {{1, 2, 3}}};
  CHECK_THROWS_WITH_AS(render_html_report(in),
                       doctest::Contains("split 'train' has 3 counts for 2 classes"), Error);
}

TEST_CASE("html: write_html_report writes the page and each chart as an SVG file, and no temporary files") {
  const std::string folder = report_test::fresh_dir("report_out");
  const ReportInputs in = full_inputs();
  const std::vector<std::string> written = write_html_report(folder, in);
  REQUIRE(written.size() == 4);
  CHECK(written[0] == folder + "/report.html");
  CHECK(report_test::file_names_in(folder) ==
        std::vector<std::string>{"classes.svg", "confusion.svg", "curves.svg", "report.html"});
  // Each file is the chart in the page, and a well-formed SVG document.
  const std::string html = files::read_file(folder + "/report.html");
  CHECK(html == render_html_report(in));
  const std::vector<std::string> svgs = report_test::svg_elements_of(html);
  REQUIRE(svgs.size() == 3);
  CHECK(files::read_file(folder + "/curves.svg") == svgs[0]);
  CHECK(files::read_file(folder + "/confusion.svg") == svgs[1]);
  CHECK(files::read_file(folder + "/classes.svg") == svgs[2]);
  const auto curves = report_test::parse_xml(files::read_file(folder + "/curves.svg"));
  CHECK(curves->name == "svg");
  CHECK(curves->at("xmlns") == "http://www.w3.org/2000/svg");  // opens as a file of its own
  CHECK(curves->number("width") == 1200);
  CHECK(curves->number("height") == 420);
  // A missing folder is created.
  const std::string nested = folder + "/new/run";
  CHECK(write_html_report(nested, ReportInputs{}) ==
        std::vector<std::string>{nested + "/report.html"});
  // Writing again replaces the files in place.
  write_html_report(folder, in);
  CHECK(
      report_test::file_names_in(folder) ==
      std::vector<std::string>{"classes.svg", "confusion.svg", "curves.svg", "new", "report.html"});
}

TEST_CASE("html: a class named <b&\"x'> is escaped in the tables and every chart") {
  const std::string odd = "<b&\"x'>";
  ReportInputs in = full_inputs();
  in.evaluation->class_names[1] = odd;
  in.evaluation->per_class[1].name = odd;
  in.distribution->class_names[1] = odd;
  const std::string html = render_html_report(in);
  CHECK(html.find(odd) == std::string::npos);  // never raw
  CHECK(html.find("<tr><td>&lt;b&amp;&quot;x&#39;&gt;</td>") != std::string::npos);
  // In the SVG it parses back as itself: a row and a column of the matrix,
  // a category of the bar chart.
  const std::vector<std::string> svgs = report_test::svg_elements_of(html);
  REQUIRE(svgs.size() == 3);
  auto count_texts = [&](const std::string& svg) {
    const std::vector<std::string> texts = report_test::parse_xml(svg)->texts();
    return std::count(texts.begin(), texts.end(), odd);
  };
  CHECK(count_texts(svgs[1]) == 2);
  CHECK(count_texts(svgs[2]) == 1);
}

TEST_CASE("atomic files: replace whole, and a failed write leaves nothing behind") {
  const std::string folder = report_test::fresh_dir("atomic");
  const std::string path = folder + "/eval.json";
  files::write_file_atomically(path, "first version, longer than the second");
  files::write_file_atomically(path, "second");
  CHECK(files::read_file(path) == "second");
  CHECK(report_test::file_names_in(folder) == std::vector<std::string>{"eval.json"});
  // A folder that does not exist: an error naming the file.
  CHECK_THROWS_WITH_AS(files::write_file_atomically(folder + "/no/such/eval.json", "x"),
                       (folder + "/no/such/eval.json: cannot write (No such file or directory)").c_str(),
                       Error);
  // A target that must not be replaced (a folder is in the way): refused
  // before a temporary is made.
  std::filesystem::create_directories(folder + "/taken/inside");
  CHECK_THROWS_WITH_AS(files::write_file_atomically(folder + "/taken", "x"),
                       doctest::Contains((folder + "/taken: is a folder").c_str()), Error);
  CHECK(report_test::file_names_in(folder) == std::vector<std::string>{"eval.json", "taken"});
  CHECK_THROWS_WITH_AS(files::read_file(folder + "/absent.json"), doctest::Contains("absent.json"), Error);
}

TEST_CASE("eval.json: saved atomically with extra members, loaded back") {
  const std::string folder = report_test::fresh_dir("evaljson");
  const std::vector<float> probs = {0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f};
  const ClassificationMetrics m = compute_metrics({0, 1, 1}, probs, {"benign", "malignant"});
  save_metrics_json(
      folder + "/eval.json", m,
      cudagrad::Json{{"checkpoint", "best.safetensors"}, {"split", "test"}});
  const std::string text = files::read_file(folder + "/eval.json");
  CHECK(text.rfind("{\n  \"checkpoint\": \"best.safetensors\",\n  \"split\": \"test\",\n", 0) == 0);
  const ClassificationMetrics back = load_metrics_json(folder + "/eval.json");
  CHECK(back.accuracy == m.accuracy);
  CHECK(back.confusion == m.confusion);
  CHECK(report_test::file_names_in(folder) == std::vector<std::string>{"eval.json"});

  std::ofstream(folder + "/broken.json") << "{\"samples\": 3,";
  CHECK_THROWS_WITH_AS(load_metrics_json(folder + "/broken.json"),
                       doctest::Contains((folder + "/broken.json: malformed JSON").c_str()), Error);
  std::ofstream(folder + "/partial.json") << "{\"samples\": 3}";
  CHECK_THROWS_WITH_AS(load_metrics_json(folder + "/partial.json"),
                       (folder + "/partial.json: missing 'accuracy'").c_str(), Error);
}

TEST_CASE("metrics.csv: columns by name, missing values as NaN, clear errors") {
  const std::vector<EpochRow> rows = parse_epochs_csv(
      "epoch,train_loss,train_acc,val_loss,val_acc,lr,data_wait,seconds\n"
      "1,1.5,0.4,1.6,0.35,0.001,0.1,12.5\n"
      "2, 1.25 ,0.5,,nan,0.001,0.1,12\n"
      "\n",
      "metrics.csv");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].epoch == 1);
  CHECK(rows[0].train_loss == 1.5);
  CHECK(rows[0].val_acc == 0.35);
  CHECK(rows[0].seconds == 12.5);
  CHECK(std::isnan(rows[0].val_balanced_acc));  // no such column
  CHECK(rows[1].train_loss == 1.25);
  CHECK(std::isnan(rows[1].val_loss));  // empty cell
  CHECK(std::isnan(rows[1].val_acc));   // "nan"

  CHECK_THROWS_WITH_AS(parse_epochs_csv("loss\n1\n", "m.csv"),
                       doctest::Contains("m.csv: the header has no 'epoch' column"), Error);
  CHECK_THROWS_WITH_AS(parse_epochs_csv("epoch,lr\n1,fast\n", "m.csv"),
                       doctest::Contains("m.csv:2: column 'lr' holds 'fast', not a number"), Error);
  CHECK_THROWS_WITH_AS(parse_epochs_csv("epoch,lr\n1,0.1,7\n", "m.csv"),
                       doctest::Contains("m.csv:2: 3 cells, the header has 2"), Error);
  CHECK_THROWS_WITH_AS(parse_epochs_csv("epoch,lr\n1.5,0.1\n", "m.csv"),
                       doctest::Contains("epoch '1.5' is not a whole number"), Error);
}
