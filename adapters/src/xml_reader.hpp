// A streaming XML reader for the importers: a pull interface (next node, its name, depth, line)
// over libxml2, with memory bounded by a chunk of the file, not the file. Internal to adapters/.
// Two sources behind it: without a schema, libxml2's SAX2 push parser fed 64 KiB at a time
// (no tree is built: the CTF path, docs/adapters.md "Performance"); with a schema, its
// xmlTextReader, which validates against the XSD while it reads (the CIN path).
//
// Safe defaults for untrusted files: no network access, no external entities or DTD loading,
// no entity substitution, libxml2's default size limits (no XML_PARSE_HUGE). The first error
// libxml2 reports (well-formedness, encoding, schema validity) is kept with its line number
// and ends the read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aegis/adapters/adapter.hpp"

namespace aegis::adapters::xml {

class Reader {
 public:
  enum class Node { element, end_element, text, other };

  // Opens `file` for streaming. `schema` (optional): an XSD the document is validated against
  // while it is read; a validity error is reported like a well-formedness error.
  static protocol::Result<Reader, FileError> open(const std::filesystem::path& file,
                                                  const std::filesystem::path* schema = nullptr);
  // The same with the XSD given as its text (a schema compiled into the program, e.g. the CIN
  // census schema), so validation never depends on a file at run time.
  static protocol::Result<Reader, FileError> open(const std::filesystem::path& file,
                                                  std::string_view schema_xsd);
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;
  ~Reader();

  // Moves to the next node. False at the end of the document or on error (see error()).
  bool next();
  Node node() const;
  const std::string& name() const;  // local name of an element or end_element node
  int depth() const;                // 0 for the root element
  bool empty_element() const;       // <X/> read by the schema source: no end_element follows
  std::uint64_t line() const;       // line of the current node (1-based)

  // At an element: reads its text content and leaves the reader on its end (for leaf elements
  // such as <UPN>B801200005001</UPN>). Whitespace at both ends is trimmed.
  std::string read_text();
  // At an element: skips it and everything inside it.
  void skip();
  // At an element: calls `visit()` on each of its child elements. `visit` consumes the child
  // (read_text, skip, or a nested children()) and returns false to stop. True when the
  // element's end was reached; false when stopped or the document ended (see error()).
  template <typename Visit>
  bool children(Visit&& visit);

  // The first error met (not well-formed, bad encoding, schema-invalid), if any.
  const std::optional<FileError>& error() const { return *error_; }

  struct Source;  // where the nodes come from (xml_reader.cpp)

 private:
  explicit Reader(std::unique_ptr<Source> source);
  // libxml2's xmlTextReader over `file` (the source that can validate against a schema).
  static protocol::Result<Reader, FileError> open_tree(const std::filesystem::path& file);

  std::unique_ptr<Source> source_;
  std::unique_ptr<std::optional<FileError>> error_;  // stable address for libxml2's callback
};

template <typename Visit>
bool Reader::children(Visit&& visit) {
  if (node() != Node::element || empty_element()) return node() == Node::element;
  const int start = depth();
  while (next()) {
    if (node() == Node::end_element && depth() == start) return true;
    if (node() == Node::element && depth() == start + 1 && !visit()) return false;
  }
  return false;
}

// ---- What both XML parsers (CTF, CIN) do around their own elements ------------------------

// A whole-file error at `line` and element `path`: "line 3: CTfile/Header: DateTime missing".
FileError file_error(std::uint64_t line, std::string path, std::string_view what);
// A Sink refusal, reported at the reader's current line.
FileError sink_error(const Reader& r, const protocol::Error& e);
// Moves to the root element and checks its name: an error when the file holds no element or
// its root is another ("wrong root element (expected CTfile)").
std::optional<FileError> open_root(Reader& r, std::string_view root);
// After the root's children were visited (`root_complete`: the visit reached its end): reads to
// the end so that anything after the root, or a truncation, is noticed. The first of: the
// reader's error, the parser's own `stop`, "the file ends inside ROOT".
std::optional<FileError> finish_document(Reader& r, std::string_view root, bool root_complete,
                                         const std::optional<FileError>& stop);

}  // namespace aegis::adapters::xml
