#include "services/store/store.h"

#include <absl/strings/ascii.h>
#include <absl/strings/escaping.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_replace.h>
#include <absl/strings/str_split.h>
#include <absl/time/clock.h>

#include <set>

#include "services/platform/logging.h"
#include "services/platform/text.h"
#include "services/platform/status.h"
#include "services/records/records.h"
#include "services/store/apply.h"
#include "services/store/audit.h"
#include "services/store/dead_letter_headers.h"
#include "services/store/record_rules.h"
#include "services/store/schema.h"
#include "services/store/sql.h"

namespace crvs::store {
namespace {

namespace v1 = ::crvs::records::v1;
using sql::Value;

// Builds a statement's $n parameters alongside its text.
class Params {
 public:
  std::string Add(Value v) {
    values_.push_back(std::move(v));
    return absl::StrCat("$", values_.size());
  }
  const std::vector<Value>& values() const { return values_; }

 private:
  std::vector<Value> values_;
};

absl::StatusOr<int> PageSize(int requested) {
  if (requested == 0) return 100;
  if (requested < 0 || requested > 1000) {
    return InvalidArgument({{"page_size", absl::StrCat(requested, " is not in 0..1000")}});
  }
  return requested;
}

std::string EncodeToken(const std::string& plain) { return absl::WebSafeBase64Escape(plain); }

// "<issued_at_us>/<business_key>" of the last record of a page.
bool DecodeRecordToken(const std::string& token, int64_t* issued_at_us, std::string* key) {
  std::string plain;
  if (!absl::WebSafeBase64Unescape(token, &plain)) return false;
  std::pair<std::string, std::string> parts = absl::StrSplit(plain, absl::MaxSplits('/', 1));
  // A forged token's key must still be text: bytes PostgreSQL refuses would fail the query.
  return absl::SimpleAtoi(parts.first, issued_at_us) && !parts.second.empty() &&
         text::Unacceptable(parts.second).empty() && (*key = parts.second, true);
}

constexpr const char* kDeadLetterColumns =
    "id, original_topic, original_partition, original_offset, error_class, error_message, "
    "kafka_key, payload, failed_at_us, state, headers, business_key, attempts, "
    "resolved_at_us, resolved_by, resolution_note";

DeadLetterRow DeadLetterFromRow(const sql::Row& row, bool include_payload) {
  DeadLetterRow d;
  d.id = row[0].AsInt();
  d.original = {Topic(row[1].AsString()), Partition(static_cast<int32_t>(row[2].AsInt()))};
  d.offset = Offset(row[3].AsInt());
  d.error_class = row[4].AsString();
  d.error_message = row[5].AsString();
  if (include_payload) {
    d.key = row[6].AsString();
    d.payload = row[7].AsString();
    d.headers = DecodeDeadLetterHeaders(row[10].AsString());
  }
  d.failed_at = absl::FromUnixMicros(row[8].AsInt());
  d.state = rules::ParseDeadLetterState(row[9].AsString());
  d.business_key = row[11].AsString();
  d.attempts = static_cast<int32_t>(row[12].AsInt());
  if (!row[13].is_null()) d.resolved_at = absl::FromUnixMicros(row[13].AsInt());
  d.resolved_by = row[14].AsString();
  d.resolution_note = row[15].AsString();
  return d;
}

RecordVersionRow VersionFromRow(const sql::Row& row, size_t first) {
  RecordVersionRow v;
  v.version = static_cast<int32_t>(row[first].AsInt());
  v.action = rules::ParseAction(row[first + 1].AsString());
  v.reason = row[first + 2].AsString();
  v.content_hash = row[first + 3].AsString();
  v.message_id = row[first + 4].AsString();
  v.committed_at = absl::FromUnixMicros(row[first + 5].AsInt());
  // Stored as received; it decoded when it was applied.
  v.envelope.ParseFromString(row[first + 6].AsString());
  return v;
}

constexpr const char* kVersionColumns =
    "v.version, v.action, v.reason, v.content_hash, v.message_id, v.committed_at_us, "
    "v.envelope";

}  // namespace

std::string_view ApplyOutcomeName(ApplyOutcome outcome) {
  switch (outcome) {
    case ApplyOutcome::kAppliedNew:
      return "APPLIED_NEW";
    case ApplyOutcome::kAppliedVersion:
      return "APPLIED_VERSION";
    case ApplyOutcome::kDuplicate:
      return "DUPLICATE";
    case ApplyOutcome::kVoided:
      return "VOIDED";
    case ApplyOutcome::kStale:
      return "STALE";
    case ApplyOutcome::kConflict:
      return "CONFLICT";
    case ApplyOutcome::kInvalid:
      return "INVALID";
  }
  return "UNKNOWN";
}

std::string_view RefusalName(Refusal refusal) {
  switch (refusal) {
    case Refusal::kNone:
      return "NONE";
    case Refusal::kInvalidEnvelope:
      return "INVALID_ENVELOPE";
    case Refusal::kMessageIdReused:
      return "MESSAGE_ID_REUSED";
    case Refusal::kKeyVoided:
      return "KEY_VOIDED";
    case Refusal::kSubmitOfOtherContent:
      return "SUBMIT_OF_OTHER_CONTENT";
  }
  return "UNKNOWN";
}

Store::Store(std::unique_ptr<sql::Connection> connection, const DatabaseConfig& config, int version)
    : connection_(std::move(connection)), config_(config), schema_version_(version) {}

Store::~Store() = default;

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const DatabaseConfig& config) {
  // Two processes opening a fresh SQLite file together (sink and registry started at once)
  // race to switch it to WAL and to run the first migration; the loser finds the database
  // locked. It waits and tries again, up to busy_timeout, and then finds both done.
  const absl::Time give_up = absl::Now() + absl::FromChrono(config.busy_timeout);
  auto connect_and_migrate = [&]() -> absl::StatusOr<std::pair<std::unique_ptr<sql::Connection>, int>> {
    CRVS_ASSIGN_OR_RETURN(std::unique_ptr<sql::Connection> c, sql::Connect(config));
    CRVS_ASSIGN_OR_RETURN(int v, Migrate(*c));
    return std::make_pair(std::move(c), v);
  };
  auto opened = connect_and_migrate();
  while (!opened.ok() && opened.status().code() == absl::StatusCode::kUnavailable &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(50));
    opened = connect_and_migrate();
  }
  if (!opened.ok()) return opened.status();
  std::unique_ptr<sql::Connection> connection = std::move(opened->first);
  const int version = opened->second;
  auto store = std::unique_ptr<Store>(new Store(std::move(connection), config, version));
  logging::Get("store")->info("event=opened backend={} schema_version={}", store->backend(),
                              version);
  return store;
}

