#!/usr/bin/env bash
# scripts/kernel_variants.sh -- the gemm kernel's test suite on every instruction set it has a
# register tile for, not only the one this machine's -march=native picks.
#
#   scripts/kernel_variants.sh            # build and run common/tests/test_gemm.cpp per variant
#   scripts/kernel_variants.sh --all      # ... every variant with both compilers
#   scripts/kernel_variants.sh --bench    # --all, and common_bench --quick per variant (a smoke
#                                         # test of the speed; measure with the full common_bench)
#
# Variants (by default sse2 with g++, avx512 skipped as native covers it on AVX-512 CPUs, the
# others with g++ and, when installed, clang++; --all: every one with both):
#   sse2     -march=x86-64      the x86-64 baseline (4 x 12 tile, 16 xmm registers)
#   avx2     -march=x86-64-v3   AVX2 + FMA (4 x 24 tile, 16 ymm registers)
#   avx512   -march=x86-64-v4   AVX-512 (8 x 48 tile, 32 zmm registers)
#   native   -march=native      whatever this CPU is
#   aarch64  NEON (8 x 12 tile), cross-compiled with aarch64-linux-gnu-g++ and run under
#            qemu-aarch64: correct results only, its speed under emulation means nothing.
# A variant whose instructions this CPU lacks, or whose compiler is missing, is reported as
# skipped. Exit status: non-zero when any variant that ran failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$AIJ_ROOT"

bench=false
all=false
case ${1:-} in
  --all) all=true ;;
  --bench) bench=true all=true ;;
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0 ;;
  "") ;;
  *) die "unknown argument $1 (see --help)" ;;
esac

out=build/kernel_variants
mkdir -p "$out"
gtest_src=/usr/src/googletest/googletest
kernel_sources=(common/gemm.cpp common/thread_pool.cpp common/rng.cpp common/float_env.cpp)
bench_sources=(common/json.cpp common/files.cpp common/progress.cpp common/console.cpp common/platform.cpp)
cpu_flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has_flags() { for f in "$@"; do [[ " $cpu_flags " == *" $f "* ]] || return 1; done; }

results=()
failed=0

# build NAME CXX "FLAGS" LINK_GTEST_FROM_SOURCE RUNNER: compile the kernel and its test, run it.
build_and_run() {
  local name=$1 cxx=$2 flags=$3 gtest_from_source=$4 runner=$5
  local dir=$out/$name
  mkdir -p "$dir"
  local common_flags=(-std=c++20 -O3 -Wall -Wextra -Werror -Icommon $flags)
  local objs=() src
  local sources=("${kernel_sources[@]}")
  $bench && sources+=("${bench_sources[@]}")
  for src in "${sources[@]}"; do
    # The same per-file options as common/CMakeLists.txt gives gemm.cpp.
    local extra=(-ffp-contract=off)
    if [[ $src == common/gemm.cpp ]]; then
      extra=(-ffp-contract=fast)
      [[ $name != aarch64* ]] && extra+=(-mprefer-vector-width=512)
    fi
    "$cxx" "${common_flags[@]}" "${extra[@]}" -c "$src" -o "$dir/$(basename "${src%.cpp}").o"
    objs+=("$dir/$(basename "${src%.cpp}").o")
  done
  local gtest_link=(-lgtest -lgtest_main)
  if [[ $gtest_from_source == yes ]]; then
    if [[ ! -f $dir/gtest.a ]]; then
      "$cxx" -std=c++20 -O1 $flags -I"$gtest_src/include" -I"$gtest_src" -c "$gtest_src/src/gtest-all.cc" -o "$dir/gtest-all.o"
      "$cxx" -std=c++20 -O1 $flags -I"$gtest_src/include" -c "$gtest_src/src/gtest_main.cc" -o "$dir/gtest_main.o"
      ar rcs "$dir/gtest.a" "$dir/gtest-all.o" "$dir/gtest_main.o"
    fi
    gtest_link=(-I"$gtest_src/include" "$dir/gtest.a")
  fi
  "$cxx" "${common_flags[@]}" -ffp-contract=off common/tests/test_gemm.cpp "${objs[@]}" \
    "${gtest_link[@]}" -I"$gtest_src/include" -lpthread -static-libstdc++ -o "$dir/test_gemm" \
    $([[ $gtest_from_source == yes ]] && echo -static) 2> >(grep -v "getaddrinfo\|gtest-all.o: in function" >&2)
  local log=$dir/test.log status=passed
  if $runner "$dir/test_gemm" >"$log" 2>&1; then
    status="passed ($(grep -Eo '[0-9]+ tests? from [0-9]+ test suites? ran' "$log" | head -1))"
  else
    status="FAILED (see $log)"
    failed=1
  fi
  if $bench && [[ $name != aarch64* ]]; then
    "$cxx" "${common_flags[@]}" -ffp-contract=off common/bench/common_bench.cpp "${objs[@]}" \
      -lpthread -o "$dir/common_bench"
    "$dir/common_bench" --quick >"$dir/bench.txt" 2>&1 || true
    status+="; $(grep -m1 '^kernel:' "$dir/bench.txt" | sed 's/^kernel: *//')"
    status+="; speed: $dir/bench.txt"
  fi
  results+=("$(printf '%-22s %s' "$name" "$status")")
}

