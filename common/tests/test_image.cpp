// Tests for common/image.h.
//
// The PNG writer is checked two ways: against a small, independent PNG reader written
// here (its own CRC-32, its own inflate of stored blocks, its own Adler-32), and byte
// for byte against a file made by Python's zlib.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "error.h"
#include "files.h"
#include "image.h"
#include "test_util.h"

namespace {

using common::Image;

// --- An independent PNG reader ------------------------------------------------------
//
// Deliberately written differently from image.cpp: bitwise CRC (no table), a byte
// cursor with bounds checks, and every field checked with a gtest assertion.

uint32_t bitwise_crc32(const uint8_t* data, size_t size) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) {
      const uint32_t mask = 0u - (crc & 1u);  // all ones when the low bit is set
      crc = (crc >> 1) ^ (0xEDB88320u & mask);
    }
  }
  return crc ^ 0xFFFFFFFFu;
}

uint32_t read_be32(const std::vector<uint8_t>& b, size_t pos) {
  return (uint32_t(b.at(pos)) << 24) | (uint32_t(b.at(pos + 1)) << 16) |
         (uint32_t(b.at(pos + 2)) << 8) | uint32_t(b.at(pos + 3));
}

struct DecodedPng {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
  std::vector<std::string> chunk_types;
  int stored_blocks = 0;
};

// Parses `png`, checking everything; fails the current test (and returns what it has)
// on the first problem.
DecodedPng decode_png(const std::vector<uint8_t>& png) {
  DecodedPng out;
  const uint8_t signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
  EXPECT_GE(png.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(png.at(i), signature[i]) << "signature byte " << i;

  // Chunks: length, type, data, CRC.
  std::vector<uint8_t> idat;
  size_t pos = 8;
  while (pos < png.size()) {
    const uint32_t length = read_be32(png, pos);
    EXPECT_LE(pos + 12 + length, png.size()) << "chunk runs past the end";
    if (pos + 12 + length > png.size()) return out;
    const std::string type(png.begin() + pos + 4, png.begin() + pos + 8);
    const uint32_t stored_crc = read_be32(png, pos + 8 + length);
    EXPECT_EQ(stored_crc, bitwise_crc32(png.data() + pos + 4, length + 4)) << type << " CRC";
    out.chunk_types.push_back(type);
    const auto data_begin = png.begin() + pos + 8;
    if (type == "IHDR") {
      EXPECT_EQ(length, 13u);
      out.width = static_cast<int>(read_be32(png, pos + 8));
      out.height = static_cast<int>(read_be32(png, pos + 12));
      EXPECT_EQ(png.at(pos + 16), 8) << "bit depth";
      const int colour_type = png.at(pos + 17);
      EXPECT_TRUE(colour_type == 0 || colour_type == 2);
      out.channels = colour_type == 0 ? 1 : 3;
      EXPECT_EQ(png.at(pos + 18), 0) << "compression";
      EXPECT_EQ(png.at(pos + 19), 0) << "filter method";
      EXPECT_EQ(png.at(pos + 20), 0) << "interlace";
    } else if (type == "IDAT") {
      idat.insert(idat.end(), data_begin, data_begin + length);
    } else {
      EXPECT_EQ(type, "IEND");
      EXPECT_EQ(length, 0u);
    }
    pos += 12 + length;
  }
  EXPECT_EQ(pos, png.size());

  // zlib header, then stored deflate blocks.
  EXPECT_GE(idat.size(), 6u);
  if (idat.size() < 6) return out;
  EXPECT_EQ(idat[0] & 0x0F, 8) << "CM must be deflate";
  EXPECT_EQ((idat[0] * 256 + idat[1]) % 31, 0) << "FCHECK";
  EXPECT_EQ(idat[1] & 0x20, 0) << "no preset dictionary";
  std::vector<uint8_t> raw;
  size_t z = 2;
  bool final_block = false;
  while (!final_block) {
    EXPECT_LE(z + 5, idat.size());
    if (z + 5 > idat.size()) return out;
    final_block = (idat[z] & 1) != 0;
    EXPECT_EQ((idat[z] >> 1) & 3, 0) << "BTYPE must be stored";
    const unsigned len = idat[z + 1] | (idat[z + 2] << 8);
    const unsigned nlen = idat[z + 3] | (idat[z + 4] << 8);
    EXPECT_EQ(len ^ 0xFFFFu, nlen);
    z += 5;
    EXPECT_LE(z + len, idat.size());
    if (z + len > idat.size()) return out;
    raw.insert(raw.end(), idat.begin() + z, idat.begin() + z + len);
    z += len;
    ++out.stored_blocks;
  }
  // Adler-32, computed here with 64-bit sums reduced once per byte.
  uint64_t a = 1, b = 0;
  for (uint8_t byte : raw) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  EXPECT_EQ(z + 4, idat.size());
  EXPECT_EQ(read_be32(idat, z), uint32_t((b << 16) | a)) << "Adler-32";

  // Undo filter 0: drop the first byte of every row.
  const size_t row = static_cast<size_t>(out.width) * out.channels;
  EXPECT_EQ(raw.size(), (row + 1) * out.height);
  if (raw.size() != (row + 1) * out.height) return out;
  for (int y = 0; y < out.height; ++y) {
    EXPECT_EQ(raw[y * (row + 1)], 0) << "filter type of row " << y;
    const auto start = raw.begin() + y * (row + 1) + 1;
    out.pixels.insert(out.pixels.end(), start, start + row);
  }
  return out;
}

Image pattern_image(int width, int height, int channels) {
  Image image(width, height, channels);
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    image.pixels[i] = static_cast<uint8_t>((i * 37 + i / 251) & 0xFF);
  }
  return image;
}

