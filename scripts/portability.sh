#!/usr/bin/env bash
# scripts/portability.sh -- build and run the unit tests in the configurations CI does not
# otherwise use, so that code relying on one compiler, one standard library or one build tool
# is caught:
#
#   1. clang + libc++ (-stdlib=libc++), Ninja, -Werror; GoogleTest built from source with the
#      same standard library (Debian: clang, libc++-dev, libc++abi-dev, googletest);
#   2. the default compiler with the "Unix Makefiles" generator, -Werror: every phase is
#      configured (the CMake code is what a generator can break), but only common's and
#      phase 1's unit tests are built and run -- building them all a third time with the
#      same compiler would test the compiler, not the generator, and cost CI minutes.
#
#   scripts/portability.sh                    # both
#   scripts/portability.sh libcxx             # just one: libcxx or makefiles
#   scripts/portability.sh libcxx --sanitize  # clang + libc++ with AddressSanitizer and
#                                             # UndefinedBehaviorSanitizer (-O1): what .ci/run
#                                             # runs, one build for three checks
#   scripts/portability.sh --have-libcxx      # exit 0 when clang + libc++ are (or could be
#                                             # made) available, 1 otherwise; builds nothing
#
# The unit tests need no dataset: both builds point AIJ_DATA_DIR at an empty folder and run
# with CI=true, so a unit test that needs data fails here instead of skipping. Missing tools
# are installed when run as root on Debian; otherwise a configuration whose tools are missing
# is skipped with a message (exit 0), so that the script can run anywhere.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

which=${1:-all}
sanitize=false
[[ ${2:-} == --sanitize ]] && sanitize=true
case $which in
  all | libcxx | makefiles | --have-libcxx) ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown configuration '$which' (expected libcxx, makefiles or nothing for both)" ;;
esac
[[ -z ${2:-} || ${2:-} == --sanitize ]] || die "unknown option '${2}' (expected --sanitize)"

ensure_build_tools
cd "$AIJ_ROOT"
empty_data=$(mktemp -d)
trap 'rm -rf "$empty_data"' EXIT
export CI=true

# configure_build_test NAME TARGETS TEST-REGEX CMAKE-ARGS...: build/NAME, the targets (a
# space-separated list), then ctest -L unit on the tests matching TEST-REGEX.
configure_build_test() {
  local name=$1 targets=$2 tests=$3
  shift 3
  say "== $name: configure"
  cmake -S . -B "build/$name" -DCMAKE_BUILD_TYPE=Release -DAIJ_WERROR=ON \
    -DAIJ_DATA_DIR="$empty_data" "$@" >/dev/null || die "$name: configure failed"
  say "== $name: build (target $targets)"
  # shellcheck disable=SC2086  # the targets are words
  cmake --build "build/$name" --target $targets -j "${CMAKE_BUILD_PARALLEL_LEVEL:-2}" ||
    die "$name: build failed"
  say "== $name: unit tests"
  ctest --test-dir "build/$name" -L unit -R "$tests" -j 2 --output-on-failure ||
    die "$name: unit tests failed"
}
libcxx_tools_present() {
  have clang++ && [[ -f /usr/src/googletest/CMakeLists.txt ]] &&
    echo '#include <version>
int main() {}' | clang++ -stdlib=libc++ -x c++ - -o /dev/null 2>/dev/null
}

ensure_libcxx() {  # installs clang + libc++ when missing and we may; 0 when they are there
  if ! libcxx_tools_present && can_apt_install; then
    apt_install clang libc++-dev libc++abi-dev googletest || warn "could not install clang + libc++"
  fi
  libcxx_tools_present
}
if [[ $which == --have-libcxx ]]; then
  ensure_libcxx
  exit
fi
if [[ $which == all || $which == libcxx ]]; then
  if ensure_libcxx; then
    name=clang-libcxx
    extra=()
    if $sanitize; then
      # -O1: the sanitizers' own advice, and a much shorter build than -O3.
      name=clang-libcxx-asan
      extra=(-DAIJ_SANITIZE=ON "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG")
    fi
    configure_build_test $name unit_tests . -G Ninja -DCMAKE_C_COMPILER=clang \
      -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS=-stdlib=libc++ \
      -DCMAKE_EXE_LINKER_FLAGS=-stdlib=libc++ -DAIJ_GTEST_SOURCE_DIR=/usr/src/googletest "${extra[@]}"
  else
    warn "skipping clang + libc++: needs clang++, libc++ and /usr/src/googletest (apt-get install clang libc++-dev libc++abi-dev googletest)"
  fi
fi
if [[ $which == all || $which == makefiles ]]; then
  if have make; then
    configure_build_test makefiles \
      "common_core_tests common_io_tests common_data_tests phase1_perceptron_unit_tests" \
      "^(common|phase1_perceptron)_" -G "Unix Makefiles"
  else
    warn "skipping Unix Makefiles: make is not installed (apt-get install make)"
  fi
fi
