// The civil-status database (Cơ sở dữ liệu hộ tịch điện tử): birth certificates, death
// notices, divorce decisions and registrations with every version, the persons' vital and
// marital status derived from them, consumed Kafka offsets, dead letters and lost offset
// ranges. One Store over SQLite (embedded default) or PostgreSQL (production), same schema
// and same semantics on both.
//
// Exactly once: the registry sink applies each batch of consumed records with Apply(), which
// writes the records, their dead letters and the consumed offsets in ONE transaction. Apply
// is idempotent (message ids, content hashes and dead-letter source offsets are checked), so
// a batch retried after a crash or an UNAVAILABLE error is applied at most once. The registry
// API writes its registrations with WriteRecord(): the same rules, no Kafka.
//
// Errors: UNAVAILABLE / ABORTED / DEADLINE_EXCEEDED are transient (crvs::IsRetryable): the
// transaction was rolled back — or, if the connection broke during COMMIT, may have
// committed — and the caller retries the same call; INVALID_ARGUMENT names a bad argument,
// or a value the database refuses to store (from Apply: some record of the batch; the registry
// sink splits the batch to find it and dead-letters it with class DATABASE); INTERNAL /
// DATA_LOSS are permanent.
//
// Audit: every change the store makes (applied record versions, dead letters opened and
// resolved, offsets committed or lost, migrations) appends a row to the SHA-256 hash-chained
// audit trail in the same transaction (services/store/audit.h); services writing through
// Transact append theirs with AppendAudit.
//
// Types: the store speaks its own language. Reads return plain rows (rows.h: RecordRow,
// PersonRow, DeadLetterRow) that each service maps to its own API; Kafka positions are the
// fundamental types of services/model/fundamental.h. The record model (crvs.records.v1, with
// crvs.common.v1) is the product's own and is used as it is.
//
// Thread-safety: a Store is thread-safe; calls are serialized on its one connection. Open a
// Store per worker thread for parallel writers (PostgreSQL).
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "crvs/records/v1/envelope.pb.h"
#include "services/model/fundamental.h"
#include "services/platform/mutex.h"
#include "services/store/audit.h"
#include "services/store/database_config.h"
#include "services/store/rows.h"

