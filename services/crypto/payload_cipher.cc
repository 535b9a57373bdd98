#include "services/crypto/payload_cipher.h"

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include <absl/strings/ascii.h>
#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "services/platform/logging.h"
#include "services/platform/mutex.h"

namespace crvs::crypto {
namespace {

constexpr std::string_view kMagic("\0CRVS", 5);
constexpr unsigned char kVersion = 1;
constexpr size_t kMaxKeyIdBytes = 64;

auto Log() {
  static auto log = logging::Get("crypto");
  return log;
}

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Feeds AAD in chunks (the frame header, then the Kafka key): GCM authenticates their
// concatenation, unambiguous because the header carries its own length.
bool AddAad(EVP_CIPHER_CTX* ctx, std::string_view aad, bool encrypt) {
  if (aad.empty()) return true;
  int len = 0;
  return (encrypt ? EVP_EncryptUpdate(ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size()))
                  : EVP_DecryptUpdate(ctx, nullptr, &len, Bytes(aad),
                                      static_cast<int>(aad.size()))) == 1;
}

// Debian's abseil has its own string_view: text helpers on std::string_view are ours.
std::string_view Trim(std::string_view v) {
  while (!v.empty() && absl::ascii_isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && absl::ascii_isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  return v;
}

std::string Unquote(std::string_view v) {
  v = Trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  return std::string(v);
}

}  // namespace

Keyring::~Keyring() {
  for (auto& [id, key] : keys_) OPENSSL_cleanse(key.data(), key.size());
}

bool Keyring::ValidKeyId(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdBytes || id == "active") return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

absl::Status Keyring::Add(std::string_view id, std::string_view key_bytes) {
  if (!ValidKeyId(id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key id '", std::string(id), "' must be 1..64 characters of letters, digits, '.', '_', '-'"));
  }
  if (key_bytes.size() != kKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("key '", std::string(id), "' has ", key_bytes.size(),
                                                   " bytes; AES-256 needs ", kKeyBytes));
  }
  std::array<unsigned char, kKeyBytes> key;
  std::copy(key_bytes.begin(), key_bytes.end(), key.begin());
  if (!keys_.emplace(std::string(id), key).second) {
    OPENSSL_cleanse(key.data(), key.size());
    return absl::AlreadyExistsError(absl::StrCat("key id '", std::string(id), "' appears twice"));
  }
  OPENSSL_cleanse(key.data(), key.size());
  return absl::OkStatus();
}

absl::Status Keyring::SetActive(std::string_view id) {
  if (keys_.find(id) == keys_.end()) {
    return absl::NotFoundError(absl::StrCat("active key id '", std::string(id), "' is not in the keyring"));
  }
  active_ = std::string(id);
  return absl::OkStatus();
}

const std::array<unsigned char, kKeyBytes>* Keyring::Find(std::string_view id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<std::string> Keyring::ids() const {
  std::vector<std::string> out;
  for (const auto& [id, key] : keys_) out.push_back(id);
  return out;
}

absl::StatusOr<Keyring> Keyring::Parse(std::string_view text, std::string_view origin) {
  Keyring ring;
  std::string active;
  int line_no = 0;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    std::string_view l = Trim(line);
    if (l.empty() || l.front() == '#') continue;
    auto where = [&] { return absl::StrCat(std::string(origin), " line ", line_no, ": "); };
    if (l.front() == '[') {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "sections are not allowed in a keyring file"));
    }
    size_t eq = l.find('=');
    if (eq == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "expected `id = base64 key`"));
    }
    std::string name(Trim(l.substr(0, eq)));
    std::string value = Unquote(l.substr(eq + 1));
    if (name == "active") {
      if (!active.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where(), "`active` is set twice"));
      }
      active = value;
      if (active.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where(), "`active` names no key id"));
      }
      continue;
    }
    // Errors below never quote the line: a mangled line (a bare base64 key, whose '=' padding
    // reads as the separator) would put key material in the log. The line number is enough.
    if (!ValidKeyId(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where(), "the key id before '=' must be 1..64 characters of letters, digits, '.', "
                   "'_', '-' (the line is not shown: it may hold key material)"));
    }
    std::string key;
    if (!absl::Base64Unescape(value, &key)) {
      OPENSSL_cleanse(key.data(), key.size());
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "the key after '=' is not base64 (the line is not shown: it may "
                                "hold key material)"));
    }
    absl::Status st = ring.Add(name, key);
    const size_t bytes = key.size();
    OPENSSL_cleanse(key.data(), key.size());
    if (absl::IsAlreadyExists(st)) return absl::InvalidArgumentError(absl::StrCat(where(), st.message()));
    if (!st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where(), "the key has ", bytes, " bytes; AES-256 needs ", kKeyBytes,
          " (the line is not shown: it may hold key material)"));
    }
  }
  if (ring.keys_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(origin), ": the keyring holds no key"));
  }
  if (active.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(origin), ": no `active = id` line (which key seals new values)"));
  }
  absl::Status st = ring.SetActive(active);
  if (!st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(origin), ": ", st.message()));
  }
  return ring;
}

