// The command-line face of services/auth/certs.h: `crvs certs init` and `crvs certs issue`.
// Needs no configuration (runs before it is loaded), so a fresh machine can make its
// certificates first and configure [tls] with the paths it prints.
//
// Thread-safety: construct and run from main.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace crvs::auth {

class CertsCommand {
 public:
  // Adds `certs` with its two subcommands to `app`.
  explicit CertsCommand(CLI::App& app);

  bool parsed() const;
  // Runs the parsed subcommand; prints what it wrote (stdout) or the error (stderr). Exit 0
  // done, 2 bad flags or existing files, 1 other failure.
  int Run() const;

 private:
  CLI::App* certs_;
  CLI::App* init_;
  CLI::App* issue_;
  std::string dir_;
  std::string principal_;
  bool server_ = false;
  std::vector<std::string> dns_;
  std::vector<std::string> ips_;
  int days_ = 0;
  std::string out_;
};

}  // namespace crvs::auth
