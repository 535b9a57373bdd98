// `crvs audit verify` and `crvs audit list` as an operator runs them, on a SQLite database
// filled through the store's apply path (the registry sink's), then tampered with by the
// sqlite3 shell: the verification must fail and name the row.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "services/store/schema.h"
#include "services/store/store.h"
#include "services/store/store_test_util.h"
#include "tests/support/fixtures.h"
#include "tests/support/subprocess.h"

namespace crvs {
namespace {

namespace fx = ::crvs::testing;
namespace rv1 = ::crvs::records::v1;
using ::crvs::testing::RunProgram;
using ::crvs::testing::RunResult;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kCrvs = CRVS_BINARY;

class AuditCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("crvs_audit_command_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(++counter));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "crvs.db").string();
    store::DatabaseConfig db;
    db.url = "sqlite:" + path_;
    auto store = store::Store::Open(db);
    ASSERT_TRUE(store.ok()) << store.status();
    // 24 batches of death notices as the sink applies them (one audit row each), one poison
    // message, and an operator discarding its dead letter.
    int64_t offset = 0;
    for (int b = 0; b < 24; ++b) {
      store::ApplyBatch batch;
      batch.group = store::ConsumerGroup("registry-sink");
      for (int i = 0; i < 1 + b % 3; ++i) {
        std::string no = "GBT-" + std::to_string(b * 3 + i);
        auto e = store::testing::Envelope(fx::DeathNotice(no), rv1::ACTION_SUBMIT, "m-" + no);
        batch.records.push_back(store::testing::Inbound(e, "crvs.death-notices.v1", 0, offset++));
      }
      if (b == 2) {
        store::FailedMessage poison;
        poison.message.topic_partition = {store::Topic("crvs.death-notices.v1"),
                                          store::Partition(0)};
        poison.message.offset = store::Offset(offset++);
        poison.message.value = "\xff garbage";
        poison.error_class = "DECODE";
        poison.error_message = "not a crvs.records.v1.RecordEnvelope";
        batch.failures.push_back(poison);
      }
      batch.offsets.push_back(
          {{store::Topic("crvs.death-notices.v1"), store::Partition(0)}, store::Offset(offset)});
      auto applied = (*store)->Apply(batch);
      ASSERT_TRUE(applied.ok()) << applied.status();
    }
    auto discarded = (*store)->ResolveDeadLetter(1, store::DeadLetterState::kDiscarded,
                                                 "operator:lan", "garbage bytes");
    ASSERT_TRUE(discarded.ok()) << discarded.status();
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  RunResult Crvs(std::vector<std::string> args) {
    std::vector<std::string> argv = {kCrvs, "--set", "database.url=sqlite:" + path_,
                                     "--set", "log.level=warn"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv);
  }
  RunResult Verify() { return Crvs({"audit", "verify"}); }

  void Sqlite(const std::string& sql) {
    RunResult r = RunProgram({"sqlite3", path_, sql});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string SqliteValue(const std::string& sql) {
    RunResult r = RunProgram({"sqlite3", path_, sql});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  int64_t Rows() { return std::stoll(SqliteValue("SELECT count(*) FROM audit_log")); }

  std::filesystem::path dir_;
  std::string path_;
};

// Row numbers below are those of a database with five migrations; each later migration adds
// one audit row before the test's own.
int Seq(int with_five_migrations) { return with_five_migrations + store::LatestSchemaVersion() - 5; }
std::string SeqText(int with_five_migrations) { return std::to_string(Seq(with_five_migrations)); }

TEST_F(AuditCommandTest, AnIntactTrailVerifiesAndListsWhoDidWhat) {
  // The migrations + 24 batches + 1 dead letter opened + 1 discarded.
  ASSERT_EQ(Rows(), Seq(31));
  RunResult r = Verify();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("audit trail intact: " + SeqText(31) + " rows verified, last seq " + SeqText(31) + " (sqlite)"));
  EXPECT_THAT(r.out, HasSubstr("head " + SeqText(31) + ":" + SqliteValue("SELECT lower(hex(hash)) FROM audit_head")));

  RunResult list = Crvs({"audit", "list", "--since-seq", SeqText(5), "--limit", "2"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("seq\tat\tactor\taction\tsubject\tdetail\thash\n"));
  EXPECT_THAT(list.out, HasSubstr(SeqText(6) + "\t"));
  EXPECT_THAT(list.out, HasSubstr("\tconsumer_group:registry-sink\tbatch.applied\t"
                                  "consumer_group/registry-sink\tversions=1 "
                                  "sources=facility:BV01002 digest="));
  EXPECT_THAT(list.out, Not(HasSubstr("\n" + SeqText(8) + "\t")));
  list = Crvs({"audit", "list", "--since-seq", SeqText(30)});
  EXPECT_THAT(list.out, HasSubstr("\toperator:lan\tdead_letter.discarded\tdead_letter/1\t"));

  RunResult help = RunProgram({kCrvs, "audit", "verify", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--expect"));
  EXPECT_THAT(help.out, HasSubstr("edited, deleted, inserted or reordered"));
}

TEST_F(AuditCommandTest, AnEditedRowFailsVerificationNamingTheRow) {
  Sqlite("UPDATE audit_log SET actor = 'operator:mallory' WHERE seq = " + SeqText(12));
  RunResult r = Verify();
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("audit trail BROKEN at row " + SeqText(12) + ": row " + SeqText(12) + " was edited"));
}

TEST_F(AuditCommandTest, ADeletedRowFailsVerificationNamingTheRow) {
  Sqlite("DELETE FROM audit_log WHERE seq = " + SeqText(17));
  RunResult r = Verify();
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("BROKEN at row " + SeqText(17) + ": row " + SeqText(17) + " is missing: row " + SeqText(18) + " follows row " + SeqText(16)));
}

TEST_F(AuditCommandTest, SwappedRowsFailVerificationNamingTheRow) {
  // Rows 9 and 14 exchange their contents (all but seq), as a reordering would leave them.
  const std::string a = SeqText(9), b = SeqText(14), sum = std::to_string(Seq(9) + Seq(14));
  const std::string other = "(SELECT %s FROM a WHERE a.seq = " + sum + " - audit_log.seq)";
  std::string set;
  for (const char* column : {"at_us", "actor", "action", "subject", "detail", "prev_hash", "hash"}) {
    std::string value = other;
    value.replace(value.find("%s"), 2, column);
    set += std::string(set.empty() ? "" : ", ") + column + " = " + value;
  }
  const std::string detail_b = SqliteValue("SELECT detail FROM audit_log WHERE seq = " + b);
  ASSERT_THAT(detail_b, HasSubstr("versions="));
  Sqlite("CREATE TEMP TABLE a AS SELECT * FROM audit_log WHERE seq IN (" + a + ", " + b + ");" +
         "UPDATE audit_log SET " + set + " WHERE seq IN (" + a + ", " + b + ")");
  ASSERT_EQ(SqliteValue("SELECT detail FROM audit_log WHERE seq = " + a), detail_b);
  RunResult r = Verify();
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("BROKEN at row " + SeqText(9) + ": row " + SeqText(9) + " does not follow row " + SeqText(8)));
}

TEST_F(AuditCommandTest, ADeletedLastRowFailsVerificationThroughTheHead) {
  Sqlite("DELETE FROM audit_log WHERE seq = " + SeqText(31));
  RunResult r = Verify();
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("BROKEN at row " + SeqText(31) + ": row " + SeqText(31) + " is missing: audit_head says the chain ends at row " + SeqText(31) + " but the last row is " + SeqText(30)));
}

TEST_F(AuditCommandTest, AKeptHeadCatchesARewrittenTail) {
  RunResult first = Verify();
  ASSERT_EQ(first.exit_code, 0) << first.out;
  const std::string head = SqliteValue("SELECT seq || ':' || lower(hex(hash)) FROM audit_head");
  // Delete the tail and move the head back consistently: the shorter chain is self-consistent.
  const std::string kept = SeqText(29);
  Sqlite("DELETE FROM audit_log WHERE seq > " + kept + ";UPDATE audit_head SET seq = " + kept +
         ", hash = (SELECT hash FROM audit_log WHERE seq = " + kept + ")");
  EXPECT_EQ(Verify().exit_code, 0);
  RunResult r = Crvs({"audit", "verify", "--expect", head});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("BROKEN at row " + SeqText(31) + ": row " + SeqText(31) + " (hash "));

  RunResult bad = Crvs({"audit", "verify", "--expect", "31:nothex"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--expect"));
}

TEST_F(AuditCommandTest, AnUnreachableDatabaseIsNotReportedAsTampering) {
  RunResult r = RunProgram({kCrvs, "--set", "database.url=postgresql://crvs@127.0.0.1:1/none",
                            "--set", "database.connect_timeout=1s", "audit", "verify"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("BROKEN")));
}

}  // namespace
}  // namespace crvs
