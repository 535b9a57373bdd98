// The exit codes every `crvs` subcommand shares, and the one way it reports a failure.
#pragma once

#include <cstdio>
#include <string>

#include <absl/status/status.h>

namespace crvs {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;       // a broker, database or I/O failure
inline constexpr int kExitConfig = 2;       // bad flags, configuration or input
inline constexpr int kExitInterrupted = 130;  // stopped by SIGINT/SIGTERM (128 + SIGINT)

// Prints "crvs: <message>" on stderr and returns `code`.
inline int FailWith(const absl::Status& status, int code) {
  std::fprintf(stderr, "crvs: %s\n", std::string(status.message()).c_str());
  return code;
}

}  // namespace crvs
