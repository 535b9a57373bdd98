#include "services/store/apply.h"

#include "services/platform/text.h"

#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include <algorithm>
#include <deque>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "services/platform/status.h"
#include "services/records/records.h"
#include "services/store/apply_statements.h"
#include "services/store/audit.h"
#include "services/store/dead_letter_headers.h"
#include "services/store/record_columns.h"
#include "services/store/record_rules.h"

namespace crvs::store {
namespace {

namespace v1 = ::crvs::records::v1;
using rules::Micros;
using sql::Value;

// Current state of one business key: as read from the database, then as changed by the
// batch's earlier records.
struct KeyState {
  bool exists = false;
  bool stored = false;        // the database held the key before this batch
  int32_t stored_version = 0;  // its current version then
  v1::RecordKind kind = v1::RECORD_KIND_UNSPECIFIED;
  RecordState state = RecordState::kUnspecified;
  std::string state_detail;
  int32_t version = 0;
  std::string current_hash;
  std::vector<std::string> hashes;  // of every version
  std::string source;
  int64_t issued_at_us = 0;
  int64_t created_at_us = 0;
  int64_t source_sequence = 0;                  // of the newest applied version
  bool changed = false;                         // a version was added by this batch
  const v1::RecordEnvelope* content = nullptr;  // latest SUBMIT/AMEND of this batch
};

// A (source, message_id) already applied.
struct AppliedMessage {
  std::string business_key;
  v1::Action action = v1::ACTION_UNSPECIFIED;
  std::string content_hash;
  int32_t version = 0;
};

using MessageKey = std::pair<std::string, std::string>;  // (source, message_id)

// Where a dead letter came from: its unique (topic, partition, offset).
using SourcePosition = std::tuple<std::string, int64_t, int64_t>;

// A dead letter this batch means to open, for its audit row once the insert says it is new.
struct PendingDeadLetter {
  std::string actor;
  std::string business_key;
  std::string error_class;
};

// One record to decide: consumed from Kafka, or written through the API (no message).
struct Input {
  const v1::RecordEnvelope& envelope;
  const KafkaMessage* message;  // nullptr: written through the API, no Kafka copy
};

// Where a record came from, for its audit rows.
std::string Origin(const Input& r) {
  if (r.message == nullptr) return "origin=api";
  const KafkaMessage& m = *r.message;
  return absl::StrCat("topic=", m.topic_partition.topic.value(),
                      " partition=", m.topic_partition.partition.value(),
                      " offset=", m.offset.value());
}

// Decides and writes `inputs` in order. `batch` supplies what only consumed batches have
// (group, failures, offsets): an empty batch for an API write. Both outlive the applier.
class BatchApplier {
 public:
  BatchApplier(sql::Connection& c, const ApplyBatch& batch, std::vector<Input> inputs,
               absl::Time now, int bulk_rows)
      : c_(c),
        batch_(batch),
        inputs_(std::move(inputs)),
        now_us_(absl::ToUnixMicros(now)),
        bulk_rows_(bulk_rows) {}

  absl::StatusOr<BatchResult> Run() {
    CRVS_RETURN_IF_ERROR(CheckOffsets());
    std::vector<absl::Status> checks;
    checks.reserve(inputs_.size());
    for (const auto& r : inputs_) checks.push_back(rules::CheckEnvelope(r.envelope));
    CRVS_RETURN_IF_ERROR(LoadState(checks));
    // The number the feeds find this transaction's versions by (audit.h, NextFeedTxn).
    if (!inputs_.empty()) {
      CRVS_ASSIGN_OR_RETURN(txn_, NextFeedTxn(c_));
    }

    BatchResult result;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      const Input& r = inputs_[i];
      RecordResult outcome = checks[i].ok() ? Decide(r) : Invalid(r, checks[i]);
      v1::RecordKind kind = v1::RecordKind_IsValid(r.envelope.kind()) ? r.envelope.kind()
                                                                      : v1::RECORD_KIND_UNSPECIFIED;
      ++result.counts[{kind, outcome.outcome}];
      result.records.push_back(std::move(outcome));
    }
    for (const FailedMessage& f : batch_.failures) {
      AddDeadLetter(f.message, f.business_key, f.error_class, f.error_message, f.attempts,
                    f.source, f.source, f.message_id);
    }

