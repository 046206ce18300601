# shellcheck shell=bash
# scripts/lib.sh -- shell helpers shared by get_data.sh, run.sh, test.sh and compare.sh.
# Sourced, not run:  . "$(dirname "$0")/lib.sh"
# Needs bash (arrays, [[ ]]); the scripts that source it start with #!/usr/bin/env bash.

AIJ_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# --- messages ----------------------------------------------------------------------------
say()  { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# --- the phases and the data each one needs -------------------------------------------------
# Update this table when a phase lands; phases whose folder does not exist yet are skipped.
AIJ_PHASES="phase1_perceptron phase2_backprop phase3_cnn_rnn phase4_lstm_gan phase5_resnet phase6_transformer phase7_llm"

phase_data() {  # PHASE -> the datasets scripts/get_data.sh must fetch for it
  case $1 in
    phase1_perceptron | phase2_backprop) echo "mnist" ;;
    phase3_cnn_rnn) echo "mnist fashion-mnist shakespeare" ;;
    phase4_lstm_gan) echo "mnist fashion-mnist shakespeare sentiment" ;;
    phase5_resnet) echo "mnist fashion-mnist" ;;
    phase6_transformer) echo "bible-en-es shakespeare" ;;
    phase7_llm) echo "shakespeare kjv bible-kjv-web" ;;
    *) echo "" ;;
  esac
}

# "1", "phase1" or "phase1_perceptron" -> "phase1_perceptron"; dies on anything else.
resolve_phase() {
  local arg=$1 p
  for p in $AIJ_PHASES; do
    if [[ $arg == "$p" || $arg == "${p%%_*}" || "phase$arg" == "${p%%_*}" ]]; then
      echo "$p"
      return 0
    fi
  done
  die "unknown phase '$arg' (expected 1-7, phaseN or one of: $AIJ_PHASES)"
}

phase_exists() { [[ -f $AIJ_ROOT/$1/CMakeLists.txt ]]; }

existing_phases() {
  local p
  for p in $AIJ_PHASES; do
    if phase_exists "$p"; then echo "$p"; fi
  done
}

# --- privileges and packages -----------------------------------------------------------------
# True when this script may install Debian packages itself: root, on Debian, with apt-get.
can_apt_install() {
  [[ $(id -u) == 0 && -r /etc/debian_version ]] && have apt-get
}

apt_install() {  # PACKAGE... ; prints what it does
  say "running: apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 && return 0
  say "apt-get install failed; refreshing the package lists and trying once more"
  apt-get update -q >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# --- build tools -----------------------------------------------------------------------------
# The CMake presets use the Ninja generator and CMake >= 3.25; the tests need GoogleTest.
# Missing tools are installed when we are root on Debian, otherwise we say what to run.
ensure_build_tools() {
  local missing=() v
  have cmake || missing+=(cmake)
  have ninja || missing+=(ninja-build)
  have c++ || missing+=(g++)
  [[ -f /usr/include/gtest/gtest.h || -f /usr/local/include/gtest/gtest.h ]] || missing+=(libgtest-dev)
  if ((${#missing[@]})); then
    if can_apt_install; then
      apt_install "${missing[@]}" || die "could not install ${missing[*]}"
    else
      die "missing build tools: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}"
    fi
  fi
  v=$(cmake --version | sed -n '1s/[^0-9]*\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p')
  if [[ -n $v ]] && ((${v%%.*} < 3 || (${v%%.*} == 3 && ${v#*.} < 25))); then
    die "CMake $v is too old: the presets need 3.25 or newer (Debian 12 ships 3.25)"
  fi
}

# Configure (first time only) and build the release preset; ninja makes repeat builds cheap.
ensure_release_build() {
  ensure_build_tools
  (
    cd "$AIJ_ROOT"
    if [[ ! -f build/release/build.ninja ]]; then
      cmake --preset release >/dev/null || { cmake --preset release; exit 1; }
    fi
    cmake --build --preset release
  ) || die "the release build failed (see above)"
}

# --- files -----------------------------------------------------------------------------------
sha256_of() {
  if have sha256sum; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

md5_of() {
  if have md5sum; then md5sum "$1" | cut -d' ' -f1; else md5 -q "$1"; fi
}

file_size() { wc -c <"$1" | tr -d ' '; }

abs_path() { (cd "$1" && pwd); }

# download URL FILE: curl or wget with short timeouts; on failure the last error line is
# left in DOWNLOAD_ERROR.
DOWNLOAD_ERROR=""
download() {
  local url=$1 out=$2 log
  log=$(mktemp)
  if have curl; then
    if curl -fsSL --connect-timeout 5 --max-time 120 -o "$out" "$url" 2>"$log"; then
      rm -f "$log"
      return 0
    fi
  elif have wget; then
    if wget -nv --connect-timeout=5 --timeout=120 --tries=1 -O "$out" "$url" 2>"$log"; then
      rm -f "$log"
      return 0
    fi
  else
    echo "neither curl nor wget is installed" >"$log"
  fi
  DOWNLOAD_ERROR=$(grep -v '^$' "$log" | tail -n 1)
  [[ -n $DOWNLOAD_ERROR ]] || DOWNLOAD_ERROR="download failed"
  rm -f "$log" "$out"
  return 1
}
