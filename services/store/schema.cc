#include "services/store/schema.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_replace.h>
#include <absl/time/clock.h>

#include <algorithm>
#include <set>
#include <vector>

#include "services/platform/logging.h"
#include "services/platform/status.h"
#include "services/store/audit.h"

namespace crvs::store {
namespace {

struct Migration {
  int version;
  const char* name;
  const char* ddl;
};

// Times are microseconds since the Unix epoch, UTC (`*_at_us`); calendar dates are
// 'YYYY-MM-DD' text; enums are their proto names without the prefix ('SUBMIT', 'VOIDED').
constexpr Migration kMigrations[] = {
    {1, "civil-status records, persons, offsets, dead letters", R"sql(
-- One row per business key: the record's current state.
CREATE TABLE records (
  business_key    TEXT PRIMARY KEY,
  kind            TEXT NOT NULL,              -- BIRTH_CERTIFICATE, DEATH_NOTICE, ...
  state           TEXT NOT NULL,              -- ACTIVE, VOIDED, PENDING_EFFECT, EFFECTIVE, SET_ASIDE
  state_detail    TEXT NOT NULL,
  current_version {INT} NOT NULL,
  content_hash    {BYTES} NOT NULL,           -- of the current version
  source          TEXT NOT NULL,              -- first version's source, "facility:BV79001"
  issued_at_us    {INT} NOT NULL,             -- issued_at of the latest content (not of a VOID)
  created_at_us   {INT} NOT NULL,
  updated_at_us   {INT} NOT NULL
){STRICT};
CREATE INDEX records_by_source ON records (source, issued_at_us, business_key);
CREATE INDEX records_by_issued ON records (issued_at_us, business_key);

-- Every applied submission, never updated or deleted.
CREATE TABLE record_versions (
  business_key    TEXT NOT NULL,
  version         {INT} NOT NULL,             -- 1, 2, ...
  action          TEXT NOT NULL,              -- SUBMIT, AMEND, VOID
  reason          TEXT NOT NULL,
  content_hash    {BYTES} NOT NULL,
  message_id      TEXT NOT NULL,
  source          TEXT NOT NULL,
  issued_at_us    {INT} NOT NULL,
  received_at_us  {INT} NOT NULL,
  committed_at_us {INT} NOT NULL,
  kafka_topic     TEXT NOT NULL,
  kafka_partition {INT} NOT NULL,
  kafka_offset    {INT} NOT NULL,
  envelope        {BYTES} NOT NULL,           -- crvs.records.v1.RecordEnvelope as received
  PRIMARY KEY (business_key, version)
){STRICT};

-- Per-kind columns of each record's latest content, for queries and indicators.
CREATE TABLE birth_certificates (
  business_key        TEXT PRIMARY KEY,
  facility_code       TEXT NOT NULL,
  certificate_no      TEXT NOT NULL,
  born_on             TEXT,                   -- local date of birth
  born_at_us          {INT},
  birth_commune_code  TEXT,
  in_facility         {INT} NOT NULL,
  mother_personal_id  TEXT,
  issued_at_us        {INT} NOT NULL
){STRICT};

CREATE TABLE death_notices (
  business_key         TEXT PRIMARY KEY,
  facility_code        TEXT NOT NULL,
  notice_no            TEXT NOT NULL,
  deceased_personal_id TEXT,
  died_on              TEXT,                  -- local date of death
  died_at_us           {INT},
  death_commune_code   TEXT,
  in_facility          {INT} NOT NULL,
  underlying_icd10     TEXT,
  issued_at_us         {INT} NOT NULL
){STRICT};

CREATE TABLE divorce_decisions (
  business_key          TEXT PRIMARY KEY,
  court_code            TEXT NOT NULL,
  decision_no           TEXT NOT NULL,
  decision_kind         TEXT NOT NULL,        -- JUDGMENT, CONSENSUAL_RECOGNITION, ANNULMENT
  decision_date         TEXT,
  legal_effect_date     TEXT,                 -- NULL while pending
  spouse_a_personal_id  TEXT,
  spouse_b_personal_id  TEXT,
  set_aside_on          TEXT,
  set_aside_by          TEXT,
  issued_at_us          {INT} NOT NULL
){STRICT};

CREATE TABLE registrations (
  business_key         TEXT PRIMARY KEY,
  registry_office_code TEXT NOT NULL,
  book                 TEXT NOT NULL,
  registration_no      TEXT NOT NULL,
  registration_kind    TEXT NOT NULL,         -- BIRTH, DEATH, DIVORCE_NOTED
  registration_date    TEXT,
  event_date           TEXT,
  subject_personal_id  TEXT,
  linked_key           TEXT,                  -- business key of the certificate/notice/decision
  recorded_at_us       {INT} NOT NULL
){STRICT};
CREATE INDEX registrations_by_linked_key ON registrations (linked_key);

-- What each non-voided record says about a person; persons are derived from these.
CREATE TABLE person_facts (
  personal_id  TEXT NOT NULL,
  business_key TEXT NOT NULL,
  fact         TEXT NOT NULL,                 -- MENTIONED, DEATH_NOTICE, DEATH_REGISTERED,
                                              -- DIVORCED, ANNULLED, DIVORCE_SET_ASIDE
  fact_date    TEXT,
  PRIMARY KEY (personal_id, business_key, fact)
){STRICT};
CREATE INDEX person_facts_by_key ON person_facts (business_key);

CREATE TABLE persons (
  personal_id     TEXT PRIMARY KEY,
  vital_status    TEXT NOT NULL,              -- UNKNOWN, ALIVE, DECEASED
  date_of_death   TEXT,
  marital_status  TEXT NOT NULL,              -- UNKNOWN, MARRIED, DIVORCED, ANNULLED
  marital_since   TEXT,
  evidence_keys   TEXT NOT NULL,              -- business keys, most relevant first, '\n'-separated
  updated_at_us   {INT} NOT NULL
){STRICT};

-- Idempotency: every applied (source, message_id). Keyed by message_id first: the batch
-- looks its ids up with one IN list (message ids are unique per source, near-unique overall).
CREATE TABLE message_ids (
  message_id      TEXT NOT NULL,
  source          TEXT NOT NULL,
  business_key    TEXT NOT NULL,
  action          TEXT NOT NULL,
  content_hash    {BYTES} NOT NULL,
  version         {INT} NOT NULL,
  committed_at_us {INT} NOT NULL,
  PRIMARY KEY (message_id, source)
){STRICT};

-- Next offset to consume per (group, topic, partition), committed with the rows it covers.
CREATE TABLE consumed_offsets (
  consumer_group  TEXT NOT NULL,
  topic           TEXT NOT NULL,
  kafka_partition {INT} NOT NULL,
  next_offset     {INT} NOT NULL,
  updated_at_us   {INT} NOT NULL,
  PRIMARY KEY (consumer_group, topic, kafka_partition)
){STRICT};

CREATE TABLE dead_letters (
  id                 {ID},
  original_topic     TEXT NOT NULL,
  original_partition {INT} NOT NULL,
  original_offset    {INT} NOT NULL,
  business_key       TEXT NOT NULL,
  kafka_key          {BYTES} NOT NULL,
  payload            {BYTES} NOT NULL,
  headers            {BYTES} NOT NULL,        -- crvs.admin.v1.DeadLetter with only `headers`
  error_class        TEXT NOT NULL,           -- DECODE, SCHEMA_VERSION, VALIDATION, CONFLICT, ...
  error_message      TEXT NOT NULL,
  attempts           {INT} NOT NULL,
  failed_at_us       {INT} NOT NULL,
  state              TEXT NOT NULL,           -- OPEN, REPLAYED, DISCARDED
  resolved_at_us     {INT},
  resolved_by        TEXT NOT NULL,
  resolution_note    TEXT NOT NULL,
  UNIQUE (original_topic, original_partition, original_offset)
){STRICT};
CREATE INDEX dead_letters_by_state ON dead_letters (state, id);

-- Offsets a consumer group never read because retention dropped them first.
CREATE TABLE lost_offset_ranges (
  consumer_group  TEXT NOT NULL,
  topic           TEXT NOT NULL,
  kafka_partition {INT} NOT NULL,
  from_offset     {INT} NOT NULL,             -- first lost offset
  to_offset       {INT} NOT NULL,             -- first offset still available (exclusive end)
  detected_at_us  {INT} NOT NULL,
  PRIMARY KEY (consumer_group, topic, kafka_partition, from_offset)
){STRICT};
)sql"},
    {2, "records keep the source's own position of their latest version", R"sql(
-- The source's ordering position (court stream sequence, change-stream LSN) of the newest
-- version applied; 0 when the source has none. An event at or below it is stale.
ALTER TABLE records ADD COLUMN source_sequence {INT} NOT NULL DEFAULT 0;
)sql"},
    {3, "reconciliation: manifests the sources declare", R"sql(
-- A source's statement of what it issued in a period (crvs.reconcile.v1.Manifest). Declaring
-- the same (source, manifest_id), or the same source, kind, backlog flag and period again,
-- replaces it.
CREATE TABLE manifests (
  source          TEXT NOT NULL,              -- "facility:BV79001"
  manifest_id     TEXT NOT NULL,
  kind            TEXT NOT NULL,              -- BIRTH_CERTIFICATE, DEATH_NOTICE, DIVORCE_DECISION
  period_start    TEXT NOT NULL,              -- local dates, inclusive
  period_end      TEXT NOT NULL,
  backlog         {INT} NOT NULL,             -- 1 for a court's backlog inventory (V2)
  entries         {INT} NOT NULL,
  declared_at_us  {INT} NOT NULL,
  declared_by     TEXT NOT NULL,              -- the caller (the source itself or an operator)
  PRIMARY KEY (source, manifest_id)
){STRICT};
CREATE INDEX manifests_by_period ON manifests (kind, backlog, period_start, period_end);

-- The records a manifest declares. content_hash is empty when not declared; issued_at_us is 0
-- when not declared (backlog inventories).
CREATE TABLE manifest_entries (
  source          TEXT NOT NULL,
  manifest_id     TEXT NOT NULL,
  business_key    TEXT NOT NULL,
  content_hash    {BYTES} NOT NULL,
  issued_at_us    {INT} NOT NULL,
  PRIMARY KEY (source, manifest_id, business_key)
){STRICT};
CREATE INDEX manifest_entries_by_key ON manifest_entries (business_key);
)sql"},
    {4, "indicators: events by date", R"sql(
-- The indicators select the events of a period by their date (docs/indicators.md).
CREATE INDEX birth_certificates_by_born_on ON birth_certificates (born_on);
CREATE INDEX death_notices_by_died_on ON death_notices (died_on);
CREATE INDEX death_notices_by_issued ON death_notices (issued_at_us);
CREATE INDEX registrations_by_event ON registrations (registration_kind, event_date);
)sql"},
    {5, "tamper-evident audit trail", R"sql(
-- Every applied record, dead letter, offset movement, operator action and migration, in one
-- SHA-256 hash chain (services/store/audit.h): rows are only ever appended, in the
-- transaction of the change they record. No personal IDs or names.
CREATE TABLE audit_log (
  seq        {INT} PRIMARY KEY,               -- 1, 2, ... without gaps
  at_us      {INT} NOT NULL,
  actor      TEXT NOT NULL,                   -- principal: "facility:BV79001", "operator:lan"
  action     TEXT NOT NULL,                   -- record.applied, dead_letter.discarded, ...
  subject    TEXT NOT NULL,                   -- business key, "dead_letter/42", ...
  detail     TEXT NOT NULL,                   -- key=value pairs
  prev_hash  {BYTES} NOT NULL,                -- hash of row seq-1 (32 zero bytes for row 1)
  hash       {BYTES} NOT NULL                 -- SHA-256 over prev_hash and this row
){STRICT};

-- The end of the chain: a deleted tail shows as a head past the last row.
CREATE TABLE audit_head (
  id    {INT} PRIMARY KEY CHECK (id = 1),
  seq   {INT} NOT NULL,
  hash  {BYTES} NOT NULL
){STRICT};
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, {ZERO_HASH});
)sql"},
    {6, "offset alarms: log resets, fingerprints of the last consumed message, acknowledgements",
     R"sql(
-- Identity of the message at next_offset - 1 (services/store/store.h, OffsetCommit): lets a
-- consumer tell the log it consumed from a new log that reuses its offsets (topic deleted and
-- re-created, the embedded in-memory broker restarted). NULL when unknown.
ALTER TABLE consumed_offsets ADD COLUMN last_fingerprint {INT};

-- A partition whose log no longer holds what the group consumed: the stored position was moved
-- down to the log start, and the new log is read from there (message ids make that safe).
CREATE TABLE log_resets (
  id                 {ID},
  consumer_group     TEXT NOT NULL,
  topic              TEXT NOT NULL,
  kafka_partition    {INT} NOT NULL,
  stored_offset      {INT} NOT NULL,           -- the position the database held
  log_start          {INT} NOT NULL,           -- the log found: its first offset ...
  log_end            {INT} NOT NULL,           -- ... and its end (next offset to be written)
  reason             TEXT NOT NULL,            -- BEYOND_LOG_END, LOG_REPLACED
  detected_at_us     {INT} NOT NULL,
  acknowledged_at_us {INT},                    -- NULL until an operator acknowledges it
  acknowledged_by    TEXT NOT NULL,
  acknowledgement_note TEXT NOT NULL
){STRICT};
CREATE INDEX log_resets_by_group ON log_resets (consumer_group, acknowledged_at_us);

-- Lost ranges are alarms too: acknowledged by an operator once re-sends were requested.
ALTER TABLE lost_offset_ranges ADD COLUMN acknowledged_at_us {INT};
ALTER TABLE lost_offset_ranges ADD COLUMN acknowledged_by TEXT NOT NULL DEFAULT '';
ALTER TABLE lost_offset_ranges ADD COLUMN acknowledgement_note TEXT NOT NULL DEFAULT '';
)sql"},
    {7, "dead letters name the source and message id, so the source hears the outcome", R"sql(
-- Set when the record's envelope could be read; '' otherwise. GetReceipt and the gateway's
-- database receipts look a message id up here when it is not in message_ids.
ALTER TABLE dead_letters ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE dead_letters ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
CREATE INDEX dead_letters_by_message ON dead_letters (message_id);
)sql"},
    {8, "outcomes by source, in the order they were reached (PullOutcomes)", R"sql(
CREATE INDEX message_ids_by_source ON message_ids (source, committed_at_us, message_id);
CREATE INDEX dead_letters_by_source ON dead_letters (source, failed_at_us, message_id);
)sql"},
    {9, "manifests as declared on any day: entries dated, replaced declarations kept", R"sql(
-- When each entry was declared (an append that changes an entry declares it again); 0 for
-- entries declared before this migration.
ALTER TABLE manifest_entries ADD COLUMN declared_at_us {INT} NOT NULL DEFAULT 0;

-- A manifest header, and entries, as they were before a re-declaration or an extension
-- replaced them (superseded_at_us): a report "as known on" a past day counts what was declared
-- then (docs/indicators.md, "Common rules"). Only ever inserted.
CREATE TABLE superseded_manifests (
  source           TEXT NOT NULL,
  manifest_id      TEXT NOT NULL,
  kind             TEXT NOT NULL,
  period_start     TEXT NOT NULL,
  period_end       TEXT NOT NULL,
  backlog          {INT} NOT NULL,
  entries          {INT} NOT NULL,
  declared_at_us   {INT} NOT NULL,
  declared_by      TEXT NOT NULL,
  superseded_at_us {INT} NOT NULL,
  PRIMARY KEY (source, manifest_id, declared_at_us)
){STRICT};
CREATE TABLE superseded_manifest_entries (
  source           TEXT NOT NULL,
  manifest_id      TEXT NOT NULL,
  business_key     TEXT NOT NULL,
  content_hash     {BYTES} NOT NULL,
  issued_at_us     {INT} NOT NULL,
  declared_at_us   {INT} NOT NULL,
  superseded_at_us {INT} NOT NULL,
  PRIMARY KEY (source, manifest_id, business_key, declared_at_us)
){STRICT};
)sql"},
    {10, "operator accounts of the console", R"sql(
-- People who sign in to the console with a password (services/operators): an argon2id hash
-- (libsodium crypto_pwhash_str), a role and a scope. Never deleted: disabled, so that the
-- audit trail's names keep meaning someone.
CREATE TABLE operators (
  name             TEXT PRIMARY KEY,          -- the "lan" of operator:lan
  role             TEXT NOT NULL,             -- VIEWER, OPERATOR, ADMIN
  province_code    TEXT NOT NULL,             -- '' = national
  password_hash    TEXT NOT NULL,
  disabled         {INT} NOT NULL,
  failed_logins    {INT} NOT NULL,            -- consecutive, since the last success
  locked_until_us  {INT} NOT NULL,            -- 0: not locked
  created_at_us    {INT} NOT NULL,
  updated_at_us    {INT} NOT NULL
){STRICT};
)sql"},
    {11, "message ids live on record versions; only outcomes without a version keep a row", R"sql(
-- A message that made a version is found by its version row: (message_id, source) is unique
-- there, and PullOutcomes reads a source's versions in commit order.
CREATE UNIQUE INDEX record_versions_by_message ON record_versions (message_id, source);
CREATE INDEX record_versions_by_source ON record_versions (source, committed_at_us, message_id);

-- Messages applied without a version (DUPLICATE of content already held, STALE): remembered so
-- their source learns the outcome and a later reuse of the id for other content is a CONFLICT.
CREATE TABLE unchanged_messages (
  message_id      TEXT NOT NULL,
  source          TEXT NOT NULL,
  business_key    TEXT NOT NULL,
  action          TEXT NOT NULL,
  content_hash    {BYTES} NOT NULL,
  version         {INT} NOT NULL,             -- the version it matched
  committed_at_us {INT} NOT NULL,
  PRIMARY KEY (message_id, source)
){STRICT};
CREATE INDEX unchanged_messages_by_source ON unchanged_messages (source, committed_at_us, message_id);
INSERT INTO unchanged_messages
  SELECT m.message_id, m.source, m.business_key, m.action, m.content_hash, m.version,
         m.committed_at_us
  FROM message_ids m
  WHERE NOT EXISTS (SELECT 1 FROM record_versions v
                    WHERE v.message_id = m.message_id AND v.source = m.source);
DROP TABLE message_ids;

-- Every applied (source, message_id), with or without a version: what the readers of outcomes
-- (GetReceipt, PullOutcomes, the gateway's database receipts) look up.
CREATE VIEW applied_messages AS
  SELECT message_id, source, business_key, action, content_hash, version, committed_at_us
    FROM record_versions
  UNION ALL
  SELECT message_id, source, business_key, action, content_hash, version, committed_at_us
    FROM unchanged_messages;
)sql"},
    {12, "a person's facts live on the person's row", R"sql(
-- What each record in force says about the person (record_rules.h, FormatFacts): one line per
-- fact, "business_key TAB fact TAB date". Until this migration each fact was a row of
-- person_facts, written and indexed twice more for every record.
ALTER TABLE persons ADD COLUMN facts TEXT NOT NULL DEFAULT '';
UPDATE persons SET facts = COALESCE((SELECT {FACT_LINES} FROM person_facts f
                                     WHERE f.personal_id = persons.personal_id), '');
DROP TABLE person_facts;
)sql"},
    {13, "feeds out: each transaction's versions are found from its audit row", R"sql(
-- The outbound feeds (services/feeds) read record versions in commit order. Versions are the
-- outbox: written in the transaction of the change they are, never updated or deleted. A
-- transaction that writes versions takes a number (txn) and stamps it on them and on the ONE
-- audit row that covers them (batch.applied, or an API write's record.applied). Audit rows are
-- appended under the chain's head lock, held until commit, so their seq order is commit order
-- even with several sinks on PostgreSQL, where a sequence alone would not be: the feed reads
-- audit rows by seq and joins their versions by txn. NULL before this migration.
ALTER TABLE record_versions ADD COLUMN txn {INT};
ALTER TABLE audit_log ADD COLUMN txn {INT};
CREATE INDEX record_versions_by_txn ON record_versions (txn) WHERE txn IS NOT NULL;
CREATE UNIQUE INDEX audit_log_by_txn ON audit_log (txn) WHERE txn IS NOT NULL;
{TXN_SEQUENCE}

-- Each subscriber's acknowledged position in its feed (services/feeds): the audit seq of a
-- transaction and the ordinal of an event in it (-1: all of it), and an operator's pause.
CREATE TABLE feed_cursors (
  subscriber      TEXT PRIMARY KEY,
  acked_seq       {INT} NOT NULL,
  acked_ordinal   {INT} NOT NULL,
  acked_at_us     {INT} NOT NULL,             -- 0: never acknowledged
  delivered_seq   {INT} NOT NULL,             -- furthest position handed out (lag, console)
  delivered_at_us {INT} NOT NULL,
  paused          {INT} NOT NULL,
  paused_by       TEXT NOT NULL,
  last_error      TEXT NOT NULL,
  updated_at_us   {INT} NOT NULL
){STRICT};
)sql"},
};

std::string ForDialect(const std::string& ddl, sql::Dialect dialect) {
  if (dialect == sql::Dialect::kSqlite) {
    return absl::StrReplaceAll(ddl, {{"{INT}", "INTEGER"},
                                     {"{BYTES}", "BLOB"},
                                     {"{ID}", "INTEGER PRIMARY KEY AUTOINCREMENT"},
                                     {"{ZERO_HASH}", "zeroblob(32)"},
                                     {"{FACT_LINES}",
                                      "group_concat(replace(f.business_key, '%', '%25') || "
                                      "char(9) || f.fact || char(9) || COALESCE(f.fact_date, ''), "
                                      "char(10))"},
                                     {"{TXN_SEQUENCE}", ""},
                                     {"{STRICT}", " STRICT"}});
  }
  return absl::StrReplaceAll(ddl, {{"{INT}", "BIGINT"},
                                   {"{BYTES}", "BYTEA"},
                                   {"{ID}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
                                   {"{ZERO_HASH}", "decode(repeat('00', 32), 'hex')"},
                                   {"{FACT_LINES}",
                                    "string_agg(replace(f.business_key, '%', '%25') || chr(9) || "
                                    "f.fact || chr(9) || COALESCE(f.fact_date, ''), chr(10) "
                                    "ORDER BY f.business_key, f.fact)"},
                                   {"{TXN_SEQUENCE}", "CREATE SEQUENCE feed_txn;"},
                                   {"{STRICT}", ""}});
}

// The migration that creates the audit trail.
constexpr int kFirstAuditedVersion = 5;

// Arbitrary constant naming the advisory lock that serializes migrations on PostgreSQL.
constexpr int64_t kMigrationLockId = 0x63727673;  // "crvs"

absl::StatusOr<int> MigrateInTransaction(sql::Connection& c, int up_to) {
  if (c.dialect() == sql::Dialect::kPostgres) {
    absl::Status locked =
        c.ExecScript(absl::StrCat("SELECT pg_advisory_xact_lock(", kMigrationLockId, ")"));
    if (!locked.ok()) return locked;
  }
  absl::Status created = c.ExecScript(ForDialect(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version {INT} PRIMARY KEY, name TEXT NOT NULL, applied_at_us {INT} NOT NULL){STRICT}",
      c.dialect()));
  if (!created.ok()) return created;
  auto rows = c.Execute("SELECT version FROM schema_migrations", {});
  if (!rows.ok()) return rows.status();
  std::set<int64_t> applied;
  for (const auto& row : *rows) applied.insert(row[0].AsInt());
  if (!applied.empty() && *applied.rbegin() > LatestSchemaVersion()) {
    return absl::FailedPreconditionError(absl::StrCat("database schema version ", *applied.rbegin(),
                                                      " is newer than this binary's ",
                                                      LatestSchemaVersion()));
  }
  auto log = logging::Get("store");
  std::vector<AuditEntry> audit;
  const bool upgrade = !applied.empty();
  int version = applied.empty() ? 0 : static_cast<int>(*applied.rbegin());
  for (const Migration& m : kMigrations) {
    if (applied.count(m.version)) continue;
    if (m.version > up_to) break;
    version = m.version;
    absl::Status status = c.ExecScript(ForDialect(m.ddl, c.dialect()));
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat("migration ", m.version, ": ", status.message()));
    }
    auto inserted = c.Execute(
        "INSERT INTO schema_migrations (version, name, applied_at_us) VALUES ($1, $2, $3)",
        {sql::Value::Int(m.version), sql::Value::Text(m.name),
         sql::Value::Int(absl::ToUnixMicros(absl::Now()))});
    if (!inserted.ok()) return inserted.status();
    log->info("event=migration_applied version={} name=\"{}\"", m.version, m.name);
    audit.push_back(
        {"system:store", "schema.migrated", absl::StrCat("schema/", m.version),
         absl::StrCat("name=\"", m.name, "\"",
                      upgrade && m.version == kFirstAuditedVersion
                          ? " note=\"audit trail starts here; earlier changes are not in it\""
                          : "")});
  }
  // Every migration applied here (all of them on a new database) is the chain's first news.
  CRVS_RETURN_IF_ERROR(AppendAudit(c, audit, absl::Now()));
  return version;
}

}  // namespace

int LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

absl::StatusOr<int> Migrate(sql::Connection& connection, int up_to) {
  // Up to date already (every start but the first after an upgrade): nothing to write, so no
  // write lock either. On SQLite a busy writer — a sink committing batch after batch — would
  // otherwise keep a starting process waiting for the database's only write lock.
  {
    auto current = connection.Execute("SELECT max(version) FROM schema_migrations", {});
    if (current.ok() && !current->empty() && !(*current)[0][0].is_null() &&
        (*current)[0][0].AsInt() == std::min(up_to, LatestSchemaVersion())) {
      return static_cast<int>((*current)[0][0].AsInt());
    }
    connection.Rollback();  // PostgreSQL: nothing open (autocommit); SQLite: likewise
  }
  absl::Status begun = connection.Begin();
  if (!begun.ok()) return begun;
  auto version = MigrateInTransaction(connection, up_to);
  if (!version.ok()) {
    connection.Rollback();
    return version.status();
  }
  absl::Status committed = connection.Commit();
  if (!committed.ok()) return committed;
  return version;
}

}  // namespace crvs::store
