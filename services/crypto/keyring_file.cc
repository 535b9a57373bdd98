#include "services/crypto/keyring_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "services/crypto/payload_cipher.h"

namespace crvs::crypto {
namespace {

bool IsActiveLine(const std::string& line) {
  size_t at = line.find_first_not_of(" \t");
  if (at == std::string::npos || line.compare(at, 6, "active") != 0) return false;
  at = line.find_first_not_of(" \t", at + 6);
  return at != std::string::npos && line[at] == '=';
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// `text` with its `active = ...` line naming `id`.
std::string WithActive(const std::string& text, const std::string& id) {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    out += IsActiveLine(line) ? "active = " + id + "\n" : line + "\n";
  }
  return out;
}

// Writes `content` to `path` through a 0600 temporary file and a rename.
absl::Status WriteAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create '", tmp, "': ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return absl::UnavailableError(absl::StrCat("cannot write '", tmp, "': ", std::strerror(e)));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot replace '", path, "': ", std::strerror(e)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<NewKey> AddNewKey(const std::string& path, std::string id, bool activate,
                                 absl::Time now) {
  if (path.empty()) return absl::InvalidArgumentError("--file: no keyring file named");
  if (id.empty()) id = "k" + absl::FormatTime("%Y%m%dT%H%M%S", now, absl::UTCTimeZone());
  if (!Keyring::ValidKeyId(id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--id: key id '", id, "' must be 1..64 characters of letters, digits, '.', '_', '-'"));
  }
  NewKey result;
  result.id = id;
  std::string content;
  struct stat st {};
  result.created = ::stat(path.c_str(), &st) != 0;
  std::string active_line = "active = " + id + "\n";
  if (result.created) {
    content = "# crvs-sync keyring: AES-256-GCM keys that seal personal data on Kafka.\n"
              "# `id = base64 of 32 random bytes`; `active` seals new values; keep retired keys\n"
              "# until no record sealed with them is left on any topic. Created by `crvs keys`.\n" +
              active_line;
  } else {
    auto ring = Keyring::LoadFile(path);
    if (!ring.ok()) return ring.status();
    if (ring->Find(id) != nullptr) {
      return absl::AlreadyExistsError(
          absl::StrCat("key id '", id, "' is already in '", path, "'"));
    }
    std::string old = ReadAll(path);
    content = activate ? WithActive(old, id) : old;
    if (!content.empty() && content.back() != '\n') content += "\n";
    OPENSSL_cleanse(old.data(), old.size());
  }
  std::string key(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    return absl::InternalError("RAND_bytes failed");
  }
  std::string encoded = absl::Base64Escape(key);
  OPENSSL_cleanse(key.data(), key.size());
  content += id + " = " + encoded + "\n";
  OPENSSL_cleanse(encoded.data(), encoded.size());
  // The new text must load as a ring before it replaces the old one.
  auto check = Keyring::Parse(content, path);
  if (!check.ok()) {
    OPENSSL_cleanse(content.data(), content.size());
    return check.status();
  }
  result.active = check->active_id();
  absl::Status written = WriteAtomically(path, content);
  OPENSSL_cleanse(content.data(), content.size());
  if (!written.ok()) return written;
  return result;
}

absl::Status ActivateKey(const std::string& path, const std::string& id) {
  if (path.empty()) return absl::InvalidArgumentError("--file: no keyring file named");
  auto ring = Keyring::LoadFile(path);
  if (!ring.ok()) return ring.status();
  if (ring->Find(id) == nullptr) {
    return absl::NotFoundError(absl::StrCat("--id: key id '", id, "' is not in '", path,
                                            "' (add it with `crvs keys new --id`)"));
  }
  std::string content = WithActive(ReadAll(path), id);
  absl::Status st = WriteAtomically(path, content);
  OPENSSL_cleanse(content.data(), content.size());
  return st;
}

absl::StatusOr<std::string> ListKeys(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("--file: no keyring file named");
  auto ring = Keyring::LoadFile(path);
  if (!ring.ok()) return ring.status();
  std::string out;
  for (const auto& id : ring->ids()) {
    out += id + (id == ring->active_id() ? "  (active)" : "") + "\n";
  }
  return out;
}

}  // namespace crvs::crypto
