#include "report/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/error.h"

namespace cudagrad {
namespace report {

// ---- the value -----------------------------------------------------------------

const char* json_type_name(Json::Type type) {
  switch (type) {
    case Json::Type::Null:
      return "null";
    case Json::Type::Bool:
      return "a boolean";
    case Json::Type::Number:
      return "a number";
    case Json::Type::String:
      return "a string";
    case Json::Type::Array:
      return "an array";
    case Json::Type::Object:
      return "an object";
  }
  return "?";
}

Json Json::array() {
  Json j;
  j.type_ = Type::Array;
  return j;
}

Json Json::object() {
  Json j;
  j.type_ = Type::Object;
  return j;
}

Json& Json::push_back(Json item) {
  CG_CHECK(type_ == Type::Array, "JSON: push_back on " << json_type_name(type_));
  items_.push_back(std::move(item));
  return *this;
}

const std::vector<Json>& Json::items() const {
  CG_CHECK(type_ == Type::Array, "JSON: expected an array, found " << json_type_name(type_));
  return items_;
}

Json& Json::set(const std::string& key, Json value) {
  CG_CHECK(type_ == Type::Object, "JSON: set(\"" << key << "\") on " << json_type_name(type_));
  for (auto& member : members_)
    if (member.first == key) {
      member.second = std::move(value);
      return *this;
    }
  members_.emplace_back(key, std::move(value));
  return *this;
}

const std::vector<std::pair<std::string, Json>>& Json::members() const {
  CG_CHECK(type_ == Type::Object, "JSON: expected an object, found " << json_type_name(type_));
  return members_;
}

const Json* Json::find(const std::string& key) const {
  for (const auto& member : members())
    if (member.first == key) return &member.second;
  return nullptr;
}

const Json& Json::at(const std::string& key) const {
  const Json* value = find(key);
  CG_CHECK(value, "JSON: missing key \"" << key << "\"");
  return *value;
}

bool Json::as_bool() const {
  CG_CHECK(type_ == Type::Bool, "JSON: expected a boolean, found " << json_type_name(type_));
  return bool_;
}

double Json::as_number() const {
  CG_CHECK(type_ == Type::Number, "JSON: expected a number, found " << json_type_name(type_));
  return number_;
}

int64_t Json::as_integer() const {
  const double x = as_number();
  CG_CHECK(x == std::floor(x) && std::fabs(x) < 9.007199254740992e15,
           "JSON: expected a whole number, found " << x);
  return static_cast<int64_t>(x);
}

const std::string& Json::as_string() const {
  CG_CHECK(type_ == Type::String, "JSON: expected a string, found " << json_type_name(type_));
  return string_;
}

// ---- the writer ----------------------------------------------------------------

namespace {

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

bool is_scalar(const Json& v) {
  return v.type() != Json::Type::Array && v.type() != Json::Type::Object;
}

void write(const Json& v, int depth, std::string& out) {
  const std::string pad(2 * (depth + 1), ' '), close_pad(2 * depth, ' ');
  switch (v.type()) {
    case Json::Type::Null:
      out += "null";
      return;
    case Json::Type::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Json::Type::Number:
      out += format_number(v.as_number());
      return;
    case Json::Type::String:
      out += quote(v.as_string());
      return;
    case Json::Type::Array: {
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
    case Json::Type::Object: {
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

std::string to_json_text(const Json& value) {
  std::string out;
  write(value, 0, out);
  return out + "\n";
}

}  // namespace report
}  // namespace cudagrad
