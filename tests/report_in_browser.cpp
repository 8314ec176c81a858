// The report, opened in a real browser: headless Chromium renders the page
// of a freshly trained run, and the test checks what a reader would see.
//
//   report_in_browser report         trains a tiny run, writes its report,
//                                    and checks the page renders cleanly
//   report_in_browser broken-pages   breaks the example page in four ways
//                                    and checks that each is caught
//
// For a page, one Chromium run takes a screenshot and dumps the DOM after
// the page has loaded, with its console messages logged to stderr:
//   - the screenshot is a PNG of the window's size that is not blank: much
//     of it is neither white nor the page's gray, and the curves' blue is
//     there (the SVG charts were painted);
//   - the DOM holds the three SVG charts, each laid out at a non-zero size,
//     and every <img> decoded (naturalWidth > 0). A short probe script,
//     added to a copy of the page (the report itself has none), writes
//     what it measured into an attribute that --dump-dom prints;
//   - the page wrote nothing to the console (a script error, a refused
//     resource).
// The second mode is the test of the first: a page with a missing image, a
// script error, a chart left out or nothing visible must each fail.
//
// Without Chromium (chromium-headless-shell or chromium on PATH, or the
// binary named by $CUDAGRAD_CHROMIUM) the test says so and exits 77, which
// ctest reports as skipped. scripts/setup.sh installs it.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/error.h"
#include "report/image.h"

namespace fs = std::filesystem;
using cudagrad::report::Image;
using cudagrad::report::Rgb;

