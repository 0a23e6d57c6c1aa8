// libxml2 xmlTextReader behind adapters::xml::Reader (see xml_reader.hpp).
#include "xml_reader.hpp"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include <cstdio>
#include <limits>
#include <memory>
#include <regex>
#include <string_view>
#include <utility>
#include <vector>

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

// Where Reader's nodes come from: an element, its end, a text, each with its depth and line.
struct Reader::Source {
  virtual ~Source() = default;
  // Moves to the next node; false at the end of the document or once `error` holds an error.
  virtual bool next(std::optional<FileError>& error) = 0;
  virtual Node node() const = 0;
  virtual const std::string& name() const = 0;
  virtual int depth() const = 0;
  virtual bool empty_element() const = 0;
  virtual std::uint64_t line() const = 0;
  virtual std::string_view text() const = 0;  // of a text node
};

namespace {

using Node = Reader::Node;

// XML_PARSE_NONET: no network. No NOENT (entities are not substituted), no DTDLOAD (no external
// DTD), no HUGE (libxml2's default limits on text and depth stay on). BIG_LINES: exact line
// numbers past 65535 in the tree (see TreeSource::line()).
constexpr int kOptions = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES;

// libxml2's xmlTextReader: builds (and frees) a node per element and text; it can validate
// against an XSD while it reads.
class TreeSource final : public Reader::Source {
 public:
  ~TreeSource() override {
    if (reader) xmlFreeTextReader(reader);
    if (schema) xmlSchemaFree(schema);
  }

  bool next(std::optional<FileError>& error) override {
    if (error.has_value()) return false;
    const int rc = xmlTextReaderRead(reader);
    // With a schema set, libxml2 (2.9) routes well-formedness and encoding errors past the
    // reader's error handler (the schema's SAX plug drops it); they are still recorded as the
    // thread's last error, so that is where the reason comes from then.
    if (rc < 0 && !error.has_value()) on_error(&error, xmlGetLastError());
    if (rc < 0 && !error.has_value())
      error = FileError{{line(), {}}, "line " + std::to_string(line()) + ": the XML cannot be read"};
    if (rc != 1 || error.has_value()) {
      node_ = Node::other;
      depth_ = 0;
      name_.clear();
      return false;
    }
    switch (xmlTextReaderNodeType(reader)) {
      case XML_READER_TYPE_ELEMENT: node_ = Node::element; break;
      case XML_READER_TYPE_END_ELEMENT: node_ = Node::end_element; break;
      case XML_READER_TYPE_TEXT:
      case XML_READER_TYPE_CDATA: node_ = Node::text; break;
      default: node_ = Node::other;
    }
    depth_ = xmlTextReaderDepth(reader);
    const xmlChar* n = xmlTextReaderConstLocalName(reader);
    name_ = n ? reinterpret_cast<const char*>(n) : "";
    return true;
  }
  Node node() const override { return node_; }
  const std::string& name() const override { return name_; }
  int depth() const override { return depth_; }
  bool empty_element() const override { return xmlTextReaderIsEmptyElement(reader) == 1; }
  // The parser reads ahead of the current node (by up to a chunk), so its line number is not
  // the node's: the node's own line is used. libxml2 stores at most 65535 there; past that,
  // XML_PARSE_BIG_LINES keeps a text node's exact line and xmlGetLineNo finds it through the
  // element's text (exact for leaf elements, the first text line inside for others).
  std::uint64_t line() const override {
    if (const xmlNode* n = xmlTextReaderCurrentNode(reader)) {
      const long l = xmlGetLineNo(n);
      if (l > 0) return static_cast<std::uint64_t>(l);
    }
    const int l = xmlTextReaderGetParserLineNumber(reader);
    return l > 0 ? static_cast<std::uint64_t>(l) : 0;
  }
  std::string_view text() const override {
    const xmlChar* v = xmlTextReaderConstValue(reader);
    return v ? std::string_view(reinterpret_cast<const char*>(v)) : std::string_view();
  }

