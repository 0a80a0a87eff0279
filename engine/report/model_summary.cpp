// Network -> ModelSummary -> HTML table / JSON (see model_summary.h).
#include "engine/report/model_summary.h"

#include "engine/report/html_fragments.h"
#include "engine/report/html_table.h"

namespace gd::report {

ModelSummary summarize_model(const Network& net) {
  ModelSummary m;
  m.spec = net.spec();
  m.input_shape = net.input_shape().str();
  for (size_t i = 0; i < net.num_layers(); ++i) {
    const Layer& layer = net.layer(i);
    LayerSummary s;
    s.index = static_cast<int>(i);
    s.kind = layer.kind();
    s.spec = layer.spec();
    s.output_shape = net.layer_output_shape(i).str();
    for (const ParamSpec& p : layer.param_specs(net.layer_input_shape(i))) s.params += p.shape.numel();
    s.flops = layer.flops_per_sample(net.layer_input_shape(i));
    m.layers.push_back(std::move(s));
  }
  m.total_params = net.num_params();
  m.total_flops = net.flops_per_sample();
  return m;
}

std::string model_summary_table(const ModelSummary& m) {
  HtmlTable t({{"#", HtmlTable::Align::Right},
               {"layer"},
               {"spec", HtmlTable::Align::Left, true},
               {"output shape", HtmlTable::Align::Left, true},
               {"parameters", HtmlTable::Align::Right},
               {"MFLOPs / sample", HtmlTable::Align::Right}});
  t.add_row({"", "input", "", m.input_shape, "", ""});
  for (const LayerSummary& l : m.layers)
    t.add_row({std::to_string(l.index), l.kind, l.spec, l.output_shape, grouped(l.params), fixed(l.flops / 1e6, 3)});
  t.add_summary_row({"", "total", "", "", grouped(m.total_params), fixed(m.total_flops / 1e6, 3)});
  return t.html();
}

nlohmann::json model_summary_to_json(const ModelSummary& m) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerSummary& l : m.layers)
    layers.push_back({{"index", l.index},
                      {"kind", l.kind},
                      {"spec", l.spec},
                      {"output_shape", l.output_shape},
                      {"params", l.params},
                      {"flops", l.flops}});
  return {{"spec", m.spec},
          {"input_shape", m.input_shape},
          {"total_params", m.total_params},
          {"flops_per_sample", m.total_flops},
          {"layers", layers}};
}

}  // namespace gd::report
