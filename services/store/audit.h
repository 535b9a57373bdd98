// The tamper-evident audit trail of the civil-status database: every applied record, dead
// letter, offset movement, operator action and schema change is a row of `audit_log`, and the
// rows form one SHA-256 hash chain:
//
//   hash(row n) = SHA-256(hash(row n-1) || u64(seq) || u64(at_us) ||
//                         u32 len || actor || u32 len || action || u32 len || subject ||
//                         u32 len || detail)                (integers big-endian)
//
// with 32 zero bytes before row 1. `audit_head` (one row) holds the last seq and hash, so a
// deleted tail is detected too. Editing, deleting, inserting or reordering a row breaks the
// chain at that row, and VerifyAudit names it. (Whoever can rewrite the whole chain and the
// head can forge it: keep the head hash a verification prints outside the database, and pass
// it back with AuditVerifyOptions::expect to prove the history up to it unchanged.)
//
// Rows are appended in the SAME transaction as the change they record, so a change and its
// audit row commit or roll back together. Audit rows hold principals, business keys, message
// ids, hashes and Kafka positions — never personal IDs or names (free text from operators is
// masked with logging::MaskPersonalIds).
//
// Thread-safety: free functions over a caller's connection (one thread at a time). Concurrent
// appenders on PostgreSQL serialize on the audit_head row (SELECT ... FOR UPDATE); SQLite has
// one writer at a time.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "services/store/sql.h"

namespace crvs::store {

// What happened, by whom, to what. Actions in use:
//   batch.applied           a consumed batch wrote record versions: one row per batch with
//                           their count, sources and digest (VersionsDigest) and the offsets
//                           committed with them
//   record.applied          a record version was written through the API (SUBMIT, AMEND, VOID)
//   record.refused          a record written through the API was refused
//   dead_letter.opened      a message became a dead letter (CONFLICT, INVALID, DECODE, ...)
//   dead_letter.replayed    an operator replayed a dead letter
//   dead_letter.discarded   an operator discarded a dead letter
//   offsets.committed       a consumer group's next offsets, stored with a batch that wrote
//                           no version
//   offsets.lost            offsets retention dropped before they were consumed
//   connector.paused / connector.resumed
//   resend.requested        an operator asked a source to send a record again
//   manifest.declared       a source (or an operator for it) declared what it issued
//   schema.migrated         a migration was applied
struct AuditEntry {
  std::string actor;    // principal: "facility:BV79001", "operator:lan", "system:store"
  std::string action;   // see above
  std::string subject;  // business key, "dead_letter/42", connector or group name
  std::string detail;   // key=value pairs, space-separated; no personal data
  // The transaction number (NextFeedTxn) stamped on the record versions this row covers; 0 for
  // a row that covers none. At most one row per transaction carries it: the feeds find a
  // transaction's versions from it (services/feeds). Not part of the row's hash.
  int64_t txn = 0;
};

struct AuditRow {
  int64_t seq = 0;  // 1, 2, ... without gaps
  int64_t at_us = 0;
  std::string actor, action, subject, detail;
  std::string prev_hash;  // 32 bytes
  std::string hash;       // 32 bytes
};

inline constexpr size_t kAuditHashSize = 32;

// The chain hash of a row following `prev_hash` (32 bytes; 32 zero bytes for row 1).
std::string AuditHash(std::string_view prev_hash, int64_t seq, int64_t at_us,
                      std::string_view actor, std::string_view action, std::string_view subject,
                      std::string_view detail);

// Appends `entries` at the end of the chain, in the caller's open transaction, all stamped
// `at`. Call it LAST in the transaction: it locks the chain's head until commit, and taking
// that lock after every other lock keeps concurrent writers free of deadlocks.
// INVALID_ARGUMENT for an entry without actor or action.
absl::Status AppendAudit(sql::Connection& connection, const std::vector<AuditEntry>& entries,
                         absl::Time at, int bulk_rows = 256);

// A number for the record versions the caller's open transaction writes, unique among
// transactions that write versions (a PostgreSQL sequence; on SQLite, whose single writer holds
// the database, one more than the last audit row's). Stamp it on the versions and on the audit
// row covering them (AuditEntry::txn).
absl::StatusOr<int64_t> NextFeedTxn(sql::Connection& connection);

// Rows with seq > after_seq in seq order, at most `limit` (1..10000).
absl::StatusOr<std::vector<AuditRow>> ListAudit(sql::Connection& connection, int64_t after_seq,
                                                int limit);

struct AuditVerifyOptions {
  int page_rows = 5000;  // rows read per statement
  // Called every `progress_every` rows with the rows verified so far and the last seq.
  int64_t progress_every = 100000;
  std::function<void(int64_t rows, int64_t seq)> progress;
  // A (seq, hash) recorded earlier, e.g. the head a previous verification printed: the chain
  // must hold exactly that row, so history up to it was not rewritten.
  std::optional<std::pair<int64_t, std::string>> expect;
};

struct AuditVerifyResult {
  bool intact = false;
  int64_t rows = 0;      // rows checked
  int64_t last_seq = 0;  // of the last row read
  int64_t head_seq = 0;  // as audit_head states
  std::string head_hash;
  // When not intact: the first row found wrong (for a deleted row, the missing seq) and what
  // is wrong with it, e.g. "row 17 was edited: its contents do not match its hash".
  int64_t bad_seq = 0;
  std::string problem;
};

// Reads the whole chain in seq order in one read-only snapshot and checks every link and the
// head. An intact chain is not an error: look at `intact`. Errors are database errors only.
absl::StatusOr<AuditVerifyResult> VerifyAudit(sql::Connection& connection,
                                              const AuditVerifyOptions& options = {});

// One record version, as a batch's audit row covers it.
struct DigestedVersion {
  std::string_view business_key;
  int64_t version = 0;
  std::string_view action;
  std::string_view content_hash;
  std::string_view message_id;
  std::string_view source;
  std::string_view topic;
  int64_t partition = 0;
  int64_t offset = 0;
};

// The digest a `batch.applied` row carries of the versions its batch inserted, taken in
// (topic, partition, offset) order whatever order they were added in: SHA-256 over, for each
// version,
//   u32 len || business_key || u64 version || u32 len || action || u32 len || content_hash ||
//   u32 len || message_id || u32 len || source || u32 len || topic || u64 partition ||
//   u64 offset                                               (integers big-endian)
// The row is in the chain, so the digest cannot change unseen; recomputing it from
// record_versions (the versions committed at the row's at_us, at the batch's positions) shows
// whether those rows still say what was applied.
class VersionsDigest {
 public:
  void Add(const DigestedVersion& v);
  int64_t count() const { return count_; }
  std::string Hex() const;  // 64 hex digits

 private:
  // Each version's encoding, keyed by its position.
  std::vector<std::pair<std::tuple<std::string, int64_t, int64_t>, std::string>> versions_;
  int64_t count_ = 0;
};

// 64 hex digits (as printed by absl::BytesToHexString) → 32 bytes; nullopt otherwise.
std::optional<std::string> HashFromHex(std::string_view hex);

}  // namespace crvs::store
