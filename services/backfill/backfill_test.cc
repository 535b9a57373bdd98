#include "services/backfill/backfill.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/backfill/checkpoint.h"
#include "services/backfill/generator.h"
#include "services/backfill/progress.h"
#include "services/backfill/test_util.h"
#include "tests/support/status_matchers.h"

namespace crvs::backfill {
namespace {

using ::crvs::testing::IsOk;
using ::crvs::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Lines;
using testing::ReadFile;
using testing::ScratchDir;
using testing::WriteFile;

std::string MessageId(const kafka::OutgoingMessage& m) {
  for (const auto& [name, value] : m.headers) {
    if (name == "crvs-message-id") return value;
  }
  return "";
}

// Confirms on the calling thread, in order. Optionally fails every delivery after the first
// `fail_after`, or answers RESOURCE_EXHAUSTED to every `full_every`-th call (queue full).
class SyncPublisher : public Publisher {
 public:
  int64_t fail_after = -1;
  int full_every = 0;
  std::vector<std::string> confirmed;  // message ids
  int64_t calls = 0;

  absl::Status Publish(kafka::OutgoingMessage m, kafka::Producer::DeliveryCallback done) override {
    if (full_every > 0 && ++calls % full_every == 0) {
      return absl::ResourceExhaustedError("kafka producer queue is full");
    }
    kafka::Delivery d;
    d.topic = m.topic;
    if (fail_after >= 0 && static_cast<int64_t>(confirmed.size()) >= fail_after) {
      d.status = absl::UnavailableError("kafka delivery failed: Local: Message timed out");
    } else {
      confirmed.push_back(MessageId(m));
    }
    done(d);
    return absl::OkStatus();
  }
};

// Confirms from another thread, a batch at a time in shuffled order — like a producer whose
// partitions answer at different speeds.
class AsyncPublisher : public Publisher {
 public:
  AsyncPublisher() : worker_([this] { Run(); }) {}
  ~AsyncPublisher() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  absl::Status Publish(kafka::OutgoingMessage m, kafka::Producer::DeliveryCallback done) override {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back(MessageId(m), std::move(done));
    cv_.notify_all();
    return absl::OkStatus();
  }

  std::vector<std::string> confirmed() {
    std::lock_guard<std::mutex> lock(mu_);
    return confirmed_;
  }