namespace crvs::store {

namespace sql {
class Connection;
}

// Kafka positions: the fundamental types (services/model/fundamental.h), under the names the
// store has always used.
using model::ConsumerGroup;
using model::Offset;
using model::Partition;
using model::StrongType;
using model::Topic;
using model::TopicPartition;

using BusinessKey = StrongType<std::string, struct BusinessKeyTag>;  // "death/BV01002/GBT-1"

// A consumed Kafka message: where it came from and its bytes as received.
struct KafkaMessage {
  TopicPartition topic_partition;
  Offset offset;
  std::string key;
  std::string value;  // the serialized RecordEnvelope (stored as each version's envelope)
  std::vector<KafkaHeader> headers;
};

// A message that decoded to a RecordEnvelope of a known schema version. The envelope's
// issued_at is the event time (lag and SLA start); it is stored with the version.
struct InboundRecord {
  KafkaMessage message;
  records::v1::RecordEnvelope envelope;
};

// A message the caller could not apply before it reached the store (undecodable bytes,
// unknown schema version, a record failing the domain rules): it becomes a dead letter in
// the same transaction.
struct FailedMessage {
  KafkaMessage message;
  std::string error_class;    // "DECODE", "SCHEMA_VERSION", "VALIDATION", ...
  std::string error_message;  // English, no personal data
  std::string business_key;   // when it could be read (e.g. from the Kafka key)
  int attempts = 1;
  // The envelope's source ("facility:BV01002") and message id when it could be read: the
  // source is told the outcome (Store::FindOutcomes).
  std::string source = {};
  std::string message_id = {};
};

// The next offset to consume from a partition: the offset after the last message handled.
struct OffsetCommit {
  TopicPartition topic_partition;
  Offset next_offset;
  // MessageFingerprint of the message at next_offset - 1, so that the next owner can check the
  // log still holds what was consumed (a re-created topic or a restarted in-memory broker
  // reuses offsets). Unset when unknown.
  std::optional<int64_t> last_fingerprint = std::nullopt;
};

// Where a group stands on a partition (Store::LoadPositions).
struct StoredPosition {
  Offset next_offset;
  std::optional<int64_t> last_fingerprint;  // of the message at next_offset - 1
};

// A stable identity of a Kafka message's key and value (64-bit FNV-1a): the same in every
// process, build and version, so it can be stored and compared later.
int64_t MessageFingerprint(std::string_view key, std::string_view value);

// One transaction's worth of consumed messages.
struct ApplyBatch {
  ConsumerGroup group;
  std::vector<InboundRecord> records;  // in consumption order (per partition, offset order)
  std::vector<FailedMessage> failures;
  // Committed with the rows. An offset never moves backwards: a commit below the stored
  // one (a consumer fenced out by a rebalance, finishing late) leaves it unchanged.
  std::vector<OffsetCommit> offsets;
};

enum class ApplyOutcome {
  kAppliedNew,      // first version of a new business key (SUBMIT, or AMEND of an unknown key)
  kAppliedVersion,  // AMEND with new content: a new version, the old ones kept
  kDuplicate,       // no-op: message id already applied, or content already held
  kVoided,          // VOID: the record is voided (a version is added)
  kStale,           // no-op: the source's own position (source_sequence) is not newer than
                    // the version held — an out-of-order or replayed change event
  kConflict,        // not applied, dead-lettered with error class CONFLICT
  kInvalid,         // not applied (unusable envelope), dead-lettered with class VALIDATION
};
std::string_view ApplyOutcomeName(ApplyOutcome outcome);  // "APPLIED_NEW", ...

// The rule that refused a record (outcome CONFLICT or INVALID), so that a caller answers
// without reading the record back.
enum class Refusal {
  kNone,                  // not refused
  kInvalidEnvelope,       // INVALID: an envelope the store cannot apply (see Store::Apply)
  kMessageIdReused,       // CONFLICT: (source, message_id) already applied to another key,
                          // action or content
  kKeyVoided,             // CONFLICT: SUBMIT or AMEND of a voided key
  kSubmitOfOtherContent,  // CONFLICT: SUBMIT with content none of the key's versions holds (a
                          // change must be an AMEND)
};
std::string_view RefusalName(Refusal refusal);  // "KEY_VOIDED", ...

struct RecordResult {
  ApplyOutcome outcome = ApplyOutcome::kInvalid;
  // The version created (APPLIED_*, VOIDED) or current (DUPLICATE, CONFLICT); 0 if none.
  int32_t version = 0;
  // For CONFLICT and INVALID: the error class and message of the refusal — of its dead letter
  // for Apply (the DLQ topic headers crvs-dlq-error-class / crvs-dlq-error-message).
  std::string error_class;
  std::string error_message;
  Refusal refusal = Refusal::kNone;  // set with CONFLICT and INVALID
};

// What became of a record written with Store::WriteRecord.
struct WriteResult {
  RecordResult record;
  // APPLIED_NEW, APPLIED_VERSION, VOIDED: this commit. DUPLICATE: when record.version was
  // committed (the answer the first submission got). CONFLICT, INVALID: this refusal's commit.
  absl::Time committed_at;
};

struct BatchResult {
  std::vector<RecordResult> records;  // one per ApplyBatch::records, same order
  // Records per (kind as in the envelope, outcome); absent pairs are zero.
  std::map<std::pair<records::v1::RecordKind, ApplyOutcome>, int64_t> counts;
  absl::Time committed_at;  // the committed_at stored with the versions
};

// Offsets a consumer group can no longer read: retention dropped [from, to) before it was
// consumed. Recorded for reconciliation (re-send requests), never skipped silently.
struct LostRange {
  TopicPartition topic_partition;
  Offset from;  // first lost offset (the committed position)
  Offset to;    // first offset still in the log (log start), exclusive end
  absl::Time detected_at;
};

// A partition whose log no longer holds what the group consumed: the topic was deleted and
// re-created, the embedded in-memory broker restarted, or an unclean leader election dropped
// records. The stored position moves DOWN to the log start and the new log is read from there
// (message ids make re-reading safe); an alarm stays raised until an operator acknowledges it.
struct LogReset {
  TopicPartition topic_partition;
  Offset stored;      // the position the database held
  Offset log_start;   // where the group reads from now
  Offset log_end;     // the end of the log found
  std::string reason;  // "BEYOND_LOG_END" (stored > log end) or "LOG_REPLACED" (the message at
                       // stored - 1 is another one)
  absl::Time detected_at;
};

// Something an operator must see and acknowledge about consumed positions.
struct OffsetAlarm {
  enum class Kind { kRecordsLost, kLogReset };
  Kind kind = Kind::kRecordsLost;
  // "lost/<topic>/<partition>/<from>/<group>" or "reset/<n>": stable, for AcknowledgeOffsetAlarm.
  std::string id;
  ConsumerGroup group;
  TopicPartition topic_partition;
  Offset from;  // lost: first lost offset; reset: the position the database held
  Offset to;    // lost: first offset still in the log (exclusive); reset: the log start
  Offset log_end;      // reset: the end of the log found; lost: 0
  std::string reason;  // reset: LogReset::reason; lost: "EXPIRED_UNREAD"
  absl::Time detected_at;
  std::optional<absl::Time> acknowledged_at;
  std::string acknowledged_by;
  std::string acknowledgement_note;
};

// What became of a message a source sent (by its message id): the answer the source gets in
// its receipt once the sink has handled it.
struct MessageOutcome {
  enum class State {
    kCommitted,     // in the database: applied, or a duplicate of what it holds
    kConflict,      // refused: contradicts the database (dead letter of class CONFLICT)
    kDeadLettered,  // refused: cannot be applied (VALIDATION, DECODE, ...)
  };
  State state = State::kCommitted;
  std::string source;
  std::string message_id;
  std::string business_key;
  int32_t version = 0;      // committed: the record version it made or matched
  std::string action;       // committed: "SUBMIT", "AMEND", "VOID"
  std::string content_hash;  // committed: of the record under that message id
  absl::Time at;            // committed or dead-lettered at
  std::string error_class;  // refused: the dead letter's class, message and id
  std::string error_message;
  int64_t dead_letter_id = 0;
};

// ListRecords filters. Ordered by issued_at (of the latest content), then business key.
struct RecordQuery {
  std::optional<common::v1::Principal> source;                          // unset: every source
  records::v1::RecordKind kind = records::v1::RECORD_KIND_UNSPECIFIED;  // UNSPECIFIED: all
  std::optional<absl::Time> issued_from;                                // inclusive
  std::optional<absl::Time> issued_to;  // exclusive; after issued_from
  int page_size = 0;                    // 1..1000; 0 means 100
  std::string page_token;               // from the previous page; "" for the first
};

struct RecordPage {
  std::vector<RecordRow> records;  // each with only its current version
  std::string next_page_token;     // "" on the last page
};

// The topic that versions and dead letters of registrations written through the registry API
// were stored with before Store::WriteRecord existed. Not a Kafka topic — nothing consumes it —
// so such a dead letter cannot be replayed (services/admin refuses to); its office must resend.
inline constexpr std::string_view kLegacyRegistryApiTopic = "registry-api";

// ListDeadLetters filters. Newest first.
struct DeadLetterQuery {
  std::string original_topic;                                                   // "" for any
  std::string error_class;                                                      // "" for any
  // Unset: any. kUnspecified matches no dead letter (every stored one has a state).
  std::optional<DeadLetterState> state;
  std::optional<absl::Time> failed_from;                                        // inclusive
  std::optional<absl::Time> failed_to;                                          // exclusive
  int page_size = 0;  // 1..1000; 0 means 100
  std::string page_token;
  bool include_payload = false;  // key, payload and headers (personal data)
};

struct DeadLetterPage {
  std::vector<DeadLetterRow> dead_letters;  // key, payload and headers only if include_payload
  std::string next_page_token;              // "" on the last page
};

class Store {
 public:
  // Connects and applies missing migrations. INVALID_ARGUMENT for a bad config value,
  // UNAVAILABLE when the database cannot be reached, FAILED_PRECONDITION when its schema is
  // newer than this binary.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const DatabaseConfig& config);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  std::string_view backend() const;  // "sqlite" or "postgresql"
  int schema_version() const { return schema_version_; }

