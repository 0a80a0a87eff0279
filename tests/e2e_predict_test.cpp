// gpu_predict end to end. The test trains its own small model on the digit glyphs of four DejaVu
// fonts, the Mono and Serif families (several sizes and slants, through the same preprocessing
// gpu_predict applies), then writes 30 images in DejaVu Sans, a family the model never saw, in the
// forms users bring:
// PNG, JPEG, 16-bit binary and 8-bit ASCII PGM, RGBA with transparency; dark-on-light and
// light-on-dark; off-centre; a 1600x1200 colour photo and a 10 px tall digit; a noisy scan with a
// scanner edge and specks. The built gpu_predict binary must label all of them, report a per-file
// error for a non-image and an empty file in the same invocation while printing the rest, emit
// JSON that parses, save what the model saw, and pick the 16x16 USPS geometry for a 16x16 model.
#include <gtest/gtest.h>
#include <omp.h>
#include <stb_image_write.h>
#include <stb_truetype.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/image/digit_preprocess.h"
#include "engine/image/image_decode.h"
#include "engine/model/spec.h"
#include "engine/train/atomic_file.h"
#include "engine/train/trainer.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

const char* kFontDir = "/usr/share/fonts/truetype/dejavu/";  // Debian fonts-dejavu-core
const std::vector<std::string> kTrainFonts = {"DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf",
                                              "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"};
const std::string kTestFont = "DejaVuSans.ttf";

// ---- glyphs ---------------------------------------------------------------------------------------

struct Font {
  std::string bytes;
  stbtt_fontinfo info{};
};

const Font& font(const std::string& name) {
  static std::map<std::string, Font> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  Font& f = cache[name];
  f.bytes = read_file(std::string(kFontDir) + name);  // DataError (test failure) when fonts-dejavu-core is missing
  const auto* data = reinterpret_cast<const unsigned char*>(f.bytes.data());
  if (!stbtt_InitFont(&f.info, data, stbtt_GetFontOffsetForIndex(data, 0))) throw Error("cannot parse font " + name);
  return f;
}

// Coverage 0..1 of a digit glyph, `height` px from the font's descent to ascent, sheared so the
// top leans right by `slant` px per px.
struct Glyph {
  int w = 0, h = 0;
  std::vector<float> a;  // (h, w)
  float at(int x, int y) const { return a[static_cast<size_t>(y) * w + x]; }
};

Glyph render_glyph(const std::string& font_name, int digit, float height, float slant = 0.f) {
  const Font& f = font(font_name);
  const float scale = stbtt_ScaleForPixelHeight(&f.info, height);
  int w = 0, h = 0, xo = 0, yo = 0;
  unsigned char* bmp = stbtt_GetCodepointBitmap(&f.info, scale, scale, '0' + digit, &w, &h, &xo, &yo);
  if (!bmp) throw Error("no glyph for digit " + std::to_string(digit));
  const int extra = static_cast<int>(std::ceil(std::fabs(slant) * h)) + 1;
  Glyph g;
  g.w = w + extra;
  g.h = h;
  g.a.assign(static_cast<size_t>(g.w) * h, 0.f);
  for (int y = 0; y < h; ++y) {
    const float shift = (slant >= 0 ? slant * (h - 1 - y) : -slant * y);
    for (int x = 0; x < g.w; ++x) {
      const float xs = x - shift;
      const int i0 = static_cast<int>(std::floor(xs));
      const float t = xs - i0;
      auto px = [&](int i) { return (i >= 0 && i < w) ? bmp[y * w + i] / 255.f : 0.f; };
      g.a[static_cast<size_t>(y) * g.w + x] = (1 - t) * px(i0) + t * px(i0 + 1);
    }
  }
  stbtt_FreeBitmap(bmp, nullptr);
  return g;
}

