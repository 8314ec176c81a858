// A small writer of SVG, the XML dialect for vector drawings that browsers
// render inline in an HTML page. The report's charts are built with it.
//
// Why SVG and not pixels: the browser draws the lines and text at the
// screen's resolution (sharp when zoomed or printed), the text stays text
// (selectable, searchable, read by screen readers), and a chart of a few
// hundred shapes is a few kilobytes where a PNG of it is tens.
//
// The writer only produces well-formed XML: every attribute value and every
// text is escaped (a class may be named `<b&"x'>`), and elements are closed
// in the order they were opened. What the shapes mean is up to the caller.
//
//   SvgWriter svg(300, 200, "Loss");            // <svg width="300" ...><title>Loss</title>
//   svg.leaf("line", {{"x1", 10}, {"y1", 190}, {"x2", 290}, {"y2", 190}, {"stroke", "#5a5a5a"}});
//   svg.text(150, 20, "Loss", {{"text-anchor", "middle"}});
//   std::string document = svg.finish();        // ... </svg>
#pragma once
#include <string>
#include <vector>

namespace cudagrad {
namespace report {

// Text made safe for XML (and HTML): & < > " ' become entities; control
// characters other than tab and newline, which XML 1.0 forbids, and bytes
// that are not UTF-8, become U+FFFD (the replacement character).
std::string xml_escape(const std::string& text);

// A coordinate or length as SVG text: at most two decimals, trailing zeros
// dropped ("12", "12.5", "0.33"); no "-0"; non-finite values as "0".
std::string svg_number(double value);

// One attribute; the value is escaped when written.
struct SvgAttribute {
  SvgAttribute(std::string name, std::string value);
  SvgAttribute(std::string name, const char* value);
  SvgAttribute(std::string name, double value);  // written with svg_number
  SvgAttribute(std::string name, int value);     // (else a literal 0 could be a null char*)
  std::string name, value;
};
using SvgAttributes = std::vector<SvgAttribute>;

class SvgWriter {
 public:
  // Opens the root <svg> of the given size in CSS pixels (width, height
  // and a viewBox, so the page may scale it), with `title` as its first
  // child: a browser shows it as a tooltip and a screen reader says it.
  // `root_attributes` adds to the root element (a class, a font).
  SvgWriter(double width, double height, const std::string& title,
            const SvgAttributes& root_attributes = {});

  // <tag attributes>, closed by close().
  void open(const std::string& tag, const SvgAttributes& attributes = {});
  void close();
  // <tag attributes/>, an element without children.
  void leaf(const std::string& tag, const SvgAttributes& attributes);
  // <tag attributes>text</tag>.
  void element(const std::string& tag, const SvgAttributes& attributes, const std::string& text);
  // <text x y ...>text</text>.
  void text(double x, double y, const std::string& text, const SvgAttributes& attributes = {});

  // Closes whatever is still open and returns the document.
  std::string finish();

 private:
  void start_tag(const std::string& tag, const SvgAttributes& attributes);

  std::string out_;
  std::vector<std::string> open_;  // the tags of the elements not yet closed, innermost last
};

}  // namespace report
}  // namespace cudagrad
