// common/json.cpp -- see json.h.
//
// Sections: access, writing (dump), metrics file. Reading JSON back is only needed by
// the tests: its parser is in common/testing/json_parse.cpp.
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
