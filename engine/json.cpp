#include "engine/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "base/error.h"

namespace cudagrad {
namespace json {

// ---- the value -----------------------------------------------------------------

const char* type_name(Value::Type type) {
  switch (type) {
    case Value::Type::Null:
      return "null";
    case Value::Type::Bool:
      return "a boolean";
    case Value::Type::Integer:
      return "an integer";
    case Value::Type::Number:
      return "a number";
    case Value::Type::String:
      return "a string";
    case Value::Type::Array:
      return "an array";
    case Value::Type::Object:
      return "an object";
  }
  return "?";
}

Value Value::array() {
  Value v;
  v.type_ = Type::Array;
  return v;
}

Value Value::object() {
  Value v;
  v.type_ = Type::Object;
  return v;
}

Value& Value::push_back(Value item) {
  CG_CHECK(type_ == Type::Array, "JSON: push_back on " << type_name(type_));
  items_.push_back(std::move(item));
  return *this;
}

const std::vector<Value>& Value::items() const {
  CG_CHECK(type_ == Type::Array, "JSON: expected an array, found " << type_name(type_));
  return items_;
}

Value& Value::set(const std::string& key, Value value) {
  CG_CHECK(type_ == Type::Object, "JSON: set(\"" << key << "\") on " << type_name(type_));
  for (auto& member : members_)
    if (member.first == key) {
      member.second = std::move(value);
      return *this;
    }
  members_.emplace_back(key, std::move(value));
  return *this;
}

const std::vector<std::pair<std::string, Value>>& Value::members() const {
  CG_CHECK(type_ == Type::Object, "JSON: expected an object, found " << type_name(type_));
  return members_;
}

const Value* Value::find(const std::string& key) const {
  const auto& all = members();
  for (auto it = all.rbegin(); it != all.rend(); ++it)
    if (it->first == key) return &it->second;
  return nullptr;
}

const Value& Value::at(const std::string& key) const {
  const Value* value = find(key);
  CG_CHECK(value, "JSON: missing key \"" << key << "\"");
  return *value;
}

bool Value::as_bool() const {
  CG_CHECK(type_ == Type::Bool, "JSON: expected a boolean, found " << type_name(type_));
  return bool_;
}

double Value::as_number() const {
  if (type_ == Type::Integer) return static_cast<double>(integer_);
  CG_CHECK(type_ == Type::Number, "JSON: expected a number, found " << type_name(type_));
  return number_;
}

int64_t Value::as_integer() const {
  if (type_ == Type::Integer) return integer_;
  const double x = as_number();
  CG_CHECK(x == std::floor(x) && std::fabs(x) < 9.007199254740992e15,
           "JSON: expected a whole number, found " << x);
  return static_cast<int64_t>(x);
}

const std::string& Value::as_string() const {
  CG_CHECK(type_ == Type::String, "JSON: expected a string, found " << type_name(type_));
  return string_;
}

// ---- the reader ----------------------------------------------------------------

constexpr int kMaxDepth = 64;

// Recursive descent over a byte string. Every read goes through peek() or
// next(), which check the bounds, so truncated input fails cleanly.
class Parser {
 public:
  Parser(const std::string& text, const std::string& source, Grammar grammar)
      : s_(text), source_(source), header_(grammar == Grammar::SafetensorsHeader) {}

  Value document() {
    skip_space();
    Value v = value(0);
    skip_space();
    if (pos_ != s_.size()) fail("unexpected trailing characters after the value");
    return v;
  }

