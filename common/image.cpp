// common/image.cpp -- see image.h.
//
// Sections: PNG encoding (every byte explained), images from floats, geometry
// (upscale, tiles), drawing, ASCII preview.
//
// Pixel coordinates: x runs left to right over columns, y top to bottom over rows;
// pixel (x, y) is a unit square whose centre is at (x, y). Pixels are stored
// row-major, channels last: pixels[(y * width + x) * channels + c].
#include "image.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "error.h"
#include "files.h"

namespace common {

// --- PNG encoding -------------------------------------------------------------------
//
// A PNG file is an 8-byte signature followed by "chunks". Every chunk is
//
//   length  4 bytes, big-endian: the number of data bytes (not counting type or CRC)
//   type    4 ASCII letters, e.g. "IHDR"
//   data    `length` bytes
//   CRC     4 bytes, big-endian: CRC-32 of type + data (not of the length)
//
// We write the three chunks every PNG needs: IHDR (size and pixel format), IDAT (the
// pixels) and IEND (the end). The pixels inside IDAT are a zlib stream. zlib streams
// are normally compressed, but deflate -- the format inside zlib -- also has "stored"
// blocks that hold bytes verbatim. Using only those, we need no compressor at all: the
// file is as big as the raw pixels plus a few bytes per 64 KiB, and any viewer opens it.

namespace {

// PNG stores multi-byte integers big-endian (most significant byte first).
void put_u32_be(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

// Deflate (RFC 1951), unlike the rest of PNG, stores its lengths little-endian.
void put_u16_le(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}

// Adler-32 (RFC 1950), zlib's checksum of the uncompressed data: two running sums
// modulo 65521 (the largest prime below 2^16). a = 1 + sum of bytes;
// b = sum of the successive values of a. The result is (b << 16) | a.
uint32_t adler32(const std::vector<uint8_t>& data) {
  uint32_t a = 1, b = 0;
  for (uint8_t byte : data) {
    a = (a + byte) % 65521u;
    b = (b + a) % 65521u;
  }
  return (b << 16) | a;
}

// The raw bytes the PNG filter stage produces: each row of pixels preceded by one
// "filter type" byte. Filters predict a pixel from its neighbours to help compression;
// we do not compress, so every row uses filter 0 ("None": bytes as they are).
std::vector<uint8_t> filtered_scanlines(const Image& image) {
  const size_t row_bytes = static_cast<size_t>(image.width) * image.channels;
  std::vector<uint8_t> raw;
  raw.reserve((row_bytes + 1) * image.height);
  for (int y = 0; y < image.height; ++y) {
    raw.push_back(0);  // filter type 0: None
    const uint8_t* row = image.at(0, y);
    raw.insert(raw.end(), row, row + row_bytes);
  }
  return raw;
}

// A zlib stream (RFC 1950) holding `data` in stored deflate blocks (RFC 1951 §3.2.4).
std::vector<uint8_t> zlib_stored(const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out;
  // CMF = 0x78: low 4 bits CM = 8 ("deflate"), high 4 bits CINFO = 7 (a 2^(7+8) =
  // 32 KiB window, the maximum; it does not matter for stored blocks).
  out.push_back(0x78);
  // FLG = 0x01: bit 5 FDICT = 0 (no preset dictionary), bits 6-7 FLEVEL = 0 ("fastest"),
  // bits 0-4 FCHECK = 1, chosen so that (CMF * 256 + FLG) is a multiple of 31:
  // 0x7801 = 30721 = 31 * 991.
  out.push_back(0x01);

  // A stored block holds at most 65535 bytes (its length is a 16-bit number), so larger
  // data is split into several blocks. Empty data still needs one (empty) final block.
  const size_t kMaxBlock = 65535;
  size_t pos = 0;
  do {
    const size_t len = std::min(kMaxBlock, data.size() - pos);
    const bool final_block = pos + len == data.size();
    // Block header, 3 bits packed from the least significant bit: BFINAL (1 on the last
    // block) then BTYPE = 00 (stored). A stored block then skips to the next byte
    // boundary, so the header occupies one whole byte: 0x01 for the last block, else 0x00.
    out.push_back(final_block ? 0x01 : 0x00);
    // LEN, then NLEN = its one's complement (a check that the length is not corrupt).
    put_u16_le(out, static_cast<uint16_t>(len));
    put_u16_le(out, static_cast<uint16_t>(~len & 0xFFFFu));
    // Then the LEN bytes themselves, verbatim.
    out.insert(out.end(), data.begin() + pos, data.begin() + pos + len);
    pos += len;
  } while (pos < data.size());

  // The zlib trailer: Adler-32 of the uncompressed data, big-endian.
  put_u32_be(out, adler32(data));
  return out;
}

// Appends one chunk: length, type, data, CRC-32 over type and data.
void put_chunk(std::vector<uint8_t>& png, const char type[4], const std::vector<uint8_t>& data) {
  put_u32_be(png, static_cast<uint32_t>(data.size()));
  const size_t type_start = png.size();
  png.insert(png.end(), type, type + 4);
  png.insert(png.end(), data.begin(), data.end());
  put_u32_be(png, crc32(png.data() + type_start, png.size() - type_start));
}

void check_image(const Image& image, const char* what) {
  if (image.width <= 0 || image.height <= 0) {
    throw Error(std::string(what) + ": image size must be positive, got " +
                std::to_string(image.width) + "x" + std::to_string(image.height));
  }
  if (image.channels != 1 && image.channels != 3) {
    throw Error(std::string(what) + ": channels must be 1 (gray) or 3 (RGB), got " +
                std::to_string(image.channels));
  }
  const size_t expected = static_cast<size_t>(image.width) * image.height * image.channels;
  if (image.pixels.size() != expected) {
    throw Error(std::string(what) + ": expected " + std::to_string(expected) +
                " pixel bytes, found " + std::to_string(image.pixels.size()));
  }
}

}  // namespace

std::vector<uint8_t> encode_png(const Image& image) {
  check_image(image, "encode_png");
  // IDAT data: the zlib stream of the filtered rows.
  const std::vector<uint8_t> idat = zlib_stored(filtered_scanlines(image));

  // The signature: 0x89 (a high-bit byte, so 7-bit transfers are detected), "PNG",
  // CR LF (catches CR LF -> LF conversion), 0x1A (stops the DOS `type` command), LF
  // (catches LF -> CR LF conversion).
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  // The final size: signature, three chunks of 12 bytes plus their data.
  png.reserve(8 + 3 * 12 + 13 + idat.size());

  // IHDR: 13 bytes describing the image.
  std::vector<uint8_t> ihdr;
  put_u32_be(ihdr, static_cast<uint32_t>(image.width));   // width in pixels
  put_u32_be(ihdr, static_cast<uint32_t>(image.height));  // height in pixels
  ihdr.push_back(8);                                      // bit depth: 8 bits per sample
  ihdr.push_back(image.channels == 1 ? 0 : 2);            // colour type: 0 gray, 2 RGB
  ihdr.push_back(0);  // compression method 0: zlib/deflate (the only one defined)
  ihdr.push_back(0);  // filter method 0: one filter-type byte per row (the only one)
  ihdr.push_back(0);  // interlace method 0: rows in order, no interlacing
  put_chunk(png, "IHDR", ihdr);

  // IDAT: the pixels. One chunk is enough (a chunk can hold up to 2^31 - 1 bytes);
  // encoders often split it, and readers concatenate the pieces anyway.
  put_chunk(png, "IDAT", idat);

  // IEND: no data, marks the end of the file.
  put_chunk(png, "IEND", {});
  return png;
}

void write_png(const std::string& path, const Image& image) {
  const std::vector<uint8_t> png = encode_png(image);
  write_file_atomic(path, png.data(), png.size());
}

// --- Images from floats -------------------------------------------------------------

namespace {

// t in [0, 1] -> 0..255, rounded; values outside are clamped and NaN becomes 0, so no
// input can produce an out-of-range (undefined) float-to-integer conversion.
uint8_t unit_to_byte(float t) {
  if (!(t > 0.0f)) return 0;  // also catches NaN
  if (t >= 1.0f) return 255;
  return static_cast<uint8_t>(std::lround(t * 255.0f));
}

void check_size(int height, int width, const char* what) {
  if (height <= 0 || width <= 0) {
    throw Error(std::string(what) + ": size must be positive, got " + std::to_string(height) + "x" +
                std::to_string(width));
  }
}

}  // namespace

Image gray_image(const float* values, int height, int width, float lo, float hi) {
  check_size(height, width, "gray_image");
  if (!(hi > lo)) {
    throw Error("gray_image: hi (" + std::to_string(hi) + ") must be greater than lo (" +
                std::to_string(lo) + ")");
  }
  Image image(width, height, 1);
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    image.pixels[i] = unit_to_byte((values[i] - lo) / (hi - lo));
  }
  return image;
}

Image diverging_image(const float* values, int height, int width, float scale) {
  check_size(height, width, "diverging_image");
  const size_t n = static_cast<size_t>(height) * width;
  if (!(scale > 0.0f)) {
    // Automatic scale: the largest finite |value|, so the strongest weight is fully
    // saturated. An all-zero input stays all white (scale 1 avoids dividing by zero).
    scale = 0.0f;
    for (size_t i = 0; i < n; ++i) {
      if (std::isfinite(values[i])) scale = std::max(scale, std::fabs(values[i]));
    }
    if (scale == 0.0f) scale = 1.0f;
  }
  Image image(width, height, 3);
  for (size_t i = 0; i < n; ++i) {
    const float t = values[i] / scale;  // in [-1, 1]; beyond a given scale it saturates
    uint8_t* rgb = &image.pixels[i * 3];
    // White (255, 255, 255) fades towards red (255, 0, 0) for t > 0 and towards blue
    // (0, 0, 255) for t < 0: the two channels that are not the sign's colour drop.
    const uint8_t fade = unit_to_byte(1.0f - std::fabs(t));
    uint8_t r = 0, g = 0, b = 0;  // NaN stays black, so it stands out
    if (t >= 0.0f) {
      r = 255;
      g = b = fade;
    } else if (t < 0.0f) {
      r = g = fade;
      b = 255;
    }
    rgb[0] = r;
    rgb[1] = g;
    rgb[2] = b;
  }
  return image;
}

// --- Geometry -----------------------------------------------------------------------

Image upscale(const Image& image, int factor) {
  check_image(image, "upscale");
  if (factor < 1) throw Error("upscale: factor must be >= 1, got " + std::to_string(factor));
  if (factor > 65536 / std::max(image.width, image.height)) {
    throw Error("upscale: factor " + std::to_string(factor) +
                " makes an image over 65536 pixels wide");
  }
  Image out(image.width * factor, image.height * factor, image.channels);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      const uint8_t* src = image.at(x / factor, y / factor);
      std::copy(src, src + image.channels, out.at(x, y));
    }
  }
  return out;
}

