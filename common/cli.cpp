// common/cli.cpp -- see cli.h.
//
// Sections: reading numbers strictly, registering experiments and flags, parsing,
// the help text.
//
// Every mistake on the command line becomes a UsageError with a one-line message that
// names the flag and the text it got, so the learner sees at once what to fix.
#include "cli.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <locale>
#include <sstream>

#include "error.h"
#include "files.h"
#include "thread_pool.h"

namespace common {

// A stream imbued with the classic "C" locale reads "0.5" the same in every locale (strtod
// would want "0,5" under a German one). noskipws refuses leading spaces, the eof check
// refuses trailing text, and an out-of-range value sets failbit.
bool detail::parse_double_fallback(const std::string& text, double& out) {
  if (text.empty()) return false;
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  double value = 0.0;
  in >> std::noskipws >> value;
  if (in.fail() || !in.eof()) return false;
  out = value;
  return true;
}

// --- Reading numbers strictly -------------------------------------------------------
//
// std::from_chars reads a number from the front of the text and says where it stopped.
// We require that it read the whole text: "5x", "5 ", " 5" and "" are all errors, where
// atoi() would silently return 5 or 0. It also rejects values that do not fit the type.

namespace {

template <class T>
bool parse_whole(const std::string& text, T& out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  const auto [stop, ec] = std::from_chars(begin, end, out);
  return !text.empty() && ec == std::errc() && stop == end;
}

// std::from_chars for double arrived late in some standard libraries (libc++ before
// version 17, so Apple clang on older macOS and Debian's clang 14 with -stdlib=libc++);
// libraries that have it announce it with __cpp_lib_to_chars. Elsewhere the fallback
// below reads the number.
#if !defined(__cpp_lib_to_chars)
template <>
bool parse_whole(const std::string& text, double& out) {
  return detail::parse_double_fallback(text, out);
}
#endif

std::string got(const std::string& flag, const std::string& expected, const std::string& text) {
  return "--" + flag + " expects " + expected + ", got '" + text + "'";
}

// An integer of type T, at least `min` (T = int or int64_t).
template <class T>
T parse_integer(const std::string& flag, const std::string& text, T min,
                const std::string& expected) {
  T value{};
  if (!parse_whole(text, value) || value < min) throw UsageError(got(flag, expected, text));
  return value;
}

// A finite floating-point number ("inf" and "nan" are refused), optionally > 0.
double parse_real(const std::string& flag, const std::string& text, bool positive) {
  double value = 0.0;
  const bool ok = parse_whole(text, value) && std::isfinite(value) && (!positive || value > 0.0);
  if (!ok) throw UsageError(got(flag, positive ? "a positive number" : "a number", text));
  return value;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// The flags every phase shares (docs/CONVENTIONS.md §2), in the order --help lists them.
// `value` is the placeholder shown in the help (empty for a switch).
struct CommonFlagInfo {
  const char* name;
  const char* value;
  const char* help;
};
const CommonFlagInfo kCommonFlags[] = {
    {"seed", "N", "random seed"},
    {"threads", "N", "worker threads"},
    {"data-dir", "DIR", "where the datasets are"},
    {"out-dir", "DIR", "where pictures, plots and checkpoints go"},
    {"json", "FILE", "write the metrics as JSON to FILE"},
    {"quick", "", "tiny sizes that run in seconds (a smoke test)"},
    {"epochs", "N", "training epochs"},
    {"steps", "N", "training steps"},
    {"batch-size", "N", "examples per mini-batch"},
    {"lr", "X", "learning rate"},
};

const CommonFlagInfo* find_common_flag(const std::string& name) {
  for (const CommonFlagInfo& info : kCommonFlags) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

// Stores the value of a common flag that takes one.
void set_common_flag(CommonFlags& flags, const std::string& name, const std::string& value) {
  const char* positive = "a positive integer";
  if (name == "seed") {
    flags.seed = parse_integer<uint64_t>(name, value, 0, "a non-negative integer");
  } else if (name == "threads") {
    flags.threads = parse_integer<int>(name, value, 1, positive);
  } else if (name == "epochs") {
    flags.epochs = parse_integer<int>(name, value, 1, positive);
  } else if (name == "steps") {
    flags.steps = parse_integer<int64_t>(name, value, 1, positive);
  } else if (name == "batch-size") {
    flags.batch_size = parse_integer<int>(name, value, 1, positive);
  } else if (name == "lr") {
    flags.lr = parse_real(name, value, /*positive=*/true);
  } else if (name == "data-dir") {
    flags.data_dir = value;
  } else if (name == "out-dir") {
    flags.out_dir = value;
  } else if (name == "json") {
    flags.json_path = value;
  }
}

// The experiment named on the command line must be one the phase registered.
void check_experiment(const std::string& name,
                      const std::vector<std::pair<std::string, std::string>>& experiments) {
  for (const auto& [known, _] : experiments) {
    if (known == name) return;
  }
  if (experiments.empty()) {
    throw UsageError("unknown experiment '" + name + "' (this program has no named experiments)");
  }
  std::string list;
  for (const auto& [known, _] : experiments) list += (list.empty() ? "" : ", ") + known;
  throw UsageError("unknown experiment '" + name + "' (expected one of: " + list + ")");
}

// Stores the value of a phase flag into the variable it was registered with. (Switches,
// the bool* case, take no value and are handled by the parser itself.)
using FlagTarget = std::variant<int*, int64_t*, double*, std::string*, bool*>;
void set_phase_flag(const std::string& name, const FlagTarget& target, const std::string& value) {
  if (auto* p = std::get_if<int*>(&target)) {
    **p = parse_integer<int>(name, value, std::numeric_limits<int>::min(), "an integer");
  } else if (auto* p = std::get_if<int64_t*>(&target)) {
    **p = parse_integer<int64_t>(name, value, std::numeric_limits<int64_t>::min(), "an integer");
  } else if (auto* p = std::get_if<double*>(&target)) {
    **p = parse_real(name, value, /*positive=*/false);
  } else if (auto* p = std::get_if<std::string*>(&target)) {
    **p = value;
  }
}

}  // namespace

// --- Registering experiments and flags ----------------------------------------------

FlagParser::FlagParser(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void FlagParser::add_experiment(const std::string& name, const std::string& description) {
  for (const auto& [existing, _] : experiments_) {
    if (existing == name) throw Error("experiment '" + name + "' is registered twice");
  }
  experiments_.emplace_back(name, description);
}

void FlagParser::add_flag(const std::string& name, int* value, const std::string& help) {
  add(name, Flag{name, help, value, std::to_string(*value)});
}

void FlagParser::add_flag(const std::string& name, int64_t* value, const std::string& help) {
  add(name, Flag{name, help, value, std::to_string(*value)});
}

void FlagParser::add_flag(const std::string& name, double* value, const std::string& help) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", *value);
  add(name, Flag{name, help, value, buf});
}

void FlagParser::add_flag(const std::string& name, std::string* value, const std::string& help) {
  add(name, Flag{name, help, value, value->empty() ? "none" : *value});
}

void FlagParser::add_flag(const std::string& name, bool* value, const std::string& help) {
  add(name, Flag{name, help, value, *value ? "on" : "off"});
}

// Phases may write the name with or without the leading "--"; it is stored without.
void FlagParser::add(const std::string& name, Flag flag) {
  flag.name = starts_with(name, "--") ? name.substr(2) : name;
  if (flag.name.empty() || flag.name.find('=') != std::string::npos) {
    throw Error("invalid flag name '" + name + "'");
  }
  if (find_common_flag(flag.name) || flag.name == "help") {
    throw Error("flag --" + flag.name + " is one of the common flags");
  }
  for (const Flag& f : flags_) {
    if (f.name == flag.name) throw Error("flag --" + flag.name + " is registered twice");
  }
  flags_.push_back(std::move(flag));
}

// --- Parsing ------------------------------------------------------------------------

CommonFlags FlagParser::parse(int argc, const char* const* argv) {
  // --help wins over everything else, even over mistakes elsewhere on the line: someone
  // asking for help should get it, not an error about another flag.
  help_requested_ = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_requested_ = true;
      return CommonFlags{};
    }
  }