  // --- the registry sink ---

  // Applies the batch in one transaction. Per record, in order (message ids are unique per
  // source):
  // * an envelope the store cannot apply → INVALID: it needs message_id, business_key equal
  //   to the record's canonical key, kind matching the record, action, a 32-byte
  //   content_hash, source, issued_at, and a reason for AMEND/VOID. (Domain rules — personal
  //   IDs, codes, dates — are checked before the store; such failures come as FailedMessage);
  // * message id already applied: same key, action and content → DUPLICATE, else CONFLICT;
  // * SUBMIT: new key → APPLIED_NEW; voided key → CONFLICT; content hash equal to one of the
  //   key's versions → DUPLICATE; other content → CONFLICT (a change must be an AMEND);
  // * AMEND: new key → APPLIED_NEW; voided key → CONFLICT; same hash as the current version
  //   → DUPLICATE; else APPLIED_VERSION;
  // * VOID: voided key → DUPLICATE; else VOIDED (an unknown key is created voided, so its
  //   late SUBMIT is a CONFLICT too).
  // CONFLICT and INVALID records and every FailedMessage become OPEN dead letters (one per
  // source topic/partition/offset). Persons named by the changed records are re-derived
  // (death → DECEASED; effective divorce → DIVORCED / ANNULLED; set aside → MARRIED; pending
  // → no marital change; voided records count nowhere). Offsets are stored last.
  absl::StatusOr<BatchResult> Apply(const ApplyBatch& batch);