// An RGB page in 0..1 with glyphs painted on it.
struct Page {
  int w, h;
  std::vector<float> rgb;  // (h, w, 3)
  Page(int w_, int h_, std::array<float, 3> paper) : w(w_), h(h_), rgb(static_cast<size_t>(w_) * h_ * 3) {
    for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = paper[i % 3];
  }
  void paint(const Glyph& g, int x0, int y0, std::array<float, 3> ink) {
    for (int y = 0; y < g.h; ++y)
      for (int x = 0; x < g.w; ++x) {
        const int px = x0 + x, py = y0 + y;
        if (px < 0 || py < 0 || px >= w || py >= h) continue;
        const float a = g.at(x, y);
        for (int c = 0; c < 3; ++c) {
          float& v = rgb[(static_cast<size_t>(py) * w + px) * 3 + c];
          v = v * (1 - a) + ink[c] * a;
        }
      }
  }
  std::vector<uint8_t> bytes(int comp) const {  // comp 1: gray (mean of the channels), 3: RGB
    std::vector<uint8_t> out(static_cast<size_t>(w) * h * comp);
    for (size_t i = 0; i < static_cast<size_t>(w) * h; ++i)
      for (int c = 0; c < comp; ++c) {
        const float v = comp == 1 ? (rgb[i * 3] + rgb[i * 3 + 1] + rgb[i * 3 + 2]) / 3 : rgb[i * 3 + c];
        out[i * comp + c] = static_cast<uint8_t>(std::lround(std::clamp(v, 0.f, 1.f) * 255));
      }
    return out;
  }
};

// ---- writing files in each format ----------------------------------------------------------------

void sink(void* ctx, void* data, int size) { static_cast<std::string*>(ctx)->append(static_cast<char*>(data), size); }

void save_png(const std::string& path, int w, int h, int comp, const std::vector<uint8_t>& px) {
  std::string s;
  ASSERT_TRUE(stbi_write_png_to_func(sink, &s, w, h, comp, px.data(), w * comp));
  write_file_atomic(path, s);
}

void save_jpg(const std::string& path, int w, int h, int comp, const std::vector<uint8_t>& px) {
  std::string s;
  ASSERT_TRUE(stbi_write_jpg_to_func(sink, &s, w, h, comp, px.data(), 90));
  write_file_atomic(path, s);
}

void save_pgm16(const std::string& path, const Page& p) {
  std::string s = "P5\n# 16-bit test digit\n" + std::to_string(p.w) + " " + std::to_string(p.h) + "\n65535\n";
  for (size_t i = 0; i < static_cast<size_t>(p.w) * p.h; ++i) {
    const long v = std::lround(std::clamp(p.rgb[i * 3], 0.f, 1.f) * 65535);
    s.push_back(static_cast<char>(v >> 8));
    s.push_back(static_cast<char>(v & 0xff));
  }
  write_file_atomic(path, s);
}

void save_pgm_ascii(const std::string& path, const Page& p) {
  const std::vector<uint8_t> g = p.bytes(1);
  std::ostringstream os;
  os << "P2\n# ASCII test digit\n" << p.w << " " << p.h << "\n255\n";
  for (int y = 0; y < p.h; ++y) {
    for (int x = 0; x < p.w; ++x) os << int(g[static_cast<size_t>(y) * p.w + x]) << (x + 1 < p.w ? " " : "\n");
  }
  write_file_atomic(path, os.str());
}

