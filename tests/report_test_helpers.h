// Helpers shared by the report library's tests: a scratch folder, a
// base64 decoder (to get embedded images back out of the HTML page) and an
// XML parser (expat) that turns a chart's SVG into a tree to inspect.
#pragma once
#include <expat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace report_test {

namespace fs = std::filesystem;

// One folder per process (ctest runs test cases as separate processes,
// possibly in parallel), removed when the process exits.
inline const fs::path& scratch_dir() {
  struct Dir {
    fs::path path = fs::temp_directory_path() / ("cudagrad_report_" + std::to_string(::getpid()));
    Dir() { fs::create_directories(path); }
    ~Dir() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  };
  static Dir dir;
  return dir.path;
}

// A fresh empty sub-folder of the scratch folder.
inline std::string fresh_dir(const std::string& name) {
  const fs::path p = scratch_dir() / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

inline std::vector<std::string> file_names_in(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

inline std::string base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) break;  // '=' padding ends the data
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

// ---- XML -----------------------------------------------------------------------------

// One element of a parsed document: its name, attributes and children, and
// its text (character data directly inside it, entities decoded).
struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::vector<std::unique_ptr<XmlElement>> children;
  std::string text;

  bool has(const std::string& attribute) const { return attributes.count(attribute) > 0; }
  std::string at(const std::string& attribute) const {
    const auto it = attributes.find(attribute);
    return it == attributes.end() ? "" : it->second;
  }
  double number(const std::string& attribute) const {
    return std::strtod(at(attribute).c_str(), nullptr);
  }
  // The first child element named `tag`, or nullptr.
  const XmlElement* child(const std::string& tag) const {
    for (const auto& c : children)
      if (c->name == tag) return c.get();
    return nullptr;
  }
  // Every element named `tag` at any depth below this one, in document order.
  std::vector<const XmlElement*> all(const std::string& tag) const {
    std::vector<const XmlElement*> found;
    for (const auto& c : children) {
      if (c->name == tag) found.push_back(c.get());
      for (const XmlElement* below : c->all(tag)) found.push_back(below);
    }
    return found;
  }
  // The elements below this one whose attribute `attribute` is `value`.
  std::vector<const XmlElement*> with(const std::string& attribute,
                                      const std::string& value) const {
    std::vector<const XmlElement*> found;
    for (const auto& c : children) {
      if (c->at(attribute) == value) found.push_back(c.get());
      for (const XmlElement* below : c->with(attribute, value)) found.push_back(below);
    }
    return found;
  }
  // The texts of every <text> element below, in document order.
  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const XmlElement* t : all("text")) out.push_back(t->text);
    return out;
  }
};

// Parses a whole XML document with expat, a conforming parser: a document
// that is not well-formed (a raw '<' or '&' in a text, an unclosed element,
// bad UTF-8) throws std::runtime_error with expat's reason and line.
inline std::unique_ptr<XmlElement> parse_xml(const std::string& document) {
  struct State {
    std::unique_ptr<XmlElement> root;
    std::vector<XmlElement*> open;
  } state;
  XML_Parser parser = XML_ParserCreate("UTF-8");
  XML_SetUserData(parser, &state);
  XML_SetElementHandler(
      parser,
      [](void* data, const XML_Char* name, const XML_Char** attributes) {
        State& s = *static_cast<State*>(data);
        auto element = std::make_unique<XmlElement>();
        element->name = name;
        for (int i = 0; attributes[i]; i += 2)
          element->attributes[attributes[i]] = attributes[i + 1];
        XmlElement* raw = element.get();
        if (s.open.empty())
          s.root = std::move(element);
        else
          s.open.back()->children.push_back(std::move(element));
        s.open.push_back(raw);
      },
      [](void* data, const XML_Char*) { static_cast<State*>(data)->open.pop_back(); });
  XML_SetCharacterDataHandler(parser, [](void* data, const XML_Char* text, int length) {
    State& s = *static_cast<State*>(data);
    if (!s.open.empty()) s.open.back()->text.append(text, static_cast<size_t>(length));
  });
  const bool ok =
      XML_Parse(parser, document.data(), static_cast<int>(document.size()), 1) != XML_STATUS_ERROR;
  const std::string reason = ok ? ""
                                : std::string(XML_ErrorString(XML_GetErrorCode(parser))) +
                                      " at line " +
                                      std::to_string(XML_GetCurrentLineNumber(parser));
  XML_ParserFree(parser);
  if (!ok) throw std::runtime_error("not well-formed XML: " + reason);
  return std::move(state.root);
}

// The <svg>...</svg> elements of an HTML page, as text with the line end
// after each (as the chart functions return them), in page order.
inline std::vector<std::string> svg_elements_of(const std::string& html) {
  std::vector<std::string> found;
  for (size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) {
    // The charts never nest one <svg> in another, so the first "</svg>" closes it.
    size_t end = html.find("</svg>", at);
    if (end == std::string::npos) break;
    end += 6;
    if (end < html.size() && html[end] == '\n') ++end;
    found.push_back(html.substr(at, end - at));
    at = end - 1;
  }
  return found;
}

}  // namespace report_test
