// libxml2 xmlTextReader behind adapters::xml::Reader (see xml_reader.hpp).
#include "xml_reader.hpp"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include <limits>
#include <regex>
#include <string_view>
#include <utility>

namespace aegis::adapters::xml {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string trim(std::string_view s) { return std::string(trimmed(s)); }

// libxml2's schema messages quote the offending value ("Element 'UPN': [facet 'pattern'] The
// value 'A1' is not accepted..."). A value may be personal data, so it is cut out; element and
// type names stay. A value may itself hold quotes or line breaks ("O'Brien"), so the cut runs to
// the last quote before the words that follow a value ("is not", "has a length"), across lines.
// An encoding error's dump of the offending bytes ("Bytes: 0xE9 0x20...") is cut too, and the
// message is made one line.
std::string without_values(std::string message) {
  static const std::regex value_after_the_value("The value '[\\s\\S]*'(?= (is|has) )");
  static const std::regex value_after_element(
      "^(Element '[^']*'(?:, attribute '[^']*')?(?: \\[[^\\]]*\\])?: )'[\\s\\S]*'(?= is )");
  static const std::regex byte_dump("\\s*Bytes: [\\s\\S]*$");
  static const std::regex line_breaks("\\s*[\\r\\n]\\s*");
  message = std::regex_replace(message, value_after_the_value, "The value");
  message = std::regex_replace(message, value_after_element, "$1the value");
  message = std::regex_replace(message, byte_dump, "");
  message = std::regex_replace(trim(message), line_breaks, " ");
  return message;
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
  xmlSchemaPtr schema = nullptr;  // open(file, schema_xsd): used by `reader`, so freed after it
  ~Impl() {
    if (reader) xmlFreeTextReader(reader);
    if (schema) xmlSchemaFree(schema);
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
  // external DTD), no HUGE (libxml2's default limits on text and depth stay on). BIG_LINES:
  // exact line numbers past 65535 (see line()).
  const int options =
      XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES;
  auto impl = std::make_unique<Impl>();
  xmlResetLastError();  // next() falls back on it (see there): nothing stale from another file
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

protocol::Result<Reader, FileError> Reader::open(const std::filesystem::path& file,
                                                 std::string_view schema_xsd) {
  auto opened = open(file);
  if (!opened) return opened;
  Reader r = std::move(opened).value();
  if (schema_xsd.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    return FileError{{}, "the XML schema is too large"};
  std::optional<FileError> schema_error;  // the schema's own first error, kept off stderr
  xmlSchemaParserCtxtPtr parser =
      xmlSchemaNewMemParserCtxt(schema_xsd.data(), static_cast<int>(schema_xsd.size()));
  if (!parser) return FileError{{}, "cannot load the XML schema"};
  xmlSchemaSetParserStructuredErrors(parser, on_error, &schema_error);
  r.impl_->schema = xmlSchemaParse(parser);
  xmlSchemaFreeParserCtxt(parser);
  xmlResetLastError();  // nothing of the schema's own parse may pass for the file's error
  if (!r.impl_->schema)
    return FileError{{}, "cannot load the XML schema" +
                             (schema_error ? " (" + schema_error->message + ")" : std::string())};
  if (xmlTextReaderSetSchema(r.impl_->reader, r.impl_->schema) != 0)
    return FileError{{}, "cannot validate against the XML schema"};
  return r;
}

bool Reader::next() {
  if (error_->has_value()) return false;
  const int rc = xmlTextReaderRead(impl_->reader);
  // With a schema set, libxml2 (2.9) routes well-formedness and encoding errors past the
  // reader's error handler (the schema's SAX plug drops it); they are still recorded as the
  // thread's last error, so that is where the reason comes from then.
  if (rc < 0 && !error_->has_value()) on_error(error_.get(), xmlGetLastError());
  if (rc < 0 && !error_->has_value())
    *error_ = FileError{{line(), {}}, "line " + std::to_string(line()) + ": the XML cannot be read"};
  if (rc != 1 || error_->has_value()) {
    node_ = Node::other;
    depth_ = 0;
    name_.clear();
    return false;
  }
  refresh();
  return true;
}

void Reader::refresh() {
  switch (xmlTextReaderNodeType(impl_->reader)) {
    case XML_READER_TYPE_ELEMENT: node_ = Node::element; break;
    case XML_READER_TYPE_END_ELEMENT: node_ = Node::end_element; break;
    case XML_READER_TYPE_TEXT:
    case XML_READER_TYPE_CDATA: node_ = Node::text; break;
    default: node_ = Node::other;
  }
  depth_ = xmlTextReaderDepth(impl_->reader);
  const xmlChar* n = xmlTextReaderConstLocalName(impl_->reader);
  name_ = n ? reinterpret_cast<const char*>(n) : "";
}
bool Reader::empty_element() const { return xmlTextReaderIsEmptyElement(impl_->reader) == 1; }
// The parser reads ahead of the current node (by up to a chunk), so its line number is not the
// node's: the node's own line is used. libxml2 stores at most 65535 there; past that,
// XML_PARSE_BIG_LINES keeps a text node's exact line and xmlGetLineNo finds it through the
// element's text (exact for leaf elements, the first text line inside for others).
std::uint64_t Reader::line() const {
  if (const xmlNode* n = xmlTextReaderCurrentNode(impl_->reader)) {
    const long l = xmlGetLineNo(n);
    if (l > 0) return static_cast<std::uint64_t>(l);
  }
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
  // Trimmed in place: no second copy.
  const std::string_view kept = trimmed(text);
  if (kept.size() != text.size()) {
    text.erase(0, static_cast<std::size_t>(kept.data() - text.data()));
    text.resize(kept.size());
  }
  return text;
}

void Reader::skip() {
  if (node() != Node::element || empty_element()) return;
  const int start = depth();
  while (next()) {
    if (node() == Node::end_element && depth() == start) return;
  }
}

FileError file_error(std::uint64_t line, std::string path, std::string_view what) {
  std::string message = "line " + std::to_string(line) + ": " + path + ": " + std::string(what);
  return FileError{Location{line, std::move(path)}, std::move(message)};
}

FileError sink_error(const Reader& r, const protocol::Error& e) {
  return FileError{Location{r.line(), {}}, "line " + std::to_string(r.line()) + ": " + e.message()};
}

std::optional<FileError> open_root(Reader& r, std::string_view root) {
  bool found = false;
  while (r.next()) {
    if (r.node() == Reader::Node::element) {
      found = true;
      break;
    }
  }
  if (r.error()) return *r.error();
  if (!found) return FileError{{}, "the file holds no XML element"};
  if (r.name() != root)
    return FileError{Location{r.line(), {}}, "line " + std::to_string(r.line()) +
                                                 ": wrong root element (expected " +
                                                 std::string(root) + ")"};
  return std::nullopt;
}

std::optional<FileError> finish_document(Reader& r, std::string_view root, bool root_complete,
                                         const std::optional<FileError>& stop) {
  if (root_complete) {
    while (r.next()) {
    }
  }
  if (r.error()) return *r.error();
  if (stop) return *stop;
  if (!root_complete) return FileError{{}, "the file ends inside " + std::string(root)};
  return std::nullopt;
}

}  // namespace aegis::adapters::xml
