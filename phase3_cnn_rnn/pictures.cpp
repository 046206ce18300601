// phase3_cnn_rnn/pictures.cpp -- see pictures.h.
#include "pictures.h"

#include <algorithm>
#include <cmath>

#include "error.h"

namespace phase3 {

namespace {

// 3x5 glyphs for '0'..'9': five rows of three bits each, top row first, most
// significant bit on the left.
constexpr uint8_t kDigitFont[10][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 2, 2, 2}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}};

void fill_rect(common::Image& image, int x0, int y0, int w, int h, const uint8_t* rgb) {
  for (int y = std::max(0, y0); y < std::min(image.height, y0 + h); ++y)
    for (int x = std::max(0, x0); x < std::min(image.width, x0 + w); ++x)
      for (int c = 0; c < image.channels; ++c) image.at(x, y)[c] = rgb[image.channels == 3 ? c : 0];
}

common::Image to_rgb(const common::Image& gray) {
  common::Image rgb(gray.width, gray.height, 3);
  for (int y = 0; y < gray.height; ++y)
    for (int x = 0; x < gray.width; ++x)
      for (int c = 0; c < 3; ++c) rgb.at(x, y)[c] = gray.at(x, y)[0];
  return rgb;
}

}  // namespace

void draw_number_text(common::Image& image, int x, int y, const std::string& text, int scale,
                      const uint8_t* rgb) {
  for (char ch : text) {
    if (ch >= '0' && ch <= '9') {
      const uint8_t* glyph = kDigitFont[ch - '0'];
      for (int row = 0; row < 5; ++row)
        for (int col = 0; col < 3; ++col)
          if (glyph[row] & (4 >> col))
            fill_rect(image, x + col * scale, y + row * scale, scale, scale, rgb);
    } else if (ch != ' ') {
      throw common::Error(std::string("draw_number_text: no glyph for '") + ch + "'");
    }
    x += 4 * scale;  // 3 pixels of glyph, 1 of spacing
  }
}

common::Image filters_picture(const float* filters, int count, int size, int scale) {
  float largest = 0.0f;
  for (int i = 0; i < count * size * size; ++i) largest = std::max(largest, std::fabs(filters[i]));
  std::vector<common::Image> tiles;
  for (int f = 0; f < count; ++f)
    tiles.push_back(common::upscale(
        common::diverging_image(filters + f * size * size, size, size, largest), scale));
  return common::tile_images(tiles, count, 2, 255);
}

common::Image feature_maps_picture(const float* maps, int H, int W, int C, int scale,
                                   const float* first, int H0, int W0) {
  std::vector<common::Image> tiles;
  if (first != nullptr) {
    // The input, resized to the maps' tile size by nearest neighbour.
    std::vector<float> resized(static_cast<size_t>(H * W));
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x)
        resized[static_cast<size_t>(y * W + x)] = first[(y * H0 / H) * W0 + x * W0 / W];
    tiles.push_back(common::upscale(common::gray_image(resized.data(), H, W), scale));
  }
  std::vector<float> plane(static_cast<size_t>(H * W));
  for (int c = 0; c < C; ++c) {
    std::copy(maps + c * H * W, maps + (c + 1) * H * W, plane.begin());
    const auto [lo, hi] = std::minmax_element(plane.begin(), plane.end());
    tiles.push_back(common::upscale(
        common::gray_image(plane.data(), H, W, *lo, *hi > *lo ? *hi : *lo + 1.0f), scale));
  }
  return common::tile_images(tiles, std::min<int>(static_cast<int>(tiles.size()), 8), 2, 128);
}

common::Image misclassified_picture(const common::Tensor& x, int side,
                                    const std::vector<int64_t>& indices,
                                    const std::vector<int>& truth,
                                    const std::vector<int>& predicted, int cols) {
  constexpr int kScale = 3, kFont = 3;
  const uint8_t green[3] = {40, 200, 60}, red[3] = {230, 40, 40};
  std::vector<common::Image> tiles;
  for (int64_t i : indices) {
    const common::Image digit =
        to_rgb(common::upscale(common::gray_image(x.row(i), side, side), kScale));
    // The digit on top, a black caption strip below: "true predicted".
    common::Image tile(digit.width, digit.height + 7 * kFont, 3, 0);
    for (int y = 0; y < digit.height; ++y)
      for (int xx = 0; xx < digit.width; ++xx)
        for (int c = 0; c < 3; ++c) tile.at(xx, y)[c] = digit.at(xx, y)[c];
    const int caption_y = digit.height + kFont;
    draw_number_text(tile, 2 * kFont, caption_y, std::to_string(truth[static_cast<size_t>(i)]),
                     kFont, green);
    draw_number_text(tile, tile.width - 5 * kFont, caption_y,
                     std::to_string(predicted[static_cast<size_t>(i)]), kFont, red);
    tiles.push_back(tile);
  }
  if (tiles.empty()) return common::Image(1, 1, 3, 0);
  return common::tile_images(tiles, std::min<int>(cols, static_cast<int>(tiles.size())), 2, 90);
}

std::string ascii_misclassified(const common::Tensor& x, int side,
                                const std::vector<int64_t>& indices, const std::vector<int>& truth,
                                const std::vector<int>& predicted, int count) {
  const int half = side / 2;
  const int n = std::min<int>(count, static_cast<int>(indices.size()));
  std::vector<std::vector<std::string>> blocks;
  for (int k = 0; k < n; ++k) {
    const int64_t i = indices[static_cast<size_t>(k)];
    // Average 2x2 blocks: a 28x28 digit becomes 14 lines of 14 characters.
    std::vector<float> small(static_cast<size_t>(half * half));
    for (int y = 0; y < half; ++y)
      for (int xx = 0; xx < half; ++xx) {
        const float* p = x.row(i);
        small[static_cast<size_t>(y * half + xx)] =
            (p[(2 * y) * side + 2 * xx] + p[(2 * y) * side + 2 * xx + 1] +
             p[(2 * y + 1) * side + 2 * xx] + p[(2 * y + 1) * side + 2 * xx + 1]) /
            4.0f;
      }
    const std::string art = common::ascii_preview(small.data(), half, half);
    std::vector<std::string> lines;
    std::string header = "true " + std::to_string(truth[static_cast<size_t>(i)]) + " -> " +
                         std::to_string(predicted[static_cast<size_t>(i)]);
    header.resize(static_cast<size_t>(std::max(half, static_cast<int>(header.size()))), ' ');
    lines.push_back(header);
    size_t start = 0;
    while (start < art.size()) {
      const size_t end = art.find('\n', start);
      lines.push_back(
          art.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    blocks.push_back(lines);
  }
  std::string text;
  size_t rows = 0;
  for (const auto& b : blocks) rows = std::max(rows, b.size());
  for (size_t r = 0; r < rows; ++r) {
    std::string line = "  ";
    for (const auto& b : blocks) {
      std::string cell = r < b.size() ? b[r] : "";
      cell.resize(std::max<size_t>(static_cast<size_t>(half), b[0].size()), ' ');
      line += cell + "    ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  }
  return text;
}

}  // namespace phase3
