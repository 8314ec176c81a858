// Reading JSON text into a Json value (report/json.h).
#include <cstdlib>
#include <string>

#include "engine/error.h"
#include "report/json.h"

namespace cudagrad {
namespace report {

namespace {

constexpr int kMaxDepth = 64;  // deeper nesting is refused rather than risking the stack

// Recursive descent. Every read goes through peek()/next(), which check the
// bounds, so truncated input fails with a message instead of reading past it.
class Parser {
 public:
  Parser(const std::string& text, const std::string& source) : s_(text), source_(source) {}

  Json document() {
    skip_space();
    Json v = value(0);
    skip_space();
    if (pos_ != s_.size()) fail("unexpected characters after the value");
    return v;
  }

 private:
  const std::string& s_;
  const std::string& source_;
  size_t pos_ = 0;

  [[noreturn]] void fail(const std::string& what) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      column = s_[i] == '\n' ? 1 : column + 1;
      line += s_[i] == '\n';
    }
    CG_FAIL(source_ << ": malformed JSON: " << what << " at line " << line << ", column "
                    << column);
  }
  char peek() const {
    if (pos_ >= s_.size()) fail("unexpected end of input");
    return s_[pos_];
  }
  char next() {
    const char c = peek();
    ++pos_;
    return c;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  void skip_space() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  void literal(const char* word) {
    for (const char* p = word; *p; ++p)
      if (next() != *p) fail(std::string("expected '") + word + "'");
  }

  Json value(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than 64 levels");
    const char c = peek();
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return Json(string());
    if (c == 't') {
      literal("true");
      return Json(true);
    }
    if (c == 'f') {
      literal("false");
      return Json(false);
    }
    if (c == 'n') {
      literal("null");
      return Json();
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    fail("expected a value");
  }

  Json object(int depth) {
    Json v = Json::object();
    expect('{');
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return v;
    }
    for (;;) {
      skip_space();
      if (peek() != '"') fail("expected a string key");
      std::string key = string();
      skip_space();
      expect(':');
      skip_space();
      v.set(key, value(depth + 1));
      skip_space();
      if (peek() == '}') {
        ++pos_;
        return v;
      }
      expect(',');
    }
  }

  Json array(int depth) {
    Json v = Json::array();
    expect('[');
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return v;
    }
    for (;;) {
      skip_space();
      v.push_back(value(depth + 1));
      skip_space();
      if (peek() == ']') {
        ++pos_;
        return v;
      }
      expect(',');
    }
  }

  // JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  // checked here, then converted by strtod.
  Json number() {
    const size_t start = pos_;
    auto digits = [&] {
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') fail("expected a digit");
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    };
    if (s_[pos_] == '-') ++pos_;
    if (peek() == '0')
      ++pos_;
    else
      digits();
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      digits();
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      digits();
    }
    return Json(std::strtod(s_.substr(start, pos_ - start).c_str(), nullptr));
  }

  unsigned hex4() {
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = next();
      code <<= 4;
      if (c >= '0' && c <= '9')
        code |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        code |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        code |= static_cast<unsigned>(c - 'A' + 10);
      else
        fail("expected four hex digits after \\u");
    }
    return code;
  }

  static void append_utf8(std::string& out, unsigned code) {
    auto byte = [&](unsigned b) { out += static_cast<char>(b); };
    if (code < 0x80) {
      byte(code);
    } else if (code < 0x800) {
      byte(0xC0 | (code >> 6)), byte(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      byte(0xE0 | (code >> 12)), byte(0x80 | ((code >> 6) & 0x3F)), byte(0x80 | (code & 0x3F));
    } else {
      byte(0xF0 | (code >> 18)), byte(0x80 | ((code >> 12) & 0x3F));
      byte(0x80 | ((code >> 6) & 0x3F)), byte(0x80 | (code & 0x3F));
    }
  }

  std::string string() {
    expect('"');
    std::string out;
    for (;;) {
      const char c = next();
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("raw control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      const char e = next();
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned code = hex4();
          // Characters beyond the first 64K arrive as a UTF-16 surrogate pair.
          if (code >= 0xDC00 && code <= 0xDFFF) fail("unpaired low surrogate");
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (next() != '\\' || next() != 'u') fail("high surrogate without a low one");
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("high surrogate without a low one");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, code);
          break;
        }
        default:
          fail(std::string("unknown escape \\") + e);
      }
    }
  }
};

}  // namespace

Json parse_json_text(const std::string& text, const std::string& source) {
  return Parser(text, source).document();
}

}  // namespace report
}  // namespace cudagrad
