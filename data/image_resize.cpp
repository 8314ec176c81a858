// Separable resampling: each output pixel is a weighted sum of input pixels
// along x, then along y. The weights for one axis depend only on the input
// and output lengths, so they are computed once per axis.
#include <algorithm>
#include <cmath>

#include "data/data_error.h"
#include "data/image.h"

namespace cudagrad {
namespace data {

namespace {

// Output pixel o reads inputs first .. first + count - 1 with these weights.
struct AxisWeights {
  std::vector<int> first, count;
  std::vector<float> weight;  // count[o] weights per output, back to back
  std::vector<int> offset;    // where output o's weights start
};

// Shrinking (in >= out): output o covers input span [o*s, (o+1)*s) with
// s = in/out; input pixel i (span [i, i+1)) weighs the length of the
// overlap, divided by s so the weights sum to 1. This is the exact area
// average: every input pixel counts, so fine detail cannot alias.
// Enlarging: bilinear between the two nearest input centres, with pixel
// centres at +0.5 (so the image is not shifted).
AxisWeights axis_weights(int in, int out) {
  AxisWeights a;
  const double s = static_cast<double>(in) / out;
  for (int o = 0; o < out; ++o) {
    a.offset.push_back(static_cast<int>(a.weight.size()));
    if (s >= 1.0) {
      const double lo = o * s, hi = (o + 1) * s;
      const int first = static_cast<int>(std::floor(lo));
      const int last = std::min(in - 1, static_cast<int>(std::ceil(hi)) - 1);
      a.first.push_back(first);
      a.count.push_back(last - first + 1);
      for (int i = first; i <= last; ++i)
        a.weight.push_back(
            static_cast<float>((std::min<double>(i + 1, hi) - std::max<double>(i, lo)) / s));
    } else {
      const double centre = (o + 0.5) * s - 0.5;
      const int i0 = static_cast<int>(std::floor(centre));
      const float t = static_cast<float>(centre - i0);
      const int a0 = std::clamp(i0, 0, in - 1), a1 = std::clamp(i0 + 1, 0, in - 1);
      a.first.push_back(std::min(a0, a1));
      if (a0 == a1) {  // at the border both taps are the same pixel
        a.count.push_back(1);
        a.weight.push_back(1.0f);
      } else {
        a.count.push_back(2);
        a.weight.push_back(1.0f - t);
        a.weight.push_back(t);
      }
    }
  }
  return a;
}

}  // namespace

Image resize(const Image& src, int width, int height) {
  CG_CHECK(width > 0 && height > 0 && width <= kMaxImageSide && height <= kMaxImageSide,
           "resize: target " << width << "x" << height << " is outside 1.." << kMaxImageSide);
  CG_CHECK(src.width > 0 && src.height > 0 &&
               src.pixels.size() == static_cast<size_t>(src.width) * src.height * 3,
           "resize: source " << src.width << "x" << src.height << " with " << src.pixels.size()
                             << " bytes");
  const AxisWeights ax = axis_weights(src.width, width), ay = axis_weights(src.height, height);

  // Along x: (src.height, width, 3) in float, kept unrounded for the y pass.
  std::vector<float> rows(static_cast<size_t>(src.height) * width * 3);
  for (int y = 0; y < src.height; ++y) {
    const uint8_t* in = &src.pixels[static_cast<size_t>(y) * src.width * 3];
    float* out = &rows[static_cast<size_t>(y) * width * 3];
    for (int x = 0; x < width; ++x) {
      float r = 0, g = 0, b = 0;
      const float* w = &ax.weight[ax.offset[x]];
      const uint8_t* p = in + static_cast<size_t>(ax.first[x]) * 3;
      for (int k = 0; k < ax.count[x]; ++k, p += 3) {
        r += w[k] * p[0];
        g += w[k] * p[1];
        b += w[k] * p[2];
      }
      out[3 * x] = r;
      out[3 * x + 1] = g;
      out[3 * x + 2] = b;
    }
  }
  // Along y, rounding to the nearest 8-bit value.
  Image dst;
  dst.width = width;
  dst.height = height;
  dst.pixels.resize(static_cast<size_t>(width) * height * 3);
  const size_t row_len = static_cast<size_t>(width) * 3;
  std::vector<float> acc(row_len);
  for (int y = 0; y < height; ++y) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const float* w = &ay.weight[ay.offset[y]];
    for (int k = 0; k < ay.count[y]; ++k) {
      const float* in = &rows[static_cast<size_t>(ay.first[y] + k) * row_len];
      for (size_t i = 0; i < row_len; ++i) acc[i] += w[k] * in[i];
    }
    uint8_t* out = &dst.pixels[static_cast<size_t>(y) * row_len];
    for (size_t i = 0; i < row_len; ++i)
      out[i] = static_cast<uint8_t>(std::clamp(acc[i] + 0.5f, 0.0f, 255.0f));
  }
  return dst;
}

void hwc_to_chw(const uint8_t* hwc, int width, int height, uint8_t* chw) {
  const size_t plane = static_cast<size_t>(width) * height;
  for (size_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c) chw[c * plane + i] = hwc[3 * i + c];
}

}  // namespace data
}  // namespace cudagrad