    CRVS_RETURN_IF_ERROR(Bulk(statements::kInsertVersions, versions_));
    CRVS_RETURN_IF_ERROR(WriteRecords());
    CRVS_RETURN_IF_ERROR(WriteDetails());
    CRVS_RETURN_IF_ERROR(
        Bulk("INSERT INTO unchanged_messages (message_id, source, business_key, action, "
             "content_hash, version, committed_at_us) VALUES ",
             7, "", unchanged_));
    // Only dead letters new to the database come back (a re-applied batch opens none).
    CRVS_ASSIGN_OR_RETURN(
        sql::Rows opened,
        BulkQuery("INSERT INTO dead_letters (original_topic, original_partition, original_offset, "
                  "business_key, kafka_key, payload, headers, error_class, error_message, "
                  "attempts, failed_at_us, state, resolved_by, resolution_note, source, "
                  "message_id) VALUES ",
                  16,
                  " ON CONFLICT (original_topic, original_partition, original_offset) DO NOTHING "
                  "RETURNING id, original_topic, original_partition, original_offset",
                  dead_letters_, false));
    CRVS_RETURN_IF_ERROR(UpdatePersons());
    CRVS_RETURN_IF_ERROR(WriteOffsets());
    AuditDeadLetters(opened);
    // Last: the audit append holds the chain's head until commit.
    CRVS_RETURN_IF_ERROR(AppendAudit(c_, audit_, absl::FromUnixMicros(now_us_), bulk_rows_));
    result.committed_at = absl::FromUnixMicros(now_us_);
    return result;
  }