std::string_view Store::backend() const {
  return connection_->dialect() == sql::Dialect::kSqlite ? "sqlite" : "postgresql";
}

template <class F, class R>
R Store::InTransaction(F body) {
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  CRVS_RETURN_IF_ERROR(connection_->Begin());
  auto result = body();
  if (!result.ok()) {
    connection_->Rollback();
    return result;
  }
  absl::Status committed = connection_->Commit();
  if (!committed.ok()) {
    connection_->Rollback();
    return committed;
  }
  return result;
}

absl::StatusOr<BatchResult> Store::Apply(const ApplyBatch& batch) {
  platform::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  auto result = InTransaction([&]() -> absl::StatusOr<BatchResult> {
    // A consumed batch commits on PostgreSQL without waiting for its WAL to reach the disk
    // (synchronous_commit = off, this transaction only). It is safe because the batch's
    // consumed offsets are rows of the same transaction: a server crash can lose only the last
    // commits (at most 3 × wal_writer_delay), each whole, rows and offsets together, so the
    // sink resumes from the positions that survived and applies those records again from
    // Kafka, which still holds them (they were read a moment ago). Nothing outside the
    // database depends on such a commit surviving: the dead-letter topic and Kafka's committed
    // offsets are informational copies, a receipt read from the database is re-earned by the
    // re-apply (same records, same order, same outcomes), and any later synchronous commit
    // (an operator's action, an API write) flushes the WAL up to itself, these commits
    // included. SQLite's synchronous=NORMAL makes the same trade for power loss. A write
    // without a Kafka copy (WriteRecord, a batch without offsets) keeps synchronous commit.
    // tests/e2e/exactly_once_test.cc crashes the server (immediate stop) mid-stream to show it.
    if (!batch.offsets.empty() && connection_->dialect() == sql::Dialect::kPostgres) {
      CRVS_RETURN_IF_ERROR(connection_->ExecScript("SET LOCAL synchronous_commit = off"));
    }
    return ApplyInTransaction(*connection_, batch, now, config_.bulk_rows);
  });
  if (!result.ok()) {
    logging::Get("store")->warn(
        "event=apply_failed records={} failures={} retryable={} error=\"{}\"", batch.records.size(),
        batch.failures.size(), IsRetryable(result.status()),
        std::string(result.status().message()));
  }
  return result;
}

absl::StatusOr<WriteResult> Store::WriteRecord(const v1::RecordEnvelope& envelope) {
  platform::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  // The record has no Kafka copy to re-apply after a power loss: its commit is synced. SQLite's
  // synchronous level belongs to the connection and cannot change inside a transaction, so it
  // is raised around this one and put back after.
  const bool raise = connection_->dialect() == sql::Dialect::kSqlite &&
                     absl::AsciiStrToLower(config_.sqlite_synchronous) != "full";
  if (raise) CRVS_RETURN_IF_ERROR(connection_->ExecScript("PRAGMA synchronous=FULL"));
  auto result = InTransaction(
      [&] { return WriteInTransaction(*connection_, envelope, now, config_.bulk_rows); });
  if (raise) {
    // If this fails the connection stays at FULL: slower, never less durable.
    absl::Status restored = connection_->ExecScript(
        absl::StrCat("PRAGMA synchronous=", absl::AsciiStrToLower(config_.sqlite_synchronous)));
    if (!restored.ok()) {
      logging::Get("store")->warn("event=synchronous_not_restored error=\"{}\"",
                                  std::string(restored.message()));
    }
  }
  if (!result.ok()) {
    logging::Get("store")->warn("event=write_failed retryable={} error=\"{}\"",
                                IsRetryable(result.status()),
                                std::string(result.status().message()));
  }
  return result;
}

