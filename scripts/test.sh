#!/usr/bin/env bash
# scripts/test.sh -- fetch the test data, then configure, build (-Werror) and run every test.
#
#   scripts/test.sh               # preset ci: configure, build, every test except the label full
#   scripts/test.sh -L unit       # the same build, then only the tests labelled unit
#   scripts/test.sh -L full       # the default lessons, asserting every figure the READMEs state
#   scripts/test.sh -R gemm -V    # any other ctest arguments work too
#
# Labels: unit (fast), gradcheck (finite differences), golden (PyTorch reference values),
# train (small real-data training runs with a bound on the outcome), cli (the executables end
# to end), full (one per phase: the whole default lesson; minutes each, so not part of the
# default run or of CI). The default run takes a few minutes on 2 cores.
#
# Data: mnist is required. fashion-mnist and shakespeare are fetched when they can be; when one
# cannot, the tests that need it skip -- except under CI=true, where tests never skip for missing
# data, so this script then requires all three. (kjv is not used by the tests.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case ${1:-} in
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0 ;;
esac

ensure_build_tools
cd "$AIJ_ROOT"

say "== data"
if [[ ${CI:-} == true ]]; then
  scripts/get_data.sh mnist fashion-mnist shakespeare || die "CI=true: the test data must be complete"
else
  scripts/get_data.sh mnist || die "mnist is needed by the tests"
  scripts/get_data.sh fashion-mnist shakespeare ||
    warn "continuing without some optional data: the tests that need it will skip"
fi

# The programs and tests look for data where the build says (the cache variable AIJ_DATA_DIR).
# Record DATA_DIR (default data/) there first; the workflow's own configure step keeps it.
data_dir=$(abs_path "${DATA_DIR:-$AIJ_ROOT/data}")
cmake --preset ci -DAIJ_DATA_DIR="$data_dir" >/dev/null ||
  cmake --preset ci -DAIJ_DATA_DIR="$data_dir" || die "configuring the ci preset failed"

say "== configure, build and test (preset ci)"
cmake --preset ci
cmake --build --preset ci
if (($# == 0)); then
  ctest --preset ci -LE full
else
  ctest --preset ci "$@"
fi