Image tile_images(const std::vector<Image>& tiles, int cols, int border, uint8_t border_value) {
  if (tiles.empty()) throw Error("tile_images: no tiles given");
  if (cols < 1) throw Error("tile_images: cols must be >= 1, got " + std::to_string(cols));
  if (border < 0) throw Error("tile_images: border must be >= 0, got " + std::to_string(border));
  const int w = tiles[0].width, h = tiles[0].height;
  int channels = 1;
  for (size_t i = 0; i < tiles.size(); ++i) {
    check_image(tiles[i], "tile_images");
    if (tiles[i].width != w || tiles[i].height != h) {
      throw Error("tile_images: tile " + std::to_string(i) + " is " +
                  std::to_string(tiles[i].width) + "x" + std::to_string(tiles[i].height) +
                  " but tile 0 is " + std::to_string(w) + "x" + std::to_string(h));
    }
    if (tiles[i].channels == 3) channels = 3;
  }

  // Grid: `cols` columns (fewer if there are fewer tiles), as many rows as needed, and a
  // border around every tile, including the outer edge.
  const int n = static_cast<int>(tiles.size());
  const int grid_cols = std::min(cols, n);
  const int grid_rows = (n + grid_cols - 1) / grid_cols;
  Image out(grid_cols * w + (grid_cols + 1) * border, grid_rows * h + (grid_rows + 1) * border,
            channels, border_value);

  for (int i = 0; i < n; ++i) {
    const Image& tile = tiles[i];
    const int x0 = border + (i % grid_cols) * (w + border);
    const int y0 = border + (i / grid_cols) * (h + border);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const uint8_t* src = tile.at(x, y);
        uint8_t* dst = out.at(x0 + x, y0 + y);
        // A gray pixel in an RGB grid becomes (v, v, v).
        for (int c = 0; c < channels; ++c) dst[c] = src[tile.channels == 1 ? 0 : c];
      }
    }
  }
  return out;
}

