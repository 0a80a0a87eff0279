#include "engine/train/model_io.h"

#include <cmath>

#include "engine/core/error.h"
#include "engine/model/spec.h"

namespace gd {

std::vector<float> read_floats(Backend& be, const float* src, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  if (n) be.copy_to_host(v.data(), src, v.size() * sizeof(float));
  return v;
}

void write_floats(Backend& be, float* dst, const std::vector<float>& values, const std::string& what) {
  GD_CHECK(dst != nullptr || values.empty(), "no destination for " << what);
  if (!values.empty()) be.copy_from_host(dst, values.data(), values.size() * sizeof(float));
}

nlohmann::json model_meta(const Network& net, const ModelInfo& info) {
  nlohmann::json params = nlohmann::json::array();
  for (const ParamInfo& p : net.param_info())
    params.push_back({{"name", p.name}, {"shape", p.shape.dims()}, {"offset", p.offset}});
  return {{"spec", net.spec()},
          {"input_shape", info.input.dims()},
          {"num_classes", info.num_classes},
          {"class_names", info.class_names},
          {"mean", info.mean},
          {"std", info.std},
          {"num_params", net.num_params()},
          {"num_state", net.num_state()},
          {"params", params}};
}

ModelInfo model_info_from_meta(const nlohmann::json& meta) {
  if (!meta.contains("model")) throw DataError("checkpoint has no model description");
  try {
    const auto& m = meta.at("model");
    ModelInfo info;
    info.spec = m.at("spec").get<std::string>();
    // Numbers are checked before nlohmann converts them: its get<int>() of 1e38 or get<float>()
    // of 1e300 is an out-of-range conversion, undefined behaviour.
    const auto& shape = m.at("input_shape");
    GD_CHECK_T(shape.is_array(), DataError, "checkpoint model input_shape is not an array");
    std::vector<int64_t> dims;
    for (const auto& d : shape) {
      GD_CHECK_T(d.is_number_integer() && d.get<int64_t>() >= 1 && d.get<int64_t>() <= (int64_t{1} << 24), DataError,
                 "checkpoint model input_shape holds " << d.dump() << ", not an extent 1..2^24");
      dims.push_back(d.get<int64_t>());
    }
    info.input = Shape(dims);
    const auto& classes = m.at("num_classes");
    GD_CHECK_T(classes.is_number_integer() && classes.get<int64_t>() >= 1 && classes.get<int64_t>() <= 1000000, DataError,
               "checkpoint model num_classes is " << classes.dump() << ", not 1..1000000");
    info.num_classes = static_cast<int>(classes.get<int64_t>());
    info.class_names = m.at("class_names").get<std::vector<std::string>>();
    for (const char* key : {"mean", "std"}) {
      const auto& v = m.at(key);
      GD_CHECK_T(v.is_number() && std::isfinite(v.get<double>()) && std::fabs(v.get<double>()) <= 1e30, DataError,
                 "checkpoint model " << key << " is " << v.dump() << ", not a finite number");
    }
    info.mean = static_cast<float>(m.at("mean").get<double>());
    info.std = static_cast<float>(m.at("std").get<double>());
    return info;
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("checkpoint model description is invalid: ") + e.what());
  }
}

void append_weights(Checkpoint& ck, const Network& net, const std::string& prefix) {
  Backend& be = net.backend();
  ck.arrays.push_back({prefix + "params", {net.num_params()}, read_floats(be, net.params(), net.num_params())});
  ck.arrays.push_back({prefix + "state", {net.num_state()}, read_floats(be, net.state(), net.num_state())});
}

void load_weights(Network& net, const Checkpoint& ck, const std::string& prefix) {
  const NamedArray& p = ck.get(prefix + "params");
  const NamedArray& s = ck.get(prefix + "state");
  GD_CHECK_T(static_cast<int64_t>(p.values.size()) == net.num_params(), DataError,
             "checkpoint array '" << p.name << "' has " << p.values.size() << " values but the model has "
                                  << net.num_params() << " parameters");
  GD_CHECK_T(static_cast<int64_t>(s.values.size()) == net.num_state(), DataError,
             "checkpoint array '" << s.name << "' has " << s.values.size() << " values but the model has "
                                  << net.num_state() << " state values");
  write_floats(net.backend(), net.params(), p.values, p.name);
  write_floats(net.backend(), net.state(), s.values, s.name);
}

namespace {

std::unique_ptr<Network> build_from_checkpoint(const Checkpoint& ck, Backend& be, int64_t max_batch, ModelInfo* info_out);

}  // namespace

std::unique_ptr<Network> network_from_checkpoint(const Checkpoint& ck, Backend& be, int64_t max_batch,
                                                 ModelInfo* info_out) {
  // Every problem found here is about this checkpoint: its message names the file.
  try {
    return build_from_checkpoint(ck, be, max_batch, info_out);
  } catch (const Error& e) {
    const std::string what = e.what();
    if (ck.source.empty() || what.find(ck.source) != std::string::npos) throw;
    throw DataError("checkpoint '" + ck.source + "': " + what);
  }
}

namespace {

std::unique_ptr<Network> build_from_checkpoint(const Checkpoint& ck, Backend& be, int64_t max_batch,
                                               ModelInfo* info_out) {
  const ModelInfo info = model_info_from_meta(ck.meta);
  std::vector<std::unique_ptr<Layer>> layers = build_layers(info.spec, info.input, info.num_classes, 0.0);
  // The sizes the layers would need, compared with the stored arrays before the network (and its
  // activation buffers) is allocated: a checkpoint whose spec does not match its weights (or a
  // hostile one with 10,000 layers) fails here, cheaply.
  int64_t num_params = 0, num_state = 0;
  Shape cur = info.input;
  for (const auto& l : layers) {
    for (const ParamSpec& ps : l->param_specs(cur)) num_params += ps.shape.numel();
    num_state += l->state_floats(cur);
    cur = l->output_shape(cur);
  }
  const NamedArray& p = ck.get("params");
  const NamedArray& s = ck.get("state");
  GD_CHECK_T(static_cast<int64_t>(p.values.size()) == num_params && static_cast<int64_t>(s.values.size()) == num_state,
             DataError,
             "checkpoint weights do not match its model spec '" << info.spec << "': the spec needs " << num_params
                 << " parameters and " << num_state << " state values, the checkpoint holds " << p.values.size()
                 << " and " << s.values.size());
  // Weights that are NaN or infinite (a run saved after it diverged, or a damaged file whose CRC
  // was recomputed) would predict at chance without a word: refuse them.
  for (const NamedArray* a : {&p, &s}) {
    int64_t bad = 0, first = -1;
    for (size_t i = 0; i < a->values.size(); ++i) {
      if (!std::isfinite(a->values[i])) {
        if (first < 0) first = static_cast<int64_t>(i);
        ++bad;
      }
    }
    GD_CHECK_T(bad == 0, DataError,
               bad << " of the " << a->values.size() << " values of array '" << a->name
                   << "' are NaN or infinite (the first at index " << first << ", "
                   << a->values[static_cast<size_t>(first)] << "): the model cannot predict anything "
                   << "(was it saved after training diverged?)");
  }
  auto net = std::make_unique<Network>(be, std::move(layers), info.input, max_batch);
  load_weights(*net, ck, "");
  if (info_out) *info_out = info;
  return net;
}

}  // namespace

}  // namespace gd
