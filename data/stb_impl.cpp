// The stb_image and stb_image_write implementations, compiled once, here,
// with warnings off: third-party code, not ours to fix (see CMakeLists.txt).
#include "data/image.h"

// Refuse absurd sizes inside stb too, on top of our own header check.
#define STBI_MAX_DIMENSIONS cudagrad::data::kMaxImageSide
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