// --- Drawing ------------------------------------------------------------------------
//
// Both functions take `color` with image.channels bytes and never touch a pixel
// outside the image, whatever the coordinates (even NaN or huge values).

void draw_disc(Image& image, float cx, float cy, float radius, const uint8_t* color) {
  if (!std::isfinite(cx) || !std::isfinite(cy) || !(radius >= 0.0f)) return;
  // Only pixels inside the disc's bounding box can be covered. The box is clamped to
  // the image in floating point, and converted to int only when it is not empty, so
  // the conversions are always in range.
  const double x_lo = std::max(0.0, std::ceil(double(cx) - radius));
  const double x_hi = std::min(double(image.width - 1), std::floor(double(cx) + radius));
  const double y_lo = std::max(0.0, std::ceil(double(cy) - radius));
  const double y_hi = std::min(double(image.height - 1), std::floor(double(cy) + radius));
  if (x_lo > x_hi || y_lo > y_hi) return;  // the disc misses the image entirely
  const double r2 = double(radius) * radius;
  for (int y = static_cast<int>(y_lo); y <= y_hi; ++y) {
    for (int x = static_cast<int>(x_lo); x <= x_hi; ++x) {
      const double dx = x - double(cx), dy = y - double(cy);
      if (dx * dx + dy * dy <= r2) std::copy(color, color + image.channels, image.at(x, y));
    }
  }
}

