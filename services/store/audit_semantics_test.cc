// The audit trail on every backend (instantiated by store_sqlite_test and store_postgres_test):
// what the store appends for each change, and that VerifyAudit names the row an edit, a
// deletion, a swap or a truncation broke. Tampering is done with plain SQL on a second
// connection, as someone with database access would.
#include <absl/strings/escaping.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "services/platform/status.h"
#include "services/records/records.h"
#include "services/store/audit.h"
#include "services/store/schema.h"
#include "services/store/sql.h"
#include "services/store/store.h"
#include "services/store/store_semantics_test.h"
#include "services/store/store_test_util.h"
#include "tests/support/fixtures.h"
#include "tests/support/status_matchers.h"

namespace crvs::store::testing {
namespace {

namespace fx = ::crvs::testing;
using ::crvs::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using sql::Value;

constexpr char kDeaths[] = "crvs.death-notices.v1";
constexpr char kBirths[] = "crvs.birth-certificates.v1";
const ConsumerGroup kGroup("registry-sink");

// The digest of the versions a batch row names, recomputed from record_versions: the versions
// committed at the row's time, in (topic, partition, offset) order as the batch applied them.
std::string DigestOfVersionsAt(sql::Connection& c, int64_t at_us) {
  auto rows = c.Execute(
      "SELECT business_key, version, action, content_hash, message_id, source, kafka_topic, "
      "kafka_partition, kafka_offset FROM record_versions WHERE committed_at_us = $1 "
      "ORDER BY kafka_topic, kafka_partition, kafka_offset",
      {sql::Value::Int(at_us)});
  EXPECT_TRUE(rows.ok()) << rows.status();
  VersionsDigest d;
  if (rows.ok()) {
    for (const auto& r : *rows) {
      d.Add({r[0].AsString(), r[1].AsInt(), r[2].AsString(), r[3].AsString(), r[4].AsString(),
             r[5].AsString(), r[6].AsString(), r[7].AsInt(), r[8].AsInt()});
    }
  }
  return d.Hex();
}

class AuditTest : public StoreOnBackend {
 protected:
  // A sink batch of death notices GBT-<first>.. on partition 0, offsets from `offset`.
  ApplyBatch Deaths(int first, int count, int64_t offset) {
    ApplyBatch b;
    b.group = kGroup;
    for (int i = 0; i < count; ++i) {
      std::string no = "GBT-" + std::to_string(first + i);
      auto e = Envelope(fx::DeathNotice(no), records::v1::ACTION_SUBMIT, "m-" + no);
      b.records.push_back(Inbound(e, kDeaths, 0, offset + i));
    }
    b.offsets.push_back({{Topic(kDeaths), Partition(0)}, Offset(offset + count)});
    return b;
  }

  void MustApply(const ApplyBatch& batch) {
    auto result = store_->Apply(batch);
    ASSERT_TRUE(result.ok()) << result.status();
  }

  std::vector<AuditRow> Rows() {
    std::vector<AuditRow> rows;
    absl::Status read = store_->Read([&](sql::Connection& c) -> absl::Status {
      CRVS_ASSIGN_OR_RETURN(rows, ListAudit(c, 0, 10000));
      return absl::OkStatus();
    });
    EXPECT_TRUE(read.ok()) << read;
    return rows;
  }

  std::vector<AuditRow> RowsOf(const std::string& action) {
    std::vector<AuditRow> out;
    for (auto& r : Rows()) {
      if (r.action == action) out.push_back(std::move(r));
    }
    return out;
  }

  std::string DigestAt(int64_t at_us) {
    std::string hex;
    absl::Status read = store_->Read([&](sql::Connection& c) -> absl::Status {
      hex = DigestOfVersionsAt(c, at_us);
      return absl::OkStatus();
    });
    EXPECT_TRUE(read.ok()) << read;
    return hex;
  }

  AuditVerifyResult Verify(AuditVerifyOptions options = {}) {
    AuditVerifyResult result;
    absl::Status read = store_->Read([&](sql::Connection& c) -> absl::Status {
      CRVS_ASSIGN_OR_RETURN(result, VerifyAudit(c, options));
      return absl::OkStatus();
    });
    EXPECT_TRUE(read.ok()) << read;
    return result;
  }

