#!/usr/bin/env bash
# scripts/test.sh -- fetch the test data, then configure, build (-Werror) and run every test.
#
#   scripts/test.sh               # preset ci: configure, build, every test except the label full
#   scripts/test.sh -L unit       # the same build, then only the tests labelled unit
#   scripts/test.sh -L full       # the default lessons, asserting every figure the READMEs state
#   scripts/test.sh -R gemm -V    # any other ctest arguments work too
#   scripts/test.sh --asan        # the same tests in the asan preset (AddressSanitizer +
#                                 # UndefinedBehaviorSanitizer), every target built
#
# Labels: unit (fast), gradcheck (finite differences), golden (PyTorch reference values),
# train (small real-data training runs with a bound on the outcome), cli (the executables end
# to end), full (one per phase: the whole default lesson; minutes each, so not part of the
# default run or of CI). The default run takes a few minutes on 2 cores.
#
# Data: only the labels train, cli and full use datasets, so `-L unit` (or gradcheck, golden)
# fetches nothing and runs on a machine without data/. Otherwise mnist is required, and
# fashion-mnist, shakespeare and sentiment (phase 4) are fetched when they can be; when one
# cannot, the tests that need it skip -- except under CI=true, where tests never skip for
# missing data, so this script then requires all four. (kjv is not used by the tests.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case ${1:-} in
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0 ;;
esac

preset=ci
if [[ ${1:-} == --asan ]]; then
  preset=asan
  shift
fi

# True unless the ctest arguments pick only labels whose tests read no dataset: -L unit,
# -L gradcheck, -L golden, or an alternation of them such as -L 'unit|golden'.
DATA_FREE_LABELS=" unit gradcheck golden "
needs_data() {
  local label="" prev="" arg part parts
  for arg in "$@"; do
    [[ $prev == -L || $prev == --label-regex ]] && label=$arg
    [[ $arg == -L?* ]] && label=${arg#-L}
    prev=$arg
  done
  [[ -n $label ]] || return 0
  IFS='|' read -r -a parts <<<"$label"
  for part in "${parts[@]}"; do
    part=${part#^}
    part=${part%$}
    [[ $DATA_FREE_LABELS == *" $part "* ]] || return 0
  done
  return 1
}

ensure_build_tools
cd "$AIJ_ROOT"

if needs_data "$@"; then
  say "== data"
  if [[ ${CI:-} == true ]]; then
    scripts/get_data.sh mnist fashion-mnist shakespeare sentiment || die "CI=true: the test data must be complete"
  else
    scripts/get_data.sh mnist || die "mnist is needed by the tests"
    scripts/get_data.sh fashion-mnist shakespeare sentiment ||
      warn "continuing without some optional data: the tests that need it will skip"
  fi
else
  say "== data: not needed by the selected labels"
fi

# The programs and tests look for data where the build says (the cache variable AIJ_DATA_DIR).
# Record DATA_DIR (default data/) there; a later plain `cmake --preset` keeps it.
data_dir=${DATA_DIR:-$AIJ_ROOT/data}
mkdir -p "$data_dir"
data_dir=$(abs_path "$data_dir")

say "== configure, build and test (preset $preset)"
cmake --preset "$preset" -DAIJ_DATA_DIR="$data_dir" >/dev/null ||
  cmake --preset "$preset" -DAIJ_DATA_DIR="$data_dir" || die "configuring the $preset preset failed"
if [[ $preset == asan ]]; then
  # The asan build preset builds only the unit tests (for the quick CI stage); here every
  # target, and every test but the label full, without the preset's label filter. The
  # train and cli tests run their experiments at --quick sizes already, except phase 2's
  # 20-epoch MLP (Phase2Digits.FullRunBeatsThePerceptron), by far the longest test under
  # the sanitizers. That is why CI runs only the unit tests here.
  cmake --build build/asan
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  if (($# == 0)); then
    ctest --test-dir build/asan --output-on-failure -j "${CTEST_PARALLEL_LEVEL:-2}" --timeout 3600 -LE full
  else
    ctest --test-dir build/asan --output-on-failure -j "${CTEST_PARALLEL_LEVEL:-2}" --timeout 3600 "$@"
  fi
else
  cmake --build --preset ci
  if (($# == 0)); then
    ctest --preset ci -LE full
  else
    ctest --preset ci "$@"
  fi
fi