absl::StatusOr<std::map<Partition, Offset>> Store::LoadOffsets(const ConsumerGroup& group,
                                                               const Topic& topic) {
  platform::MutexLock lock(&mu_);
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  CRVS_ASSIGN_OR_RETURN(
      sql::Rows rows,
      connection_->Execute("SELECT kafka_partition, next_offset FROM consumed_offsets "
                           "WHERE consumer_group = $1 AND topic = $2",
                           {Value::Text(group.value()), Value::Text(topic.value())}));
  std::map<Partition, Offset> out;
  for (const auto& row : rows) {
    out.emplace(Partition(static_cast<int32_t>(row[0].AsInt())), Offset(row[1].AsInt()));
  }
  return out;
}

absl::Status Store::RecordLostRange(const ConsumerGroup& group, const LostRange& range) {
  const auto& tp = range.topic_partition;
  if (group.value().empty() || tp.topic.value().empty() || tp.partition.value() < 0 ||
      range.from.value() < 0 || range.to.value() <= range.from.value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("lost range: need a group, topic, partition >= 0 and 0 <= from < to; got ",
                     group.value(), " ", tp.topic.value(), "/", tp.partition.value(), " [",
                     range.from.value(), ", ", range.to.value(), ")"));
  }
  platform::MutexLock lock(&mu_);
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  return InTransaction([&]() -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(
        sql::Rows recorded,
        connection_->Execute(
            "INSERT INTO lost_offset_ranges (consumer_group, topic, kafka_partition, "
            "from_offset, to_offset, detected_at_us) VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (consumer_group, topic, kafka_partition, from_offset) "
            "DO NOTHING RETURNING from_offset",
            {Value::Text(group.value()), Value::Text(tp.topic.value()),
             Value::Int(tp.partition.value()), Value::Int(range.from.value()),
             Value::Int(range.to.value()), Value::Int(absl::ToUnixMicros(range.detected_at))}));
    CRVS_RETURN_IF_ERROR(
        connection_
            ->Execute(
                "INSERT INTO consumed_offsets (consumer_group, topic, kafka_partition, "
                "next_offset, updated_at_us) VALUES ($1, $2, $3, $4, $5) "
                "ON CONFLICT (consumer_group, topic, kafka_partition) DO UPDATE SET "
                "next_offset = excluded.next_offset, updated_at_us = excluded.updated_at_us, "
                "last_fingerprint = NULL "
                "WHERE excluded.next_offset > consumed_offsets.next_offset",
                {Value::Text(group.value()), Value::Text(tp.topic.value()),
                 Value::Int(tp.partition.value()), Value::Int(range.to.value()),
                 Value::Int(now_us)})
            .status());
    if (recorded.empty()) return absl::OkStatus();  // recorded before
    return AppendAudit(
        *connection_,
        {{absl::StrCat("consumer_group:", group.value()), "offsets.lost",
          absl::StrCat("consumer_group/", group.value()),
          absl::StrCat("topic=", tp.topic.value(), " partition=", tp.partition.value(),
                       " from=", range.from.value(), " to=", range.to.value())}},
        absl::FromUnixMicros(now_us));
  });
}

absl::StatusOr<std::vector<LostRange>> Store::ListLostRanges(const ConsumerGroup& group) {
  platform::MutexLock lock(&mu_);
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  CRVS_ASSIGN_OR_RETURN(
      sql::Rows rows,
      connection_->Execute("SELECT topic, kafka_partition, from_offset, to_offset, "
                           "detected_at_us FROM lost_offset_ranges WHERE consumer_group = $1 "
                           "ORDER BY topic, kafka_partition, from_offset",
                           {Value::Text(group.value())}));
  std::vector<LostRange> out;
  for (const auto& row : rows) {
    out.push_back({{Topic(row[0].AsString()), Partition(static_cast<int32_t>(row[1].AsInt()))},
                   Offset(row[2].AsInt()),
                   Offset(row[3].AsInt()),
                   absl::FromUnixMicros(row[4].AsInt())});
  }
  return out;
}

int64_t MessageFingerprint(std::string_view key, std::string_view value) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bits
  auto mix = [&h](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(key);
  mix(std::string_view("\0", 1));  // "ab"+"c" and "a"+"bc" differ
  mix(value);
  return static_cast<int64_t>(h);
}

absl::StatusOr<std::map<Partition, StoredPosition>> Store::LoadPositions(const ConsumerGroup& group,
                                                                         const Topic& topic) {
  platform::MutexLock lock(&mu_);
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  CRVS_ASSIGN_OR_RETURN(
      sql::Rows rows,
      connection_->Execute("SELECT kafka_partition, next_offset, last_fingerprint "
                           "FROM consumed_offsets WHERE consumer_group = $1 AND topic = $2",
                           {Value::Text(group.value()), Value::Text(topic.value())}));
  std::map<Partition, StoredPosition> out;
  for (const auto& row : rows) {
    StoredPosition p{Offset(row[1].AsInt()), std::nullopt};
    if (!row[2].is_null()) p.last_fingerprint = row[2].AsInt();
    out.emplace(Partition(static_cast<int32_t>(row[0].AsInt())), p);
  }
  return out;
}

