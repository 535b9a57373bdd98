#include "services/store/raw_upsert_probe.h"
#include "services/platform/elapsed.h"

#include <chrono>

#include "services/platform/status.h"
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

}  // namespace crvs::store
