// common/json.cpp -- see json.h.
//
// Sections: access, writing (dump), reading (parse: a recursive-descent parser that
// follows the grammar of RFC 8259 one rule per function), metrics file.
#include "json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "error.h"
#include "files.h"

namespace common {

// --- Access -------------------------------------------------------------------------
//
// Asking a value for the wrong type is a programming error in the caller (or a metrics
// file that does not have the expected layout); it throws with both types named.

namespace {

const char* type_name(const Json& j) {
  if (j.is_null()) return "null";
  if (j.is_bool()) return "a boolean";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

[[noreturn]] void wrong_type(const Json& j, const char* expected) {
  throw Error(std::string("json: expected ") + expected + ", found " + type_name(j));
}

}  // namespace

bool Json::as_bool() const {
  if (!is_bool()) wrong_type(*this, "a boolean");
  return std::get<bool>(value_);
}

double Json::as_number() const {
  if (!is_number()) wrong_type(*this, "a number");
  return std::get<double>(value_);
}

const std::string& Json::as_string() const {
  if (!is_string()) wrong_type(*this, "a string");
  return std::get<std::string>(value_);
}

const Json::Array& Json::as_array() const {
  if (!is_array()) wrong_type(*this, "an array");
  return std::get<Array>(value_);
}

const Json::Object& Json::as_object() const {
  if (!is_object()) wrong_type(*this, "an object");
  return std::get<Object>(value_);
}

// Objects are a list of (key, value) pairs, searched front to back: metrics objects
// hold a handful of keys, and the list keeps them in the order they were written.
// The pairs live in a std::list, so a reference returned here stays valid while more
// keys are added: `Json& a = m.experiment("a"); Json& b = m.experiment("b");` is fine.
Json& Json::operator[](const std::string& key) {
  if (is_null()) value_ = Object{};
  if (!is_object()) wrong_type(*this, "an object");
  Object& object = std::get<Object>(value_);
  for (auto& [k, v] : object) {
    if (k == key) return v;
  }
  object.emplace_back(key, Json());
  return object.back().second;
}

const Json& Json::at(const std::string& key) const {
  for (const auto& [k, v] : as_object()) {
    if (k == key) return v;
  }
  throw Error("json: no key \"" + key + "\" in object");
}

bool Json::contains(const std::string& key) const {
  if (!is_object()) return false;
  for (const auto& [k, v] : std::get<Object>(value_)) {
    if (k == key) return true;
  }
  return false;
}

void Json::push_back(Json value) {
  if (is_null()) value_ = Array{};
  if (!is_array()) wrong_type(*this, "an array");
  std::get<Array>(value_).push_back(std::move(value));
}

const Json& Json::at(size_t index) const {
  const Array& array = as_array();
  if (index >= array.size()) {
    throw Error("json: index " + std::to_string(index) + " out of range (array of " +
                std::to_string(array.size()) + ")");
  }
  return array[index];
}

size_t Json::size() const {
  if (is_array()) return std::get<Array>(value_).size();
  if (is_object()) return std::get<Object>(value_).size();
  if (is_null()) return 0;  // an empty document, the natural start of operator[]/push_back
  wrong_type(*this, "an array or an object");
}

// --- Writing ------------------------------------------------------------------------

namespace {

// Numbers. JSON has one number type; we store doubles. A value that is a whole number
// small enough to be exact (|x| < 1e15, well inside the 2^53 of a double's mantissa) is
// written without a decimal point ("epochs": 5, not 5.0). Anything else is written with
// the fewest significant digits that read back as exactly the same double: %.17g
// always round-trips, but 0.1 would print as 0.10000000000000001.
std::string format_number(double x) {
  if (!std::isfinite(x)) return "null";  // JSON has no NaN or Infinity
  if (x == std::trunc(x) && std::fabs(x) < 1e15) {
    return std::to_string(static_cast<int64_t>(x));
  }
  char buf[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof(buf), "%.*g", digits, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

// Strings: the quote and backslash must be escaped, and so must the control characters
// below 0x20 (a raw newline is not allowed inside a JSON string). Everything else,
// including UTF-8 multi-byte sequences, is copied unchanged.
void write_string(std::string& out, const std::string& s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

// Before an array element or object member: a newline and the indentation of `depth`
// levels, or nothing on one line.
void new_line(std::string& out, int indent, int depth) {
  if (indent < 0) return;
  out += '\n';
  out.append(static_cast<size_t>(indent) * depth, ' ');
}

void write_value(std::string& out, const Json& j, int indent, int depth);

void write_array(std::string& out, const Json::Array& array, int indent, int depth) {
  if (array.empty()) {
    out += "[]";
    return;
  }
  out += '[';
  for (size_t i = 0; i < array.size(); ++i) {
    if (i > 0) out += indent < 0 ? ", " : ",";
    new_line(out, indent, depth + 1);
    write_value(out, array[i], indent, depth + 1);
  }
  new_line(out, indent, depth);
  out += ']';
}

void write_object(std::string& out, const Json::Object& object, int indent, int depth) {
  if (object.empty()) {
    out += "{}";
    return;
  }
  out += '{';
  bool first = true;
  for (const auto& [key, value] : object) {
    if (!first) out += indent < 0 ? ", " : ",";
    first = false;
    new_line(out, indent, depth + 1);
    write_string(out, key);
    out += ": ";
    write_value(out, value, indent, depth + 1);
  }
  new_line(out, indent, depth);
  out += '}';
}

void write_value(std::string& out, const Json& j, int indent, int depth) {
  if (j.is_null()) {
    out += "null";
  } else if (j.is_bool()) {
    out += j.as_bool() ? "true" : "false";
  } else if (j.is_number()) {
    out += format_number(j.as_number());
  } else if (j.is_string()) {
    write_string(out, j.as_string());
  } else if (j.is_array()) {
    write_array(out, j.as_array(), indent, depth);
  } else {
    write_object(out, j.as_object(), indent, depth);
  }
}

}  // namespace

std::string Json::dump(int indent) const {
  std::string out;
  write_value(out, *this, indent, 0);
  return out;
}

// --- Reading ------------------------------------------------------------------------
//
//   value  = object | array | string | number | "true" | "false" | "null"
//   object = "{" [ string ":" value { "," string ":" value } ] "}"
//   array  = "[" [ value { "," value } ] "]"
// with optional whitespace (space, tab, CR, LF) around every token.

namespace {

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  Json parse_document() {
    Json value = parse_value();
    skip_whitespace();
    if (pos_ != text_.size()) fail("unexpected text after the JSON value");
    return value;
  }

 private:
  // Nesting deeper than this is refused, so a hostile file ("[[[[...") cannot overflow
  // the stack through the recursion.
  static constexpr int kMaxDepth = 512;

  [[noreturn]] void fail(const std::string& what) const {
    throw Error("json: " + what + " at byte " + std::to_string(pos_));
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
      ++pos_;
  }

  void expect(char c) {
    if (peek() != c || at_end()) fail(std::string("expected '") + c + "'");
    ++pos_;
  }

  Json parse_value() {
    skip_whitespace();
    if (at_end()) fail("unexpected end of input, expected a value");
    const char c = peek();
    if (c == '{') return parse_object();
    if (c == '[') return parse_array();
    if (c == '"') return Json(parse_string());
    if (c == '-' || (c >= '0' && c <= '9')) return Json(parse_number());
    if (match_word("true")) return Json(true);
    if (match_word("false")) return Json(false);
    if (match_word("null")) return Json();
    fail(std::string("unexpected character '") + c + "'");
  }

  bool match_word(const char* word) {
    const std::string w(word);
    if (text_.compare(pos_, w.size(), w) != 0) return false;
    pos_ += w.size();
    return true;
  }

  Json parse_object() {
    Depth depth(*this);
    expect('{');
    Json object = Json::object();
    skip_whitespace();
    if (peek() == '}') {
      ++pos_;
      return object;
    }
    while (true) {
      skip_whitespace();
      if (peek() != '"') fail("expected a string key");
      std::string key = parse_string();
      skip_whitespace();
      expect(':');
      // A key that appears twice keeps its last value, as in most parsers. (operator[]
      // searches the members linearly: fine for the small objects of metrics files.)
      object[key] = parse_value();
      skip_whitespace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return object;
      }
      fail("expected ',' or '}' in object");
    }
  }

  Json parse_array() {
    Depth depth(*this);
    expect('[');
    Json array = Json::array();
    skip_whitespace();
    if (peek() == ']') {
      ++pos_;
      return array;
    }
    while (true) {
      array.push_back(parse_value());
      skip_whitespace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return array;
      }
      fail("expected ',' or ']' in array");
    }
  }

  //   number = [ "-" ] int [ frac ] [ exp ]
  //   int    = "0" | digit1-9 { digit }      (no leading zeros)
  //   frac   = "." digit { digit }
  //   exp    = ( "e" | "E" ) [ "+" | "-" ] digit { digit }
  // We check the grammar ourselves, then let strtod convert the validated text (strtod
  // alone would also accept "inf", "0x1p3", leading '+' and other non-JSON forms).
  double parse_number() {
    const size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (peek() >= '1' && peek() <= '9') {
      skip_digits();
    } else {
      fail("expected a digit");
    }
    if (peek() == '.') {
      ++pos_;
      if (!is_digit(peek())) fail("expected a digit after '.'");
      skip_digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!is_digit(peek())) fail("expected a digit in the exponent");
      skip_digits();
    }
    const std::string number = text_.substr(start, pos_ - start);
    const double value = std::strtod(number.c_str(), nullptr);
    if (!std::isfinite(value)) {
      pos_ = start;
      fail("number " + number + " is out of range");
    }
    return value;
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  void skip_digits() {
    while (is_digit(peek())) ++pos_;
  }

  // A string, with its escapes decoded into UTF-8.
  std::string parse_string() {
    expect('"');
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') {
        out += c;  // UTF-8 bytes are copied as they are
        ++pos_;
        continue;
      }
      ++pos_;  // the backslash
      if (at_end()) fail("unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          append_utf8(out, parse_code_point());
          break;
        default:
          --pos_;  // report the offset of the bad character
          fail(std::string("invalid escape '\\") + e + "'");
      }
    }
  }

