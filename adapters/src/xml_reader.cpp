// libxml2 xmlTextReader behind adapters::xml::Reader (see xml_reader.hpp).
#include "xml_reader.hpp"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>

#include <regex>
#include <string_view>
#include <utility>

namespace aegis::adapters::xml {
namespace {

std::string trim(std::string_view s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// libxml2's schema messages quote the offending value ("Element 'UPN': [facet 'pattern'] The
// value 'A1' is not accepted..."). A value may be personal data, so it is cut out; element and
// type names stay.
std::string without_values(std::string message) {
  static const std::regex value_after_the_value("The value '[^']*'");
  static const std::regex value_after_element("^(Element '[^']*'(?: \\[[^\\]]*\\])?: )'[^']*'");
  message = std::regex_replace(message, value_after_the_value, "The value");
  message = std::regex_replace(message, value_after_element, "$1the value");
  return trim(message);
}

void on_error(void* user, xmlErrorPtr e) {
  auto* slot = static_cast<std::optional<FileError>*>(user);
  if (slot->has_value() || e == nullptr || e->level < XML_ERR_ERROR) return;  // keep the first
  const std::uint64_t line = e->line > 0 ? static_cast<std::uint64_t>(e->line) : 0;
  std::string text = without_values(e->message ? e->message : "unknown XML error");
  *slot = FileError{Location{line, {}}, "line " + std::to_string(line) + ": " + text};
}

}  // namespace

struct Reader::Impl {
  xmlTextReaderPtr reader = nullptr;
  ~Impl() {
    if (reader) xmlFreeTextReader(reader);
  }
};

Reader::Reader(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)), error_(std::make_unique<std::optional<FileError>>()) {}
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;
Reader::~Reader() = default;

protocol::Result<Reader, FileError> Reader::open(const std::filesystem::path& file,
                                                 const std::filesystem::path* schema) {
  // XML_PARSE_NONET: no network. No NOENT (entities are not substituted), no DTDLOAD (no
  // external DTD), no HUGE (libxml2's default limits on text and depth stay on).
  const int options = XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOCDATA;
  auto impl = std::make_unique<Impl>();
  impl->reader = xmlReaderForFile(file.c_str(), nullptr, options);
  if (!impl->reader) return FileError{{}, "cannot open the file"};
  Reader r(std::move(impl));
  xmlTextReaderSetStructuredErrorHandler(r.impl_->reader, on_error, r.error_.get());
  if (schema) {
    if (xmlTextReaderSchemaValidate(r.impl_->reader, schema->c_str()) != 0)
      return FileError{{}, "cannot load the XML schema " + schema->filename().string()};
  }
  return r;
}

bool Reader::next() {
  if (error_->has_value()) return false;
  const int rc = xmlTextReaderRead(impl_->reader);
  if (rc < 0 && !error_->has_value())
    *error_ = FileError{{line(), {}}, "line " + std::to_string(line()) + ": the XML cannot be read"};
  if (rc != 1 || error_->has_value()) {
    name_.clear();
    return false;
  }
  refresh();
  return true;
}

void Reader::refresh() {
  const xmlChar* n = xmlTextReaderConstLocalName(impl_->reader);
  name_ = n ? reinterpret_cast<const char*>(n) : "";
}

Reader::Node Reader::node() const {
  switch (xmlTextReaderNodeType(impl_->reader)) {
    case XML_READER_TYPE_ELEMENT: return Node::element;
    case XML_READER_TYPE_END_ELEMENT: return Node::end_element;
    case XML_READER_TYPE_TEXT:
    case XML_READER_TYPE_CDATA: return Node::text;
    default: return Node::other;
  }
}

int Reader::depth() const { return xmlTextReaderDepth(impl_->reader); }
bool Reader::empty_element() const { return xmlTextReaderIsEmptyElement(impl_->reader) == 1; }
std::uint64_t Reader::line() const {
  const int l = xmlTextReaderGetParserLineNumber(impl_->reader);
  return l > 0 ? static_cast<std::uint64_t>(l) : 0;
}

std::string Reader::read_text() {
  if (node() != Node::element) return {};
  if (empty_element()) return {};
  const int start = depth();
  std::string text;
  while (next()) {
    if (node() == Node::end_element && depth() == start) break;
    if (node() == Node::text) {
      const xmlChar* v = xmlTextReaderConstValue(impl_->reader);
      if (v) text += reinterpret_cast<const char*>(v);
    }
  }
  return trim(text);
}

void Reader::skip() {
  if (node() != Node::element || empty_element()) return;
  const int start = depth();
  while (next()) {
    if (node() == Node::end_element && depth() == start) return;
  }
}

}  // namespace aegis::adapters::xml
