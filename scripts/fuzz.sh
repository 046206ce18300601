#!/usr/bin/env bash
# scripts/fuzz.sh -- build the libFuzzer targets in fuzz/ with clang and run them.
#
#   scripts/fuzz.sh                  # every target for 60 seconds
#   scripts/fuzz.sh idx 600          # one target for 10 minutes
#   scripts/fuzz.sh all 10           # every target for 10 seconds (what .ci/run does)
#   scripts/fuzz.sh --list           # the target names
#
# Targets: one per loader (fuzz/fuzz_NAME.cpp). Each run starts from the committed seeds in
# fuzz/corpus/NAME/ plus the inputs earlier runs found (out/fuzz/NAME/corpus/, not committed).
# A finding (crash, sanitizer report, an exception other than a one-line common::Error) is
# saved as out/fuzz/NAME/crash-* and makes the script exit 1; reproduce it with
#   build/fuzz/fuzz/fuzz_NAME out/fuzz/NAME/crash-...
# and add it as a regression test (docs/RELIABILITY.md says how).
#
# Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev), installed when run as root.
# Environment: FUZZ_BUILD_DIR (default build/fuzz), FUZZ_RSS_MB (memory limit, default 2048),
# FUZZ_TIMEOUT (seconds one input may take, default 120).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

TARGETS="idx text tsv labelled sentence_pairs checkpoint"

case ${1:-} in
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0 ;;
  --list) printf '%s\n' $TARGETS; exit 0 ;;
esac
target=${1:-all}
seconds=${2:-60}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || die "SECONDS must be a positive integer, not '$seconds'"
if [[ $target == all ]]; then
  targets=$TARGETS
else
  [[ " $TARGETS " == *" $target "* ]] || die "unknown fuzz target '$target' (expected all or one of: $TARGETS)"
  targets=$target
fi

ensure_fuzz_tools() {
  local rt
  rt=$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null | head -n 1 || true)
  have clang++ && [[ -n $rt || $(uname -s) != Linux ]] && return 0
  can_apt_install || die "fuzzing needs clang and libFuzzer: sudo apt-get install clang libclang-rt-14-dev"
  apt_install clang libclang-rt-14-dev || die "could not install clang and libFuzzer"
}

ensure_build_tools
ensure_fuzz_tools
cd "$AIJ_ROOT"
build=${FUZZ_BUILD_DIR:-build/fuzz}
if [[ ! -f $build/build.ninja ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DAIJ_FUZZ=ON -DAIJ_BUILD_TESTS=OFF -DAIJ_NATIVE=OFF -DAIJ_PHASES="" >/dev/null ||
    die "configuring $build failed"
fi
cmake --build "$build" || die "building the fuzz targets failed"

failed=0
summary=()
for t in $targets; do
  work=out/fuzz/$t
  mkdir -p "$work/corpus"
  say "== fuzz_$t for $seconds s"
  log=$work/last-run.log
  rc=0
  # -timeout: one input taking longer is a finding (a loop that never ends, say). It is
  # wall-clock time, and on a busy machine a `nice`d fuzzer can wait many seconds for a
  # core (seen here: 18 s "timeouts" in fopen that replay in 1 ms), hence the generous 120.
  "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
    -timeout="${FUZZ_TIMEOUT:-120}" -report_slow_units="${FUZZ_TIMEOUT:-120}" -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "fuzz/corpus/$t" \
    >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  findings=$(find "$work" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'timeout-*' -o \
    -maxdepth 1 -name 'oom-*' -o -maxdepth 1 -name 'leak-*' | wc -l | tr -d ' ')
  corpus=$(find "$work/corpus" -type f | wc -l | tr -d ' ')
  if ((rc != 0)); then
    failed=1
    grep -E 'ERROR|FINDING|SUMMARY|Test unit written' "$log" | head -n 5 >&2 || true
    warn "fuzz_$t: exit $rc, log in $log"
  fi
  summary+=("$(printf '%-15s %10s runs  %4s in corpus  %s findings saved in %s' "$t" "${runs:-?}" "$corpus" "$findings" "$work")")
done
say "== fuzz summary ($seconds s per target)"
printf '  %s\n' "${summary[@]}"
exit $failed
