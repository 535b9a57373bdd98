#include "services/backfill/checkpoint.h"

#include <openssl/sha.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>
#include <nlohmann/json.hpp>

#include "services/backfill/atomic_file.h"

namespace crvs::backfill {
namespace {

constexpr int kFormatVersion = 1;

}  // namespace

InputIdentity IdentifyInput(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static const char* hex = "0123456789abcdef";
  InputIdentity id;
  id.bytes = static_cast<int64_t>(data.size());
  for (unsigned char b : digest) {
    id.sha256.push_back(hex[b >> 4]);
    id.sha256.push_back(hex[b & 15]);
  }
  return id;
}

absl::StatusOr<std::optional<Checkpoint>> LoadCheckpoint(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::optional<Checkpoint>();
  std::ifstream in(path);
  if (!in) return absl::InternalError(path + ": cannot read the checkpoint");
  std::stringstream text;
  text << in.rdbuf();
  auto bad = [&](const std::string& why) {
    return absl::DataLossError(path + ": not a backfill checkpoint (" + why +
                               "); remove it to start the input over");
  };
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  Checkpoint c;
  try {
    if (j.at("format_version").get<int>() != kFormatVersion) {
      return bad("format_version " + j.at("format_version").dump());
    }
    c.input = j.at("input").get<std::string>();
    c.identity.bytes = j.at("input_bytes").get<int64_t>();
    c.identity.sha256 = j.at("input_sha256").get<std::string>();
    c.kind = j.at("kind").get<std::string>();
    c.format = j.at("format").get<std::string>();
    c.last_backlog_day = j.at("last_backlog_day").get<std::string>();
    c.rows_total = j.at("rows_total").get<int64_t>();
    c.rows_done = j.at("rows_done").get<int64_t>();
    c.complete = j.at("complete").get<bool>();
    c.updated_at = j.value("updated_at", "");
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  if (c.rows_done < 0 || c.rows_done > c.rows_total) return bad("rows_done out of range");
  return std::optional<Checkpoint>(std::move(c));
}

absl::Status SaveCheckpoint(const std::string& path, const Checkpoint& c) {
  nlohmann::ordered_json j;
  j["format_version"] = kFormatVersion;
  j["input"] = c.input;
  j["input_bytes"] = c.identity.bytes;
  j["input_sha256"] = c.identity.sha256;
  j["kind"] = c.kind;
  j["format"] = c.format;
  j["last_backlog_day"] = c.last_backlog_day;
  j["rows_total"] = c.rows_total;
  j["rows_done"] = c.rows_done;
  j["complete"] = c.complete;
  j["updated_at"] = c.updated_at.empty()
                        ? absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())
                        : c.updated_at;
  return WriteFileAtomically(path, j.dump(2) + "\n");
}

absl::Status CheckSameInput(const Checkpoint& c, const std::string& checkpoint_path,
                            const Checkpoint& current) {
  std::string differs;
  if (c.kind != current.kind) {
    differs = absl::StrCat("it is for kind ", c.kind, ", not ", current.kind);
  } else if (c.format != current.format) {
    differs = absl::StrCat("it is for format ", c.format, ", not ", current.format);
  } else if (!(c.identity == current.identity)) {
    differs = absl::StrCat("it is for another input (", c.input, ": ", c.identity.bytes,
                           " bytes, sha256 ", c.identity.sha256.substr(0, 12),
                           "...), this one has ", current.identity.bytes, " bytes, sha256 ",
                           current.identity.sha256.substr(0, 12), "...");
  } else if (c.last_backlog_day != current.last_backlog_day) {
    differs = absl::StrCat("its rows were classified with last_backlog_day ", c.last_backlog_day,
                           ", not ", current.last_backlog_day);
  }
  if (differs.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("checkpoint ", checkpoint_path, " does not match: ", differs,
                   "; give another --checkpoint or remove it to start over"));
}

}  // namespace crvs::backfill
