#include "tune.h"

#include <pybind11/stl.h>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"
#include "engine/tune/ask_tell.h"
#include "engine/tune/trial_config.h"

namespace py = pybind11;

namespace gd::py_bind {
namespace {

// A trial as a JSON string (Python turns it into a dict).
std::string trial_json(const tune::Trial& t) {
  nlohmann::json j{{"number", t.number}, {"state", tune::to_string(t.state)}, {"params", t.params},
                   {"sampler", t.sampler}, {"fail_reason", t.fail_reason}};
  j["value"] = t.value ? nlohmann::json(*t.value) : nlohmann::json(nullptr);
  return j.dump();
}

// The Model.fit settings of one trial of gpu_tune's training objective (arch, epochs, batch size,
// optimiser, ...) for the parameters `params_json`.
std::string trial_fit_settings(const std::string& arch, const std::string& params_json, int epochs) {
  tune::ObjectiveConfig c;
  c.arch = arch;
  c.max_epochs = epochs;
  tune::validate(c);
  const nlohmann::json params = nlohmann::json::parse(params_json);
  std::vector<std::string> names;
  for (const auto& [k, v] : params.items()) names.push_back(k);
  tune::check_param_names(c, names);
  const TrainConfig t = tune::trial_train_config(c, params, "");
  nlohmann::json s{{"arch", t.spec.empty() ? t.arch : t.spec},
                   {"epochs", t.epochs},
                   {"batch_size", t.batch_size},
                   {"optimizer", t.optim.name},
                   {"lr", t.optim.lr},
                   {"momentum", t.optim.momentum},
                   {"nesterov", t.optim.nesterov},
                   {"weight_decay", t.optim.weight_decay},
                   {"schedule", t.schedule.name},
                   {"warmup_epochs", t.schedule.warmup_epochs},
                   {"label_smoothing", t.label_smoothing},
                   {"augment", t.augment},
                   {"clip_grad_norm", t.clip_grad_norm}};
  if (t.dropout >= 0.0) s["dropout"] = t.dropout;
  return s.dump();
}

}  // namespace

void bind_tune(py::module_& m) {
  py::class_<tune::AskTellStudy>(m, "AskTellStudy")
      .def(py::init([](const std::string& storage, const std::string& name, const std::string& space_toml,
                       const std::string& space_source, const std::string& direction, const std::string& sampler,
                       const std::string& sampler_options, uint64_t seed) {
             return std::make_unique<tune::AskTellStudy>(
                 storage, name, tune::SearchSpace::from_toml_string(space_toml, space_source),
                 tune::direction_from_string(direction), sampler, nlohmann::json::parse(sampler_options), seed);
           }),
           py::arg("storage"), py::arg("name"), py::arg("space_toml"), py::arg("space_source"), py::arg("direction"),
           py::arg("sampler"), py::arg("sampler_options"), py::arg("seed"))
      .def("ask",
           [](tune::AskTellStudy& s) {
             const tune::AskedTrial t = s.ask();
             return py::make_tuple(t.number, t.params.dump());
           })
      .def("tell", &tune::AskTellStudy::tell, py::arg("number"), py::arg("value"))
      .def("tell_failed", &tune::AskTellStudy::tell_failed, py::arg("number"), py::arg("reason"))
      .def("trials",
           [](tune::AskTellStudy& s) {
             std::vector<std::string> out;
             for (const tune::Trial& t : s.trials()) out.push_back(trial_json(t));
             return out;
           })
      .def("best_trial",
           [](tune::AskTellStudy& s) -> py::object {
             const auto t = s.best_trial();
             if (!t) return py::none();
             return py::str(trial_json(*t));
           })
      .def_property_readonly("sampler", &tune::AskTellStudy::sampler_name)
      .def_property_readonly("direction",
                             [](const tune::AskTellStudy& s) { return tune::to_string(s.direction()); });
  m.def("trial_fit_settings", &trial_fit_settings, py::arg("arch"), py::arg("params_json"), py::arg("epochs"));
  m.def("sampler_names", &tune::sampler_names);
}

}  // namespace gd::py_bind
