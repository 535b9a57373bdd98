// Protection of personal data on Kafka: record values are sealed with AES-256-GCM (OpenSSL EVP)
// under a key id, so neither the broker nor the dead-letter topic ever holds a plaintext
// personal ID, and keys can rotate without making old records unreadable.
//
// A sealed value is self-describing:
//
//   "\0CRVS" | version 0x01 | key id length (1 byte) | key id | nonce (12) | ciphertext | tag (16)
//
// The leading zero byte can start neither a serialized protobuf message (field number 0 does
// not exist) nor JSON, so a sealed value is never mistaken for a plaintext one. The additional
// authenticated data is the frame header (magic to key id) followed by the Kafka message key:
// a ciphertext moved under another record's key, or with its key id edited, fails to open.
// The nonce is random (RAND_bytes) for every seal.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

namespace crvs::crypto {

// The Kafka header that names the key a value is sealed with (no secret; for operators and
// tools — the frame itself carries the key id too).
inline constexpr const char* kKeyIdHeader = "crvs-key-id";
inline constexpr size_t kKeyBytes = 32;
inline constexpr size_t kNonceBytes = 12;
inline constexpr size_t kTagBytes = 16;
// The key id of the built-in development key (see Keyring::Development).
inline constexpr const char* kDevelopmentKeyId = "dev";

// `[crypto]` configuration: where the keys come from.
struct CryptoConfig {
  std::string keyring_file;
  bool accept_unsealed = false;

  template <class V>
  void Visit(V& v) {
    v("keyring_file", keyring_file,
      "keyring file for the AES-256-GCM sealing of personal data on Kafka (`crvs keys new` "
      "writes it; one `id = base64 key` per line and `active = id`); empty uses a built-in "
      "DEVELOPMENT key, which production must never do");
    v("accept_unsealed", accept_unsealed,
      "the sink also applies record values that are not sealed (only while upgrading from a "
      "release without encryption, until the old records have left the topics); otherwise "
      "they become DECODE dead letters");
  }
};

// Key id → 32-byte key, and the active id new values are sealed with. Key bytes are wiped on
// destruction. Immutable once built; copyable; thread-safe for reading.
class Keyring {
 public:
  // The text of a keyring file: blank lines and `#` comments ignored; `id = <base64 of 32
  // bytes>` per key; exactly one `active = id` naming one of them. Values may be quoted (the
  // file is also valid TOML). Errors name `origin`, the line and the key id.
  static absl::StatusOr<Keyring> Parse(std::string_view text, std::string_view origin);
  // Parse() of a file; logs a warning when the file is readable by any user (mode o+r);
  // group-readable is allowed: Kubernetes secrets (fsGroup) and systemd's root:crvs 0640.
  static absl::StatusOr<Keyring> LoadFile(const std::string& path);
  // One key, id "dev", derived from a constant in this source: it keeps plaintext off the
  // broker in development and tests but protects nothing against anyone who has the source.
  static Keyring Development();

  Keyring() = default;
  Keyring(const Keyring& other) = default;
  Keyring& operator=(const Keyring& other) = default;
  ~Keyring();

  // A key id is 1..64 characters of [A-Za-z0-9._-] (and not "active").
  static bool ValidKeyId(std::string_view id);
  absl::Status Add(std::string_view id, std::string_view key_bytes);
  absl::Status SetActive(std::string_view id);

  const std::string& active_id() const { return active_; }
  // nullptr when `id` is not in the ring.
  const std::array<unsigned char, kKeyBytes>* Find(std::string_view id) const;
  std::vector<std::string> ids() const;
  bool is_development() const { return development_; }

 private:
  std::map<std::string, std::array<unsigned char, kKeyBytes>, std::less<>> keys_;
  std::string active_;
  bool development_ = false;
};

// The parts of a sealed value, viewing into it.
struct SealedParts {
  std::string_view header;  // magic .. key id: authenticated, not encrypted
  std::string_view key_id;
  std::string_view nonce;
  std::string_view ciphertext;
  std::string_view tag;
};
// The parts of `value` when it has the sealed frame, std::nullopt otherwise (a plaintext value).
std::optional<SealedParts> ParseSealed(std::string_view value);
inline bool IsSealed(std::string_view value) { return ParseSealed(value).has_value(); }

// Seals and opens values with a keyring. Immutable; thread-safe.
class PayloadCipher {
 public:
  explicit PayloadCipher(Keyring keyring) : keyring_(std::move(keyring)) {}

  // `plaintext` sealed under the active key, bound to `aad` (the Kafka message key).
  // INTERNAL only if OpenSSL fails.
  absl::StatusOr<std::string> Seal(std::string_view plaintext, std::string_view aad) const;
  // The plaintext of a sealed `value` bound to `aad`:
  //   INVALID_ARGUMENT  `value` is not a sealed value;
  //   NOT_FOUND         sealed with a key id this ring does not hold ("unknown key id 'k1' ...");
  //   DATA_LOSS         authentication failed (altered, or sealed under another Kafka key).
  absl::StatusOr<std::string> Open(std::string_view value, std::string_view aad) const;

  const Keyring& keyring() const { return keyring_; }

 private:
  Keyring keyring_;
};

// The cipher `config` describes: the keyring file's keys, or the development key with a
// startup WARNING (logged once per process) that production must set crypto.keyring_file.
absl::StatusOr<std::shared_ptr<const PayloadCipher>> LoadPayloadCipher(const CryptoConfig& config);

}  // namespace crvs::crypto
