// The store's semantic tests are written once (store_semantics_test.cc) and run on every
// backend: store_sqlite_test instantiates them on a SQLite file (label unit),
// store_postgres_test on a real PostgreSQL server started for the test (label integration).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "services/store/database_config.h"
#include "services/store/sql.h"
#include "services/store/store.h"

namespace crvs::store::testing {

// One empty database for one test, on some backend.
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  virtual DatabaseConfig config() const = 0;
  // SQL (run on a second connection) making the write of person `personal_id` fail with a
  // permanent error — a record whose apply fails in the middle of a batch — and its undo.
  virtual std::string FailPersonWriteSql(const std::string& personal_id) const = 0;
  virtual std::string UndoFailPersonWriteSql() const = 0;
  // SQL (run on a second connection) that opens a transaction holding the lock a writer
  // needs (the whole database on SQLite; consumed_offsets on PostgreSQL), until "ROLLBACK".
  virtual std::string HoldWriteLockSql() const = 0;
};

struct Backend {
  std::string name;
  std::function<std::unique_ptr<TestDatabase>()> make;
};

// The backends a test binary runs the semantic tests on; defined by store_sqlite_test.cc
// and store_postgres_test.cc.
std::vector<Backend> TestBackends();

inline void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param.name;
}

// A fresh database of the test's backend, opened (migrated) as a Store, plus a second raw
// connection for checks and fault setup. Base of the store's parameterized tests.
class StoreOnBackend : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = GetParam().make();
    ASSERT_NE(db_, nullptr);
    auto store = Store::Open(db_->config());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto raw = sql::Connect(db_->config());
    ASSERT_TRUE(raw.ok()) << raw.status();
    raw_ = std::move(*raw);
  }

  void TearDown() override {
    raw_.reset();
    store_.reset();
    db_.reset();
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<sql::Connection> raw_;
};

}  // namespace crvs::store::testing
