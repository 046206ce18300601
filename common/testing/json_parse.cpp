// common/testing/json_parse.cpp -- reading JSON back, for the tests only (test_support.h).
// The programs write JSON (common/json.h); only the tests read it: the metrics files of
// the cli and full tests, and the JSON unit tests.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "error.h"
#include "json.h"
#include "test_support.h"

namespace common::testing {

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

Json parse_json(const std::string& text) {
  return Parser(text).parse_document();
}

}  // namespace common::testing