void expect_round_trip(const Image& image, int min_blocks) {
  const DecodedPng png = decode_png(common::encode_png(image));
  EXPECT_EQ(png.chunk_types, (std::vector<std::string>{"IHDR", "IDAT", "IEND"}));
  EXPECT_EQ(png.width, image.width);
  EXPECT_EQ(png.height, image.height);
  EXPECT_EQ(png.channels, image.channels);
  EXPECT_GE(png.stored_blocks, min_blocks);
  EXPECT_TRUE(png.pixels == image.pixels);
}

// --- PNG ----------------------------------------------------------------------------

TEST(Png, GrayRoundTrip) {
  expect_round_trip(pattern_image(7, 5, 1), 1);
}

TEST(Png, RgbRoundTrip) {
  expect_round_trip(pattern_image(5, 3, 3), 1);
}

TEST(Png, OnePixel) {
  expect_round_trip(pattern_image(1, 1, 1), 1);
}

TEST(Png, LargeImageNeedsSeveralStoredBlocks) {
  // 300 x 100 RGB: 100 rows of 1 + 900 bytes = 90100 bytes of scanlines > 65535.
  expect_round_trip(pattern_image(300, 100, 3), 2);
  // Gray, exactly 65535 bytes of scanlines (one full block): 255 rows of 1 + 256.
  expect_round_trip(pattern_image(256, 255, 1), 1);
  // And one byte more than a block.
  expect_round_trip(pattern_image(65535, 1, 1), 2);
}

TEST(Png, MatchesPythonZlibByteForByte) {
  // Made with /usr/bin/python3 from the rows [0, 128] and [255, 64]:
  //   raw  = b'\x00' + bytes([0, 128]) + b'\x00' + bytes([255, 64])   (filter 0 per row)
  //   chunk(t, d) = struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
  //   png  = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 2, 2, 8, 0, 0, 0, 0))
  //          + chunk(b'IDAT', zlib.compress(raw, 0)) + chunk(b'IEND', b'')
  const std::vector<uint8_t> expected = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
      0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x57,
      0xdd, 0x52, 0xf8, 0x00, 0x00, 0x00, 0x11, 0x49, 0x44, 0x41, 0x54, 0x78, 0x01, 0x01, 0x06,
      0x00, 0xf9, 0xff, 0x00, 0x00, 0x80, 0x00, 0xff, 0x40, 0x04, 0x44, 0x01, 0xc0, 0x4a, 0xdc,
      0x2e, 0x3b, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
  Image image(2, 2, 1);
  image.pixels = {0, 128, 255, 64};
  EXPECT_EQ(common::encode_png(image), expected);
}

TEST(Png, RejectsInvalidImages) {
  EXPECT_THROW(common::encode_png(Image()), common::Error);
  EXPECT_THROW(common::encode_png(Image(2, 2, 2)), common::Error);
  Image short_pixels(2, 2, 1);
  short_pixels.pixels.pop_back();
  EXPECT_THROW(common::encode_png(short_pixels), common::Error);
}

TEST(Png, WritePngWritesTheEncodedBytes) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / "aij_test_image_write").string();
  const std::string path = common::join_path(dir, "sub/img.png");
  const Image image = pattern_image(4, 3, 3);
  common::write_png(path, image);
  EXPECT_EQ(common::read_file_bytes(path), common::encode_png(image));
  EXPECT_EQ(test_util::file_names_in(common::join_path(dir, "sub")),
            std::vector<std::string>{"img.png"});
  std::filesystem::remove_all(dir);
}

// --- Images from floats -------------------------------------------------------------