 private:
  void Run() {
    std::mt19937 rng(7);
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty() && stop_) return;
      std::vector<std::pair<std::string, kafka::Producer::DeliveryCallback>> batch;
      while (!queue_.empty() && batch.size() < 64) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      std::shuffle(batch.begin(), batch.end(), rng);
      for (auto& [id, done] : batch) confirmed_.push_back(id);
      lock.unlock();
      for (auto& [id, done] : batch) done(kafka::Delivery{});
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::deque<std::pair<std::string, kafka::Producer::DeliveryCallback>> queue_;
  std::vector<std::string> confirmed_;
  std::thread worker_;
};

BackfillOptions Options(const std::string& file, ExportKind kind = ExportKind::kDivorce) {
  BackfillOptions o;
  o.kind = kind;
  o.file = file;
  o.format = *FormatFromPath(file);
  o.topic = "crvs.divorce-decisions.v1";
  o.checkpoint_interval = std::chrono::milliseconds(0);  // every tick: the tests look at it
  ResolvePaths("", &o);
  return o;
}

// A generated export of `rows` rows; returns its expected eligible count.
int64_t Generate(const std::string& path, ExportKind kind, int64_t rows, double percent) {
  GenerateOptions g;
  g.kind = kind;
  g.format = *FormatFromPath(path);
  g.rows = rows;
  g.ineligible_percent = percent;
  g.out = path;
  auto result = GenerateExport(g);
  EXPECT_THAT(result, IsOk());
  return result.ok() ? result->eligible : -1;
}

TEST(Backfill, RunsAFileToTheEndAndReportsIneligibleRows) {
  ScratchDir dir;
  const std::string file = dir.File("divorces.csv");
  const std::string header =
      "ma_toa_an,so_quyet_dinh,loai_quyet_dinh,ngay_quyet_dinh,ngay_hieu_luc,ho_ten_ben_a,"
      "so_dinh_danh_ben_a,gioi_tinh_ben_a,ho_ten_ben_b,so_dinh_danh_ben_b,gioi_tinh_ben_b\n";
  WriteFile(file, header +
                      "TAND79,1/2019,THUAN_TINH,2019-03-04,2019-03-04,Nguyễn Văn An,079085001234,M,"
                      "Lê Thị Hoa,001187004321,F\n"
                      "TAND79,2/2019,THUAN_TINH,2019-03-04,2019-03-04,Trần Văn Bình,,M,"
                      "Lê Thị Lan,001187004322,F\n"
                      "TAND79,3/2019,BAN_AN,2019-03-04,2019-04-04,Phạm Văn Cường,079085001235,M,"
                      "Ngô Thị Mai,001187004323,F\n"
                      "TAND79,1/2019,THUAN_TINH,2019-03-04,2019-03-04,Nguyễn Văn An,079085001234,M,"
                      "Lê Thị Hoa,001187004321,F\n"
                      "TAND79,\"4/2019, phúc thẩm\",BAN_AN,2019-03-04,,Hồ Văn Dũng,079085001236,M,"
                      "Vũ Thị Nga,001187004324,F\n");
  SyncPublisher publisher;
  BackfillOptions o = Options(file);
  auto summary = RunBackfill(o, publisher);
  ASSERT_THAT(summary, IsOk());
  EXPECT_EQ(summary->rows, 5);
  EXPECT_EQ(summary->eligible, 2);
  EXPECT_EQ(summary->produced, 2);
  EXPECT_EQ(summary->already_done, 0);
  EXPECT_EQ(summary->ineligible, 3);
  EXPECT_EQ(publisher.confirmed.size(), 2u);

  EXPECT_EQ(o.checkpoint_path, dir.File("divorces.csv.checkpoint"));
  EXPECT_EQ(o.report_path, dir.File("divorces.csv.ineligible.csv"));
  EXPECT_THAT(
      Lines(ReadFile(o.report_path)),
      ElementsAre("row,business_key,reason,field,detail",
                  "2,divorce/TAND79/2%2F2019,missing_personal_id,so_dinh_danh_ben_a,"
                  "is required: spouse A's personal ID",
                  "4,divorce/TAND79/1%2F2019,duplicate_key,so_quyet_dinh,business key "
                  "already at row 1 (one row per record: merge them in the export)",
                  "5,\"divorce/TAND79/4%2F2019, phúc thẩm\",no_effective_date,ngay_hieu_luc,"
                  "is empty: the decision has not taken legal effect (a pending decision "
                  "is not backlog)"));
  auto checkpoint = LoadCheckpoint(o.checkpoint_path);
  ASSERT_THAT(checkpoint, IsOk());
  EXPECT_EQ((*checkpoint)->rows_done, 5);
  EXPECT_EQ((*checkpoint)->rows_total, 5);
  EXPECT_TRUE((*checkpoint)->complete);

  const std::string text = FormatSummary(*summary);
  EXPECT_THAT(text, HasSubstr("\nrows: 5\neligible: 2\nproduced: 2\nalready_done: 0\n"
                              "ineligible: 3\nineligible.missing_personal_id: 1\n"
                              "ineligible.no_effective_date: 1\nineligible.duplicate_key: 1\n"));

  // Run again on the complete checkpoint: nothing is produced, the report is the same.
  const std::string report = ReadFile(o.report_path);
  SyncPublisher again;
  auto second = RunBackfill(o, again);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->produced, 0);
  EXPECT_EQ(second->already_done, 2);
  EXPECT_EQ(second->resumed_from, 5);
  EXPECT_TRUE(again.confirmed.empty());
  EXPECT_EQ(ReadFile(o.report_path), report);
}

// Deliveries fail part-way: the run stops with UNAVAILABLE and a checkpoint that covers only
// confirmed rows; the next run produces exactly the rest, so every eligible row reached the
// broker and none of the rows before the checkpoint was produced twice.
TEST(Backfill, ResumesAfterDeliveryFailuresWithoutLosingOrRedoingConfirmedRows) {
  ScratchDir dir;
  const std::string file = dir.File("divorces.csv");
  const int64_t eligible = Generate(file, ExportKind::kDivorce, 3000, 10);
  BackfillOptions o = Options(file);

  SyncPublisher failing;
  failing.fail_after = 1000;
  auto first = RunBackfill(o, failing);
  ASSERT_THAT(first, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(first.status().message(), HasSubstr("(kafka delivery failed: Local: Message timed "
                                                  "out); rows 1.."));
  EXPECT_THAT(first.status().message(), HasSubstr("run the same command again to resume"));
  auto checkpoint = LoadCheckpoint(o.checkpoint_path);
  ASSERT_THAT(checkpoint, IsOk());
  ASSERT_TRUE(checkpoint->has_value());
  const int64_t rows_done = (*checkpoint)->rows_done;
  EXPECT_FALSE((*checkpoint)->complete);
  EXPECT_GT(rows_done, 1000);  // 1000 confirmed records plus the ineligible rows among them
  EXPECT_LT(rows_done, 1200);

  SyncPublisher good;
  auto second = RunBackfill(o, good);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->resumed_from, rows_done);
  EXPECT_EQ(second->eligible, eligible);
  EXPECT_EQ(second->already_done, 1000);
  EXPECT_EQ(second->produced, eligible - 1000);

  std::set<std::string> all(failing.confirmed.begin(), failing.confirmed.end());
  for (const auto& id : good.confirmed) {
    EXPECT_TRUE(all.insert(id).second) << "confirmed twice: " << id;
  }
  EXPECT_EQ(static_cast<int64_t>(all.size()), eligible);
}

TEST(Backfill, OutOfOrderConfirmationsAndAnInterruptionResumeCorrectly) {
  ScratchDir dir;
  const std::string file = dir.File("registrations.ndjson");
  const int64_t eligible = Generate(file, ExportKind::kRegistration, 5000, 8);
  BackfillOptions o = Options(file, ExportKind::kRegistration);
  o.topic = "crvs.registrations.v1";

  std::vector<std::string> confirmed;
  {
    AsyncPublisher publisher;
    int polls = 0;
    o.stop_requested = [&] { return ++polls > 2500; };
    auto first = RunBackfill(o, publisher);
    EXPECT_THAT(first, StatusIs(absl::StatusCode::kCancelled));
    EXPECT_THAT(first.status().message(), HasSubstr("interrupted; rows 1..2500 are done"));
    confirmed = publisher.confirmed();
  }
  EXPECT_EQ((*LoadCheckpoint(o.checkpoint_path))->rows_done, 2500);
  {
    AsyncPublisher publisher;
    o.stop_requested = nullptr;
    auto second = RunBackfill(o, publisher);
    ASSERT_THAT(second, IsOk());
    EXPECT_EQ(second->resumed_from, 2500);
    EXPECT_EQ(second->eligible, eligible);
    EXPECT_EQ(second->already_done + second->produced, eligible);
    auto more = publisher.confirmed();
    confirmed.insert(confirmed.end(), more.begin(), more.end());
  }
  std::set<std::string> distinct(confirmed.begin(), confirmed.end());
  EXPECT_EQ(static_cast<int64_t>(distinct.size()), eligible);
  EXPECT_EQ(static_cast<int64_t>(confirmed.size()), eligible) << "a row was produced twice";
  EXPECT_TRUE((*LoadCheckpoint(o.checkpoint_path))->complete);
}

TEST(Backfill, AFullProducerQueueIsWaitedForNotLost) {
  ScratchDir dir;
  const std::string file = dir.File("divorces.csv");
  const int64_t eligible = Generate(file, ExportKind::kDivorce, 500, 0);
  SyncPublisher publisher;
  publisher.full_every = 3;
  auto summary = RunBackfill(Options(file), publisher);
  ASSERT_THAT(summary, IsOk());
  EXPECT_EQ(summary->produced, eligible);
  std::set<std::string> distinct(publisher.confirmed.begin(), publisher.confirmed.end());
  EXPECT_EQ(static_cast<int64_t>(distinct.size()), eligible);
  EXPECT_EQ(static_cast<int64_t>(publisher.confirmed.size()), eligible);
}

TEST(Backfill, PublishErrorStopsTheRunAtACleanCheckpoint) {
  class Refusing : public Publisher {
   public:
    absl::Status Publish(kafka::OutgoingMessage, kafka::Producer::DeliveryCallback) override {
      return absl::InvalidArgumentError("kafka: Local: Unknown topic");
    }
  } refusing;
  ScratchDir dir;
  const std::string file = dir.File("divorces.csv");
  Generate(file, ExportKind::kDivorce, 100, 0);
  BackfillOptions o = Options(file);
  auto summary = RunBackfill(o, refusing);
  EXPECT_EQ(summary.status(), absl::InvalidArgumentError(
                                  "kafka: Local: Unknown topic; rows 1..0 are done (" +
                                  o.checkpoint_path + "): run the same command again to resume"));
}

TEST(Backfill, CheckpointOfAnotherInputIsRefused) {
  ScratchDir dir;
  const std::string file = dir.File("divorces.csv");
  Generate(file, ExportKind::kDivorce, 50, 0);
  BackfillOptions o = Options(file);
  SyncPublisher publisher;
  ASSERT_THAT(RunBackfill(o, publisher), IsOk());
  Generate(file, ExportKind::kDivorce, 60, 0);  // the export changed under the same name
  auto summary = RunBackfill(o, publisher);
  EXPECT_THAT(summary, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(summary.status().message(), HasSubstr("it is for another input"));
}

TEST(Backfill, BadHeaderIsAnErrorOfTheRun) {
  ScratchDir dir;
  const std::string file = dir.File("divorces.csv");
  WriteFile(file, "court,decision\nTAND79,1\n");
  SyncPublisher publisher;
  auto summary = RunBackfill(Options(file), publisher);
  EXPECT_THAT(summary, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(summary.status().message(), HasSubstr("unknown columns 'court', 'decision'"));
}

TEST(Backfill, DefaultPathsFollowTheCheckpointDirectory) {
  BackfillOptions o;
  o.file = "/exports/court/divorces.csv";
  ResolvePaths("", &o);
  EXPECT_EQ(o.checkpoint_path, "/exports/court/divorces.csv.checkpoint");
  EXPECT_EQ(o.report_path, "/exports/court/divorces.csv.ineligible.csv");
  BackfillOptions p;
  p.file = "divorces.csv";
  ResolvePaths("/var/lib/crvs", &p);
  EXPECT_EQ(p.checkpoint_path, "/var/lib/crvs/divorces.csv.checkpoint");
  EXPECT_EQ(p.report_path, "/var/lib/crvs/divorces.csv.ineligible.csv");
  BackfillOptions q;
  q.file = "divorces.csv";
  q.checkpoint_path = "/state/run1.json";
  ResolvePaths("", &q);
  EXPECT_EQ(q.report_path, "/state/divorces.csv.ineligible.csv");
}

TEST(Progress, LineShowsRowsRateAndEta) {
  EXPECT_EQ(Progress::Line(90123, 200000, 35210.4),
            "[##########..............]  45.1%  90,123/200,000 rows  35,210 rows/s  ETA 0:03");
  EXPECT_EQ(Progress::Line(0, 200000, 0),
            "[........................]   0.0%  0/200,000 rows  0 rows/s  ETA --:--");
}

}  // namespace
}  // namespace crvs::backfill

namespace crvs::backfill {
namespace {

TEST(BackfillOptions, FromFlagsAndConfig) {
  BackfillConfig config;
  kafka::KafkaConfig kafka;
  ScratchDir dir;
  WriteFile(dir.File("regs.jsonl"), "");
  auto o = MakeOptions({"registration", dir.File("regs.jsonl"), "", "", ""}, config, kafka);
  ASSERT_THAT(o, ::crvs::testing::IsOk());
  EXPECT_EQ(o->kind, ExportKind::kRegistration);
  EXPECT_EQ(o->format, ExportFormat::kNdjson);
  EXPECT_EQ(o->topic, "crvs.registrations.v1");
  EXPECT_EQ(o->last_backlog_day, absl::CivilDay(2025, 12, 31));
  EXPECT_EQ(o->checkpoint_path, dir.File("regs.jsonl.checkpoint"));
  EXPECT_EQ(MakeOptions({"divorce", "/nonexistent/a.csv", "", "", ""}, config, kafka).status(),
            absl::NotFoundError("--file: cannot read /nonexistent/a.csv: No such file or directory"));
  EXPECT_EQ(MakeOptions({"", "/x/a.csv", "", "", ""}, config, kafka).status(),
            absl::InvalidArgumentError("--kind: is required (divorce or registration)"));
  EXPECT_EQ(MakeOptions({"marriage", "/x/a.csv", "", "", ""}, config, kafka).status(),
            absl::InvalidArgumentError("--kind: must be divorce or registration, got 'marriage'"));
  EXPECT_EQ(MakeOptions({"divorce", "", "", "", ""}, config, kafka).status(),
            absl::InvalidArgumentError("--file: is required (the export to load)"));
  config.last_backlog_day = "31/12/2025";
  EXPECT_EQ(MakeOptions({"divorce", dir.File("regs.jsonl"), "csv", "", ""}, config, kafka).status(),
            absl::InvalidArgumentError(
                "backfill.last_backlog_day: must be a date yyyy-mm-dd, got '31/12/2025'"));
}

}  // namespace
}  // namespace crvs::backfill