absl::Status Store::RecordLogReset(const ConsumerGroup& group, const LogReset& reset) {
  const auto& tp = reset.topic_partition;
  if (group.value().empty() || tp.topic.value().empty() || tp.partition.value() < 0 ||
      reset.log_start.value() < 0 || reset.log_end.value() < reset.log_start.value() ||
      (reset.reason != "BEYOND_LOG_END" && reset.reason != "LOG_REPLACED")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "log reset: need a group, topic, partition >= 0, 0 <= log_start <= log_end and a reason "
        "BEYOND_LOG_END or LOG_REPLACED; got ",
        group.value(), " ", tp.topic.value(), "/", tp.partition.value(), " [",
        reset.log_start.value(), ", ", reset.log_end.value(), ") ", reset.reason));
  }
  platform::MutexLock lock(&mu_);
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  return InTransaction([&]() -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(
        sql::Rows inserted,
        connection_->Execute(
            "INSERT INTO log_resets (consumer_group, topic, kafka_partition, stored_offset, "
            "log_start, log_end, reason, detected_at_us, acknowledged_by, acknowledgement_note) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', '') RETURNING id",
            {Value::Text(group.value()), Value::Text(tp.topic.value()),
             Value::Int(tp.partition.value()), Value::Int(reset.stored.value()),
             Value::Int(reset.log_start.value()), Value::Int(reset.log_end.value()),
             Value::Text(reset.reason), Value::Int(absl::ToUnixMicros(reset.detected_at))}));
    // Unconditionally: the one offset write that may move a position down.
    CRVS_RETURN_IF_ERROR(
        connection_
            ->Execute(
                "INSERT INTO consumed_offsets (consumer_group, topic, kafka_partition, "
                "next_offset, updated_at_us, last_fingerprint) VALUES ($1, $2, $3, $4, $5, NULL) "
                "ON CONFLICT (consumer_group, topic, kafka_partition) DO UPDATE SET "
                "next_offset = excluded.next_offset, updated_at_us = excluded.updated_at_us, "
                "last_fingerprint = NULL",
                {Value::Text(group.value()), Value::Text(tp.topic.value()),
                 Value::Int(tp.partition.value()), Value::Int(reset.log_start.value()),
                 Value::Int(now_us)})
            .status());
    return AppendAudit(
        *connection_,
        {{absl::StrCat("consumer_group:", group.value()), "offsets.reset",
          absl::StrCat("log_reset/", inserted.empty() ? 0 : inserted[0][0].AsInt()),
          absl::StrCat("topic=", tp.topic.value(), " partition=", tp.partition.value(),
                       " stored=", reset.stored.value(), " log_start=", reset.log_start.value(),
                       " log_end=", reset.log_end.value(), " reason=", reset.reason)}},
        absl::FromUnixMicros(now_us));
  });
}

namespace {

constexpr char kAlarmColumns[] =
    // kind, id, group, topic, partition, from, to, log_end, reason, detected, ack at, by, note
    "SELECT 'reset', CAST(id AS TEXT), consumer_group, topic, kafka_partition, stored_offset, "
    "log_start, log_end, reason, detected_at_us, acknowledged_at_us, acknowledged_by, "
    "acknowledgement_note FROM log_resets {WHERE_RESET} "
    "UNION ALL SELECT 'lost', '', consumer_group, topic, kafka_partition, from_offset, "
    "to_offset, 0, 'EXPIRED_UNREAD', detected_at_us, acknowledged_at_us, acknowledged_by, "
    "acknowledgement_note FROM lost_offset_ranges {WHERE_LOST}";

OffsetAlarm AlarmFromRow(const sql::Row& r) {
  OffsetAlarm a;
  a.kind = r[0].AsString() == "reset" ? OffsetAlarm::Kind::kLogReset : OffsetAlarm::Kind::kRecordsLost;
  a.group = ConsumerGroup(r[2].AsString());
  a.topic_partition = {Topic(r[3].AsString()), Partition(static_cast<int32_t>(r[4].AsInt()))};
  a.from = Offset(r[5].AsInt());
  a.to = Offset(r[6].AsInt());
  a.log_end = Offset(r[7].AsInt());
  a.reason = r[8].AsString();
  a.detected_at = absl::FromUnixMicros(r[9].AsInt());
  if (!r[10].is_null()) a.acknowledged_at = absl::FromUnixMicros(r[10].AsInt());
  a.acknowledged_by = r[11].AsString();
  a.acknowledgement_note = r[12].AsString();
  a.id = a.kind == OffsetAlarm::Kind::kLogReset
             ? absl::StrCat("reset/", r[1].AsString())
             : absl::StrCat("lost/", a.topic_partition.topic.value(), "/",
                            a.topic_partition.partition.value(), "/", a.from.value(), "/",
                            a.group.value());
  return a;
}

std::string AlarmQuery(std::string_view where_reset, std::string_view where_lost) {
  return absl::StrReplaceAll(std::string(kAlarmColumns),
                             {{"{WHERE_RESET}", std::string(where_reset)},
                              {"{WHERE_LOST}", std::string(where_lost)}});
}

}  // namespace

absl::StatusOr<std::vector<OffsetAlarm>> Store::ListOffsetAlarms(bool include_acknowledged) {
  platform::MutexLock lock(&mu_);
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  const char* open = include_acknowledged ? "" : "WHERE acknowledged_at_us IS NULL";
  CRVS_ASSIGN_OR_RETURN(sql::Rows rows,
                        connection_->Execute(AlarmQuery(open, open) + " ORDER BY 10 DESC", {}));
  std::vector<OffsetAlarm> out;
  for (const auto& row : rows) out.push_back(AlarmFromRow(row));
  return out;
}

