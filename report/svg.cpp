#include "report/svg.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "base/error.h"

namespace cudagrad {
namespace report {

namespace {

const char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// The length of the well-formed UTF-8 sequence starting at text[i], or 0
// when it is not one (a stray continuation byte, a sequence cut short, an
// overlong encoding, a UTF-16 surrogate, a code point past U+10FFFF, or
// U+FFFE / U+FFFF, which XML does not allow either).
size_t utf8_sequence_length(const std::string& text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length;
  uint32_t code;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};  // below it: overlong
  if (code < smallest[length] || code > 0x10FFFF) return 0;
  if ((code >= 0xD800 && code <= 0xDFFF) || code == 0xFFFE || code == 0xFFFF) return 0;
  return length;
}

// Tag and attribute names come from this library's code, never from data,
// so a bad one is a bug here; checking them keeps the output well-formed.
void check_name(const std::string& name) {
  bool ok = !name.empty() && std::isalpha(static_cast<unsigned char>(name[0]));
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':');
  CG_CHECK(ok, "SvgWriter: '" << name << "' is not an XML name");
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    const size_t length = utf8_sequence_length(text, i);
    if (length == 0) {  // not UTF-8: replace this one byte and go on
      out += kReplacement;
      ++i;
      continue;
    }
    if (length > 1) {
      out.append(text, i, length);
      i += length;
      continue;
    }
    ++i;
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";  // &apos; is not HTML 4's; the number means the same everywhere
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
          out += kReplacement;
        else
          out += c;
    }
  }
  return out;
}

std::string svg_number(double value) {
  if (!std::isfinite(value)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", value);
  std::string s = buf;
  s.erase(s.find_last_not_of('0') + 1);  // "12.50" -> "12.5", "12.00" -> "12."
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

SvgAttribute::SvgAttribute(std::string n, std::string v)
    : name(std::move(n)), value(std::move(v)) {}
SvgAttribute::SvgAttribute(std::string n, const char* v) : name(std::move(n)), value(v) {}
SvgAttribute::SvgAttribute(std::string n, double v) : name(std::move(n)), value(svg_number(v)) {}
SvgAttribute::SvgAttribute(std::string n, int v) : name(std::move(n)), value(std::to_string(v)) {}

SvgWriter::SvgWriter(double width, double height, const std::string& title,
                     const SvgAttributes& root_attributes) {
  // The namespace makes the same text a valid .svg file; inside HTML it is
  // allowed and changes nothing. It names SVG; nothing is fetched from it.
  SvgAttributes root = {{"xmlns", "http://www.w3.org/2000/svg"},
                        {"width", width},
                        {"height", height},
                        {"viewBox", "0 0 " + svg_number(width) + " " + svg_number(height)},
                        {"role", "img"}};
  root.insert(root.end(), root_attributes.begin(), root_attributes.end());
  open("svg", root);
  element("title", {}, title);
}

void SvgWriter::start_tag(const std::string& tag, const SvgAttributes& attributes) {
  CG_CHECK(!open_.empty() || out_.empty(), "SvgWriter: an element after the root was closed");
  check_name(tag);
  out_ += "<" + tag;
  for (const SvgAttribute& a : attributes) {
    check_name(a.name);
    out_ += " " + a.name + "=\"" + xml_escape(a.value) + "\"";
  }
}

void SvgWriter::open(const std::string& tag, const SvgAttributes& attributes) {
  start_tag(tag, attributes);
  out_ += ">\n";
  open_.push_back(tag);
}

void SvgWriter::close() {
  CG_CHECK(!open_.empty(), "SvgWriter: close() with no element open");
  out_ += "</" + open_.back() + ">\n";
  open_.pop_back();
}

void SvgWriter::leaf(const std::string& tag, const SvgAttributes& attributes) {
  start_tag(tag, attributes);
  out_ += "/>\n";
}

void SvgWriter::element(const std::string& tag, const SvgAttributes& attributes,
                        const std::string& text) {
  start_tag(tag, attributes);
  out_ += ">" + xml_escape(text) + "</" + tag + ">\n";
}

void SvgWriter::text(double x, double y, const std::string& text, const SvgAttributes& attributes) {
  SvgAttributes all = {{"x", x}, {"y", y}};
  all.insert(all.end(), attributes.begin(), attributes.end());
  element("text", all, text);
}

std::string SvgWriter::finish() {
  while (!open_.empty()) close();
  return out_;
}

}  // namespace report
}  // namespace cudagrad
