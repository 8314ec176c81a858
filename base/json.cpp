#include "base/json.h"

#include <cmath>
#include <cstring>

#include "base/error.h"

namespace cudagrad {
namespace json {

namespace {

// nlohmann's messages start "[json.exception.parse_error.101] "; the
// bracketed id means nothing to a user.
std::string without_id(const char* what) {
  const char* end = std::strchr(what, ']');
  return end && what[0] == '[' ? std::string(end + (end[1] == ' ' ? 2 : 1)) : std::string(what);
}

std::string dump(const Json& value, int indent) {
  try {
    return value.dump(indent, ' ', false, Json::error_handler_t::strict);
  } catch (const Json::exception& e) {
    throw Error("JSON: cannot write " + without_id(e.what()));
  }
}

bool is_scalar(const Json& v) { return !v.is_array() && !v.is_object(); }

void write(const Json& v, int depth, std::string& out) {
  const std::string pad(2 * (depth + 1), ' '), close_pad(2 * depth, ' ');
  if (v.is_array()) {
    bool flat = true;
    for (const auto& item : v) flat = flat && is_scalar(item);
    out += "[";
    for (size_t i = 0; i < v.size(); ++i) {
      out += i ? "," : "";
      out += flat ? (i ? " " : "") : "\n" + pad;
      write(v[i], depth + 1, out);
    }
    if (!flat && !v.empty()) out += "\n" + close_pad;
    out += "]";
  } else if (v.is_object()) {
    out += "{";
    bool first = true;
    for (const auto& member : v.items()) {
      out += (first ? "\n" : ",\n") + pad + dump(Json(member.key()), -1) + ": ";
      write(member.value(), depth + 1, out);
      first = false;
    }
    if (!v.empty()) out += "\n" + close_pad;
    out += "}";
  } else {
    out += dump(v, -1);  // a scalar: nlohmann writes NaN and infinity as null
  }
}

[[noreturn]] void wrong_type(const std::string& source, const std::string& key,
                             const char* expected, const Json& found) {
  throw Error(source + ": '" + key + "' must be " + expected + ", found " + type_name(found));
}

}  // namespace

Json parse(const std::string& text, const std::string& source,
           const Json::parser_callback_t& callback) {
  try {
    return Json::parse(text, callback);
  } catch (const Json::exception& e) {
    throw Error(source + ": malformed JSON: " + without_id(e.what()));
  }
}

std::string to_text(const Json& value) {
  std::string out;
  write(value, 0, out);
  return out + "\n";
}

std::string to_compact_text(const Json& value) { return dump(value, -1); }

const char* type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a number";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return "binary data";
  }
}

const Json& member(const Json& object, const std::string& key, const std::string& source) {
  if (!object.is_object())
    throw Error(source + ": expected an object holding '" + key + "', found " + type_name(object));
  const auto it = object.find(key);
  if (it == object.end()) throw Error(source + ": missing '" + key + "'");
  return *it;
}

double number_at(const Json& object, const std::string& key, const std::string& source) {
  const Json& v = member(object, key, source);
  if (!v.is_number()) wrong_type(source, key, "a number", v);
  return v.get<double>();
}

int64_t integer_at(const Json& object, const std::string& key, const std::string& source) {
  const Json& v = member(object, key, source);
  // A whole number written as 3.0 counts; 3.5 or a count beyond int64 does not.
  if (v.is_number_float()) {
    const double x = v.get<double>();
    if (x == std::floor(x) && std::fabs(x) < 9.2e18) return static_cast<int64_t>(x);
  } else if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) return v.get<int64_t>();
  } else if (v.is_number_integer()) {
    return v.get<int64_t>();
  }
  wrong_type(source, key, "an integer", v);
}

std::string string_at(const Json& object, const std::string& key, const std::string& source) {
  const Json& v = member(object, key, source);
  if (!v.is_string()) wrong_type(source, key, "a string", v);
  return v.get<std::string>();
}

}  // namespace json
}  // namespace cudagrad
