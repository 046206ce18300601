// Tests for common/json.h: writing, reading, round trips, errors, the metrics layout.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <numbers>
#include <string>

#include "error.h"
#include "files.h"
#include "json.h"
#include "test_support.h"
#include "test_util.h"

namespace {

using common::Json;

// --- Writing ------------------------------------------------------------------------

TEST(Json, DumpScalars) {
  EXPECT_EQ(Json().dump(), "null");
  EXPECT_EQ(Json(true).dump(), "true");
  EXPECT_EQ(Json(false).dump(), "false");
  EXPECT_EQ(Json("hi").dump(), "\"hi\"");
}

TEST(Json, DumpNumbers) {
  EXPECT_EQ(Json(5).dump(), "5");
  EXPECT_EQ(Json(-42).dump(), "-42");
  EXPECT_EQ(Json(0.0).dump(), "0");
  EXPECT_EQ(Json(-0.0).dump(), "0");
  EXPECT_EQ(Json(3.0).dump(), "3");
  EXPECT_EQ(Json(int64_t{123456789012345}).dump(), "123456789012345");
  // Every integer type converts, whatever the platform calls int64_t and size_t.
  EXPECT_EQ(Json(size_t{42}).dump(), "42");
  EXPECT_EQ(Json(std::vector<int>(3).size()).dump(), "3");
  EXPECT_EQ(Json(uint64_t{1} << 53).dump(), "9007199254740992");
  EXPECT_EQ(Json(static_cast<long>(-7)).dump(), "-7");
  EXPECT_EQ(Json(static_cast<long long>(-8)).dump(), "-8");
  EXPECT_EQ(Json(static_cast<unsigned long>(9)).dump(), "9");
  EXPECT_EQ(Json(static_cast<unsigned long long>(10)).dump(), "10");
  EXPECT_EQ(Json(uint16_t{11}).dump(), "11");
  EXPECT_EQ(Json(true).dump(), "true");  // bool stays a bool, not the number 1
  EXPECT_EQ(Json(0.5).dump(), "0.5");
  EXPECT_EQ(Json(0.1).dump(), "0.1");  // shortest form, not 0.10000000000000001
  EXPECT_EQ(Json(0.987).dump(), "0.987");
  EXPECT_EQ(Json(1e15).dump(), "1e+15");  // beyond the plain-integer range
  EXPECT_EQ(Json(-2.5e-8).dump(), "-2.5e-08");
  EXPECT_EQ(Json(std::nan("")).dump(), "null");
  EXPECT_EQ(Json(std::numeric_limits<double>::infinity()).dump(), "null");
  EXPECT_EQ(Json(-std::numeric_limits<double>::infinity()).dump(), "null");
}

TEST(Json, NumbersRoundTripExactly) {
  const double values[] = {1.0 / 3.0,
                           2.0 / 3.0,
                           0.1 + 0.2,
                           std::numbers::pi,
                           1e-300,
                           5e-324,
                           1.7976931348623157e308,
                           123456.789e10,
                           -9007199254740993.0,
                           0.041,
                           1e15 + 0.5};
  for (double v : values) {
    const std::string text = Json(v).dump();
    EXPECT_EQ(common::testing::parse_json(text).as_number(), v) << text;
  }
}

TEST(Json, DumpEscapesStrings) {
  EXPECT_EQ(Json("a\"b\\c").dump(), R"("a\"b\\c")");
  EXPECT_EQ(Json("line\nnext\ttab\rcr\bb\ff").dump(), R"("line\nnext\ttab\rcr\bb\ff")");
  EXPECT_EQ(Json(std::string("\x01\x1f", 2)).dump(), R"("\u0001\u001f")");
  EXPECT_EQ(Json(std::string("nul\0x", 5)).dump(), R"("nul\u0000x")");
  EXPECT_EQ(Json("caf\xc3\xa9 \xe2\x82\xac").dump(), "\"caf\xc3\xa9 \xe2\x82\xac\"");  // UTF-8 kept
  EXPECT_EQ(Json("/").dump(), "\"/\"");
}

TEST(Json, DumpIndentedAndOneLine) {
  Json j;
  j["name"] = "lenet";
  j["accuracy"] = 0.987;
  j["list"].push_back(1);
  j["list"].push_back(Json::array());
  j["empty"] = Json::object();
  EXPECT_EQ(j.dump(),
            "{\n"
            "  \"name\": \"lenet\",\n"
            "  \"accuracy\": 0.987,\n"
            "  \"list\": [\n"
            "    1,\n"
            "    []\n"
            "  ],\n"
            "  \"empty\": {}\n"
            "}");
  EXPECT_EQ(j.dump(-1), R"({"name": "lenet", "accuracy": 0.987, "list": [1, []], "empty": {}})");
  EXPECT_EQ(j.dump(4).substr(0, 7), "{\n    \"");
}

// --- Access -------------------------------------------------------------------------

TEST(Json, ObjectAccessKeepsInsertionOrder) {
  Json j;
  j["z"] = 1;
  j["a"] = 2;
  j["z"] = 3;  // overwrite keeps the position
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 2u);
  EXPECT_EQ(j.as_object().front().first, "z");
  EXPECT_EQ(j.at("z").as_number(), 3);
  EXPECT_TRUE(j.contains("a"));
  EXPECT_FALSE(j.contains("b"));
  EXPECT_THROW(j.at("b"), common::Error);
  EXPECT_FALSE(Json(1).contains("a"));
}

