// The store on a real PostgreSQL server started for this test binary (tests/support
// PostgresServer): the semantic tests, each in a fresh database, plus what only a server has
// (lost connections, a restart, concurrent writers).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "services/platform/status.h"
#include "services/store/sql.h"
#include "services/store/store.h"
#include "services/store/store_semantics_test.h"
#include "services/store/store_test_util.h"
#include "tests/support/fixtures.h"
#include "tests/support/postgres_server.h"
#include "tests/support/status_matchers.h"

namespace crvs::store::testing {
namespace {

namespace fx = ::crvs::testing;
using ::crvs::testing::PostgresServer;
using ::crvs::testing::StatusIs;
using ::testing::HasSubstr;

// One server for the whole binary; every test gets its own database.
PostgresServer* g_server = nullptr;

class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto server = PostgresServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    g_server = server_.get();
  }
  void TearDown() override {
    g_server = nullptr;
    server_.reset();
  }

 private:
  std::unique_ptr<PostgresServer> server_;
};

::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

class PostgresDatabase : public TestDatabase {
 public:
  explicit PostgresDatabase(std::string uri) : uri_(std::move(uri)) {}

  // A fresh database on the shared server; nullptr (and a test failure) without a server.
  static std::unique_ptr<PostgresDatabase> Create() {
    static std::atomic<int> counter{0};
    if (g_server == nullptr) {
      ADD_FAILURE() << "the PostgreSQL server did not start";
      return nullptr;
    }
    std::string name = "store_test_" + std::to_string(++counter);
    auto uri = g_server->CreateDatabase(name);
    if (!uri.ok()) {
      ADD_FAILURE() << uri.status();
      return nullptr;
    }
    auto db = std::make_unique<PostgresDatabase>(*uri);
    db->name_ = name;
    return db;
  }

  DatabaseConfig config() const override {
    DatabaseConfig c;
    c.url = uri_;
    c.busy_timeout = std::chrono::milliseconds(200);
    c.bulk_rows = 3;  // small, so that the tests' batches take several chunks
    return c;
  }
  std::string FailPersonWriteSql(const std::string& personal_id) const override {
    return "CREATE FUNCTION fail_person() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
           "IF NEW.personal_id = '" +
           personal_id +
           "' THEN "
           "RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$; "
           "CREATE TRIGGER fail_person BEFORE INSERT ON persons FOR EACH ROW "
           "EXECUTE FUNCTION fail_person()";
  }
  std::string UndoFailPersonWriteSql() const override {
    return "DROP TRIGGER fail_person ON persons; DROP FUNCTION fail_person()";
  }
  std::string HoldWriteLockSql() const override {
    // The batch writes its rows, then waits for this lock to store the offsets.
    return "BEGIN; LOCK TABLE consumed_offsets IN EXCLUSIVE MODE";
  }
  const std::string& name() const { return name_; }

 private:
  std::string uri_;
  std::string name_;
};

}  // namespace

std::vector<Backend> TestBackends() {
  return {{"Postgres", [] { return std::unique_ptr<TestDatabase>(PostgresDatabase::Create()); }}};
}

