#include "services/crypto/keys_command.h"

#include <cstdio>

#include <absl/time/clock.h>

#include "services/crypto/keyring_file.h"
#include "services/platform/exit_codes.h"

namespace crvs::crypto {

KeysCommand::KeysCommand(CLI::App& app) {
  keys_ = app.add_subcommand(
      "keys",
      "the keyring that seals personal data on Kafka (AES-256-GCM): create, activate and list keys "
      "(key bytes are never printed); see services/crypto/README.md for rotation");
  keys_->require_subcommand(1);
  const char* file_help = "keyring file (default: crypto.keyring_file)";
  new_ = keys_->add_subcommand(
      "new",
      "add a random 32-byte key to the keyring file (created, mode 0600, with this key active "
      "if missing)");
  new_->add_option("--file", file_, file_help);
  new_->add_option("--id", id_, "key id (default: k + UTC time, e.g. k20260315T101500)");
  new_->add_flag("--activate", activate_new_, "make the new key the one new values are sealed with");
  activate_ = keys_->add_subcommand(
      "activate",
      "make a key of the ring the one new values are sealed with (once every process's ring "
      "holds it)");
  activate_->add_option("--file", file_, file_help);
  activate_->add_option("--id", id_, "the key id")->required();
  list_ = keys_->add_subcommand("list", "the key ids of the keyring file, and the active one");
  list_->add_option("--file", file_, file_help);
}

bool KeysCommand::parsed() const { return keys_->parsed(); }

int KeysCommand::Run(const std::string& configured_file) const {
  const std::string file = file_.empty() ? configured_file : file_;
  if (list_->parsed()) {
    auto listed = ListKeys(file);
    if (!listed.ok()) return FailWith(listed.status(), kExitConfig);
    std::printf("%s", listed->c_str());
    return kExitOk;
  }
  if (activate_->parsed()) {
    absl::Status st = ActivateKey(file, id_);
    if (!st.ok()) return FailWith(st, kExitConfig);
    std::printf("active key of %s: %s\n", file.c_str(), id_.c_str());
    return kExitOk;
  }
  auto added = AddNewKey(file, id_, activate_new_, absl::Now());
  if (!added.ok()) return FailWith(added.status(), kExitConfig);
  std::printf("%s key %s in %s (mode 0600); active key: %s\n",
              added->created ? "created" : "added", added->id.c_str(), file.c_str(),
              added->active.c_str());
  return kExitOk;
}

}  // namespace crvs::crypto
