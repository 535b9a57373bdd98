// The resume point of a backfill run: how many rows of which input are fully done — every
// row 1..rows_done either reported ineligible or produced with the broker's confirmation
// (acks=all) — so a restart with the same input skips producing them. Rows after rows_done
// may or may not have reached Kafka; they are produced again, and the store treats the
// repeats as no-op duplicates (same message_id, same content).
//
// The file is small JSON, replaced atomically (AtomicFile): a crash leaves the previous
// checkpoint or the new one, never a torn file. It names the input by size and SHA-256 of
// its bytes, so a checkpoint is never applied to a different (or edited) export.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

namespace crvs::backfill {

struct InputIdentity {
  int64_t bytes = 0;
  std::string sha256;  // lower-case hex of the whole file
  friend bool operator==(const InputIdentity& a, const InputIdentity& b) {
    return a.bytes == b.bytes && a.sha256 == b.sha256;
  }
};

InputIdentity IdentifyInput(std::string_view data);

struct Checkpoint {
  std::string input;  // the file as given on the command line (informational)
  InputIdentity identity;
  std::string kind;    // "divorce" / "registration"
  std::string format;  // "csv" / "ndjson"
  // The eligibility rule that depends on configuration: rows the checkpoint covers were
  // classified under it, so it must not change between runs of one input.
  std::string last_backlog_day;  // yyyy-mm-dd
  int64_t rows_total = 0;
  int64_t rows_done = 0;   // rows 1..rows_done are fully done
  bool complete = false;   // rows_done == rows_total and the run finished
  std::string updated_at;  // RFC 3339 UTC (informational)
};

// The checkpoint at `path`; nullopt when the file does not exist. DATA_LOSS when it exists
// but is not a checkpoint (it is never silently ignored: remove it to start over).
absl::StatusOr<std::optional<Checkpoint>> LoadCheckpoint(const std::string& path);

// Replaces the checkpoint at `path` atomically.
absl::Status SaveCheckpoint(const std::string& path, const Checkpoint& checkpoint);

// OK when `checkpoint` was written for the same input, kind, format and backlog cut-off as
// `current`; FAILED_PRECONDITION naming what differs otherwise.
absl::Status CheckSameInput(const Checkpoint& checkpoint, const std::string& checkpoint_path,
                            const Checkpoint& current);

}  // namespace crvs::backfill