namespace {

constexpr char kDeaths[] = "crvs.death-notices.v1";

ApplyBatch DeathBatch(const std::string& no, int64_t offset) {
  ApplyBatch batch;
  batch.group = ConsumerGroup("registry-sink");
  auto e = Envelope(fx::DeathNotice(no), records::v1::ACTION_SUBMIT, "m-" + no);
  batch.records.push_back(Inbound(e, kDeaths, 0, offset));
  batch.offsets.push_back({{Topic(kDeaths), Partition(0)}, Offset(offset + 1)});
  return batch;
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = PostgresDatabase::Create();
    ASSERT_NE(db_, nullptr);
    auto store = Store::Open(db_->config());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  int64_t Count(const std::string& sql) {
    auto rows = g_server->Query(db_->name(), sql);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? std::stoll((*rows)[0][0]) : -1;
  }

  std::unique_ptr<PostgresDatabase> db_;
  std::unique_ptr<Store> store_;
};

TEST_F(PostgresStoreTest, AConnectionLostBetweenBatchesIsUnavailableThenReconnects) {
  ASSERT_TRUE(store_->Apply(DeathBatch("GBT-1", 0)).ok());
  EXPECT_EQ(store_->backend(), "postgresql");
  ASSERT_TRUE(g_server
                  ->Query(db_->name(),
                          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "datname = current_database() AND pid <> pg_backend_pid()")
                  .ok());
  auto lost = store_->Apply(DeathBatch("GBT-2", 1));
  EXPECT_THAT(lost, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(IsRetryable(lost.status()));
  auto retried = store_->Apply(DeathBatch("GBT-2", 1));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->records[0].outcome, ApplyOutcome::kAppliedNew);
  EXPECT_EQ(Count("SELECT count(*) FROM records"), 2);
  EXPECT_EQ(Count("SELECT next_offset FROM consumed_offsets"), 2);
}

TEST_F(PostgresStoreTest, AConnectionLostInTheMiddleOfABatchLeavesNothingApplied) {
  // The server ends the session while the batch writes its persons rows.
  ASSERT_TRUE(g_server
                  ->Query(db_->name(),
                          "CREATE FUNCTION drop_session() RETURNS trigger LANGUAGE plpgsql AS $$ "
                          "BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; "
                          "END $$; CREATE TRIGGER drop_session BEFORE INSERT ON persons FOR EACH "
                          "ROW EXECUTE FUNCTION drop_session()")
                  .ok());
  auto lost = store_->Apply(DeathBatch("GBT-1", 0));
  EXPECT_THAT(lost, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Count("SELECT count(*) FROM records"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM record_versions"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM consumed_offsets"), 0);

  ASSERT_TRUE(g_server->Query(db_->name(), "DROP TRIGGER drop_session ON persons").ok());
  auto retried = store_->Apply(DeathBatch("GBT-1", 0));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->records[0].outcome, ApplyOutcome::kAppliedNew);
  EXPECT_EQ(Count("SELECT count(*) FROM record_versions"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM persons WHERE vital_status = 'DECEASED'"), 1);
}

TEST_F(PostgresStoreTest, AServerRestartIsUnavailableOnceThenTheStoreCarriesOn) {
  ASSERT_TRUE(store_->Apply(DeathBatch("GBT-1", 0)).ok());
  ASSERT_TRUE(g_server->Restart().ok()) << g_server->server_log();
  auto first = store_->Apply(DeathBatch("GBT-2", 1));
  if (!first.ok()) {
    EXPECT_THAT(first, StatusIs(absl::StatusCode::kUnavailable));
  }
  auto second = store_->Apply(DeathBatch("GBT-2", 1));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(Count("SELECT count(*) FROM record_versions"), 2);
  auto record = store_->GetRecord(BusinessKey("death/BV01002/GBT-1"));
  ASSERT_TRUE(record.ok()) << record.status();
}

TEST_F(PostgresStoreTest, AnUnreachableServerIsUnavailable) {
  DatabaseConfig c;
  c.url = "postgresql://postgres@127.0.0.1:1/nowhere";
  c.connect_timeout = std::chrono::seconds(1);
  EXPECT_THAT(Store::Open(c), StatusIs(absl::StatusCode::kUnavailable));
}

// Two sinks (e.g. after a rebalance, or two partitions) write records about the same person
// at the same time. Each derives the person under a row lock after writing its facts, so the
// last one to commit sees every fact.
TEST_F(PostgresStoreTest, ConcurrentWritersDeriveThePersonFromEveryFact) {
  constexpr int kBatchesPerWriter = 40;
  auto writer = [&](int id) {
    auto store = Store::Open(db_->config());
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < kBatchesPerWriter; ++i) {
      // Writer 0: death notices of the fixture's deceased; writer 1: birth certificates
      // naming the same man as the father. Both touch person 001052003456.
      ApplyBatch batch;
      batch.group = ConsumerGroup("registry-sink");
      std::string no = "W" + std::to_string(id) + "-" + std::to_string(i);
      if (id == 0) {
        auto e = Envelope(fx::DeathNotice(no), records::v1::ACTION_SUBMIT, "m-" + no);
        batch.records.push_back(Inbound(e, kDeaths, 0, i));
      } else {
        auto birth = fx::BirthCertificate(no);
        *birth.mutable_father() = fx::DeathNotice().deceased();
        auto e = Envelope(birth, records::v1::ACTION_SUBMIT, "m-" + no);
        batch.records.push_back(Inbound(e, "crvs.birth-certificates.v1", 0, i));
      }
      absl::StatusOr<BatchResult> result;
      for (int attempt = 0; attempt < 20; ++attempt) {
        result = (*store)->Apply(batch);
        if (result.ok() || !IsRetryable(result.status())) break;
      }
      ASSERT_TRUE(result.ok()) << result.status();
      ASSERT_EQ(result->records[0].outcome, ApplyOutcome::kAppliedNew);
    }
  };
  std::thread a(writer, 0), b(writer, 1);
  a.join();
  b.join();

  auto person = store_->GetPersonStatus("001052003456");
  ASSERT_TRUE(person.ok()) << person.status();
  EXPECT_EQ(person->vital_status, VitalStatus::kDeceased);
  // Every death notice.
  EXPECT_EQ(person->evidence_keys.size(), static_cast<size_t>(kBatchesPerWriter));
  // Every fact of both writers on the person's row (one line each).
  EXPECT_EQ(Count("SELECT length(facts) - length(replace(facts, chr(10), '')) + 1 FROM persons "
                  "WHERE personal_id = '001052003456'"),
            2 * kBatchesPerWriter);
}

}  // namespace
}  // namespace crvs::store::testing
