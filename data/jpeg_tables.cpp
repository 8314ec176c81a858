// A pre-check of a JPEG's Huffman tables for the stb_image path.
//
// The stb_image in Debian 12 (a 2022 snapshot) trusts two things a damaged
// file can get wrong, and both were found by fuzz/fuzz_image:
//  - a scan may name a Huffman table that no DHT segment defined; stb then
//    decodes with a table it never initialised and reads wild memory;
//  - a DHT segment's 16 code-length counts may add up to more than the 256
//    symbols a table holds; stb writes the excess past the table's arrays.
// So before stb sees a JPEG we walk its segments: DHT marks tables defined
// and checks the counts, SOS checks that the tables its components use are
// defined, and the entropy-coded data after an SOS is skipped to the next
// marker. TurboJPEG checks all this itself.
#include <algorithm>
#include <cstdint>
#include <string>

#include "data/image_internal.h"

namespace cudagrad {
namespace data {
namespace detail {

namespace {

size_t be16(const uint8_t* d, size_t i) { return (size_t(d[i]) << 8) | d[i + 1]; }

// The offset of the first marker after entropy-coded data starting at i:
// FF 00 is a stuffed data byte, FF D0..D7 a restart marker inside the scan,
// and runs of FF are fill.
size_t skip_entropy_data(const uint8_t* d, size_t n, size_t i) {
  while (i + 1 < n) {
    if (d[i] != 0xFF) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < n && d[j] == 0xFF) ++j;
    if (j >= n) return n;
    if (d[j] != 0x00 && !(d[j] >= 0xD0 && d[j] <= 0xD7)) return j - 1;
    i = j + 1;
  }
  return n;
}

}  // namespace

std::string jpeg_table_error(const uint8_t* d, size_t n) {
  bool dc_defined[4] = {}, ac_defined[4] = {};
  bool progressive = false;
  size_t i = 2;  // after the start-of-image marker FF D8
  while (i + 4 <= n) {
    if (d[i] != 0xFF || d[i + 1] == 0xFF) {  // stb skips stray and fill bytes between segments
      ++i;
      continue;
    }
    const uint8_t marker = d[i + 1];
    if (marker == 0xD9) return "";  // end of image
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length field
      i += 2;
      continue;
    }
    const size_t length = be16(d, i + 2);  // counts itself, not the marker
    const size_t end = std::min(n, i + 2 + length);
    if (marker == 0xC2) progressive = true;
    if (marker == 0xC4) {  // DHT: one or more tables
      for (size_t p = i + 4; p + 17 <= end;) {
        const int table_class = d[p] >> 4, id = d[p] & 15;
        size_t symbols = 0;
        for (int k = 1; k <= 16; ++k) symbols += d[p + k];
        if (symbols > 256)
          return "a Huffman table lists " + std::to_string(symbols) + " codes, at most 256 exist";
        if (id < 4 && table_class <= 1) (table_class == 0 ? dc_defined : ac_defined)[id] = true;
        p += 17 + symbols;
      }
    }
    if (marker == 0xDA && i + 5 <= n) {  // SOS: components, then Ss, Se, Ah/Al
      const size_t components = d[i + 4];
      const size_t spectral = i + 5 + 2 * components;
      if (spectral + 3 <= n) {
        const int ss = d[spectral], se = d[spectral + 1], ah = d[spectral + 2] >> 4;
        // Baseline scans use both tables; progressive ones only what they code.
        const bool uses_dc = !progressive || (ss == 0 && ah == 0);
        const bool uses_ac = !progressive || se > 0;
        for (size_t c = 0; c < components; ++c) {
          const int dc = d[i + 6 + 2 * c] >> 4, ac = d[i + 6 + 2 * c] & 15;
          if ((uses_dc && dc < 4 && !dc_defined[dc]) || (uses_ac && ac < 4 && !ac_defined[ac]))
            return "a scan uses a Huffman table that was never defined";
        }
      }
      i = skip_entropy_data(d, n, i + 2 + length);
      continue;
    }
    i += 2 + length;
  }
  return "";
}

}  // namespace detail
}  // namespace data
}  // namespace cudagrad