  // After "\u": four hex digits. Characters beyond U+FFFF are written in JSON as a
  // UTF-16 surrogate pair, "\uD83D\uDE00" for U+1F600: a high surrogate (D800-DBFF)
  // carrying the top 10 bits, then a low surrogate (DC00-DFFF) carrying the bottom 10.
  uint32_t parse_code_point() {
    const uint32_t first = parse_hex4();
    if (first >= 0xDC00 && first <= 0xDFFF) fail("unpaired low surrogate");
    if (first < 0xD800 || first > 0xDBFF) return first;
    if (text_.compare(pos_, 2, "\\u") != 0) fail("high surrogate without its low surrogate");
    pos_ += 2;
    const uint32_t second = parse_hex4();
    if (second < 0xDC00 || second > 0xDFFF) fail("high surrogate without its low surrogate");
    return 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
  }

  uint32_t parse_hex4() {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = peek();
      uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        fail("expected 4 hex digits after \\u");
      }
      value = value * 16 + digit;
      ++pos_;
    }
    return value;
  }

  // UTF-8: 1 byte up to U+007F (0xxxxxxx), 2 up to U+07FF (110xxxxx 10xxxxxx), 3 up to
  // U+FFFF (1110xxxx + 2 continuation bytes), 4 beyond (11110xxx + 3).
  static void append_utf8(std::string& out, uint32_t cp) {
    auto byte = [&out](uint32_t b) { out += static_cast<char>(static_cast<uint8_t>(b)); };
    if (cp < 0x80) {
      byte(cp);
    } else if (cp < 0x800) {
      byte(0xC0 | (cp >> 6));
      byte(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      byte(0xE0 | (cp >> 12));
      byte(0x80 | ((cp >> 6) & 0x3F));
      byte(0x80 | (cp & 0x3F));
    } else {
      byte(0xF0 | (cp >> 18));
      byte(0x80 | ((cp >> 12) & 0x3F));
      byte(0x80 | ((cp >> 6) & 0x3F));
      byte(0x80 | (cp & 0x3F));
    }
  }

  // Counts nesting while an object or array is being parsed.
  struct Depth {
    explicit Depth(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxDepth) parser.fail("nesting deeper than 512 levels");
    }
    ~Depth() { --parser.depth_; }
    Parser& parser;
  };

  const std::string& text_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Json Json::parse(const std::string& text) {
  return Parser(text).parse_document();
}

// --- Metrics file -------------------------------------------------------------------

Metrics::Metrics(const std::string& phase, uint64_t seed, int threads, bool quick) {
  root_ = Json::object();
  root_["phase"] = phase;
  root_["seed"] = seed;
  root_["threads"] = threads;
  root_["quick"] = quick;
  root_["experiments"] = Json::object();
}

Json& Metrics::experiment(const std::string& name) {
  Json& e = root_["experiments"][name];
  if (e.is_null()) e = Json::object();
  return e;
}

void Metrics::write(const std::string& path) const {
  if (path.empty()) return;
  write_file_atomic(path, root_.dump(2) + "\n");
}

}  // namespace common
