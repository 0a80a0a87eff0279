// gpu_predict: classify image files (PNG, JPEG, PNM, BMP) of single handwritten digits with a
// trained checkpoint. Each file is read, preprocessed the way MNIST (or, for 16x16 models, USPS)
// was made (engine/image/digit_preprocess.h), all readable files go through the model in one
// batch, and the label with the top-k probabilities is printed per file (or one JSON document with
// --json). Several --checkpoint classify with an ensemble (probabilities averaged); --tta averages
// each model over one-pixel shifted copies. See `gpu_predict --help` and docs/predict.md.
//
// Exit status: 0 every file was classified; 1 some file could not be read or held no digit (the
// others are still classified and printed); 2 usage error, unusable checkpoint or device.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/core/cpu_threads.h"
#include "engine/core/error.h"
#include "engine/data/dataset.h"
#include "engine/export/onnx_location.h"
#include "engine/image/digit_file.h"
#include "engine/image/png_encode.h"
#include "engine/train/checkpoint.h"
#include "engine/train/ensemble.h"
#include "engine/train/model_io.h"
#include "engine/train/predict.h"
#include "engine/train/test_time_shifts.h"

namespace {

using namespace gd;
namespace fs = std::filesystem;

constexpr int kExitSomeFailed = 1;
constexpr int kExitUsage = 2;

// One input file: either its preprocessed digit or the reason it failed.
struct Item {
  std::string path;
  std::optional<DigitFile> digit;
  std::string error;
  std::string saved;  // where --save-preprocessed wrote it
  int64_t row = -1;   // index into the prediction batch
};

// --raw: the file is already a model input (light-on-dark, exactly canvas x canvas).
DigitFile load_raw_file(const std::string& path, int canvas, Polarity polarity) {
  const DecodedImage img = read_image(path);
  if (img.image.width != canvas || img.image.height != canvas)
    throw DataError(path + ": --raw needs a " + std::to_string(canvas) + "x" + std::to_string(canvas) +
                    " image, this one is " + std::to_string(img.image.width) + "x" + std::to_string(img.image.height));
  DigitFile f;
  f.path = path;
  f.source = img.describe();
  f.digit.image = to_gray8(img.image);
  if (polarity == Polarity::DarkOnLight) {
    for (uint8_t& v : f.digit.image.pixels) v = static_cast<uint8_t>(255 - v);
    f.digit.inverted = true;
  }
  f.digit.box_w = f.digit.box_h = f.digit.scaled_w = f.digit.scaled_h = canvas;
  return f;
}

// "<stem>.png" in dir, with "-2", "-3", ... when an earlier input had the same stem.
std::string preprocessed_name(const std::string& dir, const std::string& path, std::set<std::string>& used) {
  std::string stem = fs::path(path).stem().string();
  if (stem.empty()) stem = "image";
  std::string name = stem + ".png";
  for (int k = 2; used.count(name); ++k) name = stem + "-" + std::to_string(k) + ".png";
  used.insert(name);
  return (fs::path(dir) / name).string();
}

std::string class_name(const ModelInfo& info, int c) {
  if (c >= 0 && c < static_cast<int>(info.class_names.size())) return info.class_names[static_cast<size_t>(c)];
  return std::to_string(c);
}

// Class indices of row i by descending probability (lower index first on ties), first k.
std::vector<int> top_classes(const Predictions& p, int64_t i, int k) {
  std::vector<int> order(static_cast<size_t>(p.num_classes));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p.prob(i, a) > p.prob(i, b); });
  order.resize(static_cast<size_t>(k));
  return order;
}