  CommonFlags flags;
  flags.data_dir = default_data_dir();
  flags.out_dir = default_out_dir(program_);

  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];

    // A positional argument: the experiment to run.
    if (!starts_with(arg, "-") || arg == "-") {
      if (!flags.experiment.empty()) {
        throw UsageError("unexpected argument '" + arg + "' (only one experiment at a time; '" +
                         flags.experiment + "' was already given)");
      }
      check_experiment(arg, experiments_);
      flags.experiment = arg;
      continue;
    }
    if (!starts_with(arg, "--")) throw UsageError("unknown flag " + arg);

    // "--name=value" or "--name [value]".
    std::string name = arg.substr(2), value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }

    const CommonFlagInfo* common = find_common_flag(name);
    Flag* phase = nullptr;
    for (Flag& f : flags_) {
      if (f.name == name) phase = &f;
    }
    if (!common && !phase) throw UsageError("unknown flag --" + name);

    // Switches take no value: giving one is probably a mistake worth reporting.
    const bool is_switch = (common && *common->value == '\0') ||
                           (phase && std::holds_alternative<bool*>(phase->target));
    if (is_switch) {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      if (common) flags.quick = true;  // --quick is the only common switch
      if (phase) *std::get<bool*>(phase->target) = true;
      continue;
    }

    // The value: after '=' or the next argument. A next argument that is itself a flag
    // means the value was forgotten ("--json --quick"); a negative number is still a value.
    if (!inline_value) {
      if (i + 1 >= argc || starts_with(argv[i + 1], "--")) {
        throw UsageError("--" + name + " needs a value");
      }
      value = argv[++i];
    }
    if (common) {
      const bool is_text = name == "data-dir" || name == "out-dir" || name == "json";
      if (is_text && value.empty()) throw UsageError("--" + name + " needs a value");
      set_common_flag(flags, name, value);
    } else {
      set_phase_flag(name, phase->target, value);
    }
  }
  return flags;
}