  // Verification fails at row `seq` with `problem` in its message.
  AuditVerifyResult ExpectBrokenAt(int64_t seq, const std::string& problem) {
    AuditVerifyResult v = Verify();
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.bad_seq, seq);
    EXPECT_THAT(v.problem, HasSubstr(problem));
    return v;
  }

  int64_t LastSeq() {
    auto rows = Rows();
    return rows.empty() ? 0 : rows.back().seq;
  }

  void Sql(const std::string& text, const std::vector<Value>& params = {}) {
    auto done = raw_->Execute(text, params);
    ASSERT_TRUE(done.ok()) << done.status() << " in " << text;
  }

  // Three batches of three notices: migrations, 9 records and 3 offset rows in the chain.
  void Fill() {
    for (int b = 0; b < 3; ++b) MustApply(Deaths(1 + 3 * b, 3, 3 * b));
  }

};

TEST_P(AuditTest, ANewDatabaseStartsTheChainWithItsMigrations) {
  auto rows = Rows();
  ASSERT_EQ(static_cast<int>(rows.size()), LatestSchemaVersion());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(rows[i].actor, "system:store");
    EXPECT_EQ(rows[i].action, "schema.migrated");
    EXPECT_EQ(rows[i].subject, "schema/" + std::to_string(i + 1));
  }
  EXPECT_EQ(rows[0].prev_hash, std::string(32, '\0'));
  AuditVerifyResult v = Verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.rows, LatestSchemaVersion());
  EXPECT_EQ(v.head_seq, LatestSchemaVersion());
  EXPECT_EQ(v.head_hash, rows.back().hash);

  // Opening again applies nothing and appends nothing.
  auto again = Store::Open(db_->config());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(static_cast<int>(Rows().size()), LatestSchemaVersion());
}

TEST_P(AuditTest, EveryAppliedBatchIsAuditedWithItsSourcesDigestAndNoPersonalData) {
  ApplyBatch batch = Deaths(1, 2, 0);
  auto birth = fx::BirthCertificate("GCS-1");
  *birth.mutable_father() = fx::Father();
  batch.records.push_back(
      Inbound(Envelope(birth, records::v1::ACTION_SUBMIT, "m-GCS-1"), kBirths, 2, 7));
  batch.offsets.push_back({{Topic(kBirths), Partition(2)}, Offset(8)});
  MustApply(batch);

  // One row for the batch: no row per record, the offsets folded in.
  auto applied = RowsOf("batch.applied");
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_THAT(RowsOf("record.applied"), IsEmpty());
  EXPECT_THAT(RowsOf("offsets.committed"), IsEmpty());
  EXPECT_EQ(applied[0].actor, "consumer_group:registry-sink");
  EXPECT_EQ(applied[0].subject, "consumer_group/registry-sink");
  // Over the versions in (topic, partition, offset) order, whatever order they were added.
  VersionsDigest expected;
  for (const auto& r : batch.records) {
    const auto& e = r.envelope;
    expected.Add({e.business_key(), 1, "SUBMIT", e.content_hash(), e.message_id(),
                  records::FormatPrincipal(e.source()), r.message.topic_partition.topic.value(),
                  r.message.topic_partition.partition.value(), r.message.offset.value()});
  }
  EXPECT_EQ(applied[0].detail,
            "versions=3 sources=facility:BV01002,facility:BV79001 digest=" + expected.Hex() +
                " next=crvs.birth-certificates.v1[2]=8,crvs.death-notices.v1[0]=2");
  EXPECT_EQ(DigestAt(applied[0].at_us), expected.Hex());

  // An AMEND and a VOID: a second row, with their versions.
  ApplyBatch changes;
  changes.group = kGroup;
  auto amended = fx::DeathNotice("GBT-1");
  amended.set_manner_of_death(records::v1::MANNER_OF_DEATH_ACCIDENT);
  changes.records.push_back(Inbound(
      Envelope(amended, records::v1::ACTION_AMEND, "m-GBT-1-a", "manner corrected"), kDeaths, 0,
      2));
  changes.records.push_back(Inbound(
      Envelope(fx::DeathNotice("GBT-2"), records::v1::ACTION_VOID, "m-GBT-2-v", "issued twice"),
      kDeaths, 0, 3));
  changes.offsets.push_back({{Topic(kDeaths), Partition(0)}, Offset(4)});
  MustApply(changes);
  applied = RowsOf("batch.applied");
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_THAT(applied[1].detail, AllOf(HasSubstr("versions=2 sources=facility:BV01002 digest="),
                                       HasSubstr(" next=crvs.death-notices.v1[0]=4")));
  EXPECT_EQ("digest=" + DigestAt(applied[1].at_us),
            applied[1].detail.substr(applied[1].detail.find("digest="), 71));

  for (const AuditRow& row : Rows()) {
    const std::string text = row.actor + " " + row.subject + " " + row.detail;
    for (const char* personal : {"001052003456", "001090005678", "079194001234", "Hoàng",
                                 "Trần", "Nguyễn", "Tư"}) {
      EXPECT_THAT(text, Not(HasSubstr(personal))) << "row " << row.seq;
    }
  }
  EXPECT_TRUE(Verify().intact);
}