int run(int argc, char** argv) {
  CLI::App app{
      "gpu_predict: classify image files of handwritten digits with a trained model.\n"
      "Reads PNG, JPEG (baseline/progressive), PNM (P1-P6, up to 16-bit) and BMP of any size, detected by\n"
      "content. Each image is preprocessed as MNIST was made (background from the border, dark-on-light\n"
      "inverted, digit box scaled into 20x20, centre of mass at (14,14) in 28x28) or, for 16x16 models,\n"
      "as USPS was (deslanted, box scaled to fill 16x16, centred); see docs/predict.md.\n"
      "Prints the label and top-k probabilities per file. Exit status: 0 all files classified, 1 some\n"
      "files failed (each reported on stderr, the rest still classified), 2 usage, checkpoint or device error."};
  app.get_formatter()->column_width(34);
  std::string device = "auto", save_dir, polarity_name = "auto";
  std::vector<std::string> checkpoint_paths, files;
  bool json = false, raw = false;
  int top = 3, threads = 0, tta = 1;
  app.add_option("--checkpoint", checkpoint_paths,
                 "trained model: model.ckpt (or checkpoint.ckpt) of a gpu_train run; give it several times for an "
                 "ensemble (probabilities averaged; members must share input size and classes)")
      ->required()
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->type_name("PATH");
  app.add_option("--tta", tta,
                 "test-time augmentation: average each model over 1 (off), 5 (one-pixel shifts) or 9 (also "
                 "diagonals) copies of every image")
      ->capture_default_str();
  app.add_option("files", files, "image files to classify (at least one)")->required()->type_name("FILE");
  app.add_flag("--json", json, "print one JSON document on stdout: per file path, label, top-k [{label, prob}] or error");
  app.add_option("--top", top, "how many of the most probable classes to show per file (capped at the class count)")
      ->capture_default_str();
  app.add_option("--device", device, "auto | cpu | cuda (auto: CUDA when a device exists, else CPU)")->capture_default_str();
  app.add_option("--save-preprocessed", save_dir, "write what the model saw, one PNG per file (<stem>.png), into DIR")
      ->type_name("DIR");
  app.add_option("--polarity", polarity_name,
                 "auto | dark-on-light | light-on-dark: how the ink differs from the background (auto: decided per image)")
      ->capture_default_str();
  app.add_flag("--raw", raw, "no preprocessing: files are already model inputs (light digit on black, the model's size)");
  app.add_option("--threads", threads, "CPU threads (0 = all cores)")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }

  auto usage_error = [](const std::string& msg) {
    std::fprintf(stderr, "gpu_predict: error: %s\n", msg.c_str());
    return kExitUsage;
  };
  Polarity polarity;
  if (polarity_name == "auto") polarity = Polarity::Auto;
  else if (polarity_name == "dark-on-light") polarity = Polarity::DarkOnLight;
  else if (polarity_name == "light-on-dark") polarity = Polarity::LightOnDark;
  else return usage_error("--polarity must be auto, dark-on-light or light-on-dark, got '" + polarity_name + "'");
  if (top < 1) return usage_error("--top must be at least 1, got " + std::to_string(top));
  try {
    set_cpu_threads(threads);
  } catch (const ConfigError& e) {
    return usage_error(e.what());
  }

  // Checkpoints, preprocessing geometry, backend and networks: any failure here is fatal (exit 2).
  ModelInfo info;
  DigitPreprocessOptions options;
  std::vector<PixelShift> shifts;
  std::unique_ptr<Backend> backend;
  std::vector<std::unique_ptr<Network>> nets;
  std::vector<ModelInfo> infos;
  try {
    shifts = test_time_shifts(tta);
    std::vector<Checkpoint> cks;
    for (const std::string& path : checkpoint_paths) cks.push_back(load_checkpoint(path));
    info = checked_ensemble_members(checkpoint_paths, cks).front().info;
    try {
      options = preprocess_options_for_input(info.input);
    } catch (const Error& e) {
      throw DataError(checkpoint_paths.front() + ": " + e.what());
    }
    options.polarity = polarity;
    std::string notice;
    backend = make_backend(parse_device_request(device), &notice);
    if (!notice.empty()) std::fprintf(stderr, "note: %s\n", notice.c_str());
    const int64_t max_batch = std::clamp<int64_t>(static_cast<int64_t>(files.size()), 1, 256);
    for (const Checkpoint& ck : cks) {
      infos.emplace_back();
      nets.push_back(network_from_checkpoint(ck, *backend, max_batch, &infos.back()));  // errors name the checkpoint
    }
    if (!save_dir.empty()) {
      std::error_code ec;
      fs::create_directories(save_dir, ec);
      if (ec || !fs::is_directory(save_dir))
        throw ConfigError("--save-preprocessed: cannot create directory '" + save_dir + "': " + ec.message());
    }
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }
  const int canvas = options.canvas;
  top = std::min(top, info.num_classes);
  // A single model's ONNX export (gpu_export's default place), for running it elsewhere.
  const OnnxBeside onnx = nets.size() == 1 ? find_onnx_beside(checkpoint_paths.front()) : OnnxBeside{};
  if (!json)
    std::fprintf(stderr, "%s on %s; %s%s%s\n",
                 nets.size() > 1 ? ("ensemble of " + std::to_string(nets.size()) + " models").c_str()
                                 : ("model " + info.spec).c_str(),
                 backend->description().c_str(), raw ? "no preprocessing (--raw)" : describe(options).c_str(),
                 tta > 1 ? ("; each model averaged over " + std::to_string(tta) + " shifted copies").c_str() : "",
                 onnx.path.empty() ? "" : ("; ONNX export: " + describe(onnx)).c_str());

  // Read and preprocess every file; failures are per file.
  std::vector<Item> items(files.size());
  Dataset batch;
  batch.name = "gpu_predict inputs";
  batch.channels = 1;
  batch.height = batch.width = canvas;
  batch.num_classes = info.num_classes;
  std::set<std::string> used_names;
  for (size_t i = 0; i < files.size(); ++i) {
    Item& it = items[i];
    it.path = files[i];
    try {
      it.digit = raw ? load_raw_file(it.path, canvas, polarity) : load_digit_file(it.path, options);
      if (!save_dir.empty()) {
        it.saved = preprocessed_name(save_dir, it.path, used_names);
        write_png(it.saved, it.digit->digit.image);
      }
      it.row = batch.n++;
      const std::vector<uint8_t>& px = it.digit->digit.image.pixels;
      batch.images.insert(batch.images.end(), px.begin(), px.end());
      batch.labels.push_back(0);
    } catch (const std::exception& e) {
      it.digit.reset();
      it.error = e.what();
      std::fprintf(stderr, "gpu_predict: %s\n", it.error.c_str());
    }
  }

  Predictions pred;
  if (batch.n > 0) {
    try {
      std::vector<Predictions> per_model;
      for (size_t m = 0; m < nets.size(); ++m)
        per_model.push_back(predict_with_shifts(*nets[m], batch, infos[m].mean, infos[m].std, shifts));
      pred = per_model.size() == 1 ? std::move(per_model.front()) : average_predictions(per_model);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gpu_predict: error: prediction failed: %s\n", e.what());
      return kExitUsage;
    }
  }

  int failed = 0;
  nlohmann::json results = nlohmann::json::array();
  for (const Item& it : items) {
    if (!it.digit) {
      ++failed;
      results.push_back({{"path", it.path}, {"error", it.error}});
      continue;
    }
    const std::vector<int> best = top_classes(pred, it.row, top);
    const int label = pred.label[static_cast<size_t>(it.row)];
    if (json) {
      nlohmann::json topk = nlohmann::json::array();
      for (int c : best) topk.push_back({{"label", class_name(info, c)}, {"class", c}, {"prob", pred.prob(it.row, c)}});
      const PreprocessResult& d = it.digit->digit;
      nlohmann::json r = {{"path", it.path},
                          {"label", class_name(info, label)},
                          {"class", label},
                          {"prob", pred.prob(it.row, label)},
                          {"top", topk},
                          {"source", it.digit->source},
                          {"inverted", d.inverted},
                          {"box", {d.box_x, d.box_y, d.box_w, d.box_h}}};
      if (!it.saved.empty()) r["preprocessed"] = it.saved;
      results.push_back(r);
    } else {
      std::string line = it.path + "  label " + class_name(info, label) + "  top-" + std::to_string(top) + ":";
      for (size_t k = 0; k < best.size(); ++k) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s %s %.2f%%", k ? "," : "", class_name(info, best[k]).c_str(),
                      100.0 * pred.prob(it.row, best[k]));
        line += buf;
      }
      std::printf("%s\n", line.c_str());
    }
  }
  if (json) {
    std::vector<std::string> specs;
    for (const ModelInfo& m : infos) specs.push_back(m.spec);
    const nlohmann::json doc = {{"checkpoint", checkpoint_paths.front()},
                                {"checkpoints", checkpoint_paths},
                                {"model", info.spec},
                                {"models", specs},
                                {"tta", tta},
                                {"input_shape", info.input.dims()},
                                {"class_names", info.class_names},
                                {"preprocessing", raw ? std::string("none (--raw)") : describe(options)},
                                {"device", backend->description()},
                                {"onnx_model", onnx.path.empty() ? nlohmann::json(nullptr) : nlohmann::json(onnx.path)},
                                {"onnx_model_stale", onnx.stale},
                                {"results", results},
                                {"succeeded", static_cast<int>(items.size()) - failed},
                                {"failed", failed}};
    std::printf("%s\n", doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  }
  std::fflush(stdout);
  return failed ? kExitSomeFailed : 0;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