CommonFlags FlagParser::parse_or_exit(int argc, const char* const* argv) {
  CommonFlags flags;
  try {
    flags = parse(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s (see --help)\n", program_.c_str(), e.what());
    std::exit(2);
  }
  if (help_requested_) {
    std::fputs(help().c_str(), stdout);
    std::exit(0);
  }
  set_num_threads(flags.threads);
  return flags;
}

// --- The help text ------------------------------------------------------------------

std::string FlagParser::help() const {
  // Left column ("--seed N") and right column (help and default), aligned.
  std::vector<std::pair<std::string, std::string>> common_rows, phase_rows;
  const std::string own_default = " (default: the experiment's own)";
  for (const CommonFlagInfo& info : kCommonFlags) {
    const std::string name = info.name;
    std::string left = "--" + name + (*info.value ? " " + std::string(info.value) : "");
    std::string right = info.help;
    if (name == "seed") right += " (default 1)";
    if (name == "threads") {
      right += " (default: all hardware threads, " + std::to_string(hardware_threads()) + " here)";
    }
    if (name == "data-dir") right += " (default " + default_data_dir() + ")";
    if (name == "out-dir") right += " (default " + default_out_dir(program_) + ")";
    if (name == "json") right += " (default: none)";
    if (name == "epochs" || name == "steps" || name == "batch-size" || name == "lr") {
      right += own_default;
    }
    common_rows.emplace_back(left, right);
  }
  common_rows.emplace_back("-h, --help", "show this help and exit");
  for (const Flag& flag : flags_) {
    std::string value;
    if (std::holds_alternative<int*>(flag.target) || std::holds_alternative<int64_t*>(flag.target))
      value = " N";
    if (std::holds_alternative<double*>(flag.target)) value = " X";
    if (std::holds_alternative<std::string*>(flag.target)) value = " TEXT";
    phase_rows.emplace_back("--" + flag.name + value,
                            flag.help + " (default " + flag.default_text + ")");
  }

  size_t width = 0;
  for (const auto& rows : {common_rows, phase_rows}) {
    for (const auto& [left, _] : rows) width = std::max(width, left.size());
  }
  for (const auto& [name, _] : experiments_) width = std::max(width, name.size());
  auto row = [width](const std::string& left, const std::string& right) {
    return "  " + left + std::string(width - left.size() + 3, ' ') + right + "\n";
  };

  std::string text = "usage: " + program_ + " [EXPERIMENT] [FLAGS]\n";
  if (!summary_.empty()) text += "\n" + summary_ + "\n";
  if (!experiments_.empty()) {
    text += "\nExperiments (name one to run just it; with none, the whole lesson runs):\n";
    for (const auto& [name, description] : experiments_) text += row(name, description);
  }
  text += "\nCommon flags (a value follows the flag or an '=': --epochs 5, --epochs=5):\n";
  for (const auto& [left, right] : common_rows) text += row(left, right);
  if (!phase_rows.empty()) {
    text += "\nFlags of " + program_ + ":\n";
    for (const auto& [left, right] : phase_rows) text += row(left, right);
  }
  if (!epilog_.empty()) text += "\n" + epilog_ + (epilog_.back() == '\n' ? "" : "\n");
  return text;
}

}  // namespace common
