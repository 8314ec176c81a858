// The hand-written JSON value, reader and writer that the command line in
// examples/ still uses (checkpoint metadata, config.json). Everything else
// reads and writes JSON through nlohmann-json (base/json.h); this file goes
// when the command line does too.
//
// Object members keep their file (or insertion) order, and the reader keeps
// duplicated names, so safetensors can report a tensor named twice instead
// of silently losing one. Integers written without a fraction or exponent
// stay exact 64-bit integers; other numbers are doubles. JSON has no NaN or
// infinity: the writer prints them as null, which marks "undefined".
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace cudagrad {
namespace json {

class Parser;  // engine/json.cpp

class Value {
 public:
  enum class Type { Null, Bool, Integer, Number, String, Array, Object };

  Value() = default;  // null
  Value(bool b) : type_(Type::Bool), bool_(b) {}
  Value(int x) : Value(static_cast<int64_t>(x)) {}
  Value(int64_t x) : type_(Type::Integer), integer_(x) {}
  Value(double x) : type_(Type::Number), number_(x) {}
  Value(const char* s) : type_(Type::String), string_(s) {}
  Value(std::string s) : type_(Type::String), string_(std::move(s)) {}
  static Value array();
  static Value object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_integer() const { return type_ == Type::Integer; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // Arrays.
  Value& push_back(Value item);  // returns *this, so calls can be chained
  const std::vector<Value>& items() const;
  // Objects: set() replaces the member of that name, or appends one.
  Value& set(const std::string& key, Value value);
  // Every member in order, duplicates included.
  const std::vector<std::pair<std::string, Value>>& members() const;
  const Value* find(const std::string& key) const;  // the last of that name, or nullptr
  const Value& at(const std::string& key) const;    // Error naming the key when absent

  // Typed reads: cudagrad::Error saying what was found instead.
  bool as_bool() const;
  double as_number() const;    // an Integer or a Number
  int64_t as_integer() const;  // an Integer, or a Number that is a whole number
  const std::string& as_string() const;

 private:
  friend class Parser;  // appends object members without set()'s replacing
  Type type_ = Type::Null;
  bool bool_ = false;
  int64_t integer_ = 0;
  double number_ = 0;
  std::string string_;
  std::vector<Value> items_;
  std::vector<std::pair<std::string, Value>> members_;
};

const char* type_name(Value::Type type);  // "null", "an integer", "an object", ...

// What the reader accepts: all of JSON, or only what a safetensors header
// holds (objects, arrays, strings and integers). Fractions, exponents,
// true/false and null have no place in a header, and accepting them would
// only widen what a damaged file can smuggle in.
enum class Grammar { Json, SafetensorsHeader };

// Parses text holding exactly one JSON value (whitespace around it allowed).
// Throws cudagrad::Error "<source>: malformed JSON: ... at line L, column C";
// nesting deeper than 64 levels is refused rather than risking the stack.
Value parse(const std::string& text, const std::string& source, Grammar grammar = Grammar::Json);

// Pretty-printed text ending in a newline. Arrays whose items are all
// scalars stay on one line (a confusion-matrix row reads as a row).
// Fractions are written with the fewest digits that read back exactly.
std::string to_text(const Value& value);

// `s` as a quoted JSON string: ", \ and control characters escaped, other
// bytes (UTF-8) written as they are.
std::string quote(const std::string& s);

// A Value as nlohmann's JSON (base/json.h), which the report library takes:
// nlohmann finds this function by argument-dependent lookup, so a Value
// converts where an nlohmann::ordered_json is expected.
void to_json(nlohmann::ordered_json& out, const Value& value);

}  // namespace json
}  // namespace cudagrad