  // The stored next offsets of (group, topic), by partition; partitions never committed are
  // absent.
  absl::StatusOr<std::map<Partition, Offset>> LoadOffsets(const ConsumerGroup& group,
                                                          const Topic& topic);

  // Records that [range.from, range.to) was lost and moves the stored offset to range.to,
  // in one transaction. Recording the same range again is a no-op.
  absl::Status RecordLostRange(const ConsumerGroup& group, const LostRange& range);
  absl::StatusOr<std::vector<LostRange>> ListLostRanges(const ConsumerGroup& group);

  // LoadOffsets with the fingerprint of the last message consumed on each partition.
  absl::StatusOr<std::map<Partition, StoredPosition>> LoadPositions(const ConsumerGroup& group,
                                                                    const Topic& topic);
  // Records the reset and moves the stored position of the partition to reset.log_start — down,
  // unlike every other offset write — in one transaction, audited (offsets.reset).
  absl::Status RecordLogReset(const ConsumerGroup& group, const LogReset& reset);
  // Lost ranges and log resets of every group, newest first; only unacknowledged ones unless
  // `include_acknowledged`.
  absl::StatusOr<std::vector<OffsetAlarm>> ListOffsetAlarms(bool include_acknowledged);
  // Unacknowledged alarms of `group` (the sink is not ready while there are any).
  absl::StatusOr<int64_t> CountUnacknowledgedAlarms(const ConsumerGroup& group);
  // Acknowledges an alarm in the operator's name, audited (alarm.acknowledged). NOT_FOUND for
  // an unknown id, FAILED_PRECONDITION when already acknowledged, INVALID_ARGUMENT for an
  // empty `by`.
  absl::StatusOr<OffsetAlarm> AcknowledgeOffsetAlarm(std::string_view id, std::string_view by,
                                                     std::string_view note);

  // The outcomes known for (source, message id) pairs; pairs the sink has not handled yet are
  // absent. A message id in applied_messages (a version, or an unchanged outcome) is COMMITTED; otherwise its latest dead letter says
  // why it was refused.
  absl::StatusOr<std::vector<MessageOutcome>> FindOutcomes(
      const std::vector<std::pair<std::string, std::string>>& source_and_message_ids);