TEST_P(AuditTest, ARepeatedBatchChangesNothingAndAppendsNothing) {
  MustApply(Deaths(1, 3, 0));
  const int64_t last = LastSeq();
  MustApply(Deaths(1, 3, 0));  // after a crash: duplicates, offsets do not move
  EXPECT_EQ(LastSeq(), last);
}

TEST_P(AuditTest, DeadLettersAreAuditedWhenOpenedAndWhenResolved) {
  ApplyBatch batch = Deaths(1, 1, 0);
  FailedMessage bad;
  bad.message.topic_partition = {Topic(kDeaths), Partition(1)};
  bad.message.offset = Offset(5);
  bad.message.value = "garbage";
  bad.error_class = "DECODE";
  bad.error_message = "not a crvs.records.v1.RecordEnvelope";
  bad.business_key = "death/BV01002/UNREADABLE";
  batch.failures.push_back(bad);
  // A SUBMIT of other content for GBT-1 in the same batch: CONFLICT.
  auto other = fx::DeathNotice("GBT-1");
  other.set_manner_of_death(records::v1::MANNER_OF_DEATH_ACCIDENT);
  batch.records.push_back(
      Inbound(Envelope(other, records::v1::ACTION_SUBMIT, "m-GBT-1-again"), kDeaths, 0, 1));
  batch.offsets = {{{Topic(kDeaths), Partition(0)}, Offset(2)},
                   {{Topic(kDeaths), Partition(1)}, Offset(6)}};
  MustApply(batch);

  auto opened = RowsOf("dead_letter.opened");
  ASSERT_EQ(opened.size(), 2u);
  std::map<std::string, AuditRow> by_class;
  for (const auto& r : opened) {
    by_class[r.detail.substr(0, r.detail.find(' '))] = r;
  }
  ASSERT_EQ(by_class.count("error_class=CONFLICT"), 1u);
  ASSERT_EQ(by_class.count("error_class=DECODE"), 1u);
  EXPECT_EQ(by_class["error_class=CONFLICT"].actor, "facility:BV01002");
  EXPECT_THAT(by_class["error_class=CONFLICT"].detail,
              HasSubstr("business_key=death/BV01002/GBT-1 topic=crvs.death-notices.v1 "
                        "partition=0 offset=1"));
  EXPECT_EQ(by_class["error_class=DECODE"].actor, "consumer_group:registry-sink");
  EXPECT_THAT(by_class["error_class=DECODE"].subject, HasSubstr("dead_letter/"));

  const int64_t id = std::stoll(by_class["error_class=DECODE"].subject.substr(12));
  auto discarded = store_->ResolveDeadLetter(id, DeadLetterState::kDiscarded,
                                             "operator:lan", "garbage from 001052003456's test");
  ASSERT_TRUE(discarded.ok()) << discarded.status();
  auto resolved = RowsOf("dead_letter.discarded");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].actor, "operator:lan");
  EXPECT_EQ(resolved[0].subject, "dead_letter/" + std::to_string(id));
  EXPECT_THAT(resolved[0].detail, AllOf(HasSubstr("error_class=DECODE"), HasSubstr("note=\""),
                                        Not(HasSubstr("001052003456"))));

  const int64_t conflict_id = std::stoll(by_class["error_class=CONFLICT"].subject.substr(12));
  ASSERT_TRUE(store_
                  ->ResolveDeadLetter(conflict_id, DeadLetterState::kReplayed,
                                      "operator:minh", "replayed to t[0]@9")
                  .ok());
  auto replayed = RowsOf("dead_letter.replayed");
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0].actor, "operator:minh");

  // A refused resolution rolls back, audit row included.
  const int64_t last = LastSeq();
  EXPECT_THAT(store_->ResolveDeadLetter(id, DeadLetterState::kDiscarded, "operator:lan",
                                        "again"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->ResolveDeadLetter(conflict_id, DeadLetterState::kDiscarded, "", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(LastSeq(), last);
  EXPECT_TRUE(Verify().intact);
}

TEST_P(AuditTest, ALostRangeIsAuditedOnce) {
  LostRange range{{Topic(kDeaths), Partition(1)}, Offset(10), Offset(250), absl::Now()};
  ASSERT_TRUE(store_->RecordLostRange(kGroup, range).ok());
  ASSERT_TRUE(store_->RecordLostRange(kGroup, range).ok());
  auto lost = RowsOf("offsets.lost");
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].detail, "topic=crvs.death-notices.v1 partition=1 from=10 to=250");
}

