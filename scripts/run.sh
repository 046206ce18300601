#!/usr/bin/env bash
# scripts/run.sh -- build (Release), fetch the data a phase needs, run it.
#
#   scripts/run.sh                                    # the tour: every phase, --quick, then a summary
#   scripts/run.sh phase1_perceptron                  # a whole lesson at its default sizes
#   scripts/run.sh 1 digits --epochs 5                # one experiment; "1", "phase1" also work
#   scripts/run.sh phase3_cnn_rnn --help              # the phase's experiments and flags
#
# The build is `cmake --preset release && cmake --build --preset release` (configured once;
# ninja rebuilds only what changed). The data comes from scripts/get_data.sh; the table of which
# phase needs which dataset is phase_data() in scripts/lib.sh. Everything after PHASE is passed
# to build/release/PHASE/PHASE unchanged. The tour writes out/tour/PHASE.json and out/tour/PHASE.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<EOF
usage: scripts/run.sh [PHASE [EXPERIMENT] [FLAGS...]]

With no arguments: the tour. Builds, fetches data, runs every phase that exists with
--quick --json out/tour/PHASE.json, and prints a table of the headline results.

With PHASE (1, phase1 or phase1_perceptron): builds, fetches that phase's data and runs
build/release/PHASE/PHASE with the remaining arguments, e.g.
  scripts/run.sh phase1_perceptron digits --epochs 5
  scripts/run.sh 2 --help

Phases: $AIJ_PHASES
Written so far: $(written_so_far)

Environment: DATA_DIR (where the data goes; passed on as --data-dir), DATA_MIRROR (see
scripts/get_data.sh --help).
EOF
}

written_so_far() {
  local list
  list=$(existing_phases | tr '\n' ' ')
  echo "${list:-none yet}"
}

