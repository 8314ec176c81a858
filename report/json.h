// A small JSON value with a writer and a reader, for eval.json and friends.
//
// The engine's own reader (engine/json.h) accepts only what a safetensors
// header holds; evaluation results need fractions, true/false and null, so
// the report library carries this fuller one. Object members keep their
// insertion order, so a file reads in the order it was built.
//
// Numbers are doubles. The writer prints integers without a decimal point
// and other numbers with the fewest digits that read back to the same
// double, so a write/read round trip is exact. JSON has no NaN or infinity:
// they are written as null, which is how this library marks "undefined".
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cudagrad {
namespace report {

class Json {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  Json() = default;  // null
  Json(bool b) : type_(Type::Bool), bool_(b) {}
  Json(double x) : type_(Type::Number), number_(x) {}
  Json(int x) : Json(static_cast<double>(x)) {}
  Json(int64_t x) : Json(static_cast<double>(x)) {}
  Json(const char* s) : type_(Type::String), string_(s) {}
  Json(std::string s) : type_(Type::String), string_(std::move(s)) {}
  static Json array();
  static Json object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }

  // Arrays.
  Json& push_back(Json item);  // returns *this, so calls can be chained
  const std::vector<Json>& items() const;
  // Objects: set() replaces a member of the same name, or appends.
  Json& set(const std::string& key, Json value);
  const std::vector<std::pair<std::string, Json>>& members() const;
  const Json* find(const std::string& key) const;  // nullptr when absent
  const Json& at(const std::string& key) const;    // Error naming the key when absent

  // Typed reads: cudagrad::Error saying what was found instead.
  bool as_bool() const;
  double as_number() const;
  int64_t as_integer() const;  // a Number that is a whole number
  const std::string& as_string() const;

 private:
  Type type_ = Type::Null;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

const char* json_type_name(Json::Type type);  // "null", "number", ...

// Pretty-printed text ending in a newline. Arrays whose items are all
// scalars stay on one line (a confusion-matrix row reads as a row).
std::string to_json_text(const Json& value);

// Parses text holding exactly one JSON value. Throws cudagrad::Error
// "<source>: malformed JSON: ... at line L, column C" on bad input.
Json parse_json_text(const std::string& text, const std::string& source);

}  // namespace report
}  // namespace cudagrad
