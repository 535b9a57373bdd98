// Named spdlog loggers for every component, all writing through one sink that masks
// personal identification numbers, so a full ID never reaches a log line.
//
// Usage: `auto log = crvs::logging::Get("gateway"); log->info("accepted key={} offset={}", k, o);`
// Context goes in key=value form. Get() is thread-safe; loggers live until process exit.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

namespace crvs::logging {

struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error, critical, off

  template <class V>
  void Visit(V& v) {
    v("level", level, "minimum level logged: trace, debug, info, warn, error, critical, off");
  }
};

// Applies the configuration to every logger, existing and future. Rejects unknown values.
std::string Configure(const LogConfig& config);  // returns an error message, empty on success

// The logger of `component`, created on first use.
std::shared_ptr<spdlog::logger> Get(std::string_view component);

// "079203001234" → "079*******34": keeps the province prefix (useful for operators) and the
// last two digits (to tell lines apart), hides the rest.
std::string MaskPersonalId(std::string_view id);

// Masks every run of exactly 12 digits in free text (a personal ID anywhere in a message).
std::string MaskPersonalIds(std::string_view text);

}  // namespace crvs::logging
