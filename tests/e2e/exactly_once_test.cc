// Exactly once, shown with real processes: `crvs devbroker`, `crvs gateway` and `crvs sink`
// as separate programs, SQLite and a real PostgreSQL server, kill -9 and restarts. Every check
// reads the database with plain SQL.
#include <signal.h>

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/records/records.h"
#include "services/store/store_test_util.h"
#include "tests/e2e/pipeline_harness.h"
#include "tests/support/fixtures.h"
#include "tests/support/slowdown.h"

namespace crvs::e2e {
namespace {

using ingest::v1::IngestRequest;
using ingest::v1::Receipt;

IngestRequest Notice(int i) {
  IngestRequest r;
  r.set_message_id("e2e-" + std::to_string(i));
  r.set_action(records::v1::ACTION_SUBMIT);
  *r.mutable_death_notice() = testing::DeathNotice("GBT-E2E-" + std::to_string(i));
  return r;
}

std::string Hex(const std::string& bytes) {
  static const char* d = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

// Streams notices [first, first + n) through the gateway; returns how many were ACCEPTED.
int StreamNotices(Pipeline& p, int n, int first = 0) {
  auto stub = p.Stub();
  grpc::ClientContext ctx;
  ctx.AddMetadata("crvs-principal", "facility:BV01002");
  auto stream = stub->SubmitStream(&ctx);
  std::thread writer([&] {
    for (int i = 0; i < n; ++i) {
      if (!stream->Write(Notice(first + i))) break;
    }
    stream->WritesDone();
  });
  int accepted = 0;
  Receipt r;
  while (stream->Read(&r)) {
    if (r.state() == ingest::v1::RECEIPT_STATE_ACCEPTED) ++accepted;
  }
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
  return accepted;
}

// Records sink `index` committed (any outcome), once it reached `n` or after 60 s (longer in a
// sanitizer build).
int64_t WaitForSinkCommitted(Pipeline& p, int index, int64_t n) {
  int64_t committed = 0;
  for (int i = 0; i < 600 * testing::kSlowdown; ++i) {
    committed = static_cast<int64_t>(p.SinkCommitted(index));
    if (committed >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // A little longer: a sink that re-reads applies more than n.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  return static_cast<int64_t>(p.SinkCommitted(index));
}

class ExactlyOnce : public ::testing::TestWithParam<Backend> {
 protected:
  // Every one of the n notices is in the database exactly once, with the content sent.
  void ExpectExactlyOnce(Pipeline& p, int n) {
    EXPECT_EQ(p.WaitForCount("SELECT count(*) FROM records", n, 180), n);
    EXPECT_EQ(p.Count("SELECT count(*) FROM records"), n);
    EXPECT_EQ(p.Count("SELECT count(*) FROM record_versions"), n) << "a record applied twice";
    EXPECT_EQ(p.Count("SELECT count(DISTINCT message_id) FROM record_versions"), n);
    EXPECT_EQ(p.Count("SELECT count(*) FROM dead_letters"), 0);
    std::map<std::string, std::string> expected;
    for (int i = 0; i < n; ++i) {
      auto notice = Notice(i).death_notice();
      expected[records::KeyOf(notice.key()).value] = Hex(records::ContentHash(notice));
    }
    auto rows = p.Query("SELECT business_key, hex(content_hash) FROM records",
                        "SELECT business_key, upper(encode(content_hash, 'hex')) FROM records");
    ASSERT_EQ(rows.size(), static_cast<size_t>(n));
    int mismatched = 0;
    for (const auto& row : rows) {
      auto it = expected.find(row[0]);
      if (it == expected.end() || it->second != row[1]) ++mismatched;
    }
    EXPECT_EQ(mismatched, 0) << "records whose key or content is not what was sent";
  }
};

TEST_P(ExactlyOnce, SinkKilledMidStreamThenRestartedHoldsEveryRecordOnce) {
  constexpr int kRecords = 50000;  // ~40 MB of envelopes: 12 partitions of ~5 MB hold them
  Pipeline p(GetParam(), /*partitions=*/12);
  p.StartGateway();
  int sink = p.StartSink();
  std::atomic<int> accepted{0};
  std::thread sender([&] { accepted = StreamNotices(p, kRecords); });

  int64_t at_kill = p.WaitForCount("SELECT count(*) FROM records", 10000, 120);
  p.KillSink(sink);
  const int64_t before_restart = p.Count("SELECT count(*) FROM records");
  int restarted = p.StartSink();
  sender.join();
  EXPECT_EQ(accepted.load(), kRecords);
  EXPECT_GE(at_kill, 10000);
  EXPECT_LT(before_restart, kRecords) << "the kill came after the stream had fully landed";
  ExpectExactlyOnce(p, kRecords);
  // Message ids alone would give the same database: the restarted sink must also have resumed
  // from the positions stored with the records, applying exactly the ones missing at its start.
  // A sink that read its partitions from the start again counts the others a second time (as
  // duplicates).
  const int64_t missing = kRecords - before_restart;
  EXPECT_EQ(WaitForSinkCommitted(p, restarted, missing), missing)
      << "the restarted sink applied records below its stored positions again";
}

TEST_P(ExactlyOnce, TwoSinksInOneGroupOneKilledTheOtherTakesOver) {
  constexpr int kRecords = 25000;  // ~20 MB: within what 6 mock partitions keep
  Pipeline p(GetParam(), /*partitions=*/6);
  p.StartGateway();
  int first = p.StartSink();
  p.StartSink();
  std::atomic<int> accepted{0};
  std::thread sender([&] { accepted = StreamNotices(p, kRecords); });
  int64_t at_kill = p.WaitForCount("SELECT count(*) FROM records", 8000, 120);
  p.KillSink(first);
  sender.join();
  EXPECT_EQ(accepted.load(), kRecords);
  EXPECT_LT(at_kill, kRecords);
  ExpectExactlyOnce(p, kRecords);
}

// Regression: a sink whose stored positions point into a NEW log (topic deleted and re-created,
// in-memory broker restarted) that has already grown past them consumed from the stored
// positions and silently skipped the new log's first records. Each commit stores the
// fingerprint of the last message; the sink fetches that message again and, finding another
// one, re-reads the log from its start (message ids make that safe) and records a log reset.
TEST_P(ExactlyOnce, ALogThatReusesTheStoredOffsetsIsReadFromItsStart) {
  Pipeline p(GetParam(), /*partitions=*/2);
  p.StartGateway();
  int sink = p.StartSink();
  ASSERT_EQ(StreamNotices(p, 100), 100);
  ASSERT_EQ(p.WaitForCount("SELECT count(*) FROM records", 100, 120), 100);
  p.StopSink(sink);

  p.ReplaceBroker();  // empty logs under the same topic names
  p.RestartGateway();
  ASSERT_EQ(StreamNotices(p, 300, /*first=*/100), 300);  // the new logs pass the old positions
  p.StartSink();
  ExpectExactlyOnce(p, 400);
  EXPECT_EQ(p.Count("SELECT count(*) FROM log_resets WHERE reason = 'LOG_REPLACED'"), 2)
      << "one reset per partition of the death-notice topic";
  EXPECT_EQ(p.Count("SELECT count(*) FROM log_resets WHERE acknowledged_at_us IS NULL"), 2);
}

// The source hears every outcome (gateway.receipt_after = database): COMMITTED once the record
// is in the database; CONFLICT when the database refuses it (found by probing: a second SUBMIT
// with other content was ACCEPTED and the source never heard it was refused); and after a
// gateway restart GetReceipt and a re-used message id are answered from the database.
TEST_P(ExactlyOnce, ReceiptsAfterTheDatabaseTellTheSourceEveryOutcome) {
  Pipeline p(GetParam(), /*partitions=*/2);
  p.StartGateway({"gateway.receipt_after=database"});
  p.StartSink();
  auto submit = [&](const IngestRequest& r, Receipt* out) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("crvs-principal", "facility:BV01002");
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return p.Stub()->Submit(&ctx, r, out);
  };
  auto get_receipt = [&](const std::string& message_id, Receipt* out) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("crvs-principal", "facility:BV01002");
    ingest::v1::GetReceiptRequest request;
    request.set_message_id(message_id);
    return p.Stub()->GetReceipt(&ctx, request, out);
  };

  Receipt first;
  grpc::Status s = submit(Notice(1), &first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(first.state(), ingest::v1::RECEIPT_STATE_COMMITTED) << first.ShortDebugString();
  EXPECT_EQ(first.version(), 1);
  EXPECT_TRUE(first.has_committed_at());
  EXPECT_EQ(p.Count("SELECT count(*) FROM records"), 1) << "COMMITTED before the commit";

  IngestRequest other = Notice(1);  // same business key, other content, as a SUBMIT
  other.set_message_id("e2e-1-again");
  other.mutable_death_notice()->set_manner_of_death(records::v1::MANNER_OF_DEATH_ACCIDENT);
  Receipt conflict;
  s = submit(other, &conflict);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(conflict.state(), ingest::v1::RECEIPT_STATE_CONFLICT) << conflict.ShortDebugString();
  EXPECT_EQ(conflict.error().code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(conflict.error().message(), ::testing::HasSubstr("AMEND"));

  // A new gateway remembers nothing; the database does.
  p.KillGateway();
  p.RestartGateway();
  Receipt looked_up;
  s = get_receipt("e2e-1", &looked_up);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(looked_up.state(), ingest::v1::RECEIPT_STATE_COMMITTED);
  EXPECT_EQ(looked_up.business_key(), "death/BV01002/GBT-E2E-1");
  s = get_receipt("e2e-1-again", &looked_up);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(looked_up.state(), ingest::v1::RECEIPT_STATE_CONFLICT);

  Receipt again;
  s = submit(Notice(1), &again);  // the same submission again: the database holds it already
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(again.state(), ingest::v1::RECEIPT_STATE_COMMITTED) << again.ShortDebugString();
  EXPECT_EQ(again.version(), 1);

  p.KillGateway();  // another fresh gateway: the reuse below is caught by the database alone
  p.RestartGateway();
  IngestRequest reused = Notice(2);
  reused.set_message_id("e2e-1");  // the id of a committed record, for other content
  Receipt refused;
  s = submit(reused, &refused);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(refused.state(), ingest::v1::RECEIPT_STATE_CONFLICT) << refused.ShortDebugString();
  EXPECT_THAT(refused.error().message(), ::testing::HasSubstr("already applied"));
  EXPECT_EQ(p.Count("SELECT count(*) FROM record_versions"), 1);
  // The receipt came from what the database already held (e2e-1 committed with other content);
  // the reused message itself still travels the topic, and the sink refuses it: a CONFLICT dead
  // letter, the reuse's own outcome, written after the receipt. Pulled before it lands, it came
  // in the next pull (seen on PostgreSQL under ASan).
  EXPECT_EQ(p.WaitForCount("SELECT count(*) FROM dead_letters WHERE message_id = 'e2e-1'", 1, 60),
            1);

  // A source reconciles by pulling its outcomes, oldest first, from a cursor.
  auto pull = [&](const std::string& after, ingest::v1::PullOutcomesResponse* out) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("crvs-principal", "facility:BV01002");
    ingest::v1::PullOutcomesRequest request;
    request.set_after(after);
    return p.Stub()->PullOutcomes(&ctx, request, out);
  };
  ingest::v1::PullOutcomesResponse outcomes;
  s = pull("", &outcomes);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // e2e-1 committed, e2e-1-again refused, and e2e-1 reused for other content refused.
  ASSERT_EQ(outcomes.outcomes_size(), 3) << outcomes.ShortDebugString();
  EXPECT_EQ(outcomes.outcomes(0).message_id(), "e2e-1");
  EXPECT_EQ(outcomes.outcomes(0).state(), ingest::v1::RECEIPT_STATE_COMMITTED);
  EXPECT_EQ(outcomes.outcomes(1).message_id(), "e2e-1-again");
  EXPECT_EQ(outcomes.outcomes(1).state(), ingest::v1::RECEIPT_STATE_CONFLICT);
  EXPECT_EQ(outcomes.outcomes(2).message_id(), "e2e-1");
  EXPECT_EQ(outcomes.outcomes(2).state(), ingest::v1::RECEIPT_STATE_CONFLICT);
  ingest::v1::PullOutcomesResponse nothing_new;
  s = pull(outcomes.cursor(), &nothing_new);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(nothing_new.outcomes_size(), 0);
  EXPECT_EQ(nothing_new.cursor(), outcomes.cursor());
  s = pull("not a cursor", &nothing_new);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(ExactlyOnce, PoisonMessageFromKcatIsDeadLetteredAndLaterRecordsApply) {
  Pipeline p(GetParam());
  p.StartGateway();
  p.StartSink();
  // A record nobody can decode, produced by a client we did not write.
  auto kcat = testing::RunProgram({"kcat", "-P", "-b", p.bootstrap(), "-t",
                                   "crvs.death-notices.v1", "-k", "death/BV01002/POISON", "-H",
                                   "crvs-source=facility:BV01002", "-p", "0"},
                                  "\x01\x02this is not a protobuf envelope\xff\n");
  ASSERT_EQ(kcat.exit_code, 0) << kcat.err;
  EXPECT_EQ(StreamNotices(p, 20), 20);
  EXPECT_EQ(p.WaitForCount("SELECT count(*) FROM records", 20, 60), 20);
  EXPECT_EQ(p.WaitForCount("SELECT count(*) FROM dead_letters", 1, 30), 1);
  auto rows = p.Query(
      "SELECT error_class, original_topic, original_partition, business_key, state FROM dead_letters",
      "SELECT error_class, original_topic, original_partition, business_key, state FROM "
      "dead_letters");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"DECODE", "crvs.death-notices.v1", "0",
                                               "death/BV01002/POISON", "OPEN"}));
  // The dead-letter topic holds it too, original header kept and error context added.
  // (Published right after the database commit: allow it a moment.)
  testing::RunResult dlq;
  for (int i = 0; i < 50 && dlq.out.empty(); ++i) {
    dlq = testing::RunProgram({"kcat", "-C", "-b", p.bootstrap(), "-t", "crvs.dead-letters.v1",
                               "-o", "beginning", "-e", "-q", "-f", "%k|%h\n"});
    ASSERT_EQ(dlq.exit_code, 0) << dlq.err;
    if (dlq.out.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_THAT(dlq.out, ::testing::HasSubstr("death/BV01002/POISON|crvs-source=facility:BV01002,"
                                            "crvs-dlq-error-class=DECODE,"));
  EXPECT_THAT(dlq.out, ::testing::HasSubstr("crvs-dlq-original-topic=crvs.death-notices.v1,"
                                            "crvs-dlq-original-partition=0,"
                                            "crvs-dlq-original-offset=0"));
}

INSTANTIATE_TEST_SUITE_P(Backends, ExactlyOnce,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

// Regression: one record PostgreSQL refused (an AMEND whose reason held a NUL byte) failed the
// sink's batch forever and every later record on every partition stopped landing. Produced
// straight to the topic with kcat, past the gateway: the NUL reason is a VALIDATION dead
// letter; a record the database itself refuses (here: a CHECK constraint an operator added)
// is found by splitting the batch and becomes a DATABASE dead letter; everything else lands.
TEST(ExactlyOncePostgres, ARecordTheDatabaseRefusesIsOneDeadLetterAndEveryOtherRecordLands) {
  Pipeline p(Backend::kPostgres, /*partitions=*/1);
  p.StartGateway();
  p.StartSink({"crypto.accept_unsealed=true", "sink.batch_max_wait=500ms"});
  ASSERT_EQ(StreamNotices(p, 10), 10);
  ASSERT_EQ(p.WaitForCount("SELECT count(*) FROM records", 10, 60), 10);
  auto check = p.postgres()->Query(
      "crvs", "ALTER TABLE records ADD CONSTRAINT refuse_one CHECK "
              "(business_key <> 'death/BV01002/GBT-REFUSED')");
  ASSERT_TRUE(check.ok()) << check.status();

  auto produce = [&](const records::v1::RecordEnvelope& e, const std::string& name) {
    std::string file = "/tmp/crvs-kcat-" + name + "-" + std::to_string(getpid());
    FILE* f = std::fopen(file.c_str(), "wb");
    std::string bytes = e.SerializeAsString();
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    auto kcat = testing::RunProgram({"kcat", "-P", "-b", p.bootstrap(), "-t",
                                     "crvs.death-notices.v1", "-k", e.business_key(), "-p", "0",
                                     file});
    std::remove(file.c_str());
    ASSERT_EQ(kcat.exit_code, 0) << kcat.err;
  };
  auto nul = store::testing::Envelope(testing::DeathNotice("GBT-E2E-3"), records::v1::ACTION_AMEND,
                                      "nul-reason", std::string("typo\0fixed", 10));
  auto refused = store::testing::Envelope(testing::DeathNotice("GBT-REFUSED"),
                                          records::v1::ACTION_SUBMIT, "refused-1");
  produce(nul, "nul");
  produce(refused, "refused");
  ASSERT_EQ(StreamNotices(p, 40, /*first=*/10), 40);

  EXPECT_EQ(p.WaitForCount("SELECT count(*) FROM records", 50, 120), 50);
  EXPECT_EQ(p.WaitForCount("SELECT count(*) FROM dead_letters", 2, 60), 2);
  auto rows = p.Query("", "SELECT message_id, error_class FROM dead_letters ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"nul-reason", "VALIDATION"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"refused-1", "DATABASE"}));
  EXPECT_EQ(p.Count("SELECT count(*) FROM records WHERE business_key = 'death/BV01002/GBT-REFUSED'"), 0);
  auto why = p.Query("", "SELECT error_message FROM dead_letters WHERE message_id = 'refused-1'");
  ASSERT_EQ(why.size(), 1u);
  EXPECT_THAT(why[0][0], ::testing::HasSubstr("violates check constraint \"refuse_one\""));
  EXPECT_THAT(why[0][0], ::testing::Not(::testing::HasSubstr("INSERT INTO")));
  EXPECT_EQ(p.Count("SELECT count(DISTINCT message_id) FROM record_versions"), 50);
}

// Streams `n` notices through the gateway into PostgreSQL and calls `outage` on the server
// once 3,000 have landed, while the stream goes on; returns how many the gateway accepted.
int StreamThroughAnOutage(Pipeline& p, int n, const std::function<void()>& outage) {
  p.StartGateway();
  p.StartSink();
  std::atomic<int> accepted{0};
  std::thread sender([&] { accepted = StreamNotices(p, n); });
  p.WaitForCount("SELECT count(*) FROM records", 3000, 120);
  outage();
  sender.join();
  return accepted.load();
}

TEST(ExactlyOncePostgres, ServerRestartedDuringConsumptionSinkRetriesAndResumes) {
  constexpr int kRecords = 20000;
  Pipeline p(Backend::kPostgres);
  const int accepted = StreamThroughAnOutage(p, kRecords, [&] {
    // Down long enough that the sink's batches fail and are retried, then back on the same
    // port.
    ASSERT_TRUE(p.postgres()->Stop().ok()) << p.postgres()->server_log();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    ASSERT_TRUE(p.postgres()->Restart().ok()) << p.postgres()->server_log();
  });
  EXPECT_EQ(accepted, kRecords);
  EXPECT_EQ(p.WaitForCount("SELECT count(*) FROM records", kRecords, 180), kRecords);
  EXPECT_EQ(p.Count("SELECT count(*) FROM record_versions"), kRecords);
  EXPECT_EQ(p.Count("SELECT count(DISTINCT message_id) FROM record_versions"), kRecords);
  EXPECT_GE(p.SinkMetric(0, "crvs_sink_apply_failures_total"), 1)
      << "the outage never reached the sink: the test proved nothing about retries";
}

// The sink's batches commit without waiting for the WAL flush on PostgreSQL (store.cc,
// Store::Apply): a server crash may lose the last of them, each whole with its offsets. After
// recovery the sink resumes from the positions that survived and applies those records again:
// every record once, none missing.
TEST(ExactlyOncePostgres, ServerCrashedMidStreamLosesOnlyWholeBatchesAppliedAgain) {
  constexpr int kRecords = 20000;
  Pipeline p(Backend::kPostgres);
  const int accepted = StreamThroughAnOutage(p, kRecords, [&] {
    const int64_t seen = p.Count("SELECT count(*) FROM records");
    ASSERT_TRUE(p.postgres()->Crash().ok()) << p.postgres()->server_log();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    ASSERT_TRUE(p.postgres()->Restart().ok()) << p.postgres()->server_log();
    const int64_t recovered = p.Count("SELECT count(*) FROM records");
    std::printf("records seen before the crash: %lld, after recovery: %lld\n",
                static_cast<long long>(seen), static_cast<long long>(recovered));
  });
  EXPECT_EQ(accepted, kRecords);
  EXPECT_EQ(p.WaitForCount("SELECT count(*) FROM records", kRecords, 180), kRecords);
  EXPECT_EQ(p.Count("SELECT count(*) FROM record_versions"), kRecords);
  EXPECT_EQ(p.Count("SELECT count(DISTINCT message_id) FROM record_versions"), kRecords);
  EXPECT_EQ(p.Count("SELECT count(*) FROM dead_letters"), 0);
  // The rows and the offsets stayed together: the stored positions cover exactly the records.
  EXPECT_EQ(p.Count("SELECT COALESCE(sum(next_offset), 0) FROM consumed_offsets"), kRecords);
  EXPECT_GE(p.SinkMetric(0, "crvs_sink_apply_failures_total"), 1)
      << "the crash never reached the sink: the test proved nothing";
}

}  // namespace
}  // namespace crvs::e2e