# fetch_data DATASET... : run get_data.sh for them (nothing to do for an empty list).
fetch_data() {
  (($#)) || return 0
  "$AIJ_ROOT/scripts/get_data.sh" "$@" || die "could not fetch the data ($*) -- see above"
}

# --- the headline table of the tour -----------------------------------------------------------
# Headline = the keys an experiment lists in its own "headline" array (dotted paths, e.g.
# ["tables_correct", "XOR.converged"]); without one, every numeric key whose name ends in
# accuracy, loss, mse, bleu, perplexity or items_per_second, anywhere under "experiments"
# (nested keys joined with dots). Needs python3; without it we fall back to grepping the
# same keys out of the JSON text.
print_headlines() {  # JSON_FILE...
  if have python3; then
    python3 - "$@" <<'EOF'
import json, os, re, sys
HEADLINE = re.compile(r"(accuracy|loss|mse|bleu|perplexity|items_per_second)$")
def walk(prefix, obj, out):
    for key, value in obj.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            walk(name, value, out)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and HEADLINE.search(key):
            out.append((name, value))
rows = []
for path in sys.argv[1:]:
    phase = os.path.basename(path)[:-len(".json")]
    try:
        with open(path) as f:
            experiments = json.load(f).get("experiments", {})
    except (OSError, ValueError) as e:
        rows.append((phase, "-", f"(unreadable JSON: {e})", ""))
        continue
    for experiment, metrics in experiments.items():
        found = []
        if isinstance(metrics, dict) and isinstance(metrics.get("headline"), list):
            for path_key in metrics["headline"]:
                value = metrics
                for part in str(path_key).split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if isinstance(value, bool):
                    value = "yes" if value else "no"
                if value is not None:
                    found.append((path_key, value))
        elif isinstance(metrics, dict):
            walk("", metrics, found)
        for key, value in found or [("(no headline metric)", "")]:
            if isinstance(value, str):
                text = value
            elif isinstance(value, int) or float(value).is_integer():
                text = f"{value:,.0f}"
            elif abs(value) >= 1000:
                text = f"{value:,.0f}"
            elif value != 0 and abs(value) < 0.01:
                text = f"{value:.1e}"  # a gradient-check error of 1.0e-08, not 0.0000
            else:
                text = f"{value:.4f}"
            rows.append((phase, experiment, key, text))
header = ("phase", "experiment", "metric", "value")
widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(4)]
for r in [header] + rows:
    print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
EOF
  else
    local f
    for f in "$@"; do
      echo "$(basename "$f" .json):"
      grep -oE '"[A-Za-z0-9_]*(accuracy|loss|mse|bleu|perplexity|items_per_second)"[[:space:]]*:[[:space:]]*[-0-9.eE+]+' "$f" |
        sed 's/^/  /; s/"//g' || echo "  (no headline metric)"
    done
  fi
}

tour() {
  local phases=() p needs="" d start secs status=0 results=() jsons=()
  mapfile -t phases < <(existing_phases)
  ((${#phases[@]})) || die "no phase folders yet (expected e.g. phase1_perceptron/)"
  ensure_release_build
  for p in "${phases[@]}"; do
    for d in $(phase_data "$p"); do [[ " $needs " == *" $d "* ]] || needs+=" $d"; done
  done
  fetch_data $needs
  mkdir -p "$AIJ_ROOT/out/tour"
  for p in "${phases[@]}"; do
    say ""
    say "=== $p --quick ==="
    start=$(date +%s)
    rm -f "$AIJ_ROOT/out/tour/$p.json"
    # The lesson's narration goes to the terminal and to out/tour/PHASE.log.
    if "$AIJ_ROOT/build/release/$p/$p" --quick --json "$AIJ_ROOT/out/tour/$p.json" "${DATA_FLAGS[@]}" 2>&1 |
       tee "$AIJ_ROOT/out/tour/$p.log"; then
      secs=$(($(date +%s) - start))
      results+=("$(printf '%-20s ok      %5d s' "$p" "$secs")")
      [[ -f $AIJ_ROOT/out/tour/$p.json ]] && jsons+=("$AIJ_ROOT/out/tour/$p.json")
    else
      secs=$(($(date +%s) - start))
      results+=("$(printf '%-20s FAILED  %5d s  (log: out/tour/%s.log)' "$p" "$secs" "$p")")
      status=1
    fi
  done
  say ""
  say "=== tour summary ==="
  printf '%s\n' "${results[@]}"
  if ((${#jsons[@]})); then
    say ""
    print_headlines "${jsons[@]}"
  fi
  say ""
  say "Full runs: scripts/run.sh PHASE (see each phase's README for the expected results)."
  return $status
}

# --- main ----------------------------------------------------------------------------------
DATA_FLAGS=()
if [[ -n ${DATA_DIR:-} ]]; then
  export DATA_DIR
  DATA_FLAGS=(--data-dir "$DATA_DIR")
fi

if (($# == 0)); then
  tour
  exit
fi
case $1 in -h | --help) usage; exit 0 ;; esac

phase=$(resolve_phase "$1")
shift
phase_exists "$phase" || die "$phase is not written yet (written so far: $(written_so_far))"

# --data-dir on the command line also tells get_data.sh where to put the data.
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --data-dir) ((i + 1 < ${#args[@]})) && DATA_DIR=${args[i + 1]} DATA_FLAGS=() ;;
    --data-dir=*) DATA_DIR=${args[i]#--data-dir=} DATA_FLAGS=() ;;
  esac
done
[[ -n ${DATA_DIR:-} ]] && export DATA_DIR

ensure_release_build
wants_help=0
for a in "$@"; do [[ $a == -h || $a == --help ]] && wants_help=1; done
((wants_help)) || fetch_data $(phase_data "$phase")
exe="$AIJ_ROOT/build/release/$phase/$phase"
[[ -x $exe ]] || die "$exe was not built (does $phase/CMakeLists.txt define the executable $phase?)"
exec "$exe" "$@" "${DATA_FLAGS[@]}"
