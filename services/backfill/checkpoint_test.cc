#include "services/backfill/checkpoint.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/backfill/atomic_file.h"
#include "services/backfill/test_util.h"
#include "tests/support/status_matchers.h"

namespace crvs::backfill {
namespace {

using ::crvs::testing::IsOk;
using ::crvs::testing::StatusIs;
using testing::ReadFile;
using testing::ScratchDir;
using testing::WriteFile;

Checkpoint Sample() {
  Checkpoint c;
  c.input = "/data/divorces.csv";
  c.identity = IdentifyInput("ma_toa_an,so_quyet_dinh\n");
  c.kind = "divorce";
  c.format = "csv";
  c.last_backlog_day = "2025-12-31";
  c.rows_total = 200000;
  c.rows_done = 1234;
  return c;
}

TEST(Checkpoint, SavedAndLoadedBack) {
  ScratchDir dir;
  const std::string path = dir.File("x.checkpoint");
  auto none = LoadCheckpoint(path);
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());

  ASSERT_THAT(SaveCheckpoint(path, Sample()), IsOk());
  auto loaded = LoadCheckpoint(path);
  ASSERT_THAT(loaded, IsOk());
  ASSERT_TRUE(loaded->has_value());
  const Checkpoint& c = **loaded;
  EXPECT_EQ(c.input, "/data/divorces.csv");
  EXPECT_EQ(c.identity, Sample().identity);
  EXPECT_EQ(c.identity.bytes, 24);
  EXPECT_EQ(c.identity.sha256.size(), 64u);
  EXPECT_EQ(c.rows_total, 200000);
  EXPECT_EQ(c.rows_done, 1234);
  EXPECT_FALSE(c.complete);
  EXPECT_THAT(c.updated_at, ::testing::MatchesRegex("20[0-9-]+T[0-9:.]+Z"));
  EXPECT_FALSE(::access((path + ".tmp").c_str(), F_OK) == 0) << "temporary file left behind";
}

TEST(Checkpoint, AnUnreadableCheckpointIsNeverIgnored) {
  ScratchDir dir;
  const std::string path = dir.File("x.checkpoint");
  WriteFile(path, "{\"rows_done\": 5");
  EXPECT_EQ(LoadCheckpoint(path).status(),
            absl::DataLossError(path + ": not a backfill checkpoint (not a JSON object); remove it "
                                       "to start the input over"));
  WriteFile(path, "{\"format_version\": 1}");
  EXPECT_THAT(LoadCheckpoint(path), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(Checkpoint, ResumesOnlyTheSameInputKindFormatAndCutOff) {
  const Checkpoint saved = Sample();
  EXPECT_THAT(CheckSameInput(saved, "c", Sample()), IsOk());
  Checkpoint other = Sample();
  other.identity = IdentifyInput("ma_toa_an,so_quyet_dinh\r\n");
  EXPECT_EQ(CheckSameInput(saved, "c", other),
            absl::FailedPreconditionError(
                "checkpoint c does not match: it is for another input (/data/divorces.csv: 24 "
                "bytes, sha256 " +
                saved.identity.sha256.substr(0, 12) + "...), this one has 25 bytes, sha256 " +
                other.identity.sha256.substr(0, 12) +
                "...; give another --checkpoint or remove it to start over"));
  other = Sample();
  other.kind = "registration";
  EXPECT_EQ(CheckSameInput(saved, "c", other).message(),
            "checkpoint c does not match: it is for kind divorce, not registration; give another "
            "--checkpoint or remove it to start over");
  other = Sample();
  other.format = "ndjson";
  EXPECT_THAT(CheckSameInput(saved, "c", other), StatusIs(absl::StatusCode::kFailedPrecondition));
  other = Sample();
  other.last_backlog_day = "2024-12-31";
  EXPECT_EQ(CheckSameInput(saved, "c", other).message(),
            "checkpoint c does not match: its rows were classified with last_backlog_day "
            "2025-12-31, not 2024-12-31; give another --checkpoint or remove it to start over");
}

TEST(Checkpoint, StaleTemporaryFileFromACrashIsOverwritten) {
  ScratchDir dir;
  const std::string path = dir.File("x.checkpoint");
  WriteFile(path + ".tmp", "{\"half written");
  ASSERT_THAT(SaveCheckpoint(path, Sample()), IsOk());
  EXPECT_EQ((*LoadCheckpoint(path))->rows_done, 1234);
}

TEST(Checkpoint, FailedSaveLeavesThePreviousCheckpointIntact) {
  ScratchDir dir;
  const std::string path = dir.File("x.checkpoint");
  ASSERT_THAT(SaveCheckpoint(path, Sample()), IsOk());
  const std::string before = ReadFile(path);
  // The temporary file cannot be created (a directory is in the way).
  ASSERT_EQ(::mkdir((path + ".tmp").c_str(), 0700), 0);
  Checkpoint later = Sample();
  later.rows_done = 5000;
  EXPECT_THAT(SaveCheckpoint(path, later), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(ReadFile(path), before);
  EXPECT_EQ((*LoadCheckpoint(path))->rows_done, 1234);
}

TEST(AtomicFile, WithoutCommitNothingAppears) {
  ScratchDir dir;
  const std::string path = dir.File("report.csv");
  WriteFile(path, "old\n");
  {
    auto f = AtomicFile::Create(path);
    ASSERT_THAT(f, IsOk());
    ASSERT_THAT((*f)->Write("new\n"), IsOk());
  }
  EXPECT_EQ(ReadFile(path), "old\n");
  EXPECT_NE(::access((path + ".tmp").c_str(), F_OK), 0);
}

// A writer killed with SIGKILL at arbitrary moments never leaves a torn checkpoint: after
// every kill the file loads and holds one of the values written, never going backwards.
TEST(Checkpoint, WriterKilledAtRandomMomentsNeverLeavesATornFile) {
  ScratchDir dir;
  const std::string path = dir.File("x.checkpoint");
  ASSERT_THAT(SaveCheckpoint(path, Sample()), IsOk());
  int64_t last_seen = 1234;
  for (int round = 0; round < 20; ++round) {
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      Checkpoint c = Sample();
      c.input = std::string(4000, 'x');  // a larger file: more room for a torn write
      for (int64_t n = last_seen + 1;; ++n) {
        c.rows_done = n;
        if (!SaveCheckpoint(path, c).ok()) _exit(1);
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(2000 + 1500 * round));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer failed on its own";
    auto loaded = LoadCheckpoint(path);
    ASSERT_THAT(loaded, IsOk()) << "round " << round;
    ASSERT_TRUE(loaded->has_value());
    EXPECT_GE((*loaded)->rows_done, last_seen) << "round " << round;
    last_seen = (*loaded)->rows_done;
  }
  EXPECT_GT(last_seen, 1234) << "the writer never completed a save";
}

}  // namespace
}  // namespace crvs::backfill
