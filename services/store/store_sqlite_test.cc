// The store on SQLite: the semantic tests on a database file in a temp dir, plus what only
// SQLite has (WAL journal, configuration errors, refusing a newer schema).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "services/store/schema.h"
#include "services/store/sql.h"
#include "services/store/store.h"
#include "services/store/store_semantics_test.h"
#include "tests/support/status_matchers.h"

namespace crvs::store::testing {
namespace {

using ::crvs::testing::StatusIs;

class SqliteDatabase : public TestDatabase {
 public:
  SqliteDatabase() {
    char tmpl[] = "/tmp/crvs-store-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~SqliteDatabase() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  DatabaseConfig config() const override {
    DatabaseConfig c;
    c.url = "sqlite:" + dir_ + "/crvs.db";
    c.busy_timeout = std::chrono::milliseconds(200);
    c.bulk_rows = 4;  // small, so that the tests' batches take several chunks
    return c;
  }
  std::string FailPersonWriteSql(const std::string& personal_id) const override {
    return "CREATE TRIGGER fail_person BEFORE INSERT ON persons WHEN NEW.personal_id = '" +
           personal_id + "' BEGIN SELECT RAISE(ABORT, 'injected failure'); END";
  }
  std::string UndoFailPersonWriteSql() const override { return "DROP TRIGGER fail_person"; }
  std::string HoldWriteLockSql() const override { return "BEGIN IMMEDIATE"; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace

std::vector<Backend> TestBackends() {
  return {{"Sqlite", [] { return std::unique_ptr<TestDatabase>(new SqliteDatabase()); }}};
}

namespace {

// Regression: the sink and the registry of `crvs dev` / two processes opening a fresh file at
// the same moment raced for the first migration and one failed with "database is locked".
TEST(SqliteStore, TwoOpenersOfAFreshFileBothSucceed) {
  for (int round = 0; round < 20; ++round) {
    SqliteDatabase db;
    absl::Status a, b;
    std::thread first([&] { a = Store::Open(db.config()).status(); });
    std::thread second([&] { b = Store::Open(db.config()).status(); });
    first.join();
    second.join();
    ASSERT_TRUE(a.ok()) << "round " << round << ": " << a;
    ASSERT_TRUE(b.ok()) << "round " << round << ": " << b;
  }
}

TEST(SqliteStoreTest, CreatesTheDatabaseDirectoryAndUsesTheWalJournal) {
  SqliteDatabase db;
  DatabaseConfig c = db.config();
  c.url = "sqlite:" + db.dir() + "/var/crvs.db";
  auto store = Store::Open(c);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->backend(), "sqlite");
  auto raw = sql::Connect(c);
  ASSERT_TRUE(raw.ok());
  auto mode = (*raw)->Execute("PRAGMA journal_mode", {});
  ASSERT_TRUE(mode.ok()) << mode.status();
  EXPECT_EQ((*mode)[0][0].AsString(), "wal");
}

// Regression: var/crvs.db, personal data, was created readable by every user (umask 022).
TEST(SqliteStoreTest, ANewDatabaseFileIsReadableByItsOwnerOnly) {
  SqliteDatabase db;
  DatabaseConfig c = db.config();
  c.url = "sqlite:" + db.dir() + "/var/private.db";
  const mode_t old_umask = ::umask(022);
  auto store = Store::Open(c);
  ::umask(old_umask);
  ASSERT_TRUE(store.ok()) << store.status();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st;
    const std::string file = db.dir() + "/var/private.db" + suffix;
    ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0077, 0u) << file << " mode " << std::oct << (st.st_mode & 0777);
  }
}

TEST(SqliteStoreTest, RejectsBadConfiguration) {
  SqliteDatabase db;
  DatabaseConfig c = db.config();
  c.url = "mysql://localhost/crvs";
  EXPECT_THAT(Store::Open(c), StatusIs(absl::StatusCode::kInvalidArgument));
  c = db.config();
  c.sqlite_synchronous = "off";
  EXPECT_THAT(Store::Open(c), StatusIs(absl::StatusCode::kInvalidArgument));
  c = db.config();
  c.bulk_rows = 0;
  EXPECT_THAT(Store::Open(c), StatusIs(absl::StatusCode::kInvalidArgument));
  // A path that cannot be a database: its parent is a regular file.
  c = db.config();
  c.url = "sqlite:" + db.dir() + "/crvs.db/inside.db";
  ASSERT_TRUE(Store::Open(db.config()).ok());
  EXPECT_THAT(Store::Open(c), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(SqliteStoreTest, RefusesADatabaseWithANewerSchema) {
  SqliteDatabase db;
  ASSERT_TRUE(Store::Open(db.config()).ok());
  auto raw = sql::Connect(db.config());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE((*raw)
                  ->ExecScript("INSERT INTO schema_migrations VALUES (" +
                               std::to_string(LatestSchemaVersion() + 1) + ", 'future', 0)")
                  .ok());
  EXPECT_THAT(Store::Open(db.config()), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace crvs::store::testing