  // The outcomes of `source`'s messages reached after (after_us, after_message_id), oldest first
  // (by committed / failed time, then message id), at most `limit`.
  absl::StatusOr<std::vector<MessageOutcome>> ListOutcomes(const std::string& source,
                                                           int64_t after_us,
                                                           const std::string& after_message_id,
                                                           int limit);

  // --- writers answering their client synchronously (the registry API) ---

  // Writes one record in a transaction of its own, with the rules and the audit of Apply (one
  // piece of code), for a record that did not come from Kafka and has no copy there:
  // * no Kafka coordinates (its version is stored with topic "", partition and offset -1) and
  //   no consumed offsets;
  // * a refused record (CONFLICT, INVALID) is not a dead letter — the caller tells its client,
  //   who must resend, and nothing is left that an operator could replay into Kafka — but a
  //   `record.refused` audit row naming the rule (RecordResult::refusal);
  // * on SQLite the commit is synced to disk before the call returns (synchronous=FULL for
  //   this transaction, whatever database.sqlite_synchronous says), so a write answered
  //   survives power loss. On PostgreSQL the server's synchronous_commit decides, as for
  //   every commit.
  // Retrying after a transient error is safe: a write that did commit is then a DUPLICATE.
  absl::StatusOr<WriteResult> WriteRecord(const records::v1::RecordEnvelope& envelope);

  // --- reads for the registry and admin services (rows.h; each maps them to its API) ---

  // The record with every version, oldest first. NOT_FOUND for an unknown key.
  absl::StatusOr<RecordRow> GetRecord(const BusinessKey& key);
  // INVALID_ARGUMENT for a bad page_size, range or page_token.
  absl::StatusOr<RecordPage> ListRecords(const RecordQuery& query);
  // Status of a person; UNKNOWN / UNKNOWN for a person no record in force names.
  absl::StatusOr<PersonRow> GetPersonStatus(std::string_view personal_id);

  // With key, payload and headers. NOT_FOUND for an unknown id.
  absl::StatusOr<DeadLetterRow> GetDeadLetter(int64_t id);
  absl::StatusOr<DeadLetterPage> ListDeadLetters(const DeadLetterQuery& query);
  // Moves an OPEN dead letter to REPLAYED or DISCARDED with who and why, and audits it
  // (dead_letter.replayed / dead_letter.discarded, actor `resolved_by`). NOT_FOUND;
  // FAILED_PRECONDITION if it is not OPEN; INVALID_ARGUMENT for another target state or an
  // empty resolved_by.
  absl::StatusOr<DeadLetterRow> ResolveDeadLetter(int64_t id, DeadLetterState state,
                                                  std::string_view resolved_by,
                                                  std::string_view note);

  // --- services keeping their own tables in this database (reconciliation) ---
  //
  // Runs `body` on the store's connection (see services/store/sql.h), serialized with every
  // other call: Transact inside one transaction (rolled back when `body` fails), Read without
  // one (each statement sees committed data). The connection is re-established first if lost.
  absl::Status Transact(const std::function<absl::Status(sql::Connection&)>& body);
  // Appends audit rows in a transaction of their own: for actions that change nothing in the
  // database (pausing a connector, a re-send request sent over Kafka) or whose change was
  // committed by code that does not audit. A change made in Transact audits inside it
  // (AppendAudit, last).
  absl::Status Audit(const std::vector<AuditEntry>& entries);
  absl::Status Read(const std::function<absl::Status(sql::Connection&)>& body);

 private:
  Store(std::unique_ptr<sql::Connection> connection, const DatabaseConfig& config, int version);

  platform::Mutex mu_;  // one caller at a time on the connection

  // Runs `body` in a transaction after re-connecting if needed; rolls back on error.
  template <class F, class R = std::invoke_result_t<F>>
  R InTransaction(F body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<DeadLetterRow> GetDeadLetterLocked(int64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::unique_ptr<sql::Connection> connection_;  // used under mu_ (InTransaction bodies too)
  DatabaseConfig config_;
  int schema_version_;
};

}  // namespace crvs::store
