// A small bitmap font for labelling charts: every printable ASCII
// character as 5 x 7 pixels, drawn for this project. Capitals and digits
// fill the 7 rows; lowercase letters sit on the same baseline with an
// x-height of 5 rows, and g, p, q, y hang 2 rows below it. So one line of
// text is kGlyphCellHeight = 9 rows tall; characters advance 6 columns
// (5 of glyph, 1 of space).
#pragma once

namespace cudagrad {
namespace report {

constexpr int kGlyphWidth = 5;
constexpr int kGlyphAdvance = 6;     // glyph + one blank column
constexpr int kGlyphCellHeight = 9;  // 7 rows + 2 for descenders

// Whether pixel (x, y) of character c's cell is ink, for x in [0, 5) and
// y in [0, 9). Characters outside printable ASCII draw as '?'.
bool glyph_pixel(char c, int x, int y);

}  // namespace report
}  // namespace cudagrad