absl::StatusOr<int64_t> Store::CountUnacknowledgedAlarms(const ConsumerGroup& group) {
  platform::MutexLock lock(&mu_);
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  CRVS_ASSIGN_OR_RETURN(
      sql::Rows rows,
      connection_->Execute(
          "SELECT (SELECT COUNT(*) FROM log_resets WHERE consumer_group = $1 AND "
          "acknowledged_at_us IS NULL) + (SELECT COUNT(*) FROM lost_offset_ranges WHERE "
          "consumer_group = $1 AND acknowledged_at_us IS NULL)",
          {Value::Text(group.value())}));
  return rows.empty() ? 0 : rows[0][0].AsInt();
}

absl::StatusOr<OffsetAlarm> Store::AcknowledgeOffsetAlarm(std::string_view alarm_id,
                                                          std::string_view by,
                                                          std::string_view note) {
  const std::string id(alarm_id);
  if (by.empty()) return InvalidArgument({{"acknowledged_by", "is required (who acknowledged it)"}});
  // "reset/<n>" or "lost/<topic>/<partition>/<from>/<group>" (a group may hold '/').
  std::vector<std::string> parts = absl::StrSplit(id, absl::MaxSplits('/', 4));
  int64_t reset_id = 0, partition = 0, from = 0;
  const bool is_reset =
      parts.size() == 2 && parts[0] == "reset" && absl::SimpleAtoi(parts[1], &reset_id);
  const bool is_lost = parts.size() == 5 && parts[0] == "lost" &&
                       absl::SimpleAtoi(parts[2], &partition) && absl::SimpleAtoi(parts[3], &from);
  if (!is_reset && !is_lost) {
    return InvalidArgument({{"alarm_id", absl::StrCat("'", absl::Utf8SafeCEscape(id),
                                                      "' is not reset/<n> or "
                                                      "lost/<topic>/<partition>/<from>/<group>")}});
  }
  platform::MutexLock lock(&mu_);
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  return InTransaction([&]() -> absl::StatusOr<OffsetAlarm> {
    const std::string where =
        is_reset ? "WHERE id = $1" : "WHERE topic = $1 AND kafka_partition = $2 AND "
                                     "from_offset = $3 AND consumer_group = $4";
    const std::string never = "WHERE 1 = 0";
    std::vector<Value> key =
        is_reset ? std::vector<Value>{Value::Int(reset_id)}
                 : std::vector<Value>{Value::Text(parts[1]), Value::Int(partition), Value::Int(from),
                                      Value::Text(parts[4])};
    auto find = [&]() -> absl::StatusOr<OffsetAlarm> {
      CRVS_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection_->Execute(is_reset ? AlarmQuery(where, never)
                                                          : AlarmQuery(never, where),
                                                 key));
      if (rows.empty()) return absl::NotFoundError(absl::StrCat("no offset alarm ", id));
      return AlarmFromRow(rows[0]);
    };
    CRVS_ASSIGN_OR_RETURN(OffsetAlarm alarm, find());
    if (alarm.acknowledged_at) {
      return absl::FailedPreconditionError(absl::StrCat("offset alarm ", id,
                                                        " was acknowledged by ",
                                                        alarm.acknowledged_by));
    }
    std::vector<Value> params = {Value::Int(now_us), Value::Text(std::string(by)),
                                 Value::Text(std::string(note).substr(0, 1000))};
    std::string shifted = where;  // the key's $n come after the three SET values
    for (int n = static_cast<int>(key.size()); n >= 1; --n) {
      shifted = absl::StrReplaceAll(shifted, {{absl::StrCat("$", n), absl::StrCat("$", n + 3)}});
    }
    for (auto& v : key) params.push_back(v);
    CRVS_RETURN_IF_ERROR(
        connection_
            ->Execute(absl::StrCat("UPDATE ", is_reset ? "log_resets" : "lost_offset_ranges",
                                   " SET acknowledged_at_us = $1, acknowledged_by = $2, "
                                   "acknowledgement_note = $3 ",
                                   shifted),
                      params)
            .status());
    CRVS_RETURN_IF_ERROR(AppendAudit(
        *connection_,
        {{std::string(by), "alarm.acknowledged", absl::StrCat("offset_alarm/", id),
          absl::StrCat("note=\"",
                       absl::Utf8SafeCEscape(logging::MaskPersonalIds(std::string(note))), "\"")}},
        absl::FromUnixMicros(now_us)));
    return find();
  });
}

