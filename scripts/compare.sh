#!/usr/bin/env bash
# scripts/compare.sh -- run a phase and its PyTorch twin, print their results side by side.
#
#   scripts/compare.sh phase1_perceptron          # full sizes
#   scripts/compare.sh 3 --quick                  # tiny sizes, seconds
#
# The framework-twin convention. Each phase may have PHASE/pytorch/twin.py: the same models,
# initialisation, data and hyper-parameters, written with PyTorch. It must accept
#
#   twin.py --data-dir DIR --json FILE [--quick]
#
# and write to FILE the same metrics JSON as the C++ program, {"experiments": {NAME: {...}}},
# with the same key names (test_accuracy, final_train_loss, seconds, items_per_second, ...).
# This script
#   1. builds the Release C++ programs and fetches the phase's data,
#   2. runs the twin with Debian's /usr/bin/python3 and PyTorch on the multi-threaded OpenBLAS
#      (LD_LIBRARY_PATH=.../openblas-openmp, OMP_NUM_THREADS=N, OPENBLAS_CORETYPE=SkylakeX on
#      CPUs with AVX-512) -> out/compare/PHASE/pytorch.json,
#   3. runs `build/release/PHASE/PHASE EXPERIMENT --threads N --json FILE [--quick]` for every
#      experiment name in the twin's JSON -> out/compare/PHASE/cpp-EXPERIMENT.json,
#      one program at a time, never both at once, so neither steals the other's cores,
#   4. prints every numeric key the two sides share, with the ratio C++ / PyTorch.
# PyTorch: apt-get install python3-torch libopenblas0-openmp (the C++ side never needs Python).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PYTHON=/usr/bin/python3

usage() {
  cat <<EOF
usage: scripts/compare.sh PHASE [--quick] [--threads N]

Runs PHASE/pytorch/twin.py, then the C++ program for each experiment the twin reports,
and prints a side-by-side table (accuracy, loss, seconds, items_per_second, ...).
PHASE is 1, phase1 or phase1_perceptron.

  --quick       tiny sizes (both sides)
  --threads N   threads for both sides (default 2: OMP_NUM_THREADS for PyTorch,
                --threads for C++)
  -h, --help    this help

Results go to out/compare/PHASE/. Needs: apt-get install python3-torch libopenblas0-openmp
EOF
}

phase="" quick=() threads=2
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --quick) quick=(--quick) ;;
    --threads)
      (($# > 1)) && [[ $2 =~ ^[1-9][0-9]*$ ]] || die "--threads needs a positive integer"
      threads=$2
      shift ;;
    -*) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) [[ -z $phase ]] || die "one phase at a time (got '$phase' and '$1')"; phase=$(resolve_phase "$1") ;;
  esac
  shift
done
[[ -n $phase ]] || { usage >&2; exit 2; }
phase_exists "$phase" || die "$phase is not written yet"
twin="$AIJ_ROOT/$phase/pytorch/twin.py"
[[ -f $twin ]] || die "$phase has no framework twin yet ($phase/pytorch/twin.py)"

if [[ ! -x $PYTHON ]] || ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  die "PyTorch for $PYTHON is missing. Install it with: apt-get install python3-torch libopenblas0-openmp"
fi

# The fast BLAS setup for PyTorch.
blas_env=(OMP_NUM_THREADS="$threads")
for d in /usr/lib/*-linux-gnu/openblas-openmp; do
  [[ -d $d ]] && blas_env+=(LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
done
((${#blas_env[@]} > 1)) ||
  warn "OpenMP OpenBLAS not found; PyTorch will be slower (apt-get install libopenblas0-openmp)"
grep -qw avx512f /proc/cpuinfo 2>/dev/null && blas_env+=(OPENBLAS_CORETYPE=SkylakeX)

ensure_release_build
data_dir=${DATA_DIR:-$AIJ_ROOT/data}
# shellcheck disable=SC2046
"$AIJ_ROOT/scripts/get_data.sh" $(phase_data "$phase") || die "could not fetch the data for $phase"
data_dir=$(abs_path "$data_dir")

out="$AIJ_ROOT/out/compare/$phase"
mkdir -p "$out"
rm -f "$out"/pytorch.json "$out"/cpp-*.json

say "=== PyTorch twin: $phase/pytorch/twin.py${quick:+ --quick} (threads $threads)"
env "${blas_env[@]}" "$PYTHON" "$twin" --data-dir "$data_dir" --json "$out/pytorch.json" "${quick[@]}" ||
  die "the twin failed"
[[ -f $out/pytorch.json ]] || die "the twin wrote no $out/pytorch.json"

mapfile -t experiments < <("$PYTHON" -c '
import json, sys
for name in json.load(open(sys.argv[1])).get("experiments", {}):
    print(name)' "$out/pytorch.json")
((${#experiments[@]})) || die "$out/pytorch.json lists no experiments"

for e in "${experiments[@]}"; do
  say ""
  say "=== C++: $phase $e${quick:+ --quick} (threads $threads)"
  "$AIJ_ROOT/build/release/$phase/$phase" "$e" --threads "$threads" --data-dir "$data_dir" \
    --json "$out/cpp-$e.json" "${quick[@]}" || die "the C++ program failed on experiment $e"
done

say ""
say "=== $phase: C++ vs PyTorch${quick:+ (--quick)}, $threads threads"
"$PYTHON" - "$out/pytorch.json" "${experiments[@]/#/$out/cpp-}" <<'EOF'
import json, sys

def flatten(prefix, obj, out):
    for key, value in obj.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            flatten(name, value, out)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = float(value)
    return out

def fmt(x):
    if abs(x) >= 1e4:
        return f"{x:,.0f}"
    return f"{x:.3e}" if x != 0 and abs(x) < 1e-3 else f"{x:.4f}"

twin = json.load(open(sys.argv[1]))["experiments"]
rows = []
for path in sys.argv[2:]:
    path += ".json"
    name = path.rsplit("/cpp-", 1)[1][:-len(".json")]
    cpp = json.load(open(path)).get("experiments", {}).get(name, {})
    a, b = flatten("", cpp, {}), flatten("", twin.get(name, {}), {})
    shared = [k for k in b if k in a]
    if not shared:
        rows.append((name, "(no shared numeric keys)", "", "", ""))
    for k in shared:
        ratio = f"{a[k] / b[k]:.2f}" if b[k] != 0 else "-"
        rows.append((name, k, fmt(a[k]), fmt(b[k]), ratio))
header = ("experiment", "metric", "C++", "PyTorch", "C++/PyTorch")
widths = [max(len(r[i]) for r in rows + [header]) for i in range(5)]
for r in [header] + rows:
    print("  ".join(c.rjust(w) if i >= 2 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
EOF
say ""
say "JSON: $out/"