// The six forms; each writes digit d of the test font and returns the file path.
std::string write_test_image(const std::string& dir, int form, int d, std::mt19937& rng) {
  const std::string stem = dir + "/d" + std::to_string(d) + "_form" + std::to_string(form);
  switch (form) {
    case 0: {  // black on white PNG, off-centre in the top-left
      Page p(200, 150, {0.96f, 0.96f, 0.96f});
      p.paint(render_glyph(kTestFont, d, 44), 18, 12, {0.08f, 0.08f, 0.08f});
      save_png(stem + ".png", p.w, p.h, 1, p.bytes(1));
      return stem + ".png";
    }
    case 1: {  // large colour photo: navy ink on cream paper, JPEG
      Page p(1600, 1200, {0.96f, 0.94f, 0.86f});
      p.paint(render_glyph(kTestFont, d, 700), 820, 380, {0.08f, 0.12f, 0.45f});
      save_jpg(stem + ".jpg", p.w, p.h, 3, p.bytes(3));
      return stem + ".jpg";
    }
    case 2: {  // tiny light-on-dark, 16-bit binary PGM
      Page p(48, 48, {0.06f, 0.06f, 0.06f});
      p.paint(render_glyph(kTestFont, d, 14), 20, 9, {0.92f, 0.92f, 0.92f});
      save_pgm16(stem + ".pgm", p);
      return stem + ".pgm";
    }
    case 3: {  // ASCII PGM, dark on light, slightly off-centre
      Page p(64, 64, {0.9f, 0.9f, 0.9f});
      p.paint(render_glyph(kTestFont, d, 34), 22, 4, {0.1f, 0.1f, 0.1f});
      save_pgm_ascii(stem + ".pgm", p);
      return stem + ".pgm";
    }
    case 4: {  // noisy grey scan with a dark scanner edge on the left and pepper specks
      Page p(480, 360, {0.78f, 0.78f, 0.78f});
      p.paint(render_glyph(kTestFont, d, 170), 200, 70, {0.2f, 0.2f, 0.2f});
      std::normal_distribution<float> grain(0.f, 0.04f);
      for (float& v : p.rgb) v += grain(rng);
      for (int y = 0; y < p.h; ++y)
        for (int x = 0; x < 4; ++x)
          for (int c = 0; c < 3; ++c) p.rgb[(static_cast<size_t>(y) * p.w + x) * 3 + c] = 0.1f;
      std::uniform_int_distribution<int> px(0, p.w - 1), py(0, p.h - 1);
      for (int k = 0; k < 60; ++k) {
        const size_t i = static_cast<size_t>(py(rng)) * p.w + px(rng);
        p.rgb[i * 3] = p.rgb[i * 3 + 1] = p.rgb[i * 3 + 2] = 0.f;
      }
      save_png(stem + ".png", p.w, p.h, 1, p.bytes(1));
      return stem + ".png";
    }
    default: {  // black strokes on a transparent canvas (RGBA, RGB black everywhere)
      const Glyph g = render_glyph(kTestFont, d, 64);
      const int w = 120, h = 110;
      std::vector<uint8_t> px(static_cast<size_t>(w) * h * 4, 0);
      for (int y = 0; y < g.h; ++y)
        for (int x = 0; x < g.w; ++x)
          px[(static_cast<size_t>(y + 25) * w + x + 30) * 4 + 3] = static_cast<uint8_t>(std::lround(g.at(x, y) * 255));
      save_png(stem + ".png", w, h, 4, px);
      return stem + ".png";
    }
  }
}

// ---- the model ------------------------------------------------------------------------------------

// Glyphs of the training fonts, dark on light, through the preprocessing of `options`.
Dataset glyph_dataset(const DigitPreprocessOptions& options) {
  Dataset d;
  d.name = "dejavu-glyphs";
  d.height = d.width = options.canvas;
  d.class_names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  for (const std::string& f : kTrainFonts)
    for (const float height : {12.f, 18.f, 26.f, 40.f, 64.f})
      for (const float slant : {-0.15f, 0.f, 0.2f})
        for (int digit = 0; digit < 10; ++digit) {
          const Glyph g = render_glyph(f, digit, height, slant);
          Page p(g.w + 16, g.h + 16, {1.f, 1.f, 1.f});
          p.paint(g, 8, 8, {0.f, 0.f, 0.f});
          GrayImage16 img(p.w, p.h);
          const std::vector<uint8_t> gray = p.bytes(1);
          for (size_t i = 0; i < gray.size(); ++i) img.pixels[i] = static_cast<uint16_t>(gray[i] * 257);
          const PreprocessResult r = preprocess_digit(img, options);
          d.images.insert(d.images.end(), r.image.pixels.begin(), r.image.pixels.end());
          d.labels.push_back(static_cast<uint8_t>(digit));
          ++d.n;
        }
  d.validate();
  return d;
}

// Trains a one-hidden-layer MLP on the 600 glyphs (under a second on one core); returns model.ckpt.
std::string train_glyph_model(const std::string& dir, const DigitPreprocessOptions& options) {
  DatasetSplits data;
  data.train = glyph_dataset(options);
  data.test = data.train;
  data.test.name = "dejavu-glyphs-test";
  const auto ms = pixel_mean_std(data.train);
  data.mean = ms.first;
  data.std = ms.second;
  data.source = "glyphs rendered by the test";
  TrainConfig c;
  c.arch = "fc192,relu,fc10";
  apply_recipe(c, ExplicitFlags{});
  c.spec = resolve_arch(c.arch, 10, c.dropout);
  c.epochs = 40;
  c.batch_size = 32;
  c.val_split = 0.0;
  c.augment = true;  // shifts of 2 px, rotations of 10 degrees, scaling by 10%
  c.seed = 5;
  c.out = dir + "/run";
  validate(c);
  // One thread: a few hundred samples gain nothing from more, and under `ctest -j` a second
  // OpenMP thread waiting at every barrier for a descheduled sibling made training 50x slower.
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  CpuBackend be;
  SilentProgress quiet;
  const TrainResult r = train(c, be, data, quiet);
  omp_set_num_threads(threads);
  EXPECT_GE(r.test.accuracy, 0.95) << "the model does not even fit its training glyphs";
  return r.run_dir + "/model.ckpt";
}

