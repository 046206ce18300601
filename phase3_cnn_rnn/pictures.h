// phase3_cnn_rnn/pictures.h -- the pictures of the CNN half: learned filters, feature
// maps, misclassified digits (PNG) and their terminal preview (ASCII).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image.h"
#include "tensor.h"

namespace phase3 {

// Draws decimal digits (and spaces) with a 3x5-pixel font, each font pixel a
// scale x scale square, top-left corner at (x, y). For captions inside PNGs.
void draw_number_text(common::Image& image, int x, int y, const std::string& text, int scale,
                      const uint8_t* rgb);

// Filters (count, size, size) as a row of diverging tiles (red positive, blue negative,
// white zero), all on one colour scale so their strengths compare.
common::Image filters_picture(const float* filters, int count, int size, int scale);

// The C maps of one image, stored (C, H, W): one gray tile per map, each
// stretched to its own range (dark = low, bright = high). `first` (H0, W0) in [0, 1],
// when not null, is drawn as the first tile (the input digit, at the same tile size).
common::Image feature_maps_picture(const float* maps, int H, int W, int C, int scale,
                                   const float* first = nullptr, int H0 = 0, int W0 = 0);

// A grid of images (rows of x, side x side pixels in [0, 1]) with a caption under each:
// the true label in green, the predicted one in red.
common::Image misclassified_picture(const common::Tensor& x, int side,
                                    const std::vector<int64_t>& indices,
                                    const std::vector<int>& truth,
                                    const std::vector<int>& predicted, int cols);

// Up to `count` images side by side as text (halved to side/2 lines), each headed
// "true T -> P".
std::string ascii_misclassified(const common::Tensor& x, int side,
                                const std::vector<int64_t>& indices, const std::vector<int>& truth,
                                const std::vector<int>& predicted, int count);

}  // namespace phase3
