// Keyring files for `crvs keys`: create a key, add one to an existing ring (optionally making
// it the active one), activate one, list the ids. Key bytes come from RAND_bytes and are never printed.
#pragma once

#include <string>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

namespace crvs::crypto {

struct NewKey {
  std::string id;      // the key added
  std::string active;  // the ring's active key id afterwards
  bool created = false;  // the file did not exist before
};

// Adds a random 32-byte key named `id` (empty: "k" + UTC time of `now`, e.g. k20260315T101500)
// to the keyring file at `path`, creating the file (with this key active) if it is missing.
// `activate` makes the new key the active one of an existing ring. The file is replaced
// atomically, mode 0600. ALREADY_EXISTS if the id is taken; the file's own errors otherwise.
absl::StatusOr<NewKey> AddNewKey(const std::string& path, std::string id, bool activate,
                                 absl::Time now);

// Makes `id`, already in the ring at `path`, its active key (file replaced atomically, 0600).
// NOT_FOUND if the ring has no such key.
absl::Status ActivateKey(const std::string& path, const std::string& id);

// One line per key id, sorted, the active one marked: "k2025\nk2026  (active)\n".
absl::StatusOr<std::string> ListKeys(const std::string& path);

}  // namespace crvs::crypto