TEST_P(AuditTest, StoreAuditAppendsInItsOwnTransaction) {
  ASSERT_TRUE(store_
                  ->Audit({{"operator:lan", "connector.paused", "connector/registry-sink",
                            "state=CONNECTOR_STATE_PAUSED"}})
                  .ok());
  auto rows = RowsOf("connector.paused");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor, "operator:lan");
  EXPECT_THAT(store_->Audit({{"", "x", "y", "z"}}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(Verify().intact);
}

// --- tampering ---

TEST_P(AuditTest, AnEditedRowIsNamed) {
  Fill();
  ASSERT_TRUE(Verify().intact);
  Sql("UPDATE audit_log SET detail = 'action=SUBMIT outcome=APPLIED_NEW version=9' WHERE seq = 8");
  EXPECT_EQ(ExpectBrokenAt(8, "row 8 was edited").rows, 7);
}

TEST_P(AuditTest, AnEditedRowWithARecomputedHashIsNamedByTheNextRow) {
  Fill();
  auto rows = Rows();
  const AuditRow& r = rows[7];  // seq 8
  std::string forged = AuditHash(r.prev_hash, r.seq, r.at_us, "operator:mallory", r.action,
                                 r.subject, r.detail);
  Sql("UPDATE audit_log SET actor = 'operator:mallory', hash = $1 WHERE seq = 8",
      {Value::Blob(forged)});
  ExpectBrokenAt(9, "row 9 does not follow row 8");
}

TEST_P(AuditTest, ADeletedRowIsNamed) {
  Fill();
  Sql("DELETE FROM audit_log WHERE seq = 10");
  ExpectBrokenAt(10, "row 10 is missing: row 11 follows row 9");
}

TEST_P(AuditTest, ADeletedRowWithTheRestRenumberedIsNamed) {
  Fill();
  const int64_t last = LastSeq();
  Sql("DELETE FROM audit_log WHERE seq = 10");
  for (int64_t seq = 11; seq <= last; ++seq) {
    Sql("UPDATE audit_log SET seq = $1 WHERE seq = $2", {Value::Int(seq - 1), Value::Int(seq)});
  }
  Sql("UPDATE audit_head SET seq = $1", {Value::Int(last - 1)});
  ExpectBrokenAt(10, "row 10 does not follow row 9");
}

TEST_P(AuditTest, TwoSwappedRowsAreNamed) {
  Fill();
  auto rows = Rows();
  // Rows 7 and 9 exchange everything but their seq (whole rows moved).
  for (auto [to, from] : {std::pair{7, 9}, std::pair{9, 7}}) {
    const AuditRow& r = rows[from - 1];
    Sql("UPDATE audit_log SET at_us = $1, actor = $2, action = $3, subject = $4, detail = $5, "
        "prev_hash = $6, hash = $7 WHERE seq = $8",
        {Value::Int(r.at_us), Value::Text(r.actor), Value::Text(r.action), Value::Text(r.subject),
         Value::Text(r.detail), Value::Blob(r.prev_hash), Value::Blob(r.hash), Value::Int(to)});
  }
  ExpectBrokenAt(7, "row 7 does not follow row 6");
}

TEST_P(AuditTest, TwoRowsWithSwappedContentsAreNamed) {
  Fill();
  auto rows = Rows();
  // Only subject and detail exchanged; seq, links and hashes left in place.
  for (auto [to, from] : {std::pair{8, 11}, std::pair{11, 8}}) {
    Sql("UPDATE audit_log SET subject = $1, detail = $2 WHERE seq = $3",
        {Value::Text(rows[from - 1].subject), Value::Text(rows[from - 1].detail), Value::Int(to)});
  }
  ExpectBrokenAt(8, "row 8 was edited");
}

TEST_P(AuditTest, ADeletedLastRowIsDetectedThroughTheHead) {
  Fill();
  const int64_t last = LastSeq();
  Sql("DELETE FROM audit_log WHERE seq = $1", {Value::Int(last)});
  AuditVerifyResult v = ExpectBrokenAt(last, "row " + std::to_string(last) + " is missing");
  EXPECT_THAT(v.problem, HasSubstr("the tail was deleted"));
  EXPECT_EQ(v.rows, last - 1);
}

TEST_P(AuditTest, AnEditedOrDeletedHeadIsDetected) {
  Fill();
  const int64_t last = LastSeq();
  Sql("UPDATE audit_head SET hash = $1", {Value::Blob(std::string(32, 'x'))});
  ExpectBrokenAt(last, "audit_head's hash is not the hash of row");

  Sql("DELETE FROM audit_head");
  AuditVerifyResult v = Verify();
  EXPECT_FALSE(v.intact);
  EXPECT_THAT(v.problem, HasSubstr("audit_head is missing"));
  // Nothing more is appended to a chain without a head: the batch fails whole.
  auto refused = store_->Apply(Deaths(100, 1, 100));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kDataLoss));
}

