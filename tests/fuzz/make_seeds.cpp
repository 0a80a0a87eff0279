// Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/: small valid
// files of every form each parser reads (and a few near misses), so fuzzing starts from the
// structure instead of guessing magic numbers. Run once after changing it (the seeds are in
// the repository):
//   g++ -std=c++17 -O1 -I. -I/usr/include/stb tests/fuzz/make_seeds.cpp build/libgd_engine.a \
//       -lz -fopenmp -o /tmp/make_seeds && /tmp/make_seeds tests/fuzz/corpus
// (docs/fuzzing.md). Checkpoints come from gpu_train; the other seeds are written here.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/data/file_bytes.h"
#include "engine/data/idx.h"

namespace fs = std::filesystem;

namespace {

std::string root;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(root + "/" + target);
  std::ofstream(root + "/" + target + "/" + name, std::ios::binary) << bytes;
}

void sink(void* ctx, void* data, int size) { static_cast<std::string*>(ctx)->append(static_cast<char*>(data), size); }

std::vector<uint8_t> digit(int w, int h, int comp) {
  std::vector<uint8_t> px(static_cast<size_t>(w * h * comp));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < comp; ++c) {
        const double r = std::hypot(x - w / 2.0, y - h / 2.0);
        px[static_cast<size_t>((y * w + x) * comp + c)] =
            c == 3 ? (r < w / 3.0 ? 255 : 0) : static_cast<uint8_t>(std::fabs(r - w / 4.0) < 1.5 ? 20 : 230);
      }
  return px;
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void images() {
  for (const int comp : {1, 2, 3, 4}) {
    std::string s;
    const std::vector<uint8_t> px = digit(12, 10, comp);
    stbi_write_png_to_func(sink, &s, 12, 10, comp, px.data(), 12 * comp);
    put("image", "digit-" + std::to_string(comp) + ".png", s);
  }
  for (const int comp : {1, 3}) {
    std::string s;
    const std::vector<uint8_t> px = digit(16, 16, comp);
    stbi_write_jpg_to_func(sink, &s, 16, 16, comp, px.data(), 80);
    put("image", "digit-" + std::to_string(comp) + ".jpg", s);
  }
  {
    std::string s;
    const std::vector<uint8_t> px = digit(9, 7, 3);
    stbi_write_bmp_to_func(sink, &s, 9, 7, 3, px.data());
    put("image", "digit.bmp", s);
  }
  std::string p5 = "P5\n# seed\n6 4\n255\n", p2 = "P2\n4 3\n15\n", p1 = "P1\n5 3\n", p6 = "P6 3 2 65535\n";
  for (int i = 0; i < 24; ++i) p5 += static_cast<char>(i * 10);
  for (int i = 0; i < 12; ++i) p2 += std::to_string(i) + (i % 4 == 3 ? "\n" : " ");
  p1 += "0 1 0 1 0\n1 0 1 0 1\n0 0 1 0 0\n";
  for (int i = 0; i < 18; ++i) p6 += std::string{static_cast<char>(i * 13), static_cast<char>(255 - i)};
  put("image", "digit-p5.pgm", p5);
  put("image", "digit-p2.pgm", p2);
  put("image", "digit-p1.pbm", p1);
  put("image", "digit-p6-16bit.ppm", p6);
}

void idx() {
  const std::string tmp = (fs::temp_directory_path() / "gd-seed-idx").string();
  const std::vector<uint8_t> px = digit(4, 4, 1), px2 = digit(3, 3, 1);
  std::vector<uint8_t> two(px);
  two.insert(two.end(), px.begin(), px.end());
  const uint8_t labels[3] = {7, 1, 9};
  for (const bool gz : {false, true}) {
    const std::string sfx = gz ? ".gz" : "";
    gd::write_idx_images(tmp, 2, 4, 4, two.data(), gz);
    put("idx", "images-2x4x4" + sfx, read_all(tmp));
    gd::write_idx_images(tmp, 1, 3, 3, px2.data(), gz);
    put("idx", "images-1x3x3" + sfx, read_all(tmp));
    gd::write_idx_labels(tmp, 3, labels, gz);
    put("idx", "labels-3" + sfx, read_all(tmp));
  }
  fs::remove(tmp);
}