TEST(Image, GrayImageMapsLoToBlackAndHiToWhite) {
  const float values[6] = {-1.0f, 0.0f, 0.5f, 1.0f, 2.0f, NAN};
  const Image image = common::gray_image(values, 2, 3, 0.0f, 1.0f);
  EXPECT_EQ(image.width, 3);
  EXPECT_EQ(image.height, 2);
  EXPECT_EQ(image.channels, 1);
  EXPECT_EQ(image.pixels, (std::vector<uint8_t>{0, 0, 128, 255, 255, 0}));
  EXPECT_THROW(common::gray_image(values, 2, 3, 1.0f, 1.0f), common::Error);
}

TEST(Image, DivergingImageColours) {
  const float values[3] = {2.0f, 0.0f, -1.0f};
  const Image image = common::diverging_image(values, 1, 3);  // scale = 2
  ASSERT_EQ(image.channels, 3);
  EXPECT_EQ(image.pixels, (std::vector<uint8_t>{255, 0, 0,         // +max: red
                                                255, 255, 255,     // zero: white
                                                128, 128, 255}));  // -max/2: light blue
  const Image fixed = common::diverging_image(values, 1, 3, 4.0f);
  EXPECT_EQ(fixed.at(0, 0)[1], 128);  // 2 / 4 = half-way to red
  const float zeros[2] = {0.0f, 0.0f};
  EXPECT_EQ(common::diverging_image(zeros, 1, 2).pixels, std::vector<uint8_t>(6, 255));
}

// --- Geometry -----------------------------------------------------------------------

TEST(Image, Upscale) {
  Image image(2, 1, 1);
  image.pixels = {10, 20};
  const Image big = common::upscale(image, 3);
  EXPECT_EQ(big.width, 6);
  EXPECT_EQ(big.height, 3);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 6; ++x) EXPECT_EQ(big.at(x, y)[0], x < 3 ? 10 : 20);
  }
  EXPECT_THROW(common::upscale(image, 0), common::Error);
}

TEST(Image, TileGeometry) {
  // Five 3x2 tiles in 2 columns: 3 rows; border 1 around every tile.
  std::vector<Image> tiles;
  for (int i = 0; i < 5; ++i) tiles.push_back(Image(3, 2, 1, static_cast<uint8_t>(10 * (i + 1))));
  const Image grid = common::tile_images(tiles, 2, 1, 7);
  EXPECT_EQ(grid.channels, 1);
  EXPECT_EQ(grid.width, 2 * 3 + 3 * 1);
  EXPECT_EQ(grid.height, 3 * 2 + 4 * 1);
  EXPECT_EQ(grid.at(0, 0)[0], 7);   // outer border
  EXPECT_EQ(grid.at(1, 1)[0], 10);  // tile 0, top-left
  EXPECT_EQ(grid.at(3, 2)[0], 10);  // tile 0, bottom-right
  EXPECT_EQ(grid.at(4, 1)[0], 7);   // border between columns
  EXPECT_EQ(grid.at(5, 1)[0], 20);  // tile 1
  EXPECT_EQ(grid.at(1, 4)[0], 30);  // tile 2: second row
  EXPECT_EQ(grid.at(1, 7)[0], 50);  // tile 4: third row, first column
  EXPECT_EQ(grid.at(5, 7)[0], 7);   // empty slot after the last tile
  // Fewer tiles than columns: the grid is only as wide as needed.
  EXPECT_EQ(common::tile_images({tiles[0]}, 8, 2).width, 3 + 2 * 2);
}

TEST(Image, TilePromotesGrayToRgb) {
  Image rgb(1, 1, 3);
  rgb.pixels = {1, 2, 3};
  const Image grid = common::tile_images({Image(1, 1, 1, 9), rgb}, 2, 0);
  EXPECT_EQ(grid.channels, 3);
  EXPECT_EQ(grid.pixels, (std::vector<uint8_t>{9, 9, 9, 1, 2, 3}));
}

TEST(Image, TileErrors) {
  EXPECT_THROW(common::tile_images({}, 2), common::Error);
  EXPECT_THROW(common::tile_images({Image(2, 2, 1), Image(2, 3, 1)}, 2), common::Error);
  EXPECT_THROW(common::tile_images({Image(2, 2, 1)}, 0), common::Error);
}

// --- Drawing ------------------------------------------------------------------------

TEST(Image, DrawDisc) {
  Image image(9, 9, 1);
  const uint8_t white = 255;
  common::draw_disc(image, 4.0f, 4.0f, 2.0f, &white);
  EXPECT_EQ(image.at(4, 4)[0], 255);
  EXPECT_EQ(image.at(6, 4)[0], 255);  // on the circle
  EXPECT_EQ(image.at(6, 6)[0], 0);    // distance 2.83 > 2
  EXPECT_EQ(image.at(4, 7)[0], 0);
  // Partly and fully outside: clipped, no crash (ASan would catch a stray write).
  common::draw_disc(image, -1.0f, -1.0f, 3.0f, &white);
  EXPECT_EQ(image.at(0, 0)[0], 255);
  common::draw_disc(image, 1e30f, -1e30f, 1e30f, &white);
  common::draw_disc(image, 1e30f, 4.0f, 2.0f, &white);   // far right: nothing drawn
  common::draw_disc(image, 4.0f, -1e30f, 2.0f, &white);  // far above
  common::draw_disc(image, 4.0f, 4.0f, INFINITY, &white);
  common::draw_disc(image, NAN, 0.0f, 1.0f, &white);
}