absl::StatusOr<std::vector<MessageOutcome>> Store::FindOutcomes(
    const std::vector<std::pair<std::string, std::string>>& wanted) {
  std::vector<MessageOutcome> out;
  if (wanted.empty()) return out;
  std::set<std::pair<std::string, std::string>> want(wanted.begin(), wanted.end());
  std::set<std::pair<std::string, std::string>> committed;
  platform::MutexLock lock(&mu_);
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  constexpr size_t kChunk = 500;  // message ids per statement
  for (size_t first = 0; first < wanted.size(); first += kChunk) {
    std::vector<Value> ids;
    std::string list;
    for (size_t i = first; i < std::min(wanted.size(), first + kChunk); ++i) {
      ids.push_back(Value::Text(wanted[i].second));
      absl::StrAppend(&list, list.empty() ? "" : ", ", "$", ids.size());
    }
    CRVS_ASSIGN_OR_RETURN(
        sql::Rows applied,
        connection_->Execute(absl::StrCat("SELECT source, message_id, business_key, version, "
                                          "committed_at_us, action, content_hash "
                                          "FROM applied_messages WHERE message_id IN (",
                                          list, ")"),
                             ids));
    for (const auto& r : applied) {
      std::pair<std::string, std::string> key{r[0].AsString(), r[1].AsString()};
      if (!want.count(key)) continue;
      committed.insert(key);
      MessageOutcome o;
      o.state = MessageOutcome::State::kCommitted;
      o.source = key.first;
      o.message_id = key.second;
      o.business_key = r[2].AsString();
      o.version = static_cast<int32_t>(r[3].AsInt());
      o.at = absl::FromUnixMicros(r[4].AsInt());
      o.action = r[5].AsString();
      o.content_hash = r[6].AsString();
      out.push_back(std::move(o));
    }
    CRVS_ASSIGN_OR_RETURN(
        sql::Rows refused,
        connection_->Execute(
            absl::StrCat("SELECT source, message_id, business_key, error_class, error_message, "
                         "failed_at_us, id FROM dead_letters WHERE message_id IN (",
                         list, ") ORDER BY id DESC"),
            ids));
    for (const auto& r : refused) {
      std::pair<std::string, std::string> key{r[0].AsString(), r[1].AsString()};
      if (!want.count(key) || committed.count(key)) continue;
      committed.insert(key);  // the latest dead letter only
      MessageOutcome o;
      o.state = r[3].AsString() == "CONFLICT" ? MessageOutcome::State::kConflict
                                              : MessageOutcome::State::kDeadLettered;
      o.source = key.first;
      o.message_id = key.second;
      o.business_key = r[2].AsString();
      o.error_class = r[3].AsString();
      o.error_message = r[4].AsString();
      o.at = absl::FromUnixMicros(r[5].AsInt());
      o.dead_letter_id = r[6].AsInt();
      out.push_back(std::move(o));
    }
  }
  return out;
}

absl::StatusOr<std::vector<MessageOutcome>> Store::ListOutcomes(
    const std::string& source, int64_t after_us, const std::string& after_message_id, int limit) {
  platform::MutexLock lock(&mu_);
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  CRVS_ASSIGN_OR_RETURN(
      sql::Rows rows,
      connection_->Execute(
          "SELECT * FROM ("
          "SELECT 'c' AS k, message_id, business_key, version, committed_at_us AS at_us, action, "
          "content_hash, '' AS error_class, '' AS error_message, 0 AS dead_letter_id "
          "FROM applied_messages WHERE source = $1 AND (committed_at_us > $2 OR "
          "(committed_at_us = $2 AND message_id > $3)) "
          "UNION ALL SELECT 'd', message_id, business_key, 0, failed_at_us, '', $5, error_class, "
          "error_message, id FROM dead_letters WHERE source = $1 AND message_id <> '' AND "
          "(failed_at_us > $2 OR (failed_at_us = $2 AND message_id > $3))"
          ") o ORDER BY at_us, message_id LIMIT $4",
          {Value::Text(source), Value::Int(after_us), Value::Text(after_message_id),
           Value::Int(limit), Value::Blob("")}));
  std::vector<MessageOutcome> out;
  for (const auto& r : rows) {
    MessageOutcome o;
    const bool committed = r[0].AsString() == "c";
    o.state = committed ? MessageOutcome::State::kCommitted
                        : r[7].AsString() == "CONFLICT" ? MessageOutcome::State::kConflict
                                                        : MessageOutcome::State::kDeadLettered;
    o.source = source;
    o.message_id = r[1].AsString();
    o.business_key = r[2].AsString();
    o.version = static_cast<int32_t>(r[3].AsInt());
    o.at = absl::FromUnixMicros(r[4].AsInt());
    o.action = r[5].AsString();
    o.content_hash = r[6].AsString();
    o.error_class = r[7].AsString();
    o.error_message = r[8].AsString();
    o.dead_letter_id = r[9].AsInt();
    out.push_back(std::move(o));
  }
  return out;
}

absl::StatusOr<RecordRow> Store::GetRecord(const BusinessKey& key) {
  platform::MutexLock lock(&mu_);
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  // One statement, so the record and its versions come from one snapshot.
  CRVS_ASSIGN_OR_RETURN(
      sql::Rows rows,
      connection_->Execute(
          absl::StrCat("SELECT r.kind, r.state, r.state_detail, r.current_version, ",
                       kVersionColumns,
                       " FROM records r JOIN record_versions v ON v.business_key = "
                       "r.business_key WHERE r.business_key = $1 ORDER BY v.version"),
          {Value::Text(key.value())}));
  if (rows.empty()) return absl::NotFoundError(absl::StrCat("no record ", key.value()));
  RecordRow view;
  view.business_key = key.value();
  view.kind = rules::ParseKind(rows[0][0].AsString());
  view.state = rules::ParseState(rows[0][1].AsString());
  view.state_detail = rows[0][2].AsString();
  view.current_version = static_cast<int32_t>(rows[0][3].AsInt());
  view.versions.reserve(rows.size());
  for (const auto& row : rows) view.versions.push_back(VersionFromRow(row, 4));
  return view;
}