// ---- running the binary ---------------------------------------------------------------------------

struct Output {
  int code = -1;
  std::string out, err;
};

Output run_predict(const std::string& args, const std::string& tmp) {
  const std::string err_file = tmp + "/stderr.txt";
  const std::string cmd = std::string(GD_BINARY_DIR) + "/gpu_predict --threads 1 " + args + " 2>" + err_file;
  Output o;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return o;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) o.out.append(buf.data(), n);
  const int status = pclose(p);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.err = read_file(err_file);
  return o;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream is(s);
  for (std::string l; std::getline(is, l);) v.push_back(l);
  return v;
}

class PredictEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("e2e-predict");
    checkpoint_ = train_glyph_model(dir_->path(), mnist_preprocess_options());
    std::mt19937 rng(17);
    for (int i = 0; i < 30; ++i) {
      const int digit = i % 10, form = i % 6;
      files_.push_back(write_test_image(dir_->path(), form, digit, rng));
      digits_.push_back(digit);
    }
    write_file_atomic(dir_->file("notes.png"), "These are my notes, not a picture.\n");
    write_file_atomic(dir_->file("empty.jpg"), "");
    // A JPEG that passes the marker walk but that the decoder must refuse: its frame header
    // (SOF0) claims a sample precision of 7 bits. It sits among good JPEGs in the batch.
    const auto jpg = std::find_if(files_.begin(), files_.end(),
                                  [](const std::string& f) { return f.size() > 4 && f.substr(f.size() - 4) == ".jpg"; });
    ASSERT_NE(jpg, files_.end());
    std::string bad = read_file(*jpg);
    const size_t sof = bad.find("\xFF\xC0");
    ASSERT_NE(sof, std::string::npos);
    bad[sof + 4] = 7;
    write_file_atomic(dir_->file("corrupt.jpg"), bad);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
    files_.clear();
    digits_.clear();
  }
  static std::string file_args() {
    std::string a;
    for (const std::string& f : files_) a += " " + f;
    return a;
  }
  static test::TempDir* dir_;
  static std::string checkpoint_;
  static std::vector<std::string> files_;
  static std::vector<int> digits_;
};
test::TempDir* PredictEndToEnd::dir_ = nullptr;
std::string PredictEndToEnd::checkpoint_;
std::vector<std::string> PredictEndToEnd::files_;
std::vector<int> PredictEndToEnd::digits_;