variant() {  # NAME "MARCH FLAGS" COMPILERS CPU_FLAGS...
  local name=$1 flags=$2 compilers=$3
  shift 3
  $all && compilers="g++ clang++"
  if [[ -z $compilers ]]; then
    results+=("$(printf '%-22s %s' "$name" "skipped (run with --all)")")
    return
  fi
  if ! has_flags "$@"; then
    results+=("$(printf '%-22s %s' "$name" "skipped: this CPU lacks $*")")
    return
  fi
  local cxx
  for cxx in $compilers; do
    if ! command -v "$cxx" >/dev/null; then
      results+=("$(printf '%-22s %s' "$name-$cxx" "skipped: $cxx not installed")")
      continue
    fi
    say "== $name with $cxx ($flags)"
    build_and_run "$name-$cxx" "$cxx" "$flags" no ""
  done
}

# The cross-compiler and emulator for the aarch64 variant: installed when missing and we are
# root on Debian (CI), otherwise that variant is skipped.
if [[ $(uname -m) == x86_64 ]] && ! command -v qemu-aarch64 >/dev/null && [[ $(id -u) == 0 ]] &&
  command -v apt-get >/dev/null; then
  say "== installing g++-aarch64-linux-gnu and qemu-user for the aarch64 variant"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q g++-aarch64-linux-gnu qemu-user >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q g++-aarch64-linux-gnu qemu-user >/dev/null 2>&1; } ||
    warn "could not install the aarch64 cross tools; that variant is skipped"
fi

if [[ $(uname -m) == x86_64 ]]; then
  variant sse2 "-march=x86-64" "g++" sse2
  variant avx2 "-march=x86-64-v3" "g++ clang++" avx2 fma
  variant avx512 "-march=x86-64-v4" "" avx512f avx512bw avx512dq avx512vl avx512cd
  variant native "-march=native" "g++ clang++" sse2
  if command -v aarch64-linux-gnu-g++ >/dev/null && command -v qemu-aarch64 >/dev/null; then
    say "== aarch64 (NEON) cross-compiled, run under qemu-aarch64"
    build_and_run aarch64-g++ aarch64-linux-gnu-g++ "-march=armv8-a" yes \
      "qemu-aarch64 -L /usr/aarch64-linux-gnu"
  else
    results+=("aarch64                skipped: needs g++-aarch64-linux-gnu and qemu-user")
  fi
else
  variant native "-march=native" "g++ clang++"
fi

say "== kernel variants"
printf '  %s\n' "${results[@]}"
exit $failed