  xmlTextReaderPtr reader = nullptr;
  xmlSchemaPtr schema = nullptr;  // open(file, schema_xsd): used by `reader`, so freed after it

 private:
  Node node_ = Node::other;
  int depth_ = 0;
  std::string name_;
};

// libxml2's SAX2 push parser, fed kChunk bytes of the file at a time: its callbacks note the
// nodes of that chunk (elements, ends, texts that are not only whitespace) in `nodes_`, which
// next() then walks. No tree is built, and the notes' strings keep a small capacity from chunk
// to chunk, so a usual node costs no allocation once the first chunks are read. Memory: one
// chunk and its nodes.
class SaxSource final : public Reader::Source {
 public:
  static constexpr std::size_t kChunk = 64 * 1024;
  static constexpr std::size_t kKeptBytes = 256;  // see reuse()

  static std::unique_ptr<SaxSource> open(const std::filesystem::path& file,
                                         std::optional<FileError>* error) {
    std::unique_ptr<SaxSource> s(new SaxSource(error));
    s->file_ = std::fopen(file.c_str(), "rb");
    if (!s->file_) return nullptr;
    xmlSAXHandler sax{};
    xmlSAXVersion(&sax, 2);  // libxml2's own handlers for the prolog and the DTD's declarations
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.characters = on_text;
    sax.cdataBlock = on_text;
    sax.ignorableWhitespace = on_text;
    sax.reference = nullptr;  // an entity that is not substituted is left out, as the tree does
    sax.comment = nullptr;
    sax.processingInstruction = nullptr;
    sax.warning = nullptr;
    sax.error = nullptr;
    sax.serror = on_parser_error;
    // The first bytes go in with the context: libxml2 detects the encoding from them.
    char head[4];
    const std::size_t n = std::fread(head, 1, sizeof head, s->file_);
    // userData stays the context itself: a callback knows the main document (ctx == ctxt_) from
    // the content of an entity, which libxml2 parses once in a context of its own to check it.
    s->ctxt_ = xmlCreatePushParserCtxt(&sax, nullptr, n > 0 ? head : nullptr,
                                       static_cast<int>(n), file.c_str());
    if (!s->ctxt_) return nullptr;
    s->ctxt_->_private = s.get();
    xmlCtxtUseOptions(s->ctxt_, kOptions);
    return s;
  }
  ~SaxSource() override {
    if (ctxt_) {
      if (ctxt_->myDoc) xmlFreeDoc(ctxt_->myDoc);  // the prolog and DTD, no elements
      xmlFreeParserCtxt(ctxt_);
    }
    if (file_) std::fclose(file_);
  }
  SaxSource(const SaxSource&) = delete;
  SaxSource& operator=(const SaxSource&) = delete;

  bool next(std::optional<FileError>& error) override {
    for (;;) {
      if (error.has_value()) return stop();  // as soon as an error is known, like the tree
      if (at_ + 1 < count_) {
        ++at_;
        return true;
      }
      if (finished_) return stop();
      read_chunk(error);
    }
  }
  Node node() const override { return current().node; }
  const std::string& name() const override { return current().name; }
  int depth() const override { return current().depth; }
  bool empty_element() const override { return false; }  // an end_element always follows
  std::uint64_t line() const override { return current().line; }
  std::string_view text() const override { return current().text; }

 private:
  struct Noted {
    Node node = Node::other;
    int depth = 0;
    std::uint64_t line = 0;
    std::string name;  // element and end_element
    std::string text;  // text
    bool after_tag = false;  // a text that begins right after a tag (not a chunk's continuation)
  };

  explicit SaxSource(std::optional<FileError>* error) : error_(error) {}

  const Noted& current() const { return at_ < count_ ? nodes_[at_] : none_; }

  bool stop() {
    at_ = count_ = 0;
    none_ = Noted{};
    return false;
  }

