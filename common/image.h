// common/image.h -- pictures: PNG writing, tiling, ASCII previews.
//
// The PNG writer needs no zlib: the image data goes into "stored" (uncompressed)
// deflate blocks, wrapped in a zlib stream with its Adler-32, in IDAT chunks with
// their CRC-32. Files are larger than compressed ones but every byte is explained
// in image.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace common {

struct Image {
  int width = 0, height = 0;
  int channels = 1;             // 1 = grayscale, 3 = RGB
  std::vector<uint8_t> pixels;  // (height, width, channels)

  Image() = default;
  Image(int w, int h, int c, uint8_t fill = 0)
      : width(w), height(h), channels(c), pixels(static_cast<size_t>(w) * h * c, fill) {}
  uint8_t* at(int x, int y) { return &pixels[(static_cast<size_t>(y) * width + x) * channels]; }
  const uint8_t* at(int x, int y) const {
    return &pixels[(static_cast<size_t>(y) * width + x) * channels];
  }
};

std::vector<uint8_t> encode_png(const Image& image);
void write_png(const std::string& path, const Image& image);  // atomic

// Grayscale image from floats: lo maps to black, hi to white, clamped.
Image gray_image(const float* values, int height, int width, float lo = 0.0f, float hi = 1.0f);
// RGB image from signed floats (weights): positive red, negative blue, zero white,
// scaled by the largest |value| (or by `scale` when > 0).
Image diverging_image(const float* values, int height, int width, float scale = 0.0f);
// Each pixel becomes a factor x factor block.
Image upscale(const Image& image, int factor);
// Tiles equally sized images into a grid with `cols` columns, separated by a border
// of `border` pixels of value `border_value`. Gray tiles are promoted to RGB when any
// tile is RGB.
Image tile_images(const std::vector<Image>& tiles, int cols, int border = 1,
                  uint8_t border_value = 128);
// Draws a filled circle / line (for scatter plots and decision lines).
void draw_disc(Image& image, float cx, float cy, float radius, const uint8_t* color);
void draw_line(Image& image, float x0, float y0, float x1, float y1, const uint8_t* color);

// A small grayscale image as text, one character per pixel from " .:-=+*#%@"
// (dark to bright), lines of `width` characters.
std::string ascii_preview(const float* values, int height, int width, float lo = 0.0f,
                          float hi = 1.0f);

}  // namespace common