namespace {

constexpr int kSkipped = 77;
constexpr int kWindowWidth = 1280, kWindowHeight = 4000;  // tall enough for the whole page

std::string quoted(const std::string& s) {  // for /bin/sh
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command; its output goes to `log`. Returns the exit status.
int run(const std::string& command, const fs::path& log) {
  const int status = std::system((command + " > " + quoted(log.string()) + " 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The browser: $CUDAGRAD_CHROMIUM, else the first Chromium on PATH.
std::string find_chromium() {
  if (const char* chosen = std::getenv("CUDAGRAD_CHROMIUM")) return chosen;
  const char* path = std::getenv("PATH");
  for (const char* name : {"chromium-headless-shell", "chromium", "chromium-browser"}) {
    std::stringstream dirs(path ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');) {
      const fs::path candidate = fs::path(dir) / name;
      if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  return "";
}

// Added before </body> of a copy of the page. On the load event (every
// image decoded or failed by then) it records, in an attribute of <html>:
// the SVG charts and their laid-out sizes, the images, and which of them
// did not load. Plain ES5, so any Chromium runs it.
const char* kProbe = R"js(<script>
window.addEventListener('load', function () {
  var charts = document.querySelectorAll('svg.chart'), sizes = [];
  for (var i = 0; i < charts.length; ++i) {
    var box = charts[i].getBoundingClientRect();
    sizes.push(Math.round(box.width) + 'x' + Math.round(box.height));
  }
  var broken = [];
  for (var j = 0; j < document.images.length; ++j) {
    var image = document.images[j];
    if (!image.complete || image.naturalWidth === 0) broken.push(j + 1);
  }
  document.documentElement.setAttribute('data-probe',
      'charts=' + charts.length + ';sizes=' + sizes.join(',') + ';images=' +
      document.images.length + ';broken=' + broken.join(','));
});
</script>
)js";

// The value of `key` in the probe's "key=value;key=value" record.
std::string probe_value(const std::string& probe, const std::string& key) {
  std::stringstream fields(probe);
  for (std::string field; std::getline(fields, field, ';');)
    if (field.rfind(key + "=", 0) == 0) return field.substr(key.size() + 1);
  return "";
}

bool near(Rgb a, Rgb b, int tolerance) {
  return std::abs(a.r - b.r) <= tolerance && std::abs(a.g - b.g) <= tolerance &&
         std::abs(a.b - b.b) <= tolerance;
}

// What is wrong with the screenshot, if anything.
std::vector<std::string> check_screenshot(const fs::path& png) {
  if (!fs::exists(png)) return {"no screenshot was written"};
  const Image shot = cudagrad::report::read_png(png.string());
  if (shot.width != kWindowWidth || shot.height != kWindowHeight)
    return {"the screenshot is " + std::to_string(shot.width) + "x" + std::to_string(shot.height) +
            ", not the window's " + std::to_string(kWindowWidth) + "x" +
            std::to_string(kWindowHeight)};
  const Rgb white{255, 255, 255}, page_gray{244, 245, 247}, curve_blue{31, 119, 180};
  long drawn = 0, blue = 0;
  for (int y = 0; y < shot.height; ++y)
    for (int x = 0; x < shot.width; ++x) {
      const Rgb p = cudagrad::report::pixel_at(shot, x, y);
      drawn += !near(p, white, 2) && !near(p, page_gray, 2);
      blue += near(p, curve_blue, 12);
    }
  const double share = static_cast<double>(drawn) / (static_cast<double>(shot.width) * shot.height);
  char summary[160];
  std::snprintf(summary, sizeof summary,
                "%.1f%% of it is neither white nor the page's gray; %ld pixels of the curves' blue",
                100 * share, blue);
  std::printf("  screenshot: %dx%d, %s\n", shot.width, shot.height, summary);
  std::vector<std::string> problems;
  // The example report is about 11% ink, borders, charts and pictures.
  if (share < 0.03) problems.push_back(std::string("the screenshot is blank: ") + summary);
  if (blue < 200) problems.push_back(std::string("the screenshot shows no curve: ") + summary);
  return problems;
}

// Opens `page` in Chromium and lists everything wrong with what it shows
// (nothing: the page is fine). `work` is an empty folder to use.
std::vector<std::string> check_page(const std::string& chromium, const fs::path& page,
                                    const fs::path& work) {
  // The probe goes into a copy beside the page, so relative paths resolve the same.
  std::string html = read_text(page);
  const size_t body_end = html.rfind("</body>");
  if (body_end == std::string::npos) return {page.string() + " has no </body>"};
  html.insert(body_end, kProbe);
  const fs::path probed = page.parent_path() / ("probed-" + page.filename().string());
  cudagrad::files::write_file_atomically(probed.string(), html);

  // --no-sandbox: the sandbox guards against hostile web pages, this is our
  // own file, and as root (CI) Chromium refuses to start with the sandbox.
  // A fresh profile folder keeps the user's own Chromium out of it.
  const fs::path shot = work / "screenshot.png", dom = work / "dom.html",
                 log = work / "console.log";
  const std::string command =
      "timeout -k 5 60 " + quoted(chromium) + " --headless --no-sandbox --disable-gpu" +
      " --user-data-dir=" + quoted((work / "profile").string()) +
      " --enable-logging=stderr --v=0 --hide-scrollbars" +
      " --window-size=" + std::to_string(kWindowWidth) + "," + std::to_string(kWindowHeight) +
      " --screenshot=" + quoted(shot.string()) + " --dump-dom " +
      quoted("file://" + fs::absolute(probed).string()) + " > " + quoted(dom.string()) + " 2> " +
      quoted(log.string());
  const int status = std::system(command.c_str());
  fs::remove(probed);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return {"chromium failed (exit status " + std::to_string(WEXITSTATUS(status)) +
            "); its log: " + log.string()};

  std::vector<std::string> problems = check_screenshot(shot);

  // The DOM after load, with the probe's record.
  const std::string rendered = read_text(dom);
  const size_t at = rendered.find("data-probe=\"");
  if (at == std::string::npos) {
    problems.push_back("the probe script did not run (no data-probe in the DOM)");
  } else {
    const size_t start = at + 12;
    const std::string probe = rendered.substr(start, rendered.find('"', start) - start);
    std::printf("  probe: %s\n", probe.c_str());
    const int charts = std::atoi(probe_value(probe, "charts").c_str());
    if (charts != 3) problems.push_back(std::to_string(charts) + " SVG charts, expected 3");
    std::stringstream sizes(probe_value(probe, "sizes"));
    for (std::string size; std::getline(sizes, size, ',');)
      if (size.rfind("0x", 0) == 0 || size.find("x0") == size.size() - 2)
        problems.push_back("a chart was laid out at " + size + " pixels");
    if (std::atoi(probe_value(probe, "images").c_str()) < 1)
      problems.push_back("no <img> in the page");
    if (!probe_value(probe, "broken").empty())
      problems.push_back("these <img> (counted from 1) did not load: " +
                         probe_value(probe, "broken"));
  }
  // The DOM also holds the charts' drawing, not just their boxes.
  if (rendered.find("<polyline") == std::string::npos && rendered.find("<svg") != std::string::npos)
    problems.push_back("the DOM holds no curve (<polyline>)");

  // Console messages: Chromium logs each as "...:CONSOLE(line)] "text", source: ...".
  std::istringstream lines(read_text(log));
  for (std::string line; std::getline(lines, line);)
    if (line.find(":CONSOLE") != std::string::npos) problems.push_back("console: " + line);
  return problems;
}

void print(const std::string& what, const std::vector<std::string>& problems) {
  std::printf("%s: %s\n", what.c_str(), problems.empty() ? "renders cleanly" : "PROBLEMS");
  for (const std::string& p : problems) std::printf("  - %s\n", p.c_str());
}

// Trains a tiny run on 40 generated images, writes its report, and checks it.
int check_fresh_report(const std::string& chromium, const fs::path& work) {
  const std::string cli = CUDAGRAD_CLI;
  const fs::path data = work / "data", run_dir = work / "run", cache = work / "cache";
  const std::pair<std::string, std::string> steps[] = {
      {"sample data",
       cli + " sample-data --out " + quoted(data.string()) + " --images 40 --seed 1"},
      {"train", cli + " train --data " + quoted(data.string()) +
                    " --model mobilenet --width 0.25 --input 32 --threads 1 --batch 8 --epochs 2" +
                    " --out " + quoted(run_dir.string()) + " --cache-dir " +
                    quoted(cache.string())},
      {"report", cli + " report " + quoted(run_dir.string()) + " --gradcam 3 --threads 1" +
                     " --cache-dir " + quoted(cache.string())}};
  for (const auto& step : steps) {
    const fs::path log = work / (step.first + ".log");
    if (run(step.second, log) != 0) {
      std::printf("FAILED: %s\n%s\n", step.second.c_str(), read_text(log).c_str());
      return 1;
    }
  }
  fs::create_directories(work / "browser");
  const std::vector<std::string> problems =
      check_page(chromium, run_dir / "report.html", work / "browser");
  print("the report of a fresh run", problems);
  return problems.empty() ? 0 : 1;
}

// Four broken copies of the example page; each must be caught, by the
// problem it was broken with.
int check_broken_pages(const std::string& chromium, const fs::path& work) {
  const std::string example =
      read_text(fs::path(CUDAGRAD_SOURCE_DIR) / "report" / "example" / "report.html");
  const size_t main_end = example.rfind("</main>");
  const size_t first_svg = example.find("<svg"), first_svg_end = example.find("</svg>");
  if (main_end == std::string::npos || first_svg == std::string::npos) {
    std::printf("FAILED: report/example/report.html has no </main> or no <svg>\n");
    return 1;
  }
  struct Breakage {
    std::string name, html, expected;
  };
  const std::vector<Breakage> breakages = {
      {"a missing image",
       std::string(example).insert(main_end, "<img alt=\"gone\" src=\"missing.png\">"),
       "did not load"},
      {"a script error",
       std::string(example).insert(main_end, "<script>no_such_function();</script>"), "console: "},
      {"a chart left out", std::string(example).erase(first_svg, first_svg_end + 6 - first_svg),
       "2 SVG charts, expected 3"},
      {"nothing visible",
       std::string(example).insert(main_end, "<style>body { visibility: hidden; }</style>"),
       "the screenshot is blank"}};

  // The unbroken page first: the breakages, not the page, must be what fails.
  int failures = 0;
  fs::create_directories(work / "example");
  const fs::path page = work / "example" / "report.html";
  cudagrad::files::write_file_atomically(page.string(), example);
  const std::vector<std::string> clean = check_page(chromium, page, work / "example");
  print("the example page", clean);
  failures += !clean.empty();
  for (size_t i = 0; i < breakages.size(); ++i) {
    const fs::path folder = work / ("broken-" + std::to_string(i));
    fs::create_directories(folder);
    cudagrad::files::write_file_atomically((folder / "report.html").string(), breakages[i].html);
    const std::vector<std::string> problems = check_page(chromium, folder / "report.html", folder);
    print("the example page with " + breakages[i].name, problems);
    bool caught = false;
    for (const std::string& p : problems)
      caught = caught || p.find(breakages[i].expected) != std::string::npos;
    if (!caught) {
      std::printf("  FAILED: expected a problem containing '%s'\n", breakages[i].expected.c_str());
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 2 ? argv[1] : "";
  if (mode != "report" && mode != "broken-pages") {
    std::fprintf(stderr, "usage: report_in_browser report|broken-pages\n");
    return 2;
  }
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    std::printf(
        "SKIPPED: no headless Chromium found (chromium-headless-shell or chromium on PATH, "
        "or $CUDAGRAD_CHROMIUM); scripts/setup.sh installs chromium-headless-shell\n");
    return kSkipped;
  }
  std::printf("browser: %s\n", chromium.c_str());

  std::string folder = (fs::temp_directory_path() / "cudagrad_browser_XXXXXX").string();
  if (!::mkdtemp(folder.data())) {
    std::perror("mkdtemp");
    return 1;
  }
  int result = 1;
  try {
    result = mode == "report" ? check_fresh_report(chromium, folder)
                              : check_broken_pages(chromium, folder);
  } catch (const cudagrad::Error& e) {
    std::printf("FAILED: %s\n", e.what());
  }
  // Kept when something failed, so the screenshot and logs can be looked at.
  if (result == 0)
    fs::remove_all(folder);
  else
    std::printf("files kept in %s\n", folder.c_str());
  return result;
}