  void read_chunk(std::optional<FileError>& error) {
    count_ = 0;
    at_ = static_cast<std::size_t>(-1);  // before the first node: at_ + 1 == 0 is the first
    buf_.resize(kChunk);
    const std::size_t n = std::fread(buf_.data(), 1, buf_.size(), file_);
    const bool last = n < buf_.size();
    if (last && std::ferror(file_) && !error)
      error = FileError{{}, "the file cannot be read"};
    const int rc = xmlParseChunk(ctxt_, buf_.data(), static_cast<int>(n), last ? 1 : 0);
    if (rc != 0 && !error.has_value()) {
      const std::uint64_t l = parser_line();
      error = FileError{{l, {}}, "line " + std::to_string(l) + ": the XML cannot be read"};
    }
    finished_ = last;
  }

  std::uint64_t parser_line() const {
    return ctxt_->input && ctxt_->input->line > 0 ? static_cast<std::uint64_t>(ctxt_->input->line)
                                                  : 0;
  }

  Noted& note(Node node, int depth) {
    drop_blank_text();
    if (count_ == nodes_.size()) nodes_.emplace_back();
    Noted& n = nodes_[count_++];
    n.node = node;
    n.depth = depth;
    n.line = parser_line();
    reuse(n.name);
    reuse(n.text);
    n.after_tag = false;
    return n;
  }

  // Empties a note's string for the next node. Capacity is kept only up to kKeptBytes: a file
  // cannot make every note hold a long text it once held (memory stays one chunk's worth).
  static void reuse(std::string& s) {
    if (s.capacity() > kKeptBytes) std::string().swap(s);
    else s.clear();
  }

  // Whitespace between two tags is no text: the last node noted goes if it is such a text.
  void drop_blank_text() {
    if (count_ == 0) return;
    const Noted& last = nodes_[count_ - 1];
    if (last.node == Node::text && last.after_tag && trimmed(last.text).empty()) --count_;
  }

  static SaxSource* of_document(void* ctx) {
    auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
    auto* self = ctxt ? static_cast<SaxSource*>(ctxt->_private) : nullptr;
    return self && self->ctxt_ == ctxt ? self : nullptr;
  }

  static void on_start(void* ctx, const xmlChar* local_name, const xmlChar*, const xmlChar*, int,
                       const xmlChar**, int, int, const xmlChar**) {
    SaxSource* self = of_document(ctx);
    if (!self) return;
    self->note(Node::element, self->open_++).name = reinterpret_cast<const char*>(local_name);
    self->in_text_ = false;
  }
  static void on_end(void* ctx, const xmlChar* local_name, const xmlChar*, const xmlChar*) {
    SaxSource* self = of_document(ctx);
    if (!self) return;
    self->note(Node::end_element, --self->open_).name = reinterpret_cast<const char*>(local_name);
    self->in_text_ = false;
  }
  // A text may come in several calls (around an entity, across chunks): one node.
  static void on_text(void* ctx, const xmlChar* ch, int len) {
    SaxSource* self = of_document(ctx);
    if (!self || len <= 0) return;
    const bool continued = self->count_ > 0 && self->nodes_[self->count_ - 1].node == Node::text;
    Noted* n = continued ? &self->nodes_[self->count_ - 1] : nullptr;
    if (!n) {
      n = &self->note(Node::text, self->open_);
      n->after_tag = !self->in_text_;
    }
    n->text.append(reinterpret_cast<const char*>(ch), static_cast<std::size_t>(len));
    self->in_text_ = true;
  }
  static void on_parser_error(void* ctx, xmlErrorPtr e) {
    auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
    auto* self = ctxt ? static_cast<SaxSource*>(ctxt->_private) : nullptr;
    if (self) on_error(self->error_, e);
  }