void usps() {
  std::string esl, esl_int, svm;
  for (int s = 0; s < 2; ++s) {
    esl += std::to_string(s * 3) + ".0000";
    esl_int += std::to_string(s * 5);
    svm += std::to_string(s * 4 + 1);
    for (int k = 0; k < 256; ++k) {
      char v[16];
      std::snprintf(v, sizeof v, " %.3f", std::sin(k * 0.1 + s) * 0.999);
      esl += v;
      esl_int += v;
      if (k % 37 == s) svm += " " + std::to_string(k + 1) + ":" + std::string(v + 1);
    }
    esl += " \n";
    esl_int += "\n";
    svm += "\n";
  }
  put("usps", "zip.train", esl);
  put("usps", "zip.test", esl_int);
  put("usps", "usps.libsvm", svm);
  put("usps", "usps.libsvm-10", "10 1:-1 2:1 256:0.5\n1 3:-0.631\n+5 17:1\n");
  const std::string tmp = (fs::temp_directory_path() / "gd-seed-usps").string();
  gd::write_file_bytes(tmp, reinterpret_cast<const uint8_t*>(esl.data()), esl.size(), true);
  put("usps", "zip.train.gz", read_all(tmp));
  fs::remove(tmp);
}

void npm_json() {
  std::string j = "{\"data\":[";
  for (int i = 0; i < 784; ++i) j += (i ? "," : "") + std::string(i % 9 == 0 ? "0.5" : i % 5 == 0 ? "1" : "0");
  put("npm_json", "one-digit.json", j + "]}");
  put("npm_json", "empty-data.json", "{\"data\": []}");
  put("npm_json", "nested.json", "{\"name\": \"x\", \"data\": [0, 0.25, 1e-3], \"extra\": {\"data\": [1]}}");
}

void search_space() {
  for (const char* f : {"spaces/mlp.toml", "spaces/cnn.toml", "spaces/mlp-grid.toml", "spaces/mlp-sgd.toml"})
    if (fs::exists(f)) put("search_space", fs::path(f).filename().string(), read_all(f));
  put("search_space", "conditional.toml",
      "description = \"seed\"\n[params.optimizer]\ntype = \"categorical\"\nchoices = [\"sgd\", \"adam\"]\n"
      "[params.momentum]\ntype = \"float\"\nlow = 0.5\nhigh = 0.99\nwhen = { optimizer = \"sgd\" }\n"
      "[params.layers]\ntype = \"int\"\nlow = 1\nhigh = 3\n[params.width2]\ntype = \"int\"\nlow = 32\nhigh = 512\n"
      "log = true\nwhen = { layers = { min = 2 } }\n[params.lr]\ntype = \"float\"\nlow = 1e-4\nhigh = 0.3\nlog = true\n"
      "grid = [0.001, 0.01]\n[params]\nbatch_size = 128\n");
}

void spec() {
  const char* specs[] = {"mlp", "cnn", "lcnn", "fc512,relu,dropout0.2,fc10",
                         "conv32k5p2,relu,pool2,lc16k5s2p2,relu,fc128,dropout0.5,fc10",
                         "conv8k3s2p1,bn,elu,maxpool2s2,conv16k3,gelu,avgpool2,flatten,fc10",
                         "lc8k3,tanh,fc64,sigmoid,dropout,fc10"};
  int i = 0;
  for (const char* s : specs) put("spec", "spec-" + std::to_string(i++), s);
}

void study_json() {
  put("study_json", "study.json",
      "{\"space\": {\"description\": \"seed\", \"params\": [{\"name\": \"optimizer\", \"type\": \"categorical\", "
      "\"choices\": [\"sgd\", \"adam\"]}, {\"name\": \"lr\", \"type\": \"float\", \"low\": 0.0001, \"high\": 0.3, "
      "\"log\": true}, {\"name\": \"momentum\", \"type\": \"float\", \"low\": 0.5, \"high\": 0.99, \"when\": "
      "{\"optimizer\": [\"sgd\"]}}, {\"name\": \"batch_size\", \"type\": \"fixed\", \"value\": 128}]}, "
      "\"config\": {\"arch\": \"mlp\", \"metric\": \"val_accuracy\", \"max_epochs\": 3, \"dataset\": \"mnist-10k\", "
      "\"data_dir\": \"\", \"cache_dir\": \"\", \"allow_download\": false, \"limit_train\": 0, \"val_split\": 0.1, "
      "\"seed\": 1, \"device\": \"cpu\", \"precision\": \"fp32\", \"threads\": 0}, "
      "\"history\": [{\"epoch\": 1, \"train_loss\": 0.5, \"train_accuracy\": 0.8, \"val_loss\": 0.4, "
      "\"val_accuracy\": 0.85, \"lr\": 0.05, \"seconds\": 1.5, \"samples_per_sec\": 5000}]}");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR (run from the repository root)\n", argv[0]);
    return 2;
  }
  root = argv[1];
  images();
  idx();
  usps();
  npm_json();
  search_space();
  spec();
  study_json();
  return 0;
}