namespace {

// Liang-Barsky clipping: the segment is p(t) = p0 + t * (p1 - p0) for t in [t0, t1],
// starting with [0, 1]. Each of the four edges of the box limits t from one side:
// for the edge x >= x_min, p(t).x >= x_min  <=>  -dx * t <= x0 - x_min, i.e. p * t <= q.
// Returns false when nothing of the segment is inside.
bool clip_parameter(double p, double q, double& t0, double& t1) {
  if (p == 0.0) return q >= 0.0;  // parallel to this edge: inside or out entirely
  const double t = q / p;
  if (p < 0.0) {
    t0 = std::max(t0, t);  // entering the half-plane
  } else {
    t1 = std::min(t1, t);  // leaving it
  }
  return t0 <= t1;
}

// The pixel whose centre is nearest to coordinate v (ties go up, the same on both
// sides of zero). Only called on clipped coordinates, so the int conversion is safe.
int nearest_pixel(double v) {
  return static_cast<int>(std::floor(v + 0.5));
}

}  // namespace

void draw_line(Image& image, float x0, float y0, float x1, float y1, const uint8_t* color) {
  if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1)) return;
  // Clip to the area covered by pixels: centres 0 .. width-1, plus half a pixel.
  const double x_min = -0.5, x_max = image.width - 0.5;
  const double y_min = -0.5, y_max = image.height - 0.5;
  const double dx = double(x1) - x0, dy = double(y1) - y0;
  double t0 = 0.0, t1 = 1.0;
  if (!clip_parameter(-dx, x0 - x_min, t0, t1) || !clip_parameter(dx, x_max - x0, t0, t1) ||
      !clip_parameter(-dy, y0 - y_min, t0, t1) || !clip_parameter(dy, y_max - y0, t0, t1)) {
    return;
  }
  const double ax = x0 + t0 * dx, ay = y0 + t0 * dy;  // clipped start
  const double bx = x0 + t1 * dx, by = y0 + t1 * dy;  // clipped end

  // Walk along the longer axis one pixel at a time and, at each step, colour the pixel
  // nearest to the line on the other axis. Walking the longer axis leaves no gaps; after
  // clipping, the walk is at most the image's width or height long.
  const bool x_major = std::fabs(bx - ax) >= std::fabs(by - ay);
  const double a_main = x_major ? ax : ay, b_main = x_major ? bx : by;
  const double a_other = x_major ? ay : ax, b_other = x_major ? by : bx;
  const int first = nearest_pixel(std::min(a_main, b_main));
  const int last = nearest_pixel(std::max(a_main, b_main));
  for (int m = first; m <= last; ++m) {
    // Where the line is when the main coordinate is m (t clamped to the segment's ends).
    const double t =
        b_main == a_main ? 0.0 : std::clamp((m - a_main) / (b_main - a_main), 0.0, 1.0);
    const int o = nearest_pixel(a_other + t * (b_other - a_other));
    const int x = x_major ? m : o, y = x_major ? o : m;
    // The clip box reaches half a pixel past the last centre, so a coordinate of exactly
    // width - 0.5 rounds to width: this check keeps every write inside.
    if (x < 0 || y < 0 || x >= image.width || y >= image.height) continue;
    std::copy(color, color + image.channels, image.at(x, y));
  }
}

// --- ASCII preview ------------------------------------------------------------------

std::string ascii_preview(const float* values, int height, int width, float lo, float hi) {
  check_size(height, width, "ascii_preview");
  if (!(hi > lo)) throw Error("ascii_preview: hi must be greater than lo");
  // Ten characters from empty to dense: on a dark terminal, denser looks brighter.
  static const char kRamp[] = " .:-=+*#%@";
  const int levels = static_cast<int>(sizeof(kRamp)) - 1;  // 10 (without the '\0')
  std::string text;
  text.reserve(static_cast<size_t>(width + 1) * height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const float t = (values[static_cast<size_t>(y) * width + x] - lo) / (hi - lo);
      // Round to the nearest of the levels 0 .. 9; NaN and values below lo are blank.
      int level = 0;
      if (t >= 1.0f) {
        level = levels - 1;
      } else if (t > 0.0f) {
        level = static_cast<int>(std::lround(t * (levels - 1)));
      }
      text += kRamp[level];
    }
    text += '\n';
  }
  return text;
}

}  // namespace common
