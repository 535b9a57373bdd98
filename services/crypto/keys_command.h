// The command-line face of keyring_file.h: `crvs keys new | activate | list`, the keyring that
// seals personal data on Kafka (--file, else crypto.keyring_file). Key bytes are never printed.
//
// Thread-safety: construct and run from main.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace crvs::crypto {

class KeysCommand {
 public:
  // Adds `keys` with its three subcommands to `app`.
  explicit KeysCommand(CLI::App& app);

  bool parsed() const;
  // Runs the parsed subcommand on --file, or `configured_file` (crypto.keyring_file). Exit 0
  // done, 2 a bad flag, file or key id.
  int Run(const std::string& configured_file) const;

 private:
  CLI::App* keys_;
  CLI::App* new_;
  CLI::App* activate_;
  CLI::App* list_;
  std::string file_;
  std::string id_;
  bool activate_new_ = false;
};

}  // namespace crvs::crypto
