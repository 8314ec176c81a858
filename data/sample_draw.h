// Drawing one synthetic dermoscopy picture (used by sample_data.cpp).
#pragma once
#include <cstdint>

#include "data/image.h"

namespace cudagrad {
namespace data {
namespace detail {

// What stays the same across the pictures of one lesion.
struct LesionLook {
  int dx = 0;                // 0..6: akiec bcc bkl df mel nv vasc
  double radius = 100;       // pixels
  double amplitude[4] = {};  // border wobble, harmonics 2..5 (relative to radius)
  double phase[4] = {};
  double skin[3] = {225, 180, 160};
  uint64_t texture_seed = 0;
};

// What changes from one picture to the next: the dermatoscope's position.
struct PictureView {
  double angle = 0;  // radians
  double scale = 1;
  double dx = 0, dy = 0;  // centre offset, pixels
  double light = 1;       // overall brightness factor
  int hairs = 0;
  uint64_t noise_seed = 0;
};

LesionLook random_lesion(int dx, uint64_t seed);
PictureView random_view(uint64_t seed);
Image draw_lesion(const LesionLook& lesion, const PictureView& view, int width = 600,
                  int height = 450);

}  // namespace detail
}  // namespace data
}  // namespace cudagrad
