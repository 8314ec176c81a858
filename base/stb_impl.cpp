// stb_image and stb_image_write (Debian: libstb-dev), compiled once for the
// whole program, here at the bottom so that the data pipeline (decoding
// images) and the report (writing PNG and JPEG) call the same copy.
// Third-party code, not ours to fix: this file alone is compiled with
// warnings off, and without UBSan, which flags stb's left shifts of negative
// numbers (GCC defines them); see base/CMakeLists.txt.
//
// Users include <stb_image.h> / <stb_image_write.h> as plain headers.

// Refuse absurd sizes inside stb too: the same limit as data/image.h's
// kMaxImageSide, which the data pipeline checks before stb is called.
#define STBI_MAX_DIMENSIONS 16384
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