absl::StatusOr<RecordPage> Store::ListRecords(const RecordQuery& query) {
  CRVS_ASSIGN_OR_RETURN(int page_size, PageSize(query.page_size));
  if (query.issued_from && query.issued_to && *query.issued_to <= *query.issued_from) {
    return InvalidArgument({{"issued_to", "must be after issued_from"}});
  }
  Params p;
  std::string where = "TRUE";
  if (query.source) {
    absl::StrAppend(
        &where, " AND r.source = ", p.Add(Value::Text(records::FormatPrincipal(*query.source))));
  }
  if (query.kind != v1::RECORD_KIND_UNSPECIFIED) {
    absl::StrAppend(&where, " AND r.kind = ", p.Add(Value::Text(rules::KindName(query.kind))));
  }
  if (query.issued_from) {
    absl::StrAppend(&where, " AND r.issued_at_us >= ",
                    p.Add(Value::Int(absl::ToUnixMicros(*query.issued_from))));
  }
  if (query.issued_to) {
    absl::StrAppend(&where, " AND r.issued_at_us < ",
                    p.Add(Value::Int(absl::ToUnixMicros(*query.issued_to))));
  }
  if (!query.page_token.empty()) {
    int64_t after_us = 0;
    std::string after_key;
    if (!DecodeRecordToken(query.page_token, &after_us, &after_key)) {
      return InvalidArgument({{"page_token", "not a token returned by ListRecords"}});
    }
    std::string t = p.Add(Value::Int(after_us));
    std::string t2 = p.Add(Value::Int(after_us));
    std::string k = p.Add(Value::Text(after_key));
    absl::StrAppend(&where, " AND (r.issued_at_us > ", t, " OR (r.issued_at_us = ", t2,
                    " AND r.business_key > ", k, "))");
  }
  std::string limit = p.Add(Value::Int(page_size + 1));
  std::string text = absl::StrCat(
      "SELECT r.business_key, r.kind, r.state, r.state_detail, r.current_version, "
      "r.issued_at_us, ",
      kVersionColumns,
      " FROM records r JOIN record_versions v ON v.business_key = r.business_key "
      "AND v.version = r.current_version WHERE ",
      where, " ORDER BY r.issued_at_us, r.business_key LIMIT ", limit);

  platform::MutexLock lock(&mu_);
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  CRVS_ASSIGN_OR_RETURN(sql::Rows rows, connection_->Execute(text, p.values()));
  RecordPage page;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(page_size); ++i) {
    const auto& row = rows[i];
    RecordRow& view = page.records.emplace_back();
    view.business_key = row[0].AsString();
    view.kind = rules::ParseKind(row[1].AsString());
    view.state = rules::ParseState(row[2].AsString());
    view.state_detail = row[3].AsString();
    view.current_version = static_cast<int32_t>(row[4].AsInt());
    view.versions.push_back(VersionFromRow(row, 6));
  }
  if (rows.size() > static_cast<size_t>(page_size)) {
    const auto& last = rows[static_cast<size_t>(page_size) - 1];
    page.next_page_token = EncodeToken(absl::StrCat(last[5].AsInt(), "/", last[0].AsString()));
  }
  return page;
}

absl::StatusOr<PersonRow> Store::GetPersonStatus(std::string_view personal_id) {
  platform::MutexLock lock(&mu_);
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  CRVS_ASSIGN_OR_RETURN(
      sql::Rows rows,
      connection_->Execute("SELECT vital_status, date_of_death, marital_status, marital_since, "
                           "evidence_keys FROM persons WHERE personal_id = $1",
                           {Value::Text(std::string(personal_id))}));
  PersonRow status;
  status.personal_id = std::string(personal_id);
  status.vital_status = VitalStatus::kUnknown;
  status.marital_status = MaritalStatus::kUnknown;
  if (rows.empty()) return status;
  const auto& row = rows[0];
  status.vital_status = rules::ParseVital(row[0].AsString());
  // A stored date is set even when it does not parse (then all zero), as it always was.
  if (!row[1].is_null()) rules::ParseDate(row[1].AsString(), &status.date_of_death.emplace());
  status.marital_status = rules::ParseMarital(row[2].AsString());
  if (!row[3].is_null()) rules::ParseDate(row[3].AsString(), &status.marital_since.emplace());
  for (auto key : absl::StrSplit(row[4].AsString(), '\n', absl::SkipEmpty())) {
    status.evidence_keys.emplace_back(key);
  }
  return status;
}

absl::StatusOr<DeadLetterRow> Store::GetDeadLetter(int64_t id) {
  platform::MutexLock lock(&mu_);
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  return GetDeadLetterLocked(id);
}

absl::StatusOr<DeadLetterRow> Store::GetDeadLetterLocked(int64_t id) {
  CRVS_ASSIGN_OR_RETURN(sql::Rows rows,
                        connection_->Execute(absl::StrCat("SELECT ", kDeadLetterColumns,
                                                          " FROM dead_letters WHERE id = $1"),
                                             {Value::Int(id)}));
  if (rows.empty()) return absl::NotFoundError(absl::StrCat("no dead letter ", id));
  return DeadLetterFromRow(rows[0], /*include_payload=*/true);
}

