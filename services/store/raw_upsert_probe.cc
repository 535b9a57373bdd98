#include "services/store/raw_upsert_probe.h"
#include "services/platform/elapsed.h"

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "services/platform/status.h"
#include "services/store/apply_statements.h"
#include "services/store/audit.h"
#include "services/store/record_columns.h"
#include "services/store/record_rules.h"
#include "services/store/schema.h"
#include "services/store/sql.h"

namespace crvs::store {

absl::StatusOr<double> MeasureRawUpsertRate(const DatabaseConfig& config,
                                            const RawUpsertProbe& probe) {
  CRVS_ASSIGN_OR_RETURN(std::unique_ptr<sql::Connection> c, sql::Connect(config));
  const bool pg = c->dialect() == sql::Dialect::kPostgres;
  CRVS_RETURN_IF_ERROR(c->ExecScript(
      std::string("DROP TABLE IF EXISTS crvs_bench_raw_upsert; CREATE TABLE crvs_bench_raw_upsert ("
                  "business_key TEXT PRIMARY KEY, content_hash ") +
      (pg ? "BYTEA" : "BLOB") + " NOT NULL, envelope " + (pg ? "BYTEA" : "BLOB") +
      " NOT NULL, issued_at_us BIGINT NOT NULL, updated_at_us BIGINT NOT NULL)"));
  const sql::BulkStatement upsert{
      "INSERT INTO crvs_bench_raw_upsert (business_key, content_hash, envelope, issued_at_us, "
      "updated_at_us) VALUES ",
      5,
      " ON CONFLICT (business_key) DO UPDATE SET envelope = excluded.envelope, "
      "updated_at_us = excluded.updated_at_us"};
  const std::string hash(32, '\x5a');
  const std::string payload(static_cast<size_t>(probe.payload_bytes), '\x17');

  auto start = std::chrono::steady_clock::now();
  for (int done = 0; done < probe.rows;) {
    int n = std::min(probe.batch, probe.rows - done);
    std::vector<sql::Value> values;
    values.reserve(static_cast<size_t>(n) * 5);
    for (int i = done; i < done + n; ++i) {
      values.push_back(sql::Value::Text("death/BV01002/RAW-" + std::to_string(i)));
      values.push_back(sql::Value::Blob(hash));
      values.push_back(sql::Value::Blob(payload));
      values.push_back(sql::Value::Int(1761400000000000 + i));
      values.push_back(sql::Value::Int(1761400000000000 + i));
    }
    CRVS_RETURN_IF_ERROR(c->Begin());
    auto rows = sql::ExecuteBulk(*c, upsert, values, config.bulk_rows);
    if (!rows.ok()) {
      c->Rollback();
      return rows.status();
    }
    CRVS_RETURN_IF_ERROR(c->Commit());
    done += n;
  }
  double seconds = platform::SecondsSince(start);
  CRVS_RETURN_IF_ERROR(c->ExecScript("DROP TABLE crvs_bench_raw_upsert"));
  return probe.rows / seconds;
}

namespace {

constexpr char kSameRowsSchema[] = "crvs_same_rows";

// One table's rows of the run, grouped by the batch that writes them.
struct TableRows {
  sql::BulkStatement statement;
  std::vector<std::vector<sql::Value>> batches;  // row-major values per batch
};

// Reads `select` (rows of `columns` values whose column `key_column` is a business key) and
// files each row under the batch of its key.
absl::Status ReadInto(sql::Connection& c, const std::string& select, const sql::Value& like,
                      int key_column, const std::map<std::string, size_t>& batch_of,
                      TableRows& out, int64_t& rows) {
  CRVS_ASSIGN_OR_RETURN(sql::Rows read, c.Execute(select, {like}));
  for (auto& row : read) {
    auto it = batch_of.find(row[static_cast<size_t>(key_column)].AsString());
    if (it == batch_of.end()) continue;
    auto& values = out.batches[it->second];
    for (auto& v : row) values.push_back(std::move(v));
    ++rows;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SameRowsResult> MeasureSameRowsRate(const DatabaseConfig& config,
                                                   const SameRowsProbe& probe) {
  if (probe.batch < 1) return absl::InvalidArgumentError("same-rows probe: batch must be >= 1");
  SameRowsResult result;
  CRVS_ASSIGN_OR_RETURN(std::unique_ptr<sql::Connection> source, sql::Connect(config));
  const sql::Value like = sql::Value::Text(probe.business_key_like);

  // The run's keys, in order, cut into batches.
  std::map<std::string, size_t> batch_of;
  {
    CRVS_ASSIGN_OR_RETURN(sql::Rows keys,
                          source->Execute("SELECT business_key FROM records WHERE business_key "
                                          "LIKE $1 ORDER BY business_key",
                                          {like}));
    for (size_t i = 0; i < keys.size(); ++i) batch_of[keys[i][0].AsString()] = i / probe.batch;
    result.records = static_cast<int64_t>(keys.size());
  }
  if (result.records == 0) {
    return absl::NotFoundError(
        absl::StrCat("same-rows probe: no record matches ", probe.business_key_like));
  }
  const size_t batches = (batch_of.size() + probe.batch - 1) / probe.batch;

  std::vector<TableRows> tables;
  auto add = [&](const sql::BulkStatement& statement, const std::string& columns,
                 const std::string& from, int key_column) -> absl::Status {
    tables.push_back({statement, std::vector<std::vector<sql::Value>>(batches)});
    return ReadInto(*source, absl::StrCat("SELECT ", columns, " FROM ", from), like, key_column,
                    batch_of, tables.back(), result.rows);
  };
  CRVS_RETURN_IF_ERROR(add(statements::kInsertVersions,
                           "business_key, version, action, reason, content_hash, message_id, "
                           "source, issued_at_us, received_at_us, committed_at_us, kafka_topic, "
                           "kafka_partition, kafka_offset, envelope, txn",
                           "record_versions WHERE business_key LIKE $1", 0));
  CRVS_RETURN_IF_ERROR(add(statements::kUpsertRecords,
                           "business_key, kind, state, state_detail, current_version, "
                           "content_hash, source, issued_at_us, created_at_us, updated_at_us, "
                           "source_sequence",
                           "records WHERE business_key LIKE $1", 0));
  for (const DetailTable* t : {&BirthCertificatesTable(), &DeathNoticesTable(),
                               &DivorceDecisionsTable(), &RegistrationsTable()}) {
    std::string columns;
    for (const auto& column : t->columns) {
      absl::StrAppend(&columns, columns.empty() ? "" : ", ", column);
    }
    CRVS_RETURN_IF_ERROR(
        add({t->UpsertHead(), static_cast<int>(t->columns.size()), t->UpsertTail()}, columns,
            absl::StrCat(t->name, " WHERE business_key LIKE $1"), 0));
  }
  // Persons, each with the batch of the first of the run's records its facts name.
  {
    tables.push_back({statements::kInsertNewPersons, std::vector<std::vector<sql::Value>>(batches)});
    CRVS_ASSIGN_OR_RETURN(
        sql::Rows persons,
        source->Execute("SELECT personal_id, vital_status, date_of_death, marital_status, "
                        "marital_since, evidence_keys, updated_at_us, facts FROM persons "
                        "WHERE facts LIKE $1",
                        {like}));
    for (auto& row : persons) {
      size_t first = batches;
      for (const auto& f : rules::ParseFacts(row[0].AsString(), row[7].AsString())) {
        auto it = batch_of.find(f.business_key);
        if (it != batch_of.end()) first = std::min(first, it->second);
      }
      if (first == batches) continue;
      for (auto& v : row) tables.back().batches[first].push_back(std::move(v));
      ++result.rows;
    }
  }
  source.reset();

  // A fresh schema to write into.
  DatabaseConfig target_config = config;
  std::string sqlite_path;
  if (absl::StartsWith(config.url, "sqlite:")) {
    sqlite_path = config.url.substr(7) + ".same-rows";
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((sqlite_path + suffix).c_str());
    target_config.url = "sqlite:" + sqlite_path;
  }
  CRVS_ASSIGN_OR_RETURN(std::unique_ptr<sql::Connection> c, sql::Connect(target_config));
  const bool pg = c->dialect() == sql::Dialect::kPostgres;
  if (pg) {
    CRVS_RETURN_IF_ERROR(c->ExecScript(absl::StrCat(
        "DROP SCHEMA IF EXISTS ", kSameRowsSchema, " CASCADE; CREATE SCHEMA ", kSameRowsSchema,
        "; SET search_path TO ", kSameRowsSchema)));
  }
  auto cleanup = [&]() {
    if (pg) {
      c->ExecScript(absl::StrCat("DROP SCHEMA IF EXISTS ", kSameRowsSchema, " CASCADE")).IgnoreError();
    } else {
      c.reset();
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((sqlite_path + suffix).c_str());
    }
  };
  auto migrated = Migrate(*c);
  if (!migrated.ok()) {
    cleanup();
    return migrated.status();
  }

  auto write = [&]() -> absl::Status {
    int64_t next_offset = 0;
    for (size_t b = 0; b < batches; ++b) {
      CRVS_RETURN_IF_ERROR(c->Begin());
      auto batch = [&]() -> absl::Status {
        // As the sink commits a consumed batch (store.cc, Store::Apply).
        if (pg) CRVS_RETURN_IF_ERROR(c->ExecScript("SET LOCAL synchronous_commit = off"));
        for (const auto& t : tables) {
          if (t.batches[b].empty()) continue;
          CRVS_RETURN_IF_ERROR(
              sql::ExecuteBulk(*c, t.statement, t.batches[b], config.bulk_rows).status());
        }
        next_offset += probe.batch;
        CRVS_RETURN_IF_ERROR(sql::ExecuteBulk(*c, statements::kUpsertOffsets,
                                              {sql::Value::Text("same-rows"),
                                               sql::Value::Text("crvs.death-notices.v1"),
                                               sql::Value::Int(0), sql::Value::Int(next_offset),
                                               sql::Value::Int(next_offset), sql::Value::Int(1)},
                                              1)
                                 .status());
        return AppendAudit(*c,
                           {{"consumer_group:same-rows", "batch.applied",
                             "consumer_group/same-rows",
                             absl::StrCat("versions=", probe.batch, " digest=", std::string(64, '0'),
                                          " next=crvs.death-notices.v1[0]=", next_offset)}},
                           absl::Now());
      }();
      if (!batch.ok()) {
        c->Rollback();
        return batch;
      }
      CRVS_RETURN_IF_ERROR(c->Commit());
    }
    return absl::OkStatus();
  };
  auto start = std::chrono::steady_clock::now();
  absl::Status written = write();
  const double seconds = platform::SecondsSince(start);
  cleanup();
  CRVS_RETURN_IF_ERROR(written);
  result.rows += 2 * static_cast<int64_t>(batches);  // offsets and audit, per batch
  result.rows_per_record = static_cast<double>(result.rows) / static_cast<double>(result.records);
  result.records_per_s = static_cast<double>(result.records) / seconds;
  return result;
}

}  // namespace crvs::store
