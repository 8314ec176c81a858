// stb_image and stb_image_write, compiled once for the report library, with
// warnings (and UBSan, which flags stb's left shifts of negative numbers)
// turned off for this file in CMakeLists.txt. Third-party code: not ours to
// fix. The two wrappers at the bottom are all the library uses of it.
#include "report/stb_bridge.h"

#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

namespace cudagrad {
namespace report {
namespace stb {

namespace {
void append(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), size);
}
}  // namespace

bool encode_png_rgb(const uint8_t* pixels, int width, int height, std::string* png) {
  png->clear();
  return stbi_write_png_to_func(append, png, width, height, 3, pixels, width * 3) != 0;
}

bool encode_jpeg_rgb(const uint8_t* pixels, int width, int height, int quality, std::string* jpeg) {
  jpeg->clear();
  return stbi_write_jpg_to_func(append, jpeg, width, height, 3, pixels, quality) != 0;
}

bool decode_rgb(const uint8_t* bytes, size_t size, int* width, int* height,
                std::vector<uint8_t>* pixels, std::string* reason) {
  int channels = 0;
  stbi_uc* data = stbi_load_from_memory(bytes, static_cast<int>(size), width, height, &channels, 3);
  if (!data) {
    *reason = stbi_failure_reason() ? stbi_failure_reason() : "unknown";
    return false;
  }
  pixels->assign(data, data + static_cast<size_t>(*width) * *height * 3);
  stbi_image_free(data);
  return true;
}

}  // namespace stb
}  // namespace report
}  // namespace cudagrad