TEST(Image, DrawLineHorizontalAndDiagonal) {
  Image image(5, 5, 3);
  const uint8_t red[3] = {255, 0, 0};
  common::draw_line(image, 0.0f, 2.0f, 4.0f, 2.0f, red);
  for (int x = 0; x < 5; ++x) EXPECT_EQ(image.at(x, 2)[0], 255);
  EXPECT_EQ(image.at(2, 1)[0], 0);
  Image diag(5, 5, 1);
  const uint8_t v = 200;
  common::draw_line(diag, 0.0f, 0.0f, 4.0f, 4.0f, &v);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(diag.at(i, i)[0], 200);
  int lit = 0;
  for (uint8_t p : diag.pixels) lit += p != 0;
  EXPECT_EQ(lit, 5);
}

// Distance from pixel centre (px, py) to the segment (x0, y0)-(x1, y1).
double distance_to_segment(double px, double py, double x0, double y0, double x1, double y1) {
  const double dx = x1 - x0, dy = y1 - y0;
  const double len2 = dx * dx + dy * dy;
  double t = len2 == 0.0 ? 0.0 : ((px - x0) * dx + (py - y0) * dy) / len2;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(px - (x0 + t * dx), py - (y0 + t * dy));
}

TEST(Image, DrawLineIsClippedToTheImage) {
  // Lines far outside, through, along and around a 6x4 image. The pixel buffer gets 64
  // guard bytes after the image: a write past the last row would land there (and one
  // before the first row is a heap underflow that ASan reports). A write past the end
  // of a row would wrap to the next row, far from the line, which the distance check
  // catches: every lit pixel must be within half a pixel diagonal of the segment.
  const float lines[][4] = {{-100, -100, 100, 100}, {-5, 2, 20, 2},       {3, -50, 3, 50},
                            {-10, -10, -1, -1},     {7, 0, 50, 3},        {0, 3.4f, 5, 3.4f},
                            {-1e30f, 0, 1e30f, 3},  {2, 2, 2, 2},         {NAN, 0, 1, 1},
                            {0, 4.6f, 5, 4.6f},     {-0.6f, 0, -0.6f, 3}, {5.4f, -3, 5.4f, 9},
                            {-3, 6, 8, -2}};
  const uint8_t v = 9;
  int total_lit = 0;
  for (const auto& l : lines) {
    Image image(6, 4, 1);
    image.pixels = std::vector<uint8_t>(24 + 64, 0);  // the image, then the guard bytes
    common::draw_line(image, l[0], l[1], l[2], l[3], &v);
    for (size_t i = 24; i < image.pixels.size(); ++i) ASSERT_EQ(image.pixels[i], 0) << l[0];
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 6; ++x) {
        if (image.at(x, y)[0] == 0) continue;
        ++total_lit;
        // Coordinates of 1e30 lose all precision in the distance; skip that one line.
        if (std::fabs(l[0]) > 1e6f) continue;
        EXPECT_LE(distance_to_segment(x, y, l[0], l[1], l[2], l[3]), 0.75)
            << "pixel " << x << "," << y << " for line " << l[0] << "," << l[1] << " -> " << l[2]
            << "," << l[3];
      }
    }
  }
  EXPECT_GT(total_lit, 20);  // the lines through the image did draw something

  // Exact pixels for two simple cases.
  Image image(6, 4, 1);
  common::draw_line(image, -5, 2, 20, 2, &v);
  for (int x = 0; x < 6; ++x) EXPECT_EQ(image.at(x, 2)[0], 9);
  common::draw_line(image, -100, -100, 100, 100, &v);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(image.at(i, i)[0], 9);
}

// --- ASCII preview ------------------------------------------------------------------

TEST(Image, AsciiPreviewGradient) {
  float values[10];
  for (int i = 0; i < 10; ++i) values[i] = i / 9.0f;
  EXPECT_EQ(common::ascii_preview(values, 1, 10), " .:-=+*#%@\n");
  EXPECT_EQ(common::ascii_preview(values, 2, 5), " .:-=\n+*#%@\n");
  const float outside[3] = {-5.0f, 5.0f, NAN};
  EXPECT_EQ(common::ascii_preview(outside, 1, 3), " @ \n");
  const float scaled[2] = {10.0f, 20.0f};
  EXPECT_EQ(common::ascii_preview(scaled, 2, 1, 10.0f, 20.0f), " \n@\n");
}

}  // namespace