TEST_P(AuditTest, ARowAddedOutsideTheChainIsNamed) {
  Fill();
  const int64_t last = LastSeq();
  Sql("INSERT INTO audit_log (seq, at_us, actor, action, subject, detail, prev_hash, hash) "
      "VALUES ($1, 0, 'operator:mallory', 'record.applied', 'x', '', $2, $3)",
      {Value::Int(last + 1), Value::Blob(std::string(32, 'a')), Value::Blob(std::string(32, 'b'))});
  const std::string next = std::to_string(last + 1);
  ExpectBrokenAt(last + 1, "row " + next + " does not follow row " + std::to_string(last));

  // Even well linked and hashed, a row the head does not cover is named.
  const AuditRow tail = Rows().at(last - 1);
  Sql("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3",
      {Value::Blob(tail.hash),
       Value::Blob(AuditHash(tail.hash, last + 1, 0, "operator:mallory", "record.applied", "x", "")),
       Value::Int(last + 1)});
  ExpectBrokenAt(last + 1, "row " + next + " is past the chain's head");
}

// Truncating the tail and rewriting the head consistently leaves a valid shorter chain: only a
// head kept outside the database shows it.
TEST_P(AuditTest, AnExpectedHeadCatchesATruncatedAndRewrittenChain) {
  Fill();
  AuditVerifyResult before = Verify();
  ASSERT_TRUE(before.intact);
  AuditVerifyOptions expect;
  expect.expect = std::make_pair(before.head_seq, before.head_hash);
  EXPECT_TRUE(Verify(expect).intact);

  auto rows = Rows();
  const AuditRow& keep = rows[rows.size() - 3];
  Sql("DELETE FROM audit_log WHERE seq > $1", {Value::Int(keep.seq)});
  Sql("UPDATE audit_head SET seq = $1, hash = $2", {Value::Int(keep.seq), Value::Blob(keep.hash)});
  EXPECT_TRUE(Verify().intact);
  AuditVerifyResult v = Verify(expect);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.bad_seq, before.head_seq);
  EXPECT_THAT(v.problem, HasSubstr("was expected but the chain ends at row"));
}

