#include "engine/model/spec.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <sstream>

#include "engine/core/error.h"
#include "engine/layers/activation_layer.h"
#include "engine/layers/batchnorm_layer.h"
#include "engine/layers/conv2d_layer.h"
#include "engine/layers/dense_layer.h"
#include "engine/layers/lc2d_layer.h"
#include "engine/layers/pool_layer.h"

namespace gd {
namespace {

std::string trim_lower(const std::string& s) {
  std::string out;
  for (char ch : s)
    if (!std::isspace(static_cast<unsigned char>(ch))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string fmt_dropout(double p) {
  std::ostringstream os;
  os << p;
  return os.str();
}

// The largest number a spec field may hold: far above any width, filter count, kernel, stride or
// padding that makes sense for digit images, and small enough that shape products cannot overflow.
constexpr int64_t kMaxSpecNumber = 1000000;

// Reads the token's suffix after `prefix` as a sequence of <letter><int> fields, e.g. "32k5s2p2"
// with the leading bare integer stored under key '#'.
class Fields {
 public:
  Fields(const std::string& token, size_t start, const std::string& allowed, size_t pos)
      : token_(token), pos_(pos) {
    size_t i = start;
    auto read_int = [&](char key) {
      size_t j = i;
      while (j < token.size() && std::isdigit(static_cast<unsigned char>(token[j]))) ++j;
      if (j == i) fail(key == '#' ? "expected a number" : "expected a number after '" + std::string(1, key) + "'");
      if (values_.count(key)) fail("'" + std::string(1, key) + "' given twice");
      // At most kMaxSpecNumber, checked digit by digit (strtoll would saturate silently).
      int64_t v = 0;
      for (size_t k = i; k < j; ++k) {
        v = v * 10 + (token[k] - '0');
        if (v > kMaxSpecNumber)
          fail("number " + token.substr(i, j - i) + " is too large (at most " + std::to_string(kMaxSpecNumber) + ")");
      }
      values_[key] = v;
      i = j;
    };
    if (i < token.size() && std::isdigit(static_cast<unsigned char>(token[i]))) read_int('#');
    while (i < token.size()) {
      const char key = token[i];
      if (allowed.find(key) == std::string::npos || !std::isalpha(static_cast<unsigned char>(key)))
        fail("unexpected '" + std::string(1, key) + "'");
      ++i;
      read_int(key);
    }
  }
  bool has(char k) const { return values_.count(k) > 0; }
  int64_t get(char k, int64_t def) const { return has(k) ? values_.at(k) : def; }
  int64_t need(char k, const char* what) const {
    if (!has(k)) fail(std::string("missing ") + what);
    return values_.at(k);
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw ConfigError("spec token " + std::to_string(pos_ + 1) + " '" + token_ + "': " + why);
  }

 private:
  std::string token_;
  size_t pos_;
  std::map<char, int64_t> values_;
};

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

std::unique_ptr<Layer> parse_token(const std::string& tok, size_t pos, double default_dropout) {
  auto window = [&](size_t prefix_len) {
    Fields f(tok, prefix_len, "ksp", pos);
    WindowConfig w;
    w.filters = f.need('#', "filter count");
    w.kernel = f.need('k', "kernel size (k<K>)");
    w.stride = f.get('s', 1);
    w.pad = f.get('p', 0);
    return w;
  };
  try {
    if (tok == "relu" || tok == "tanh" || tok == "sigmoid" || tok == "elu" || tok == "gelu")
      return std::make_unique<ActivationLayer>(parse_activation(tok));
    if (tok == "bn" || tok == "batchnorm") return std::make_unique<BatchNormLayer>();
    if (tok == "flatten") return std::make_unique<FlattenLayer>();
    if (starts_with(tok, "dropout")) {
      const std::string rest = tok.substr(7);
      if (rest.empty()) return std::make_unique<DropoutLayer>(default_dropout);
      char* end = nullptr;
      const double p = std::strtod(rest.c_str(), &end);
      if (end == rest.c_str() || *end != '\0')
        throw ConfigError("spec token " + std::to_string(pos + 1) + " '" + tok + "': bad dropout probability");
      return std::make_unique<DropoutLayer>(p);
    }
    if (starts_with(tok, "fc")) {
      Fields f(tok, 2, "", pos);
      return std::make_unique<DenseLayer>(f.need('#', "width"));
    }
    if (starts_with(tok, "conv")) return std::make_unique<Conv2dLayer>(window(4));
    if (starts_with(tok, "lc")) return std::make_unique<Lc2dLayer>(window(2));
    for (const char* pre : {"maxpool", "avgpool", "pool"}) {
      if (starts_with(tok, pre)) {
        const size_t len = std::string(pre).size();
        Fields f(tok, len, "s", pos);
        const int64_t k = f.need('#', "window size");
        return std::make_unique<PoolLayer>(std::string(pre) != "avgpool", k, f.get('s', k));
      }
    }
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    if (what.rfind("spec token", 0) == 0) throw;
    throw ConfigError("spec token " + std::to_string(pos + 1) + " '" + tok + "': " + what);
  }
  throw ConfigError("spec token " + std::to_string(pos + 1) + " '" + tok +
                    "': unknown layer (expected fc, conv, lc, pool, maxpool, avgpool, relu, tanh, "
                    "sigmoid, elu, gelu, dropout, bn, flatten)");
}

}  // namespace

bool is_named_arch(const std::string& arch) {
  const auto names = named_archs();
  return std::find(names.begin(), names.end(), arch) != names.end();
}

std::vector<std::string> named_archs() { return {"mlp", "cnn", "lcnn", "mlp-wide", "cnn-bn", "lcnn-bn"}; }

std::string resolve_arch(const std::string& arch, int num_classes, double dropout) {
  const std::string a = trim_lower(arch);
  const std::string d = fmt_dropout(dropout), c = std::to_string(num_classes);
  if (a == "mlp") return "fc512,relu,dropout" + d + ",fc256,relu,dropout" + d + ",fc" + c;
  if (a == "cnn")
    return "conv32k3,relu,conv64k3,relu,pool2,dropout0.25,fc128,relu,dropout" + d + ",fc" + c;
  if (a == "lcnn") return "lc16k5s2p2,relu,lc32k5s2p2,relu,fc128,relu,dropout" + d + ",fc" + c;
  // The stronger models of docs/accuracy.md. mlp-wide: two 1200-unit layers with dropout on the
  // input too (Srivastava et al. 2014). cnn-bn: two blocks of 3x3, 3x3 and a strided 5x5
  // convolution, each with batch norm, and dropout 0.4 after each block. lcnn-bn: the lcnn with
  // twice the filters and batch norm.
  if (a == "mlp-wide") return "dropout0.2,fc1200,relu,dropout" + d + ",fc1200,relu,dropout" + d + ",fc" + c;
  if (a == "cnn-bn")
    return "conv32k3,bn,relu,conv32k3,bn,relu,conv32k5s2p2,bn,relu,dropout0.4,"
           "conv64k3,bn,relu,conv64k3,bn,relu,conv64k5s2p2,bn,relu,dropout0.4,"
           "fc128,bn,relu,dropout" + d + ",fc" + c;
  if (a == "lcnn-bn") return "lc32k5s2p2,bn,relu,lc64k5s2p2,bn,relu,fc256,bn,relu,dropout" + d + ",fc" + c;
  GD_CHECK_T(!a.empty(), ConfigError, "empty --arch (expected mlp, cnn, lcnn, mlp-wide, cnn-bn, lcnn-bn or a spec string)");
  return a;
}

std::vector<std::unique_ptr<Layer>> build_layers(const std::string& spec, const Shape& input,
                                                 int num_classes, double default_dropout) {
  const std::string s = trim_lower(spec);
  GD_CHECK_T(!s.empty(), ConfigError, "empty model spec");
  std::vector<std::unique_ptr<Layer>> layers;
  Shape cur = input;
  size_t pos = 0, start = 0;
  while (start <= s.size()) {
    const size_t comma = std::min(s.find(',', start), s.size());
    const std::string tok = s.substr(start, comma - start);
    GD_CHECK_T(!tok.empty(), ConfigError, "spec token " << pos + 1 << " is empty in '" << s << "'");
    std::unique_ptr<Layer> layer = parse_token(tok, pos, default_dropout);
    if (dynamic_cast<DenseLayer*>(layer.get()) && cur.rank() != 1) {
      layers.push_back(std::make_unique<FlattenLayer>());
      cur = layers.back()->output_shape(cur);
    }
    try {
      cur = layer->output_shape(cur);
    } catch (const Error& e) {
      throw ConfigError("spec token " + std::to_string(pos + 1) + " '" + tok + "' on input " +
                        (layers.empty() ? input.str() : "from the previous layer") + ": " + e.what());
    }
    layers.push_back(std::move(layer));
    ++pos;
    start = comma + 1;
  }
  GD_CHECK_T(cur.rank() == 1 && cur[0] == num_classes, ConfigError,
             "the model must end with fc" << num_classes << " (one output per class); spec '" << s
                                           << "' ends with shape " << cur.str());
  return layers;
}

}  // namespace gd
