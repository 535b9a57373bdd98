// Typed configuration. Each component declares a plain struct with defaults and a
// `Visit` method that names and describes every knob:
//
//   struct GatewayConfig {
//     std::string listen = "127.0.0.1:50051";
//     template <class V> void Visit(V& v) { v("listen", listen, "host:port of the gRPC server"); }
//   };
//
// A Config binds such structs as named sections and fills them from, in increasing order of
// precedence: the defaults, a TOML file (`[gateway]` / `listen = "..."`), the environment
// (`CRVS_GATEWAY_LISTEN`), and `--set gateway.listen=...` flags. Unknown keys are errors in
// every source, as are values of the wrong type, each naming the key and where it came from.
//
// Thread-safety: not thread-safe; load once at start-up, then hand the structs out by value.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>

namespace crvs::config {

using Duration = std::chrono::milliseconds;

// Parses "250ms", "5s", "2m", "24h", "7d" (a whole number and a unit).
absl::Status ParseDuration(std::string_view text, Duration* out);
std::string FormatDuration(Duration d);

class Config {
 public:
  // The environment variable that may name a config file (besides --config).
  static constexpr std::string_view kConfigFileEnv = "CRVS_CONFIG";

  // Binds `section` to `target`, which must outlive this Config.
  template <class T>
  void Bind(std::string section, T* target) {
    Binder binder{this, std::move(section)};
    target->Visit(binder);
  }

  // A key that moved: a file, variable or --set naming `old_key` is refused with a message
  // naming `new_key`, so an operator's configuration does not silently lose the setting.
  void Moved(std::string old_key, std::string new_key) {
    moved_.emplace(std::move(old_key), std::move(new_key));
  }

  // TOML subset: [section] headers, key = value, strings, numbers, booleans, arrays of strings.
  absl::Status LoadFile(const std::string& path);
  absl::Status LoadText(std::string_view text, std::string_view origin);
  // Every CRVS_<SECTION>_<KEY> variable; any other CRVS_ variable (except CRVS_CONFIG) is an
  // error, so a misspelt variable is not silently ignored. `environ` style, null-terminated.
  absl::Status LoadEnvironment(const char* const* envp);
  // "section.key=value" from a --set flag.
  absl::Status Set(std::string_view assignment);

  // One line per key: key, type, current value, description.
  std::string Describe() const;
  // The effective configuration as a TOML file that LoadText accepts back.
  std::string Dump() const;

 private:
  struct Field {
    std::string type;
    std::string help;
    std::function<absl::Status(const std::string&)> parse;  // from a text value
    std::function<std::string()> show;                       // as TOML value text
  };

  class Binder {
   public:
    Config* config;
    std::string section;
    void operator()(std::string_view key, std::string& v, std::string_view help);
    void operator()(std::string_view key, int64_t& v, std::string_view help);
    void operator()(std::string_view key, int& v, std::string_view help);
    void operator()(std::string_view key, double& v, std::string_view help);
    void operator()(std::string_view key, bool& v, std::string_view help);
    void operator()(std::string_view key, Duration& v, std::string_view help);
    void operator()(std::string_view key, std::vector<std::string>& v, std::string_view help);

   private:
    void Add(std::string_view key, Field field);
  };

  absl::Status Apply(const std::string& key, const std::string& value, std::string_view origin);

  std::map<std::string, Field> fields_;  // "section.key" → field, ordered for Describe/Dump
  std::map<std::string, std::string> moved_;  // old "section.key" → new
};

}  // namespace crvs::config
