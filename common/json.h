// common/json.h -- a small JSON value: enough to write metrics files (the tests read
// them back with common::testing::parse_json, test_support.h). Objects keep their keys in insertion
// order so files read naturally.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <list>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace common {

class Json {
 public:
  using Array = std::vector<Json>;
  // A list, not a vector: references to values stay valid when keys are added.
  using Object = std::list<std::pair<std::string, Json>>;

  Json() = default;  // null
  Json(bool b) : value_(b) {}
  // Any integer type: int, int64_t, size_t... (int64_t and size_t are different types on
  // different platforms -- long vs long long -- so fixed overloads would be ambiguous
  // somewhere). Stored as a double, like every JSON number: exact up to 2^53.
  template <std::integral T>
  requires(!std::same_as<T, bool>) Json(T v) : value_(static_cast<double>(v)) {}
  Json(double v) : value_(v) {}
  Json(const char* s) : value_(std::string(s)) {}
  Json(std::string s) : value_(std::move(s)) {}
  static Json array() {
    Json j;
    j.value_ = Array{};
    return j;
  }
  static Json array(std::initializer_list<Json> items) {
    Json j = array();
    for (const Json& item : items) j.push_back(item);
    return j;
  }
  static Json object() {
    Json j;
    j.value_ = Object{};
    return j;
  }

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  bool is_bool() const { return std::holds_alternative<bool>(value_); }
  bool is_number() const { return std::holds_alternative<double>(value_); }
  bool is_string() const { return std::holds_alternative<std::string>(value_); }
  bool is_array() const { return std::holds_alternative<Array>(value_); }
  bool is_object() const { return std::holds_alternative<Object>(value_); }

  bool as_bool() const;
  double as_number() const;
  const std::string& as_string() const;
  const Array& as_array() const;
  const Object& as_object() const;

  // Object access: operator[] inserts (turning null into an object); at() throws
  // common::Error when the key is absent; contains() asks.
  Json& operator[](const std::string& key);
  const Json& at(const std::string& key) const;
  bool contains(const std::string& key) const;
  // Array access.
  void push_back(Json value);
  const Json& at(size_t index) const;
  size_t size() const;  // elements of an array or object

  // indent < 0: one line. Non-finite numbers are written as null (JSON has no NaN).
  // (Reading JSON back is for the tests: common::testing::parse_json, test_support.h.)
  std::string dump(int indent = 2) const;

 private:
  std::variant<std::monostate, bool, double, std::string, Array, Object> value_;
};

// The metrics file of docs/CONVENTIONS.md §4:
// {"phase": ..., "seed": ..., "threads": ..., "quick": ..., "experiments": {NAME: {...}}}
class Metrics {
 public:
  Metrics(const std::string& phase, uint64_t seed, int threads, bool quick);
  Json& experiment(const std::string& name);  // created on first use
  const Json& root() const { return root_; }
  void write(const std::string& path) const;  // atomic; nothing when path is empty

 private:
  Json root_;
};

}  // namespace common