absl::StatusOr<Keyring> Keyring::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("crypto.keyring_file: cannot read '", path, "'"));
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string content = text.str();
  auto ring = Parse(content, absl::StrCat("crypto.keyring_file '", path, "'"));
  OPENSSL_cleanse(content.data(), content.size());
  if (!ring.ok()) return ring.status();
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 007) != 0) {
    static platform::Mutex mu;
    static std::set<std::string> warned;
    platform::MutexLock lock(&mu);
    if (warned.insert(path).second) {
      Log()->warn("keyring file {} is readable by any user (mode {:o}): chmod 600 it (or 640 with the "
                  "service's group)",
                  path, st.st_mode & 0777);
    }
  }
  return ring;
}

Keyring Keyring::Development() {
  static constexpr std::string_view kSeed =
      "crvs-sync development payload key: public, in the source, protects nothing";
  std::array<unsigned char, kKeyBytes> key;
  SHA256(Bytes(kSeed), kSeed.size(), key.data());
  Keyring ring;
  ring.Add(kDevelopmentKeyId, std::string_view(reinterpret_cast<const char*>(key.data()), key.size()))
      .IgnoreError();
  OPENSSL_cleanse(key.data(), key.size());
  ring.active_ = kDevelopmentKeyId;
  ring.development_ = true;
  return ring;
}

std::optional<SealedParts> ParseSealed(std::string_view value) {
  if (value.size() < kMagic.size() + 2 || value.substr(0, kMagic.size()) != kMagic ||
      static_cast<unsigned char>(value[kMagic.size()]) != kVersion) {
    return std::nullopt;
  }
  size_t id_len = static_cast<unsigned char>(value[kMagic.size() + 1]);
  size_t header_len = kMagic.size() + 2 + id_len;
  if (id_len == 0 || value.size() < header_len + kNonceBytes + kTagBytes) return std::nullopt;
  SealedParts p;
  p.header = value.substr(0, header_len);
  p.key_id = value.substr(kMagic.size() + 2, id_len);
  if (!Keyring::ValidKeyId(p.key_id)) return std::nullopt;
  p.nonce = value.substr(header_len, kNonceBytes);
  p.ciphertext = value.substr(header_len + kNonceBytes,
                              value.size() - header_len - kNonceBytes - kTagBytes);
  p.tag = value.substr(value.size() - kTagBytes);
  return p;
}

absl::StatusOr<std::string> PayloadCipher::Seal(std::string_view plaintext,
                                                std::string_view aad) const {
  const std::string& id = keyring_.active_id();
  const auto* key = keyring_.Find(id);
  if (key == nullptr) return absl::InternalError("the keyring has no active key");
  std::string out;
  out.reserve(kMagic.size() + 2 + id.size() + kNonceBytes + plaintext.size() + kTagBytes);
  out.append(kMagic);
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(id.size()));
  out.append(id);
  const size_t header_len = out.size();
  out.resize(header_len + kNonceBytes + plaintext.size() + kTagBytes);
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + header_len);
  auto* ciphertext = nonce + kNonceBytes;
  auto* tag = ciphertext + plaintext.size();
  if (RAND_bytes(nonce, kNonceBytes) != 1) return absl::InternalError("RAND_bytes failed");

  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key->data(), nonce) != 1 ||
      !AddAad(ctx.get(), std::string_view(out.data(), header_len), true) ||
      !AddAad(ctx.get(), aad, true) ||
      (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), ciphertext, &len, Bytes(plaintext),
                                               static_cast<int>(plaintext.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), ciphertext + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) != 1) {
    return absl::InternalError("AES-256-GCM encryption failed (OpenSSL)");
  }
  return out;
}

absl::StatusOr<std::string> PayloadCipher::Open(std::string_view value,
                                                std::string_view aad) const {
  auto parts = ParseSealed(value);
  if (!parts) return absl::InvalidArgumentError("the value is not sealed (no crvs cipher frame)");
  const auto* key = keyring_.Find(parts->key_id);
  if (key == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown key id '", std::string(parts->key_id),
                                            "': it is not in this process's keyring "
                                            "(crypto.keyring_file)"));
  }
  std::string out(parts->ciphertext.size(), '\0');
  auto* plaintext = reinterpret_cast<unsigned char*>(out.data());
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  std::array<unsigned char, kTagBytes> tag;
  std::copy(parts->tag.begin(), parts->tag.end(), tag.begin());
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key->data(),
                         Bytes(parts->nonce)) != 1 ||
      !AddAad(ctx.get(), parts->header, false) || !AddAad(ctx.get(), aad, false) ||
      (!parts->ciphertext.empty() &&
       EVP_DecryptUpdate(ctx.get(), plaintext, &len, Bytes(parts->ciphertext),
                         static_cast<int>(parts->ciphertext.size())) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plaintext + len, &len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return absl::DataLossError(absl::StrCat(
        "authentication failed under key id '", std::string(parts->key_id),
        "': the value was altered, or sealed for another Kafka message key"));
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const PayloadCipher>> LoadPayloadCipher(
    const CryptoConfig& config) {
  if (config.keyring_file.empty()) {
    static std::once_flag warned;
    std::call_once(warned, [] {
      Log()->warn(
          "WARNING: personal data on Kafka is sealed with the built-in DEVELOPMENT key (key id "
          "'dev', public in the source): production must set crypto.keyring_file (create one "
          "with `crvs keys new --file <path>`)");
    });
    return std::make_shared<const PayloadCipher>(Keyring::Development());
  }
  auto ring = Keyring::LoadFile(config.keyring_file);
  if (!ring.ok()) return ring.status();
  return std::make_shared<const PayloadCipher>(std::move(*ring));
}

}  // namespace crvs::crypto
