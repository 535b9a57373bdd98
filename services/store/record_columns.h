// The per-kind row of a record (birth_certificates, death_notices, divorce_decisions,
// registrations), derived from its content: one definition for what the sink writes for a
// record's latest version and for what a reader rebuilds from an earlier version kept in
// record_versions.envelope (the indicators "as known on A" do).
//
// Thread-safety: pure functions over immutable tables.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crvs/records/v1/envelope.pb.h"
#include "services/store/sql.h"

namespace crvs::store {

// One per-kind table: its name and its columns, in order; "business_key" is the first.
struct DetailTable {
  std::string name;
  std::vector<std::string> columns;

  // The position of `column`; fails a CHECK when it is not one of this table's columns.
  size_t IndexOf(std::string_view column) const;
  // "INSERT INTO name (columns) VALUES " and " ON CONFLICT (business_key) DO UPDATE SET c =
  // excluded.c, ..." for every other column: the head and tail of a bulk upsert.
  std::string UpsertHead() const;
  std::string UpsertTail() const;
};

const DetailTable& BirthCertificatesTable();
const DetailTable& DeathNoticesTable();
const DetailTable& DivorceDecisionsTable();
const DetailTable& RegistrationsTable();

// The per-kind row of `content` (stored under `business_key`): its table (nullptr for an
// envelope without a record) and one value per column.
struct DetailRow {
  const DetailTable* table = nullptr;
  sql::Row values;

  const sql::Value& operator[](std::string_view column) const {
    return values[table->IndexOf(column)];
  }
};
DetailRow DetailRowOf(const std::string& business_key, const records::v1::RecordEnvelope& content);

}  // namespace crvs::store
