// A deliberately small JSON reader and string escaper, just enough for the
// header of a safetensors file: objects, arrays, strings (with every escape,
// \uXXXX included) and integers. Floats, true/false and null are rejected,
// since a safetensors header never holds them and accepting them would only
// widen what a damaged file can smuggle in.
//
// Object members keep their order and duplicates are kept too, so that the
// caller can report a duplicated tensor name instead of silently losing one.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cudagrad {
namespace json {

struct Value {
  enum class Type { Object, Array, String, Integer };
  Type type = Type::Object;
  std::vector<std::pair<std::string, Value>> members;  // Object, in file order
  std::vector<Value> items;                             // Array
  std::string text;                                     // String (UTF-8)
  int64_t integer = 0;                                  // Integer

  bool is_object() const { return type == Type::Object; }
  bool is_array() const { return type == Type::Array; }
  bool is_string() const { return type == Type::String; }
  bool is_integer() const { return type == Type::Integer; }
  // The first member called key, or nullptr.
  const Value* find(const std::string& key) const;
};

const char* type_name(Value::Type type);  // "object", "array", ...

// Parses one JSON value that fills `text` apart from surrounding whitespace.
// Throws cudagrad::Error "<source>: ... at byte N" on any malformed input;
// nesting deeper than 64 levels is refused rather than risking the stack.
Value parse(const std::string& text, const std::string& source);

// `s` as a quoted JSON string: ", \ and control characters escaped, other
// bytes (UTF-8) written as they are.
std::string quote(const std::string& s);

}  // namespace json
}  // namespace cudagrad
