// Training-time augmentation, per-channel normalization, and the fixed
// views used for test-time augmentation (TTA).
//
// Geometry (flips, rotation, zoom, shift, shear) is one affine map about
// the image centre, applied by inverse mapping: for each output pixel we
// compute where it comes from in the source and sample there bilinearly.
// Points that fall outside the source are filled by `fill`:
//   nearest   the closest edge pixel (Keras' default, seed 004)
//   reflect   mirrored at the edge: d c b a | a b c d | d c b a
//   constant  fill_value
// Then brightness and contrast. Every random draw comes from a generator
// seeded with (seed, epoch, image index), so an image's augmentation in a
// given epoch is the same whatever the batch order or thread count.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cudagrad {
namespace data {

enum class FillMode { nearest, reflect, constant };
std::string fill_mode_name(FillMode mode);  // "nearest", "reflect", "constant"
FillMode parse_fill_mode(const std::string& name);

struct AugmentOptions {
  bool horizontal_flip = false;  // each with probability 1/2
  bool vertical_flip = false;
  double rotation_degrees = 0;  // angle uniform in [-r, r]
  double zoom = 0;              // scale uniform in [1 - z, 1 + z], per axis (>1 enlarges)
  double shift = 0;             // offset uniform in [-s, s] times the width / height
  double shear_degrees = 0;     // shear angle uniform in [-s, s] (Keras' shear_range is in degrees)
  double brightness = 0;        // add uniform in [-b, b] times 255
  double contrast = 0;          // scale around the mean by uniform in [1 - c, 1 + c]
  FillMode fill = FillMode::nearest;
  uint8_t fill_value = 0;

  bool any() const;  // whether anything is enabled
};

// The tutorials' recipes (REFERENCE.md), by what they do:
//   none
//   flip-rotate              horizontal flip, rotation 60          (seed 003)
//   flip-zoom-shift-rotate   flip, zoom 0.3, shift 0.3, rotation 30 (seed 004)
//   flip-zoom-shear          flip, zoom 0.2, shear 0.2 degrees     (seed 002)
// An unknown name is an Error listing these.
AugmentOptions augment_preset(const std::string& name);

// One draw of the random parameters. All are drawn, in a fixed order,
// whatever is enabled, so turning one option on leaves the others' draws
// for the same (seed, epoch, index) unchanged.
struct AugmentParams {
  bool flip_x = false, flip_y = false;
  double angle = 0;  // radians, positive turns clockwise on screen
  double zoom_x = 1, zoom_y = 1;
  double shift_x = 0, shift_y = 0;  // fractions of width / height
  double shear = 0;                 // radians
  double brightness = 0;            // added, in 0..255 units
  double contrast = 1;              // factor
};
AugmentParams draw_augment_params(const AugmentOptions& options, uint64_t seed, int64_t epoch,
                                  int64_t index);

// Applies given parameters. src, dst: (height, width, 3), different buffers.
void apply_augment_params(const uint8_t* src, int width, int height, const AugmentParams& params,
                          FillMode fill, uint8_t fill_value, uint8_t* dst);

// draw_augment_params + apply_augment_params.
void augment_image(const uint8_t* src, int width, int height, const AugmentOptions& options,
                   uint64_t seed, int64_t epoch, int64_t index, uint8_t* dst);

// x -> (x / 255 - mean_c) / std_c, channel by channel.
struct Normalization {
  float mean[3] = {0.4914f, 0.4822f, 0.4465f};  // seed 003's values
  float std[3] = {0.2023f, 0.1994f, 0.2010f};
  static Normalization imagenet();  // (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
};

// (height, width, 3) uint8 -> (3, height, width) float, normalized.
void normalize_to_chw(const uint8_t* hwc, int width, int height, const Normalization& norm,
                      float* chw);

// Test-time augmentation: predictions averaged over fixed views of each
// image (seed 001 uses rotated copies).
enum class TtaView { identity, horizontal_flip, vertical_flip, rotate90, rotate180, rotate270 };

// The first n views of: identity, horizontal flip, vertical flip, rotate 180,
// rotate 90 (clockwise), rotate 270 (the quarter turns need a square image).
std::vector<TtaView> tta_views(int n);

// src, dst: (height, width, 3), different buffers.
void apply_tta_view(const uint8_t* src, int width, int height, TtaView view, uint8_t* dst);

}  // namespace data
}  // namespace cudagrad