 private:
  const std::string& s_;
  const std::string& source_;
  const bool header_;  // Grammar::SafetensorsHeader
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
  bool at_end() const { return pos_ >= s_.size(); }
  bool at_digit() const { return !at_end() && s_[pos_] >= '0' && s_[pos_] <= '9'; }
  char peek() const {
    if (at_end()) fail("unexpected end of input");
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
    while (!at_end() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  void literal(const char* word) {
    for (const char* p = word; *p; ++p)
      if (next() != *p) fail(std::string("expected '") + word + "'");
  }

  Value value(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than 64 levels");
    const char c = peek();
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return Value(string());
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    if (header_)
      fail("expected an object, array, string or integer (true, false, null are not accepted)");
    if (c == 't') {
      literal("true");
      return Value(true);
    }
    if (c == 'f') {
      literal("false");
      return Value(false);
    }
    if (c == 'n') {
      literal("null");
      return Value();
    }
    fail("expected a value");
  }

  Value object(int depth) {
    Value v = Value::object();
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
      v.members_.emplace_back(std::move(key), value(depth + 1));  // duplicates kept
      skip_space();
      if (peek() == '}') {
        ++pos_;
        return v;
      }
      expect(',');
    }
  }

  Value array(int depth) {
    Value v = Value::array();
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
  // An integer part alone is read exactly into 64 bits; anything else (or,
  // outside a header, an integer beyond 64 bits) is converted by strtod.
  Value number() {
    const size_t start = pos_;
    const bool negative = s_[pos_] == '-';
    if (negative) ++pos_;
    if (!at_digit()) fail("expected a digit");
    if (s_[pos_] == '0' && pos_ + 1 < s_.size() && s_[pos_ + 1] >= '0' && s_[pos_ + 1] <= '9')
      fail("leading zeros are not allowed");
    // Accumulated as a negative number, so that INT64_MIN is representable.
    const int64_t min = std::numeric_limits<int64_t>::min();
    int64_t value = 0;
    bool fits = true;
    for (; at_digit(); ++pos_) {
      const int digit = s_[pos_] - '0';
      fits = fits && value >= (min + digit) / 10;
      if (fits) value = value * 10 - digit;
    }
    fits = fits && (negative || value != min);
    const bool fraction = !at_end() && s_[pos_] == '.';
    const bool exponent = !at_end() && (s_[pos_] == 'e' || s_[pos_] == 'E');
    if (header_ && (fraction || exponent))
      fail("only integers are accepted, not fractions or exponents");
    if (header_ && !fits) fail("integer out of the 64-bit range");
    if (!fraction && !exponent && fits) return Value(negative ? value : -value);
    if (fraction) {
      ++pos_;
      if (!at_digit()) fail("expected a digit");
      while (at_digit()) ++pos_;
    }
    if (!at_end() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (!at_end() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!at_digit()) fail("expected a digit");
      while (at_digit()) ++pos_;
    }
    return Value(std::strtod(s_.substr(start, pos_ - start).c_str(), nullptr));
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
        case '\\':
        case '/':
          out += e;
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

Value parse(const std::string& text, const std::string& source, Grammar grammar) {
  return Parser(text, source, grammar).document();
}

// ---- the writer ----------------------------------------------------------------

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;  // UTF-8 passes through unchanged
        }
    }
  }
  return out + "\"";
}

namespace {

// The shortest "%.Ng" that strtod reads back as exactly x: 0.1 stays "0.1"
// instead of "0.10000000000000001", and no precision is lost.
std::string format_number(double x) {
  if (!std::isfinite(x)) return "null";
  if (x == std::floor(x) && std::fabs(x) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", x);
    return buf;
  }
  char buf[40];
  for (int digits = 15; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

bool is_scalar(const Value& v) { return !v.is_array() && !v.is_object(); }

void write(const Value& v, int depth, std::string& out) {
  const std::string pad(2 * (depth + 1), ' '), close_pad(2 * depth, ' ');
  switch (v.type()) {
    case Value::Type::Null:
      out += "null";
      return;
    case Value::Type::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Type::Integer:
      out += std::to_string(v.as_integer());
      return;
    case Value::Type::Number:
      out += format_number(v.as_number());
      return;
    case Value::Type::String:
      out += quote(v.as_string());
      return;
    case Value::Type::Array: {
      const auto& items = v.items();
      bool flat = true;
      for (const auto& item : items) flat = flat && is_scalar(item);
      out += "[";
      for (size_t i = 0; i < items.size(); ++i) {
        out += i ? "," : "";
        out += flat ? (i ? " " : "") : "\n" + pad;
        write(items[i], depth + 1, out);
      }
      if (!flat && !items.empty()) out += "\n" + close_pad;
      out += "]";
      return;
    }
    case Value::Type::Object: {
      const auto& members = v.members();
      out += "{";
      for (size_t i = 0; i < members.size(); ++i) {
        out += (i ? ",\n" : "\n") + pad + quote(members[i].first) + ": ";
        write(members[i].second, depth + 1, out);
      }
      if (!members.empty()) out += "\n" + close_pad;
      out += "}";
      return;
    }
  }
}

}  // namespace

std::string to_text(const Value& value) {
  std::string out;
  write(value, 0, out);
  return out + "\n";
}

void to_json(nlohmann::ordered_json& out, const Value& value) {
  switch (value.type()) {
    case Value::Type::Null:
      out = nullptr;
      return;
    case Value::Type::Bool:
      out = value.as_bool();
      return;
    case Value::Type::Integer:
      out = value.as_integer();
      return;
    case Value::Type::Number:
      out = value.as_number();
      return;
    case Value::Type::String:
      out = value.as_string();
      return;
    case Value::Type::Array:
      out = nlohmann::ordered_json::array();
      for (const Value& item : value.items()) out.push_back(item);
      return;
    case Value::Type::Object:
      out = nlohmann::ordered_json::object();
      for (const auto& member : value.members()) out[member.first] = member.second;
      return;
  }
}

}  // namespace json
}  // namespace cudagrad