TEST_F(PredictEndToEnd, LabelsEveryImageOfAnUnseenFontAndReportsBadFilesApart) {
  // The bad files sit in the middle of the list: the ones after them must still be classified.
  std::string args = "--checkpoint " + checkpoint_ + " --device cpu";
  for (size_t i = 0; i < files_.size(); ++i) {
    args += " " + files_[i];
    if (i == 9) args += " " + dir_->file("notes.png") + " " + dir_->file("empty.jpg") + " " + dir_->file("corrupt.jpg");
  }
  const Output o = run_predict(args, dir_->path());
  EXPECT_EQ(o.code, 1) << "some files failed, so the exit status is 1\n" << o.err;
  EXPECT_NE(o.err.find(dir_->file("notes.png") + ": not an image"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find(dir_->file("empty.jpg") + ": empty file"), std::string::npos) << o.err;
  // libjpeg-turbo refuses it while reading the header ("JPEG decoder cannot read the header: ...").
  EXPECT_NE(o.err.find(dir_->file("corrupt.jpg") + ": JPEG decoder"), std::string::npos) << o.err;

  const std::vector<std::string> out = lines(o.out);
  ASSERT_EQ(out.size(), files_.size()) << o.out;
  int correct = 0;
  std::string wrong;
  for (size_t i = 0; i < files_.size(); ++i) {
    // "<path>  label 7  top-3: 7 98.12%, 1 1.02%, 9 0.40%"
    const std::string& l = out[i];
    ASSERT_EQ(l.rfind(files_[i] + "  label ", 0), 0u) << l;
    const std::string label = l.substr(files_[i].size() + 8, 1);
    EXPECT_NE(l.find("top-3: " + label + " "), std::string::npos) << l;
    if (label == std::to_string(digits_[i])) ++correct;
    else wrong += "\n" + l;
  }
  // All 30: printed digits of an unseen family still have the shapes the model learned, and the
  // preprocessing brings every form back to the same 28x28 picture (measured: every label with
  // probability above 99.9%, so no allowance for misses is needed).
  EXPECT_EQ(correct, 30) << "misclassified:" << wrong;
}

TEST_F(PredictEndToEnd, JsonParsesWithTopKAndPerFileErrors) {
  const std::string args = "--checkpoint " + checkpoint_ + " --json --top 4 --device cpu " + dir_->file("notes.png") +
                           " " + files_[0] + " " + files_[7];
  const Output o = run_predict(args, dir_->path());
  EXPECT_EQ(o.code, 1) << o.err;
  nlohmann::json doc;
  ASSERT_NO_THROW(doc = nlohmann::json::parse(o.out)) << o.out;
  EXPECT_EQ(doc["failed"], 1);
  EXPECT_EQ(doc["succeeded"], 2);
  EXPECT_EQ(doc["input_shape"], nlohmann::json::array({1, 28, 28}));
  const auto& res = doc["results"];
  ASSERT_EQ(res.size(), 3u);
  EXPECT_EQ(res[0]["path"], dir_->file("notes.png"));
  EXPECT_NE(res[0]["error"].get<std::string>().find("not an image"), std::string::npos);
  EXPECT_FALSE(res[0].contains("label"));
  for (int k : {1, 2}) {
    const auto& r = res[static_cast<size_t>(k)];
    const int digit = digits_[k == 1 ? 0 : 7];
    EXPECT_EQ(r["label"], std::to_string(digit));
    EXPECT_EQ(r["class"], digit);
    ASSERT_EQ(r["top"].size(), 4u);
    EXPECT_EQ(r["top"][0]["label"], r["label"]);
    double sum = 0, prev = 2;
    for (const auto& t : r["top"]) {
      const double p = t["prob"].get<double>();
      EXPECT_LE(p, prev);
      prev = p;
      sum += p;
    }
    EXPECT_LE(sum, 1.0 + 1e-5);
    EXPECT_GT(r["prob"].get<double>(), 0.1);
    EXPECT_TRUE(r.contains("inverted"));
  }
  EXPECT_EQ(res[1]["inverted"], true);  // form 0: black on white
  EXPECT_EQ(res[2]["inverted"], true);  // form 1: navy on cream
}

TEST_F(PredictEndToEnd, SavesWhatTheModelSaw) {
  const std::string out = dir_->file("seen");
  const std::string args = "--checkpoint " + checkpoint_ + " --device cpu --save-preprocessed " + out + " " + files_[2] +
                           " " + files_[5] + " " + files_[5];  // the same file twice: a second name
  const Output o = run_predict(args, dir_->path());
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string stem = std::filesystem::path(files_[5]).stem().string();
  for (const std::string& name : {std::filesystem::path(files_[2]).stem().string() + ".png", stem + ".png", stem + "-2.png"}) {
    const DecodedImage img = read_image(out + "/" + name);
    EXPECT_EQ(img.image.width, 28) << name;
    EXPECT_EQ(img.image.height, 28) << name;
    // MNIST polarity: black border, bright strokes.
    EXPECT_EQ(img.image.at(0, 0), 0) << name;
    EXPECT_EQ(*std::max_element(img.image.pixels.begin(), img.image.pixels.end()), 65535) << name;
  }
}

TEST_F(PredictEndToEnd, RawInputsAndForcedPolarity) {
  // What --save-preprocessed wrote is a model input: --raw classifies it the same way.
  const std::string seen = dir_->file("seen-raw");
  ASSERT_EQ(run_predict("--checkpoint " + checkpoint_ + " --save-preprocessed " + seen + " " + files_[4], dir_->path()).code, 0);
  const std::string saved = seen + "/" + std::filesystem::path(files_[4]).stem().string() + ".png";
  const Output raw = run_predict("--checkpoint " + checkpoint_ + " --raw " + saved + " " + files_[0], dir_->path());
  EXPECT_EQ(raw.code, 1) << raw.err;  // files_[0] is 200x150: not a model input
  EXPECT_EQ(raw.out.rfind(saved + "  label " + std::to_string(digits_[4]) + "  ", 0), 0u) << raw.out;
  EXPECT_NE(raw.err.find("--raw needs a 28x28 image, this one is 200x150"), std::string::npos) << raw.err;

  // Form 0 is black on white: forcing that polarity changes nothing, forcing the other finds no ink.
  const Output right = run_predict("--checkpoint " + checkpoint_ + " --polarity dark-on-light " + files_[0], dir_->path());
  EXPECT_EQ(right.code, 0) << right.err;
  EXPECT_NE(right.out.find("  label " + std::to_string(digits_[0]) + "  "), std::string::npos) << right.out;
  const Output wrong = run_predict("--checkpoint " + checkpoint_ + " --polarity light-on-dark " + files_[0], dir_->path());
  EXPECT_EQ(wrong.code, 1);
  EXPECT_NE(wrong.err.find(files_[0] + ": no ink found"), std::string::npos) << wrong.err;
}

TEST_F(PredictEndToEnd, UsageAndCheckpointErrorsExitWithStatus2) {
  const Output help = run_predict("--help", dir_->path());
  EXPECT_EQ(help.code, 0);
  for (const char* flag : {"--checkpoint", "--json", "--top", "--device", "--save-preprocessed", "--polarity", "--raw"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  EXPECT_EQ(run_predict("--checkpoint " + checkpoint_, dir_->path()).code, 2);  // no files
  const Output missing = run_predict("--checkpoint " + dir_->file("none.ckpt") + " " + files_[0], dir_->path());
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("none.ckpt"), std::string::npos) << missing.err;
  const Output not_ckpt = run_predict("--checkpoint " + files_[0] + " " + files_[0], dir_->path());
  EXPECT_EQ(not_ckpt.code, 2);
  EXPECT_NE(not_ckpt.err.find("not a gpudigits checkpoint"), std::string::npos) << not_ckpt.err;
  const Output top = run_predict("--checkpoint " + checkpoint_ + " --top 0 " + files_[0], dir_->path());
  EXPECT_EQ(top.code, 2);
  EXPECT_NE(top.err.find("--top must be at least 1"), std::string::npos) << top.err;
  const Output pol = run_predict("--checkpoint " + checkpoint_ + " --polarity sideways " + files_[0], dir_->path());
  EXPECT_EQ(pol.code, 2);
  EXPECT_NE(pol.err.find("sideways"), std::string::npos) << pol.err;
}

TEST(PredictEndToEndUsps, SixteenPixelModelsGetUspsPreprocessing) {
  test::TempDir dir("e2e-predict-usps");
  const std::string ckpt = train_glyph_model(dir.path(), usps_preprocess_options());
  std::mt19937 rng(23);
  std::string args = "--checkpoint " + ckpt + " --device cpu --save-preprocessed " + dir.file("seen");
  std::vector<int> digits;
  for (int i = 0; i < 10; ++i) {
    args += " " + write_test_image(dir.path(), i % 6, i, rng);
    digits.push_back(i);
  }
  const Output o = run_predict(args, dir.path());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("USPS-style"), std::string::npos) << o.err;
  const std::vector<std::string> out = lines(o.out);
  ASSERT_EQ(out.size(), 10u);
  int correct = 0;
  for (int i = 0; i < 10; ++i) correct += out[static_cast<size_t>(i)].find("  label " + std::to_string(i) + "  ") != std::string::npos;
  EXPECT_EQ(correct, 10) << o.out;
  int saved = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("seen"))) {
    const DecodedImage img = read_image(e.path().string());
    EXPECT_EQ(img.image.width, 16);
    EXPECT_EQ(img.image.height, 16);
    ++saved;
  }
  EXPECT_EQ(saved, 10);
}

}  // namespace
}  // namespace gd