TEST_P(AuditTest, VerifyReadsInPagesAndReportsProgress) {
  Fill();
  const int64_t last = LastSeq();
  AuditVerifyOptions options;
  options.page_rows = 2;
  options.progress_every = 4;
  std::vector<int64_t> seen;
  options.progress = [&](int64_t rows, int64_t seq) {
    EXPECT_EQ(rows, seq);
    seen.push_back(rows);
  };
  AuditVerifyResult v = Verify(options);
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.rows, last);
  EXPECT_EQ(static_cast<int64_t>(seen.size()), last / 4);
}

// Two writers (two sinks, or a sink and an operator) appending at once keep one chain.
TEST_P(AuditTest, ConcurrentAppendersKeepOneValidChain) {
  constexpr int kBatches = 25;
  const int64_t start = LastSeq();
  std::atomic<int> retries{0};
  auto writer = [&](int id) {
    auto store = Store::Open(db_->config());
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < kBatches; ++i) {
      absl::Status status;
      for (int attempt = 0; attempt < 100; ++attempt) {
        if (id == 0) {
          ApplyBatch b = Deaths(1000 + 2 * i, 2, 2 * i);
          auto applied = (*store)->Apply(b);
          status = applied.status();
        } else {
          status = (*store)->Audit({{"operator:lan", "connector.paused",
                                     "connector/c" + std::to_string(i), "state=PAUSED"},
                                    {"operator:lan", "connector.resumed",
                                     "connector/c" + std::to_string(i), "state=RUNNING"}});
        }
        if (status.ok() || !IsRetryable(status)) break;
        ++retries;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      ASSERT_TRUE(status.ok()) << status;
    }
  };
  std::thread a(writer, 0), b(writer, 1);
  a.join();
  b.join();
  // Writer 0: 1 row per batch; writer 1: 2 rows per call.
  EXPECT_EQ(LastSeq(), start + kBatches * 1 + kBatches * 2);
  AuditVerifyResult v = Verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.rows, start + kBatches * 3);
  // PostgreSQL: the second appender waits for the head's row lock instead of colliding on a
  // seq and being rolled back.
  if (store_->backend() == "postgresql") {
    EXPECT_EQ(retries.load(), 0);
  }
}

TEST(AuditHashTest, IsSha256OfTheDocumentedLayout) {
  // Independently computed: python3 -c "import hashlib,struct; f=lambda s: struct.pack('>I',
  // len(s))+s; print(hashlib.sha256(b'\0'*32+struct.pack('>QQ',1,1700000000000000)+
  // f(b'facility:BV79001')+f(b'record.applied')+f(b'birth/BV79001/1')+f(b'v=1')).hexdigest())"
  EXPECT_EQ(absl::BytesToHexString(AuditHash(std::string(32, '\0'), 1, 1700000000000000,
                                             "facility:BV79001", "record.applied",
                                             "birth/BV79001/1", "v=1")),
            "934f03d5db108800c62bf7cecbeb57d580d2548b1c8ef3c499dabb5ca675a1d8");
  EXPECT_FALSE(HashFromHex("00").has_value());

  // python3: f as above; hashlib.sha256(f(b'death/BV01002/GBT-1')+struct.pack('>Q',1)+
  // f(b'SUBMIT')+f(b'\x01\x02')+f(b'm-GBT-1')+f(b'facility:BV01002')+
  // f(b'crvs.death-notices.v1')+struct.pack('>QQ',0,5)).hexdigest()
  VersionsDigest d;
  d.Add({"death/BV01002/GBT-1", 1, "SUBMIT", std::string("\x01\x02"), "m-GBT-1",
         "facility:BV01002", "crvs.death-notices.v1", 0, 5});
  EXPECT_EQ(d.count(), 1);
  EXPECT_EQ(d.Hex(), "d36b264028bf2e7a4022e41111249db055a47b94748b6d14fb41752bac5dd6fe");
  EXPECT_FALSE(HashFromHex(std::string(64, 'g')).has_value());
  EXPECT_EQ(HashFromHex(std::string(64, 'a')), std::string(32, '\xaa'));
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditTest, ::testing::ValuesIn(TestBackends()), BackendName);

}  // namespace
}  // namespace crvs::store::testing