 private:
  absl::Status CheckOffsets() {
    if (!batch_.offsets.empty() && batch_.group.value().empty()) {
      return absl::InvalidArgumentError("ApplyBatch.group: required to commit offsets");
    }
    for (const auto& o : batch_.offsets) {
      if (o.topic_partition.topic.value().empty() || o.topic_partition.partition.value() < 0 ||
          o.next_offset.value() < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("ApplyBatch.offsets: bad commit ", o.topic_partition.topic.value(), "/",
                         o.topic_partition.partition.value(), "@", o.next_offset.value()));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Bulk(const std::string& head, int columns, const std::string& tail,
                    const std::vector<Value>& values) {
    return Bulk({head, columns, tail}, values);
  }
  absl::Status Bulk(const sql::BulkStatement& statement, const std::vector<Value>& values) {
    if (values.empty()) return absl::OkStatus();
    return sql::ExecuteBulk(c_, statement, values, bulk_rows_).status();
  }

  absl::StatusOr<sql::Rows> BulkQuery(const std::string& head, int columns, const std::string& tail,
                                      const std::vector<Value>& values, bool bare) {
    return BulkQuery({head, columns, tail, bare}, values);
  }
  absl::StatusOr<sql::Rows> BulkQuery(const sql::BulkStatement& statement,
                                      const std::vector<Value>& values) {
    if (values.empty()) return sql::Rows{};
    return sql::ExecuteBulk(c_, statement, values, bulk_rows_);
  }

  // Reads the stored state of every business key and message id the batch names.
  absl::Status LoadState(const std::vector<absl::Status>& checks) {
    std::vector<Value> keys, message_ids;
    std::set<std::string_view> seen_keys, seen_messages;
    std::set<std::string> sources;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (!checks[i].ok()) continue;
      const auto& e = inputs_[i].envelope;
      if (seen_keys.insert(e.business_key()).second) keys.push_back(Value::TextRef(e.business_key()));
      if (seen_messages.insert(e.message_id()).second) {
        message_ids.push_back(Value::TextRef(e.message_id()));
      }
      sources.insert(records::FormatPrincipal(e.source()));
    }
    CRVS_ASSIGN_OR_RETURN(
        sql::Rows records,
        BulkQuery("SELECT business_key, kind, state, state_detail, current_version, "
                  "content_hash, source, issued_at_us, created_at_us, source_sequence FROM records "
                  "WHERE business_key IN (",
                  1, ")", keys, true));
    for (const auto& row : records) {
      KeyState& s = keys_[row[0].AsString()];
      s.exists = true;
      s.stored = true;
      s.kind = rules::ParseKind(row[1].AsString());
      s.state = rules::ParseState(row[2].AsString());
      s.state_detail = row[3].AsString();
      s.version = static_cast<int32_t>(row[4].AsInt());
      s.stored_version = s.version;
      s.current_hash = row[5].AsString();
      s.source = row[6].AsString();
      s.issued_at_us = row[7].AsInt();
      s.created_at_us = row[8].AsInt();
      s.source_sequence = row[9].AsInt();
    }
    CRVS_ASSIGN_OR_RETURN(sql::Rows hashes,
                          BulkQuery("SELECT business_key, content_hash FROM record_versions "
                                    "WHERE business_key IN (",
                                    1, ")", keys, true));
    for (const auto& row : hashes) keys_[row[0].AsString()].hashes.push_back(row[1].AsString());
    // A message applied before has a version row, or a row of its own when it made none.
    for (const char* table : {"record_versions", "unchanged_messages"}) {
      CRVS_ASSIGN_OR_RETURN(
          sql::Rows messages,
          BulkQuery(absl::StrCat("SELECT source, message_id, business_key, action, content_hash, "
                                 "version FROM ",
                                 table, " WHERE message_id IN ("),
                    1, ")", message_ids, true));
      for (const auto& row : messages) {
        if (!sources.count(row[0].AsString())) continue;  // the same id from another source
        applied_[{row[0].AsString(), row[1].AsString()}] =
            AppliedMessage{row[2].AsString(), rules::ParseAction(row[3].AsString()),
                           row[4].AsString(), static_cast<int32_t>(row[5].AsInt())};
      }
    }
    return absl::OkStatus();
  }

  RecordResult Decide(const Input& r) {
    const v1::RecordEnvelope& e = r.envelope;
    const std::string& key = e.business_key();
    KeyState& s = keys_[key];
    MessageKey mk{records::FormatPrincipal(e.source()), e.message_id()};

    auto it = applied_.find(mk);
    if (it != applied_.end()) {
      const AppliedMessage& m = it->second;
      if (m.business_key == key && m.action == e.action() && m.content_hash == e.content_hash()) {
        return {ApplyOutcome::kDuplicate, m.version, "", ""};
      }
      return Conflict(r, s, Refusal::kMessageIdReused,
                      absl::StrCat("message_id \"", e.message_id(), "\" of ", mk.first,
                                   " was already applied to ", m.business_key, " (",
                                   rules::ActionName(m.action), ") with other content"));
    }

    // Sources with their own ordering (a court's change stream or sequence) may deliver
    // events out of order: the newest position wins, whatever arrives last.
    const int64_t position = static_cast<int64_t>(e.source_sequence());
    if (position > 0 && s.exists && position <= s.source_sequence) {
      return Unchanged(e, ApplyOutcome::kStale, s.version);
    }
    const bool voided = s.exists && s.state == RecordState::kVoided;
    switch (e.action()) {
      case v1::ACTION_SUBMIT:
        if (!s.exists) return AddVersion(r, s, ApplyOutcome::kAppliedNew);
        if (voided) return Conflict(r, s, Refusal::kKeyVoided, VoidedMessage(key));
        if (std::find(s.hashes.begin(), s.hashes.end(), e.content_hash()) != s.hashes.end()) {
          return Unchanged(e, ApplyOutcome::kDuplicate, s.version);
        }
        return Conflict(r, s, Refusal::kSubmitOfOtherContent,
                        absl::StrCat("SUBMIT with different content for existing business key ",
                                     key, " (version ", s.version,
                                     "); a change must be sent as an AMEND with its reason"));
      case v1::ACTION_AMEND:
        if (!s.exists) return AddVersion(r, s, ApplyOutcome::kAppliedNew);
        if (voided) return Conflict(r, s, Refusal::kKeyVoided, VoidedMessage(key));
        if (e.content_hash() == s.current_hash) {
          return Unchanged(e, ApplyOutcome::kDuplicate, s.version);
        }
        return AddVersion(r, s, ApplyOutcome::kAppliedVersion);
      case v1::ACTION_VOID:
        if (voided) return Unchanged(e, ApplyOutcome::kDuplicate, s.version);
        return AddVersion(r, s, ApplyOutcome::kVoided);
      default:
        break;  // CheckEnvelope rejects any other action
    }
    return Invalid(r, absl::InvalidArgumentError("action: unknown"));
  }

  // A record the database already holds (DUPLICATE) or has newer than (STALE): no version, but
  // its message id is remembered, so its source learns the outcome and a later reuse of the id
  // for other content is a CONFLICT.
  RecordResult Unchanged(const v1::RecordEnvelope& e, ApplyOutcome outcome, int32_t version) {
    const std::string source = records::FormatPrincipal(e.source());
    if (applied_.emplace(MessageKey{source, e.message_id()},
                         AppliedMessage{e.business_key(), e.action(), e.content_hash(), version})
            .second) {
      sql::AppendRow(unchanged_, Value::TextRef(e.message_id()), Value::Text(source),
                     Value::TextRef(e.business_key()), Value::Text(rules::ActionName(e.action())),
                     Value::BlobRef(e.content_hash()), Value::Int(version), Value::Int(now_us_));
    }
    return {outcome, version, "", ""};
  }

  static std::string VoidedMessage(const std::string& key) {
    return absl::StrCat("business key ", key,
                        " is voided; a voided record cannot be submitted or amended again");
  }

  RecordResult AddVersion(const Input& r, KeyState& s, ApplyOutcome outcome) {
    const v1::RecordEnvelope& e = r.envelope;
    const std::string source = records::FormatPrincipal(e.source());
    if (!s.exists) {
      s.exists = true;
      s.kind = e.kind();
      s.source = source;
      s.created_at_us = now_us_;
      s.issued_at_us = Micros(e.issued_at());
    }
    s.version += 1;
    s.changed = true;
    s.source_sequence = std::max<int64_t>(s.source_sequence, static_cast<int64_t>(e.source_sequence()));
    s.current_hash = e.content_hash();
    s.hashes.push_back(e.content_hash());
    if (e.action() == v1::ACTION_VOID) {
      s.state = RecordState::kVoided;
      s.state_detail = absl::StrCat("voided: ", e.reason());
    } else {
      s.state = rules::StateOf(e, &s.state_detail);
      s.issued_at_us = Micros(e.issued_at());
      s.content = &e;
    }

    // An API write has no Kafka coordinates: topic "", partition and offset -1. A consumed
    // record's envelope is stored as received, bound without a copy (the batch outlives the
    // statement).
    const KafkaMessage* m = r.message;
    const std::string action = rules::ActionName(e.action());
    sql::AppendRow(versions_, Value::TextRef(e.business_key()), Value::Int(s.version),
                   Value::Text(action), Value::TextRef(e.reason()),
                   Value::BlobRef(e.content_hash()), Value::TextRef(e.message_id()),
                   Value::Text(source), Value::Int(Micros(e.issued_at())),
                   Value::Int(Micros(e.received_at())), Value::Int(now_us_),
                   Value::TextRef(m ? std::string_view(m->topic_partition.topic.value()) : ""),
                   Value::Int(m ? m->topic_partition.partition.value() : -1),
                   Value::Int(m ? m->offset.value() : -1),
                   m != nullptr && !m->value.empty() ? Value::BlobRef(m->value)
                                                     : Value::Blob(e.SerializeAsString()),
                   Value::Int(txn_));
    applied_[{source, e.message_id()}] =
        AppliedMessage{e.business_key(), e.action(), e.content_hash(), s.version};
    if (m != nullptr) {
      // Consumed records are audited per batch: one row chaining the digest of its versions.
      digest_.Add({e.business_key(), s.version, action, e.content_hash(), e.message_id(), source,
                   m->topic_partition.topic.value(), m->topic_partition.partition.value(),
                   m->offset.value()});
      batch_sources_.insert(source);
    } else {
      // The first record.applied row of the transaction covers its versions for the feeds.
      audit_.push_back(
          {source, "record.applied", e.business_key(),
           absl::StrCat("action=", action, " outcome=", std::string(ApplyOutcomeName(outcome)),
                        " version=", s.version, " message_id=",
                        absl::Utf8SafeCEscape(e.message_id()), " content_hash=",
                        absl::BytesToHexString(e.content_hash()), " ", Origin(r)),
           txn_stamped_ ? 0 : txn_});
      txn_stamped_ = true;
    }
    return {outcome, s.version, "", ""};
  }

  RecordResult Conflict(const Input& r, const KeyState& s, Refusal refusal, std::string message) {
    const std::string source = records::FormatPrincipal(r.envelope.source());
    Refuse(r, source, "CONFLICT", message, refusal);
    return {ApplyOutcome::kConflict, s.version, "CONFLICT", std::move(message), refusal};
  }

  RecordResult Invalid(const Input& r, const absl::Status& status) {
    std::string message(status.message());
    const std::string source =
        r.envelope.has_source() ? records::FormatPrincipal(r.envelope.source()) : "";
    Refuse(r, source, "VALIDATION", message, Refusal::kInvalidEnvelope);
    return {ApplyOutcome::kInvalid, 0, "VALIDATION", std::move(message),
            Refusal::kInvalidEnvelope};
  }

  // A consumed record refused becomes a dead letter (an operator can replay it once its cause
  // is fixed). A record written through the API does not: its client was told and resends; the
  // refusal is audited.
  void Refuse(const Input& r, const std::string& source, const std::string& error_class,
              const std::string& message, Refusal refusal) {
    const v1::RecordEnvelope& e = r.envelope;
    if (r.message != nullptr) {
      AddDeadLetter(*r.message, e.business_key(), error_class, message, 1, source, source,
                    e.message_id());
      return;
    }
    audit_.push_back(
        {source.empty() ? "system:store" : source, "record.refused",
         text::Printable(e.business_key()),
         absl::StrCat("action=", rules::ActionName(e.action()),
                      " refusal=", std::string(RefusalName(refusal)),
                      " error_class=", error_class, " message_id=",
                      absl::Utf8SafeCEscape(e.message_id()), " content_hash=",
                      absl::BytesToHexString(e.content_hash()), " ", Origin(r))});
  }

  // `actor`: the record's source when known, else the consumer group is named.
  void AddDeadLetter(const KafkaMessage& m, const std::string& business_key,
                     const std::string& error_class, const std::string& error_message,
                     int attempts, std::string actor, const std::string& source,
                     const std::string& message_id) {
    if (actor.empty()) {
      actor = batch_.group.value().empty() ? "system:store"
                                           : absl::StrCat("consumer_group:", batch_.group.value());
    }
    pending_dead_letters_[{m.topic_partition.topic.value(), m.topic_partition.partition.value(),
                           m.offset.value()}] = {std::move(actor), business_key, error_class};
    std::vector<KafkaHeader> headers;
    headers.reserve(m.headers.size());
    for (const auto& h : m.headers) {
      // A header name is a string field of the stored encoding: text only.
      headers.push_back({text::Printable(h.key), h.value});
    }
    sql::AppendRow(dead_letters_, Value::TextRef(m.topic_partition.topic.value()),
                   Value::Int(m.topic_partition.partition.value()), Value::Int(m.offset.value()),
                   // Text columns take only text: whatever bytes came are shown escaped.
                   Value::Text(text::Printable(business_key)), Value::BlobRef(m.key),
                   Value::BlobRef(m.value), Value::Blob(EncodeDeadLetterHeaders(headers)),
                   Value::Text(error_class),
                   Value::Text(text::Printable(error_message.substr(0, 1000))),
                   Value::Int(std::max(attempts, 1)), Value::Int(now_us_), Value::Text("OPEN"),
                   Value::Text(""), Value::Text(""), Value::Text(text::Printable(source)),
                   Value::Text(text::Printable(message_id)));
  }

  absl::Status WriteRecords() {
    std::vector<Value> rows;
    for (const auto& [key, s] : keys_) {
      if (!s.changed) continue;
      sql::AppendRow(rows, Value::TextRef(key), Value::Text(rules::KindName(s.kind)),
                     Value::Text(rules::StateName(s.state)), Value::TextRef(s.state_detail),
                     Value::Int(s.version), Value::BlobRef(s.current_hash),
                     Value::TextRef(s.source), Value::Int(s.issued_at_us),
                     Value::Int(s.created_at_us), Value::Int(now_us_),
                     Value::Int(s.source_sequence));
    }
    return Bulk(statements::kUpsertRecords, rows);
  }

  // The per-kind row of every key whose content this batch changed.
  absl::Status WriteDetails() {
    const DetailTable* tables[] = {&BirthCertificatesTable(), &DeathNoticesTable(),
                                   &DivorceDecisionsTable(), &RegistrationsTable()};
    std::vector<Value> rows[std::size(tables)];
    for (const auto& [key, s] : keys_) {
      if (s.content == nullptr) continue;
      DetailRow d = DetailRowOf(key, *s.content);
      for (size_t t = 0; t < std::size(tables); ++t) {
        if (d.table != tables[t]) continue;
        std::move(d.values.begin(), d.values.end(), std::back_inserter(rows[t]));
      }
    }
    for (size_t t = 0; t < std::size(tables); ++t) {
      CRVS_RETURN_IF_ERROR(Bulk(tables[t]->UpsertHead(),
                                static_cast<int>(tables[t]->columns.size()),
                                tables[t]->UpsertTail(), rows[t]));
    }
    return absl::OkStatus();
  }

  // Persons and their facts (persons.facts, what each record in force says about them). The
  // people a changed record names now, and those its stored content named before (an AMEND or
  // VOID of a record the database held: its previous version's facts leave), are derived
  // again; a person whose facts come out the same is not written.
  //  - One the database does not hold yet is inserted once, derived from this batch's facts
  //    (INSERT ... ON CONFLICT DO NOTHING RETURNING). No committed row means no committed
  //    facts; a concurrent writer inserting the same person waits on the unique key, and
  //    whichever comes second reads the row and merges into it, as below.
  //  - One the database holds is read with its facts and locked first (PostgreSQL: SELECT ...
  //    FOR UPDATE in personal-ID order; SQLite runs one writer at a time), then written again.
  //    READ COMMITTED takes a new snapshot per statement, so the later of two concurrent
  //    writers merges into every fact the earlier one committed.
  absl::Status UpdatePersons() {
    std::set<std::string> replaced;  // stored keys whose facts this batch replaces
    std::map<std::string, std::vector<rules::PersonFact>> added;  // by person: new facts
    std::set<std::string> affected;
    std::vector<Value> previous;  // (business_key, version) of the replaced keys' content
    for (const auto& [key, s] : keys_) {
      if (!s.changed) continue;
      if (s.stored) {
        replaced.insert(key);
        sql::AppendRow(previous, Value::TextRef(key), Value::Int(s.stored_version));
      }
      if (s.state == RecordState::kVoided || s.content == nullptr) continue;
      for (auto& f : rules::FactsOf(*s.content)) {
        affected.insert(f.personal_id);
        added[f.personal_id].push_back(std::move(f));
      }
    }
    CRVS_ASSIGN_OR_RETURN(
        sql::Rows before,
        BulkQuery("SELECT envelope FROM record_versions WHERE (business_key, version) IN "
                  "(VALUES ",
                  2, ")", previous, false));
    for (const auto& row : before) {
      v1::RecordEnvelope old;
      if (!old.ParseFromString(row[0].AsString())) {
        return absl::DataLossError("record_versions.envelope: a stored version does not parse");
      }
      for (const auto& f : rules::FactsOf(old)) affected.insert(f.personal_id);
    }
    if (affected.empty()) return absl::OkStatus();

    std::vector<Value> ids;
    for (const std::string& id : affected) ids.push_back(Value::TextRef(id));  // in ID order
    std::map<std::string, std::string> held;  // person → stored facts text
    const std::string lock = c_.dialect() == sql::Dialect::kPostgres ? " FOR UPDATE" : "";
    auto read_held = [&](const std::vector<Value>& which) -> absl::Status {
      CRVS_ASSIGN_OR_RETURN(
          sql::Rows rows,
          BulkQuery("SELECT personal_id, facts FROM persons WHERE personal_id IN (", 1,
                    ") ORDER BY personal_id" + lock, which, true));
      for (auto& row : rows) held[row[0].AsString()] = row[1].AsString();
      return absl::OkStatus();
    };
    CRVS_RETURN_IF_ERROR(read_held(ids));

    std::deque<std::string> texts;  // keeps the text bound below alive
    auto append_person = [&](std::vector<Value>& rows, const std::string& id,
                             const std::vector<rules::PersonFact>& facts) {
      rules::DerivedPerson p = rules::DerivePerson(facts);
      texts.push_back(absl::StrJoin(p.evidence_keys, "\n"));
      const std::string& evidence = texts.back();
      texts.push_back(rules::FormatFacts(facts));
      sql::AppendRow(rows, Value::TextRef(id), Value::Text(rules::VitalName(p.vital_status)),
                     Value::TextOrNull(std::move(p.date_of_death)),
                     Value::Text(rules::MaritalName(p.marital_status)),
                     Value::TextOrNull(std::move(p.marital_since)), Value::TextRef(evidence),
                     Value::Int(now_us_), Value::TextRef(texts.back()));
    };
    static const std::vector<rules::PersonFact> kNoFacts;
    auto facts_added = [&](const std::string& id) -> const std::vector<rules::PersonFact>& {
      auto it = added.find(id);
      return it == added.end() ? kNoFacts : it->second;
    };

    // People new to the database.
    std::vector<Value> fresh;
    std::vector<Value> fresh_ids;
    for (const std::string& id : affected) {
      if (held.count(id) || !added.count(id)) continue;
      append_person(fresh, id, facts_added(id));
      fresh_ids.push_back(Value::TextRef(id));
    }
    CRVS_ASSIGN_OR_RETURN(sql::Rows inserted, BulkQuery(statements::kInsertNewPersons, fresh));
    if (inserted.size() * 8 != fresh.size()) {  // someone inserted some of them meanwhile
      std::set<std::string> done;
      for (const auto& row : inserted) done.insert(row[0].AsString());
      std::vector<Value> raced;
      for (const auto& id : fresh_ids) {
        if (!done.count(std::string(id.Bytes()))) raced.push_back(id);
      }
      CRVS_RETURN_IF_ERROR(read_held(raced));
    }

    // People the database holds: their facts without the replaced keys', plus the new ones.
    std::vector<Value> persons;
    for (const auto& [id, text] : held) {
      std::vector<rules::PersonFact> stored = rules::ParseFacts(id, text);
      std::vector<rules::PersonFact> facts;
      for (auto& f : stored) {
        if (!replaced.count(f.business_key)) facts.push_back(std::move(f));
      }
      for (const auto& f : facts_added(id)) facts.push_back(f);
      std::string merged = rules::FormatFacts(facts);
      if (merged == rules::FormatFacts(rules::ParseFacts(id, text))) continue;  // unchanged
      append_person(persons, id, facts);
    }
    return Bulk(statements::kUpsertPersons, persons);
  }

  absl::Status WriteOffsets() {
    std::map<TopicPartition, const OffsetCommit*> next;  // the furthest commit per partition
    for (const auto& o : batch_.offsets) {
      const OffsetCommit*& n = next[o.topic_partition];
      if (n == nullptr || o.next_offset.value() > n->next_offset.value()) n = &o;
    }
    std::vector<Value> rows;
    rows.reserve(next.size() * 6);
    for (const auto& [tp, o] : next) {
      rows.push_back(Value::Text(batch_.group.value()));
      rows.push_back(Value::Text(tp.topic.value()));
      rows.push_back(Value::Int(tp.partition.value()));
      rows.push_back(Value::Int(o->next_offset.value()));
      rows.push_back(Value::Int(now_us_));
      rows.push_back(o->last_fingerprint ? Value::Int(*o->last_fingerprint) : Value::Null());
    }
    // Only offsets that moved come back (a late or repeated commit moves none).
    CRVS_ASSIGN_OR_RETURN(sql::Rows moved, BulkQuery(statements::kUpsertOffsets, rows));
    if (moved.empty()) return absl::OkStatus();
    std::vector<std::string> positions;
    for (const auto& row : moved) {
      positions.push_back(
          absl::StrCat(row[0].AsString(), "[", row[1].AsInt(), "]=", row[2].AsInt()));
    }
    std::sort(positions.begin(), positions.end());
    next_positions_ = absl::StrCat("next=", absl::StrJoin(positions, ","));
    return absl::OkStatus();
  }

  // Audit rows of the dead letters the insert opened (in id order), then the batch's row (its
  // versions and offsets), or the offsets' alone when it made no version.
  void AuditDeadLetters(const sql::Rows& opened) {
    std::vector<std::pair<int64_t, const sql::Row*>> by_id;
    for (const auto& row : opened) by_id.emplace_back(row[0].AsInt(), &row);
    std::sort(by_id.begin(), by_id.end());
    for (const auto& [id, row] : by_id) {
      const sql::Row& r = *row;
      auto it = pending_dead_letters_.find({r[1].AsString(), r[2].AsInt(), r[3].AsInt()});
      if (it == pending_dead_letters_.end()) continue;  // cannot happen: we inserted it
      const PendingDeadLetter& p = it->second;
      audit_.push_back({p.actor, "dead_letter.opened", absl::StrCat("dead_letter/", id),
                        absl::StrCat("error_class=", p.error_class, " business_key=",
                                     absl::Utf8SafeCEscape(p.business_key), " topic=",
                                     r[1].AsString(), " partition=", r[2].AsInt(),
                                     " offset=", r[3].AsInt())});
    }
    const std::string group = batch_.group.value();
    const std::string actor =
        group.empty() ? "system:store" : absl::StrCat("consumer_group:", group);
    const std::string subject =
        group.empty() ? "system:store" : absl::StrCat("consumer_group/", group);
    if (digest_.count() > 0) {
      // The batch's versions in one row: their count, sources and digest (audit.h), and the
      // offsets committed with them.
      std::string detail =
          absl::StrCat("versions=", digest_.count(), " sources=", absl::StrJoin(batch_sources_, ","),
                       " digest=", digest_.Hex());
      if (!next_positions_.empty()) absl::StrAppend(&detail, " ", next_positions_);
      audit_.push_back(
          {actor, "batch.applied", subject, std::move(detail), txn_stamped_ ? 0 : txn_});
      txn_stamped_ = true;
    } else if (!next_positions_.empty()) {
      audit_.push_back({actor, "offsets.committed", subject, next_positions_});
    }
  }

  sql::Connection& c_;
  const ApplyBatch& batch_;
  const std::vector<Input> inputs_;
  const int64_t now_us_;
  const int bulk_rows_;

  std::map<std::string, KeyState> keys_;  // ordered: rows are written in key order
  std::map<MessageKey, AppliedMessage> applied_;
  std::vector<Value> versions_, unchanged_, dead_letters_;  // rows to insert, row-major
  std::map<SourcePosition, PendingDeadLetter> pending_dead_letters_;
  VersionsDigest digest_;                 // of the consumed records' new versions
  std::set<std::string> batch_sources_;   // their sources
  std::string next_positions_;            // "next=topic[p]=o,...": offsets that moved
  std::vector<AuditEntry> audit_;  // appended last, in this order
  int64_t txn_ = 0;                // stamped on every version this transaction writes
  bool txn_stamped_ = false;       // on an audit row (exactly one covers the versions)
};

}  // namespace

absl::StatusOr<BatchResult> ApplyInTransaction(sql::Connection& connection, const ApplyBatch& batch,
                                               absl::Time now, int bulk_rows) {
  std::vector<Input> inputs;
  inputs.reserve(batch.records.size());
  for (const InboundRecord& r : batch.records) inputs.push_back({r.envelope, &r.message});
  return BatchApplier(connection, batch, std::move(inputs), now, bulk_rows).Run();
}

absl::StatusOr<WriteResult> WriteInTransaction(sql::Connection& connection,
                                               const v1::RecordEnvelope& envelope, absl::Time now,
                                               int bulk_rows) {
  static const ApplyBatch kNothingConsumed;
  CRVS_ASSIGN_OR_RETURN(
      BatchResult applied,
      BatchApplier(connection, kNothingConsumed, {{envelope, nullptr}}, now, bulk_rows).Run());
  WriteResult result{std::move(applied.records.at(0)), applied.committed_at};
  if (result.record.outcome != ApplyOutcome::kDuplicate) return result;
  // The answer the first submission got: when the version it matches was committed.
  CRVS_ASSIGN_OR_RETURN(
      sql::Rows rows,
      connection.Execute("SELECT committed_at_us FROM record_versions "
                         "WHERE business_key = $1 AND version = $2",
                         {Value::Text(envelope.business_key()), Value::Int(result.record.version)}));
  if (rows.empty()) {
    return absl::InternalError(absl::StrCat("duplicate of version ", result.record.version, " of ",
                                            envelope.business_key(),
                                            ", which the database does not hold"));
  }
  result.committed_at = absl::FromUnixMicros(rows[0][0].AsInt());
  return result;
}

}  // namespace crvs::store