TEST(Json, TypeErrors) {
  Json n(1.5);
  EXPECT_THROW(n.as_string(), common::Error);
  EXPECT_THROW(n.as_bool(), common::Error);
  EXPECT_THROW(n["key"], common::Error);
  EXPECT_THROW(n.push_back(1), common::Error);
  EXPECT_THROW(n.size(), common::Error);
  EXPECT_THROW(Json::array().at(0), common::Error);
  EXPECT_THROW(Json::object().as_array(), common::Error);
  EXPECT_EQ(Json().size(), 0u);
  try {
    Json("x").as_number();
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_STREQ(e.what(), "json: expected a number, found a string");
  }
}

// --- Reading ------------------------------------------------------------------------

TEST(Json, ParseAllTypes) {
  const Json j = common::testing::parse_json(
      " {\"a\": [1, -2.5e3, 0, -0.25, 1E+2], \"b\": {\"t\": true, \"f\": false, \"n\": null},"
      "\t\"s\" : \"x\" }\r\n");
  ASSERT_TRUE(j.is_object());
  const Json& a = j.at("a");
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a.at(0).as_number(), 1.0);
  EXPECT_EQ(a.at(1).as_number(), -2500.0);
  EXPECT_EQ(a.at(2).as_number(), 0.0);
  EXPECT_EQ(a.at(3).as_number(), -0.25);
  EXPECT_EQ(a.at(4).as_number(), 100.0);
  EXPECT_TRUE(j.at("b").at("t").as_bool());
  EXPECT_FALSE(j.at("b").at("f").as_bool());
  EXPECT_TRUE(j.at("b").at("n").is_null());
  EXPECT_EQ(j.at("s").as_string(), "x");
  EXPECT_TRUE(common::testing::parse_json("[]").is_array());
  EXPECT_TRUE(common::testing::parse_json("{ }").is_object());
  EXPECT_EQ(common::testing::parse_json("\"\"").as_string(), "");
  EXPECT_EQ(common::testing::parse_json("{\"k\": 1, \"k\": 2}").at("k").as_number(),
            2);  // last one wins
}

