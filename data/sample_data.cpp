#include "data/sample_data.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>
#include <vector>

#include "base/files.h"
#include "data/classes.h"
#include "data/csv.h"
#include "data/data_error.h"
#include "data/random.h"
#include "data/sample_draw.h"

namespace cudagrad {
namespace data {

namespace {

// Class shares: the square roots of HAM10000's counts, so the set is
// imbalanced like the real one (nv most common) but every class has enough
// images to learn from.
constexpr double kClassShare[7] = {18.1, 22.7, 33.2, 10.7, 33.4, 81.9, 11.9};

struct PlannedImage {
  int lesion, dx;
  uint64_t lesion_seed, view_seed;
};

// Lesions with 1 to 3 pictures each (60% / 30% / 10%) until n images; the
// first seven lesions cover the seven classes.
std::vector<PlannedImage> plan(int n, uint64_t seed) {
  SplitMix64 rng(seed);
  double total_share = 0;
  for (double s : kClassShare) total_share += s;
  std::vector<PlannedImage> images;
  for (int lesion = 0; static_cast<int>(images.size()) < n; ++lesion) {
    int dx = lesion;
    if (lesion >= 7) {
      double r = rng.uniform() * total_share;
      for (dx = 0; dx < 6 && r >= kClassShare[dx]; ++dx) r -= kClassShare[dx];
    }
    const double p = rng.uniform();
    int pictures = p < 0.6 ? 1 : p < 0.9 ? 2 : 3;
    if (lesion < 7) pictures = 1;  // keep the first seven for the seven classes
    const uint64_t lesion_seed = rng.next();
    for (int k = 0; k < pictures && static_cast<int>(images.size()) < n; ++k)
      images.push_back({lesion, dx, lesion_seed, rng.next()});
  }
  return images;
}

std::string numbered(const char* prefix, int number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%06d", prefix,
                number);  // ISIC_9000042: seven digits like the real ids
  return buf;
}

}  // namespace

SampleDataSummary write_sample_dataset(const std::string& dir, int n_images, uint64_t seed,
                                       int threads) {
  CG_CHECK(n_images >= 7,
           "the sample dataset needs at least 7 images (one per class), not " << n_images);
  namespace fs = std::filesystem;
  const fs::path root(dir);
  const fs::path parts[2] = {root / "HAM10000_images_part_1", root / "HAM10000_images_part_2"};
  std::error_code ec;
  for (const auto& p : parts) {
    fs::create_directories(p, ec);
    if (ec) data_error(p.string(), ": cannot create folder (", ec.message(), ")");
  }
  const std::vector<PlannedImage> images = plan(n_images, seed);

  // Draw and encode on all cores; each image depends only on its plan entry.
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::string failure;
  auto work = [&] {
    for (size_t i; !failed && (i = next++) < images.size();) {
      const PlannedImage& im = images[i];
      try {
        Image picture = detail::draw_lesion(detail::random_lesion(im.dx, im.lesion_seed),
                                            detail::random_view(im.view_seed));
        const fs::path& part = parts[i < images.size() / 2 ? 0 : 1];
        write_image((part / (numbered("ISIC_9", static_cast<int>(i)) + ".jpg")).string(), picture,
                    90);
      } catch (const Error& e) {
        if (!failed.exchange(true)) failure = e.what();
      }
    }
  };
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (failed) throw Error(failure);

  // The metadata, in HAM10000's columns.
  static const char* kSites[] = {
      "back", "lower extremity", "trunk", "upper extremity", "abdomen", "face", "chest"};
  SplitMix64 rng(mix_seed(seed, 0x3E7Aull));
  std::ostringstream csv;
  csv << csv_record({"lesion_id", "image_id", "dx", "dx_type", "age", "sex", "localization"});
  SampleDataSummary summary;
  int last_lesion = -1;
  std::string age, sex, site;
  for (size_t i = 0; i < images.size(); ++i) {
    const PlannedImage& im = images[i];
    if (im.lesion != last_lesion) {  // one patient per lesion
      age = std::to_string(5 * (4 + static_cast<int>(rng.below(14)))) + ".0";
      sex = rng.below(2) ? "male" : "female";
      site = kSites[rng.below(7)];
      last_lesion = im.lesion;
      summary.lesions += 1;
    }
    const std::string& dx = ham10000_classes()[im.dx];
    const bool biopsied = dx == "mel" || dx == "bcc" || dx == "akiec";
    csv << csv_record({numbered("HAM_9", im.lesion), numbered("ISIC_9", static_cast<int>(i)), dx,
                       biopsied ? "histo" : "follow_up", age, sex, site});
    summary.per_class[im.dx] += 1;
  }
  summary.images = static_cast<int>(images.size());
  files::write_file_atomically((root / "HAM10000_metadata.csv").string(), csv.str());
  return summary;
}

}  // namespace data
}  // namespace cudagrad