  std::optional<FileError>* error_;
  std::FILE* file_ = nullptr;
  std::vector<char> buf_;  // the chunk being parsed
  xmlParserCtxtPtr ctxt_ = nullptr;
  std::vector<Noted> nodes_;  // the nodes of the last chunk; [0, count_) are in use
  std::size_t count_ = 0;
  std::size_t at_ = 0;  // the current node
  Noted none_;          // the current node before the first and after the last
  int open_ = 0;        // elements open
  bool in_text_ = false;  // the last callback was a text's (it may go on in the next chunk)
  bool finished_ = false;
};

}  // namespace

Reader::Reader(std::unique_ptr<Source> source)
    : source_(std::move(source)), error_(std::make_unique<std::optional<FileError>>()) {}
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;
Reader::~Reader() = default;

protocol::Result<Reader, FileError> Reader::open_tree(const std::filesystem::path& file) {
  auto tree = std::make_unique<TreeSource>();
  xmlResetLastError();  // next() falls back on it (see there): nothing stale from another file
  tree->reader = xmlReaderForFile(file.c_str(), nullptr, kOptions | XML_PARSE_NOBLANKS);
  if (!tree->reader) return FileError{{}, "cannot open the file"};
  xmlTextReaderPtr reader = tree->reader;
  Reader r(std::move(tree));
  xmlTextReaderSetStructuredErrorHandler(reader, on_error, r.error_.get());
  return r;
}

protocol::Result<Reader, FileError> Reader::open(const std::filesystem::path& file,
                                                 const std::filesystem::path* schema) {
  if (!schema) {
    Reader r(nullptr);
    std::unique_ptr<SaxSource> sax = SaxSource::open(file, r.error_.get());
    if (!sax) return FileError{{}, "cannot open the file"};
    r.source_ = std::move(sax);
    return r;
  }
  auto opened = open_tree(file);
  if (!opened) return opened;
  Reader r = std::move(opened).value();
  if (xmlTextReaderSchemaValidate(static_cast<TreeSource&>(*r.source_).reader,
                                  schema->c_str()) != 0)
    return FileError{{}, "cannot load the XML schema " + schema->filename().string()};
  return r;
}

protocol::Result<Reader, FileError> Reader::open(const std::filesystem::path& file,
                                                 std::string_view schema_xsd) {
  auto opened = open_tree(file);
  if (!opened) return opened;
  Reader r = std::move(opened).value();
  auto& tree = static_cast<TreeSource&>(*r.source_);
  if (schema_xsd.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    return FileError{{}, "the XML schema is too large"};
  std::optional<FileError> schema_error;  // the schema's own first error, kept off stderr
  xmlSchemaParserCtxtPtr parser =
      xmlSchemaNewMemParserCtxt(schema_xsd.data(), static_cast<int>(schema_xsd.size()));
  if (!parser) return FileError{{}, "cannot load the XML schema"};
  xmlSchemaSetParserStructuredErrors(parser, on_error, &schema_error);
  tree.schema = xmlSchemaParse(parser);
  xmlSchemaFreeParserCtxt(parser);
  xmlResetLastError();  // nothing of the schema's own parse may pass for the file's error
  if (!tree.schema)
    return FileError{{}, "cannot load the XML schema" +
                             (schema_error ? " (" + schema_error->message + ")" : std::string())};
  if (xmlTextReaderSetSchema(tree.reader, tree.schema) != 0)
    return FileError{{}, "cannot validate against the XML schema"};
  return r;
}

bool Reader::next() { return source_->next(*error_); }
Reader::Node Reader::node() const { return source_->node(); }
const std::string& Reader::name() const { return source_->name(); }
int Reader::depth() const { return source_->depth(); }
bool Reader::empty_element() const { return source_->empty_element(); }
std::uint64_t Reader::line() const { return source_->line(); }

std::string Reader::read_text() {
  if (node() != Node::element) return {};
  if (empty_element()) return {};
  const int start = depth();
  std::string text;
  while (next()) {
    if (node() == Node::end_element && depth() == start) break;
    if (node() == Node::text) text += source_->text();
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
