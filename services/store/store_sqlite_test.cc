// The store on SQLite: the semantic tests on a database file in a temp dir, plus what only
// SQLite has (WAL journal, configuration errors, refusing a newer schema).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "services/store/schema.h"
#include "services/store/sql.h"
#include "services/store/store.h"
#include "services/store/store_semantics_test.h"
#include "services/store/store_test_util.h"
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

// A method table of the real VFS and its copy whose xSync counts.
struct CountedMethods {
  const sqlite3_io_methods* real = nullptr;
  sqlite3_io_methods counting = {};
};

// The default VFS, counting the fsyncs (xSync) of every file opened while it is registered.
// Registered as the default for its lifetime; files stay counted until they are closed.
class CountingVfs {
 public:
  CountingVfs() {
    real_ = sqlite3_vfs_find(nullptr);
    vfs_ = *real_;
    vfs_.zName = "crvs-counting";
    vfs_.xOpen = &Open;
    sqlite3_vfs_register(&vfs_, 1);
  }
  ~CountingVfs() { sqlite3_vfs_unregister(&vfs_); }
  CountingVfs(const CountingVfs&) = delete;
  CountingVfs& operator=(const CountingVfs&) = delete;

  static int syncs() { return syncs_.load(); }
  static void Reset() { syncs_ = 0; }

 private:
  // The unix VFS has several method tables (database files, journals and WAL files differ):
  // each gets its counting copy.
  static int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out) {
    const int rc = real_->xOpen(real_, name, file, flags, out);
    if (rc != SQLITE_OK || file->pMethods == nullptr) return rc;
    for (CountedMethods& m : methods_) {
      if (m.real == nullptr) {
        m.real = file->pMethods;
        m.counting = *file->pMethods;
        m.counting.xSync = &Sync;
      }
      if (m.real == file->pMethods) {
        file->pMethods = &m.counting;
        break;
      }
    }
    return rc;
  }
  static int Sync(sqlite3_file* file, int flags) {
    ++syncs_;
    for (const CountedMethods& m : methods_) {
      if (file->pMethods == &m.counting) return m.real->xSync(file, flags);
    }
    return SQLITE_IOERR_FSYNC;
  }

  sqlite3_vfs vfs_;
  static inline sqlite3_vfs* real_ = nullptr;
  static inline CountedMethods methods_[8] = {};  // filled once, by the test's single thread
  static inline std::atomic<int> syncs_{0};
};

// A registration written through the API has no Kafka copy: with the default
// sqlite_synchronous = normal its commit used to stay in the WAL unsynced, and a power loss
// after the answer could roll it back. Consumed batches keep NORMAL (Kafka holds them).
TEST(SqliteStoreTest, AnApiWriteIsSyncedToDiskBeforeItIsAnswered) {
  SqliteDatabase db;
  CountingVfs vfs;
  auto store = Store::Open(db.config());
  ASSERT_TRUE(store.ok()) << store.status();
  auto registration = [](const std::string& no, const std::string& message_id) {
    return Envelope(DeathRegistration(no, crvs::testing::Date(2026, 10, 27)), v1::ACTION_SUBMIT,
                    message_id);
  };
  auto consume = [&](const std::string& no, int64_t offset) {
    ApplyBatch batch;
    batch.group = ConsumerGroup("registry-sink");
    batch.records.push_back(
        Inbound(registration(no, "k-" + no), "crvs.registrations.v1", 0, offset));
    batch.offsets.push_back({{Topic("crvs.registrations.v1"), Partition(0)}, Offset(offset + 1)});
    CountingVfs::Reset();
    auto applied = (*store)->Apply(batch);
    ASSERT_TRUE(applied.ok()) << applied.status();
  };

  ASSERT_NO_FATAL_FAILURE(consume("1", 0));
  EXPECT_EQ(CountingVfs::syncs(), 0) << "a consumed batch at synchronous=NORMAL";

  CountingVfs::Reset();
  auto written = (*store)->WriteRecord(registration("2", "r-2"));
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_EQ(written->record.outcome, ApplyOutcome::kAppliedNew);
  EXPECT_GT(CountingVfs::syncs(), 0) << "the API write was answered before it was on disk";

  // The connection is back at the configured level.
  ASSERT_NO_FATAL_FAILURE(consume("3", 1));
  EXPECT_EQ(CountingVfs::syncs(), 0) << "a consumed batch after the API write";
  store->reset();
}

}  // namespace
}  // namespace crvs::store::testing
