// common/error.h -- the two kinds of error every program in this project reports.
//
// Error:      something is wrong with the input (a missing or corrupt file, NaN in
//             training). main() prints its one-line message and exits with code 1.
// UsageError: something is wrong with the command line. Exit code 2.
// Both carry a complete, one-line message: what was expected, what was found, what to do.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

namespace common {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct UsageError : Error {
  using Error::Error;
};

// Runs body() and turns the exceptions above into a one-line message on stderr
// and the right exit code (0 ok, 1 Error, 2 UsageError). Every main() uses it.
template <class Body>
int run_main(const char* program, Body&& body) {
  try {
    return body();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s (see --help)\n", program, e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace common
