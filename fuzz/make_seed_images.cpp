// Writes the image seed corpus (corpus/fuzz_image/): a few tiny files that
// cover the decoders' main paths, so the fuzzer starts from real structure
// instead of discovering the JPEG and PNG formats byte by byte.
//   JPEG: baseline 4:2:0 and 4:4:4 (TurboJPEG), grayscale, progressive, and
//         one written by stb_image_write (other tables and marker order).
//   PNG:  gray, gray + alpha, RGB, RGBA, and 1x1.
// Run once by hand: make_seed_images <folder>. The files are committed.
#include <stb_image_write.h>
#include <turbojpeg.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

// A small gradient with some texture, `channels` interleaved.
std::vector<unsigned char> picture(int w, int h, int channels) {
  std::vector<unsigned char> p;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c)
        p.push_back(static_cast<unsigned char>((x * 37 + y * 23 + c * 80 + (x ^ y) * 9) & 0xFF));
  return p;
}

void save(const std::string& path, const unsigned char* bytes, unsigned long n) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes), n);
}

std::vector<unsigned char> turbo_jpeg(int w, int h, int subsampling, int quality) {
  const int format = subsampling == TJSAMP_GRAY ? TJPF_GRAY : TJPF_RGB;
  std::vector<unsigned char> rgb = picture(w, h, tjPixelSize[format]);
  tjhandle tj = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long size = 0;
  if (tjCompress2(tj, rgb.data(), w, 0, h, format, &out, &size, subsampling, quality, 0) != 0) {
    std::fprintf(stderr, "tjCompress2: %s\n", tjGetErrorStr2(tj));
    std::exit(1);
  }
  std::vector<unsigned char> jpeg(out, out + size);
  tjFree(out);
  tjDestroy(tj);
  return jpeg;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seed_images <folder>\n");
    return 2;
  }
  const std::string dir = std::string(argv[1]) + "/";
  auto baseline = turbo_jpeg(16, 12, TJSAMP_420, 75);
  save(dir + "rgb_420.jpg", baseline.data(), baseline.size());
  auto full = turbo_jpeg(9, 7, TJSAMP_444, 90);
  save(dir + "rgb_444.jpg", full.data(), full.size());
  auto gray = turbo_jpeg(8, 8, TJSAMP_GRAY, 80);
  save(dir + "gray.jpg", gray.data(), gray.size());

  // The same picture re-encoded losslessly as progressive.
  tjhandle tx = tjInitTransform();
  unsigned char* prog = nullptr;
  unsigned long prog_size = 0;
  tjtransform t = {};
  t.op = TJXOP_NONE;
  t.options = TJXOPT_PROGRESSIVE;
  if (tjTransform(tx, baseline.data(), baseline.size(), 1, &prog, &prog_size, &t, 0) != 0) {
    std::fprintf(stderr, "tjTransform: %s\n", tjGetErrorStr2(tx));
    return 1;
  }
  save(dir + "progressive.jpg", prog, prog_size);
  tjFree(prog);
  tjDestroy(tx);

  auto rgb = picture(6, 5, 3);
  stbi_write_jpg((dir + "stb.jpg").c_str(), 6, 5, 3, rgb.data(), 60);
  for (int channels = 1; channels <= 4; ++channels) {
    const char* names[] = {"gray.png", "gray_alpha.png", "rgb.png", "rgba.png"};
    auto p = picture(5, 4, channels);
    stbi_write_png((dir + names[channels - 1]).c_str(), 5, 4, channels, p.data(), 5 * channels);
  }
  auto one = picture(1, 1, 3);
  stbi_write_png((dir + "one_pixel.png").c_str(), 1, 1, 3, one.data(), 3);
  return 0;
}