absl::StatusOr<DeadLetterPage> Store::ListDeadLetters(const DeadLetterQuery& query) {
  CRVS_ASSIGN_OR_RETURN(int page_size, PageSize(query.page_size));
  if (query.failed_from && query.failed_to && *query.failed_to <= *query.failed_from) {
    return InvalidArgument({{"failed_to", "must be after failed_from"}});
  }
  Params p;
  std::string where = "TRUE";
  if (!query.original_topic.empty()) {
    absl::StrAppend(&where, " AND original_topic = ", p.Add(Value::Text(query.original_topic)));
  }
  if (!query.error_class.empty()) {
    absl::StrAppend(&where, " AND error_class = ", p.Add(Value::Text(query.error_class)));
  }
  if (query.state) {
    absl::StrAppend(&where, " AND state = ",
                    p.Add(Value::Text(rules::DeadLetterStateName(*query.state))));
  }
  if (query.failed_from) {
    absl::StrAppend(
        &where, " AND failed_at_us >= ", p.Add(Value::Int(absl::ToUnixMicros(*query.failed_from))));
  }
  if (query.failed_to) {
    absl::StrAppend(&where, " AND failed_at_us < ",
                    p.Add(Value::Int(absl::ToUnixMicros(*query.failed_to))));
  }
  if (!query.page_token.empty()) {
    std::string plain;
    int64_t before_id = 0;
    if (!absl::WebSafeBase64Unescape(query.page_token, &plain) ||
        !absl::SimpleAtoi(plain, &before_id)) {
      return InvalidArgument({{"page_token", "not a token returned by ListDeadLetters"}});
    }
    absl::StrAppend(&where, " AND id < ", p.Add(Value::Int(before_id)));
  }
  std::string limit = p.Add(Value::Int(page_size + 1));
  std::string text = absl::StrCat("SELECT ", kDeadLetterColumns, " FROM dead_letters WHERE ", where,
                                  " ORDER BY id DESC LIMIT ", limit);

  platform::MutexLock lock(&mu_);
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  CRVS_ASSIGN_OR_RETURN(sql::Rows rows, connection_->Execute(text, p.values()));
  DeadLetterPage page;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(page_size); ++i) {
    page.dead_letters.push_back(DeadLetterFromRow(rows[i], query.include_payload));
  }
  if (rows.size() > static_cast<size_t>(page_size)) {
    page.next_page_token = EncodeToken(absl::StrCat(page.dead_letters.back().id));
  }
  return page;
}

absl::StatusOr<DeadLetterRow> Store::ResolveDeadLetter(int64_t id, DeadLetterState state,
                                                       std::string_view resolved_by,
                                                       std::string_view note) {
  if (state != DeadLetterState::kReplayed && state != DeadLetterState::kDiscarded) {
    return InvalidArgument({{"state", "must be REPLAYED or DISCARDED"}});
  }
  if (resolved_by.empty()) return InvalidArgument({{"resolved_by", "is required (who resolved it)"}});
  platform::MutexLock lock(&mu_);
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  return InTransaction([&]() -> absl::StatusOr<DeadLetterRow> {
    mu_.AssertHeld();  // InTransaction runs its body under the caller's lock
    // Conditional on OPEN in the statement itself, so two operators cannot both resolve it.
    CRVS_ASSIGN_OR_RETURN(
        sql::Rows updated,
        connection_->Execute(
            "UPDATE dead_letters SET state = $1, resolved_at_us = $2, resolved_by = $3, "
            "resolution_note = $4 WHERE id = $5 AND state = 'OPEN' RETURNING id",
            {Value::Text(rules::DeadLetterStateName(state)), Value::Int(now_us),
             Value::Text(std::string(resolved_by)),
             Value::Text(std::string(note).substr(0, 1000)), Value::Int(id)}));
    CRVS_ASSIGN_OR_RETURN(DeadLetterRow letter, GetDeadLetterLocked(id));
    if (updated.empty()) {
      // Worded as it always was (clients read it): the state's API name.
      return absl::FailedPreconditionError(
          absl::StrCat("dead letter ", id, " is DEAD_LETTER_STATE_",
                       rules::DeadLetterStateName(letter.state), ", not OPEN"));
    }
    CRVS_RETURN_IF_ERROR(AppendAudit(
        *connection_,
        {{std::string(resolved_by),
          state == DeadLetterState::kReplayed ? "dead_letter.replayed" : "dead_letter.discarded",
          absl::StrCat("dead_letter/", id),
          absl::StrCat("error_class=", letter.error_class, " business_key=",
                       absl::Utf8SafeCEscape(letter.business_key), " topic=",
                       letter.original.topic.value(), " partition=",
                       letter.original.partition.value(), " offset=", letter.offset.value(),
                       " note=\"",
                       absl::Utf8SafeCEscape(logging::MaskPersonalIds(letter.resolution_note)),
                       "\"")}},
        absl::FromUnixMicros(now_us)));
    return letter;
  });
}

absl::Status Store::Transact(const std::function<absl::Status(sql::Connection&)>& body) {
  platform::MutexLock lock(&mu_);
  return InTransaction([&] { return body(*connection_); });
}

absl::Status Store::Audit(const std::vector<AuditEntry>& entries) {
  if (entries.empty()) return absl::OkStatus();
  platform::MutexLock lock(&mu_);
  return InTransaction(
      [&] { return AppendAudit(*connection_, entries, absl::Now(), config_.bulk_rows); });
}

absl::Status Store::Read(const std::function<absl::Status(sql::Connection&)>& body) {
  platform::MutexLock lock(&mu_);
  CRVS_RETURN_IF_ERROR(connection_->EnsureConnected());
  return body(*connection_);
}

}  // namespace crvs::store
