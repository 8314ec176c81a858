// JSON through nlohmann::json (Debian: nlohmann-json3-dev), for safetensors
// headers, checkpoint metadata, eval.json and the report.
//
// cudagrad uses nlohmann::ordered_json, which keeps an object's members in
// the order they were written or read: eval.json reads top to bottom in the
// order the code builds it. The helpers below add what the library leaves
// to its user: errors that are cudagrad::Error and name the file, and a
// writer whose output a person can read.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace cudagrad {

using Json = nlohmann::ordered_json;

namespace json {

// Parses text holding exactly one JSON value (whitespace around it allowed).
// Throws cudagrad::Error "<source>: malformed JSON: <what and where>".
// `callback` (nlohmann's parser callback) may refuse parts of the grammar
// by throwing; safetensors uses it for its narrower header grammar.
Json parse(const std::string& text, const std::string& source,
           const Json::parser_callback_t& callback = nullptr);

// Pretty-printed text ending in a newline, two spaces per level. Arrays whose
// items are all scalars stay on one line, so a confusion-matrix row reads as
// a row. Numbers read back exactly; NaN and infinity, which JSON lacks, are
// written as null ("undefined"). A string that is not valid UTF-8 is an Error.
std::string to_text(const Json& value);

// The shortest text: no spaces, no newline (a safetensors header).
std::string to_compact_text(const Json& value);

// "null", "a boolean", "an integer", "a number", "a string", "an array",
// "an object": what a message says it found.
const char* type_name(const Json& value);

// Typed reads of object members; an Error naming `source` and the key when
// the member is missing or of another type.
const Json& member(const Json& object, const std::string& key, const std::string& source);
double number_at(const Json& object, const std::string& key, const std::string& source);
int64_t integer_at(const Json& object, const std::string& key, const std::string& source);
std::string string_at(const Json& object, const std::string& key, const std::string& source);

}  // namespace json
}  // namespace cudagrad