TEST(Json, ParseEscapes) {
  EXPECT_EQ(common::testing::parse_json(R"("\"\\\/\b\f\n\r\t")").as_string(), "\"\\/\b\f\n\r\t");
  EXPECT_EQ(common::testing::parse_json(R"("\u0041\u00e9\u20AC")").as_string(),
            "A\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(common::testing::parse_json(R"("\u0000")").as_string(), std::string(1, '\0'));
  // U+1F600 as a surrogate pair -> 4 UTF-8 bytes F0 9F 98 80.
  EXPECT_EQ(common::testing::parse_json(R"("\ud83d\ude00")").as_string(), "\xf0\x9f\x98\x80");
  // Raw UTF-8 passes through.
  EXPECT_EQ(common::testing::parse_json("\"\xf0\x9f\x98\x80\"").as_string(), "\xf0\x9f\x98\x80");
}

TEST(Json, RoundTrip) {
  Json j;
  j["phase"] = "phase3_cnn_rnn";
  j["values"].push_back(0.1);
  j["values"].push_back(-1e-7);
  j["values"].push_back(true);
  j["values"].push_back(Json());
  j["text"] = std::string("tab\tquote\"ctl\x02 \xe2\x82\xac", 15);
  j["nested"]["deeper"]["x"] = 42;
  for (int indent : {-1, 0, 2, 3}) {
    const std::string text = j.dump(indent);
    EXPECT_EQ(common::testing::parse_json(text).dump(indent), text) << text;
  }
}

// The message of the error that parsing `text` throws.
std::string parse_error(const std::string& text) {
  try {
    common::testing::parse_json(text);
  } catch (const common::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Json, ParseErrorsNameTheByteOffset) {
  EXPECT_EQ(parse_error(""), "json: unexpected end of input, expected a value at byte 0");
  EXPECT_EQ(parse_error("[1, 2"), "json: expected ',' or ']' in array at byte 5");
  EXPECT_EQ(parse_error("{\"a\" 1}"), "json: expected ':' at byte 5");
  EXPECT_EQ(parse_error("{\"a\": 1,}"), "json: expected a string key at byte 8");
  EXPECT_EQ(parse_error("[1] x"), "json: unexpected text after the JSON value at byte 4");
  EXPECT_EQ(parse_error("tru"), "json: unexpected character 't' at byte 0");
  EXPECT_EQ(parse_error("\"abc"), "json: unterminated string at byte 4");
  EXPECT_EQ(parse_error("\"a\\x\""), "json: invalid escape '\\x' at byte 3");
  EXPECT_EQ(parse_error("1e999"), "json: number 1e999 is out of range at byte 0");
}

TEST(Json, ParseRejectsInvalidJson) {
  const char* bad[] = {"01",
                       "1.",
                       ".5",
                       "-",
                       "+1",
                       "1e",
                       "0x10",
                       "NaN",
                       "Infinity",
                       "[1,]",
                       "{1: 2}",
                       "{'a': 1}",
                       "\"a\nb\"",
                       "\"\\u12\"",
                       "\"\\ud83d\"",
                       "\"\\ude00\"",
                       "\"\\ud83d\\u0041\"",
                       "[1 2]",
                       "nul",
                       "{\"a\":1 \"b\":2}",
                       "[",
                       "{"};
  for (const char* text : bad) {
    EXPECT_THROW(common::testing::parse_json(text), common::Error) << text;
  }
}

TEST(Json, DeepNestingIsRefusedNotACrash) {
  EXPECT_NO_THROW(common::testing::parse_json(std::string(100, '[') + std::string(100, ']')));
  EXPECT_THROW(common::testing::parse_json(std::string(100000, '[')), common::Error);
}

// --- Metrics file -------------------------------------------------------------------

TEST(Json, ReferencesStayValidWhileKeysAreAdded) {
  common::Metrics metrics("p", 1, 1, false);
  Json& a = metrics.experiment("a");
  Json& b = metrics.experiment("b");
  for (int k = 0; k < 100; ++k) metrics.experiment(std::to_string(k));
  a["value"] = 1;
  b["value"] = 2;
  EXPECT_EQ(metrics.root().at("experiments").at("a").at("value").as_number(), 1);
  EXPECT_EQ(metrics.root().at("experiments").at("b").at("value").as_number(), 2);
}

TEST(Metrics, Layout) {
  common::Metrics metrics("phase3_cnn_rnn", 7, 2, true);
  metrics.experiment("lenet")["test_accuracy"] = 0.987;
  metrics.experiment("char_rnn")["val_loss"] = 1.61;
  metrics.experiment("lenet")["epochs"] = 5;  // the same object again
  const Json& root = metrics.root();
  ASSERT_EQ(root.size(), 5u);
  const char* keys[] = {"phase", "seed", "threads", "quick", "experiments"};
  size_t i = 0;
  for (const auto& [key, value] : root.as_object()) EXPECT_EQ(key, keys[i++]);
  EXPECT_EQ(root.at("phase").as_string(), "phase3_cnn_rnn");
  EXPECT_EQ(root.at("seed").as_number(), 7);
  EXPECT_EQ(root.at("threads").as_number(), 2);
  EXPECT_TRUE(root.at("quick").as_bool());
  const Json& experiments = root.at("experiments");
  ASSERT_EQ(experiments.size(), 2u);
  EXPECT_EQ(experiments.at("lenet").at("test_accuracy").as_number(), 0.987);
  EXPECT_EQ(experiments.at("lenet").at("epochs").as_number(), 5);
  EXPECT_EQ(experiments.at("char_rnn").at("val_loss").as_number(), 1.61);
}

TEST(Metrics, EmptyExperimentsIsAnObject) {
  common::Metrics metrics("p", 1, 1, false);
  EXPECT_EQ(metrics.root().dump(-1),
            R"({"phase": "p", "seed": 1, "threads": 1, "quick": false, "experiments": {}})");
  EXPECT_TRUE(metrics.experiment("bench").is_object());
}

TEST(Metrics, WriteIsAtomicAndReadsBack) {
  const std::string dir = (std::filesystem::temp_directory_path() / "aij_test_metrics").string();
  const std::string path = common::join_path(dir, "m.json");
  common::Metrics metrics("phase1", 3, 4, false);
  metrics.experiment("xor")["accuracy"] = 0.5;
  metrics.write(path);
  EXPECT_EQ(test_util::file_names_in(dir), std::vector<std::string>{"m.json"});
  const std::string text = common::read_file_text(path);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(common::testing::parse_json(text).dump(), metrics.root().dump());
  metrics.write("");  // no path: nothing happens, no exception
  std::filesystem::remove_all(dir);
}

}  // namespace
