#include "services/simulate/simulate_flags.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_replace.h>

#include "services/simulate/simulate_config.h"

namespace crvs::simulate {
namespace {

// Visits SimulateConfig's keys and adds one flag per key, described by the key's help and
// showing its default.
struct FlagAdder {
  CLI::App* command;
  std::vector<std::string>* assignments;

  void Add(std::string_view key, std::string_view type, const std::string& value,
           std::string_view help) {
    const std::string name = absl::StrReplaceAll(std::string(key), {{"_", "-"}});
    auto* out = assignments;
    command
        ->add_option_function<std::string>(
            "--" + name,
            [out, k = std::string(key)](const std::string& v) {
              out->push_back(absl::StrCat("simulate.", k, "=", v));
            },
            absl::StrCat(std::string(help), " (simulate.", std::string(key), ", default ",
                         value.empty() ? std::string("\"\"") : value,
                         ")"))
        ->type_name(std::string(type));
  }
  void operator()(std::string_view key, std::string& v, std::string_view help) {
    Add(key, "TEXT", v, help);
  }
  void operator()(std::string_view key, int64_t& v, std::string_view help) {
    Add(key, "INT", std::to_string(v), help);
  }
  void operator()(std::string_view key, int& v, std::string_view help) {
    Add(key, "INT", std::to_string(v), help);
  }
  void operator()(std::string_view key, double& v, std::string_view help) {
    Add(key, "NUMBER", absl::StrCat(v), help);
  }
  void operator()(std::string_view key, bool& v, std::string_view help) {
    Add(key, "BOOL", v ? "true" : "false", help);
  }
  void operator()(std::string_view key, config::Duration& v, std::string_view help) {
    Add(key, "DURATION", config::FormatDuration(v), help);
  }
};

}  // namespace

void AddSimulateFlags(CLI::App* command, std::vector<std::string>* assignments) {
  SimulateConfig defaults;
  FlagAdder adder{command, assignments};
  defaults.Visit(adder);
}

}  // namespace crvs::simulate
