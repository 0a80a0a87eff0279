#pragma once
// What gpu_train's command line may say next to --resume. A resumed run continues the stored
// configuration exactly (that is what makes it bit-identical), so an option that would change the
// model, the data or the optimisation is an error when its value differs from the stored one; it
// used to be ignored without a word (issue 19). Options that only say how or where to run
// (--epochs, --out, --data-dir, --device, --threads, ...) are applied by the caller.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gd {

// The options that may differ from the stored run (the caller applies them).
const std::vector<std::string>& resume_overridable_options();

// given_options: the long names ("--lr") of the options on the command line; given: to_json() of
// the configuration parsed from it; stored: the checkpoint's "config". Throws ConfigError listing
// every option whose value differs from the stored run's ("--lr 0.1 (the run used 0.05)"), with
// what to do instead. Options unknown to the table are not checked.
void check_resume_options(const std::vector<std::string>& given_options, const nlohmann::json& given,
                          const nlohmann::json& stored, const std::string& checkpoint);

}  // namespace gd
