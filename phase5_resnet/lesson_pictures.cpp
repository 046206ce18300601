// phase5_resnet/lesson_pictures.cpp -- the pictures of a trained network: the stem's
// filters and the misclassified test images with their class names.
#include <cmath>
#include <string>
#include <vector>

#include "lesson.h"
#include "resnet.h"

namespace phase5_lesson {

namespace {

// A grid of misclassified test images, each with its true and predicted class, as SVG
// (one rectangle per pixel, so no image encoding is needed).
void write_misclassified(const Lesson& lesson, const std::string& name,
                         const common::ImageDataset& ds, const std::vector<int>& predicted) {
  const int columns = 6, cell = 3, caption = 30, size = 28 * cell;
  std::vector<int64_t> wrong;
  for (int64_t i = 0; i < ds.test_x.dim(0) && wrong.size() < 24; ++i)
    if (predicted[static_cast<size_t>(i)] != ds.test_y[static_cast<size_t>(i)]) wrong.push_back(i);
  const int rows = (static_cast<int>(wrong.size()) + columns - 1) / columns;
  const int w = columns * (size + 16), h = rows * (size + caption + 8) + 30;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) +
                    "\" height=\"" + std::to_string(h) +
                    "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" "
                    "height=\"100%\" fill=\"white\"/>\n<text x=\"8\" y=\"18\" font-size=\"14\">"
                    "Misclassified test images: true class / predicted class</text>\n";
  for (size_t k = 0; k < wrong.size(); ++k) {
    const int x0 = static_cast<int>(k % columns) * (size + 16) + 8;
    const int y0 = static_cast<int>(k / columns) * (size + caption + 8) + 30;
    const float* px = ds.test_x.row(wrong[k]);
    for (int i = 0; i < 28; ++i)
      for (int j = 0; j < 28; ++j) {
        const int v = 255 - static_cast<int>(std::lround(255.0f * px[i * 28 + j]));
        if (v == 255) continue;  // the white background
        svg += "<rect x=\"" + std::to_string(x0 + j * cell) + "\" y=\"" +
               std::to_string(y0 + i * cell) + "\" width=\"" + std::to_string(cell) +
               "\" height=\"" + std::to_string(cell) + "\" fill=\"rgb(" + std::to_string(v) + "," +
               std::to_string(v) + "," + std::to_string(v) + ")\"/>\n";
      }
    const int t = ds.test_y[static_cast<size_t>(wrong[k])],
              p = predicted[static_cast<size_t>(wrong[k])];
    svg += "<text x=\"" + std::to_string(x0) + "\" y=\"" + std::to_string(y0 + size + 12) + "\">" +
           kClassNames[t] + "</text>\n<text x=\"" + std::to_string(x0) + "\" y=\"" +
           std::to_string(y0 + size + 25) + "\" fill=\"#b00\">" + kClassNames[p] + "</text>\n";
  }
  svg += "</svg>\n";
  const std::string path = out_path(lesson, name);
  common::write_file_atomic(path, svg);
  say("    wrote " + path + "\n");
}

}  // namespace

// The stem's 16 filters (3x3, red positive, blue negative) and the misclassified images.
void write_pictures(const Lesson& lesson, phase5::ResNet& net, const std::string& prefix) {
  const common::ImageDataset& ds = *lesson.data;
  std::vector<common::Image> tiles;
  const float* w = net.params.data() + net.stem.w;
  for (int64_t o = 0; o < net.stem.shape.OC; ++o)
    tiles.push_back(common::upscale(common::diverging_image(w + o * 9, 3, 3), 12));
  write_picture(lesson, prefix + "_stem_filters.png", common::tile_images(tiles, 8, 2));
  std::vector<int> predicted;
  phase5::resnet_accuracy(net, ds.test_x, ds.test_y, &predicted);
  write_misclassified(lesson, prefix + "_misclassified.svg", ds, predicted);
}

}  // namespace phase5_lesson
