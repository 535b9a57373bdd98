// `crvs backfill` end to end, with real processes: `crvs devbroker`, `crvs sink` into SQLite or
// PostgreSQL, and `crvs backfill` itself, killed with SIGKILL about halfway through a
// 200,000-row court export and run again. Every check reads the database with plain SQL, the
// eligibility report and the checkpoint as files.
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/pipeline_harness.h"

namespace crvs::e2e {
namespace {

constexpr const char* kTopic = "crvs.divorce-decisions.v1";
constexpr int kPartitions = 48;  // ~5 MB each in the embedded broker: room for every record

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  return lines;
}

// "key: value" lines (the summaries crvs backfill and its generator print).
std::map<std::string, std::string> KeyValues(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const auto& line : Lines(text)) {
    auto colon = line.find(": ");
    if (colon != std::string::npos) out[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return out;
}

// rows_done of the checkpoint file; -1 while there is none.
int64_t RowsDone(const std::string& checkpoint) {
  static const std::regex field("\"rows_done\": ([0-9]+)");
  std::smatch m;
  const std::string text = ReadFile(checkpoint);
  return std::regex_search(text, m, field) ? std::stoll(m[1]) : -1;
}

// Messages ever written to `topic` (sum of the partitions' high watermarks).
int64_t TopicEnd(const std::string& bootstrap, const std::string& topic) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == nullptr) return -1;
  int64_t total = 0;
  for (int p = 0; p < kPartitions && total >= 0; ++p) {
    int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 10000) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      total = -1;
    } else {
      total += high;
    }
  }
  rd_kafka_destroy(rk);
  return total;
}

class BackfillE2e : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crvs-e2e-backfill-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string dir_;
};

TEST_P(BackfillE2e, KilledHalfwayThenResumedRecordsExactlyTheEligibleRowsOnce) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };

  const std::string file = dir_ + "/divorces.csv";
  const std::string checkpoint = file + ".checkpoint";
  const std::string report = file + ".ineligible.csv";
  Pipeline p(GetParam(), kPartitions);
  auto generated =
      testing::RunProgram(p.CrvsCommand({"backfill", "generate", "--kind", "divorce", "--rows",
                                         "200000", "--ineligible-percent", "5", "--out", file}));
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  auto expected = KeyValues(generated.out);
  const int64_t eligible = std::stoll(expected["expected_eligible"]);
  ASSERT_EQ(eligible, 190000);
  ASSERT_EQ(expected["expected_ineligible"], "10000");

  p.StartSink();
  const std::vector<std::string> backfill = {
      "--set", "backfill.checkpoint_interval=100ms", "backfill", "--kind", "divorce", "--file",
      file};

  // First run: SIGKILL once the checkpoint says about half the rows are done.
  int64_t seen = -1;
  {
    testing::Subprocess first(p.CrvsCommand(backfill));
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (Clock::now() < deadline && (seen = RowsDone(checkpoint)) < 90000) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(first.Stop(SIGKILL), 128 + SIGKILL) << "the first run ended on its own";
  }
  const int64_t rows_at_kill = RowsDone(checkpoint);
  ASSERT_GE(seen, 90000) << "the checkpoint never reached half the rows";
  EXPECT_GE(rows_at_kill, seen);
  EXPECT_LT(rows_at_kill, 200000) << "the kill came after the whole file was done";
  EXPECT_THAT(ReadFile(checkpoint), ::testing::HasSubstr("\"complete\": false"));
  EXPECT_LT(p.Count("SELECT count(*) FROM records"), eligible);
  std::printf("  killed at rows_done=%lld after %.1f s\n", static_cast<long long>(rows_at_kill),
              elapsed());

  // Second run: resumes from the checkpoint and finishes.
  auto second = testing::RunProgram(p.CrvsCommand(backfill));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  auto summary = KeyValues(second.out);
  EXPECT_EQ(summary["rows"], "200000");
  EXPECT_EQ(summary["resumed_from_row"], std::to_string(rows_at_kill));
  EXPECT_EQ(summary["eligible"], "190000");
  EXPECT_EQ(summary["ineligible"], "10000");
  const int64_t produced = std::stoll(summary["produced"]);
  const int64_t already_done = std::stoll(summary["already_done"]);
  EXPECT_EQ(produced + already_done, eligible);
  EXPECT_GT(already_done, 80000) << "the second run did not resume";
  for (const char* reason :
       {"missing_personal_id", "invalid_personal_id", "no_effective_date", "effective_after_cutoff",
        "bad_date", "unknown_kind", "failed_validation", "duplicate_key", "missing_field",
        "invalid_value", "malformed_row"}) {
    const std::string key = std::string("ineligible.") + reason;
    EXPECT_EQ(summary[key], expected["expected_" + key]) << reason;
  }
  EXPECT_THAT(ReadFile(checkpoint), ::testing::HasSubstr("\"complete\": true"));
  std::printf("  second run produced=%lld already_done=%lld, done after %.1f s\n",
              static_cast<long long>(produced), static_cast<long long>(already_done), elapsed());

  // The database: exactly the eligible rows, once each, once the sink has read everything
  // both runs wrote (rows re-produced after the kill included).
  EXPECT_EQ(p.WaitForCount("SELECT count(*) FROM records", eligible, 240), eligible);
  const int64_t written = TopicEnd(p.bootstrap(), kTopic);
  EXPECT_GE(written, eligible);
  EXPECT_EQ(p.WaitForCount(std::string("SELECT sum(next_offset) FROM consumed_offsets WHERE "
                                       "topic = '") +
                               kTopic + "'",
                           written, 120),
            written);
  std::printf("  sink consumed all %lld records written (%lld re-produced) after %.1f s\n",
              static_cast<long long>(written), static_cast<long long>(written - eligible),
              elapsed());
  EXPECT_EQ(p.Count("SELECT count(*) FROM records"), eligible);
  EXPECT_EQ(p.Count("SELECT count(*) FROM record_versions"), eligible) << "a row applied twice";
  EXPECT_EQ(p.Count("SELECT count(DISTINCT message_id) FROM record_versions"), eligible);
  EXPECT_EQ(p.Count("SELECT count(*) FROM divorce_decisions WHERE legal_effect_date <= "
                    "'2025-12-31'"),
            eligible);
  EXPECT_EQ(p.Count("SELECT count(*) FROM records WHERE source LIKE 'court:TAND%'"), eligible);
  EXPECT_EQ(p.Count("SELECT count(*) FROM dead_letters"), 0);
  // Row 1 is in, row 20 (planted: spouse A's personal ID missing) is not.
  EXPECT_EQ(p.Count("SELECT count(*) FROM records WHERE business_key = "
                    "'divorce/TAND79/1%2F2017%2FHNGĐ-ST'"),
            1);
  EXPECT_EQ(p.Count("SELECT count(*) FROM records WHERE business_key = "
                    "'divorce/TAND01/20%2F2016%2FQĐST-HNGĐ'"),
            0);

  // The report lists the other 10,000 rows with their reasons.
  const auto lines = Lines(ReadFile(report));
  ASSERT_EQ(lines.size(), 10001u);
  EXPECT_EQ(lines[0], "row,business_key,reason,field,detail");
  EXPECT_THAT(
      std::vector<std::string>(lines.begin() + 1, lines.begin() + 12),
      ::testing::ElementsAre(
          "20,divorce/TAND01/20%2F2016%2FQĐST-HNGĐ,missing_personal_id,so_dinh_danh_ben_a,"
          "is required: spouse A's personal ID",
          "40,divorce/TAND01/40%2F2016%2FQĐST-HNGĐ,invalid_personal_id,so_dinh_danh_ben_b,"
          "digit 4 says male but sex is SEX_FEMALE",
          "60,divorce/TAND01/60%2F2016%2FQĐST-HNGĐ,no_effective_date,ngay_hieu_luc,is empty: "
          "the decision has not taken legal effect (a pending decision is not backlog)",
          "80,divorce/TAND01/80%2F2016%2FHNGĐ-ST,effective_after_cutoff,ngay_hieu_luc,2026-03-26 "
          "is after the backlog's last day 2025-12-31 (decisions effective later come through "
          "the court connector)",
          ::testing::StartsWith("100,divorce/TAND01/100%2F2016%2F"),
          ::testing::StartsWith("120,divorce/TAND01/120%2F2016%2F"),
          ::testing::StartsWith("140,divorce/TAND01/140%2F2016%2F"),
          ::testing::StartsWith("160,divorce/TAND75/159%2F2025%2F"),
          ::testing::StartsWith("180,divorce/TAND01/180%2F2016%2F"),
          ::testing::StartsWith("200,divorce/TAND01/200%2F2016%2F"),
          "220,,malformed_row,,\"has 22 fields, the header has 21\""));
  int64_t duplicates = 0;
  for (const auto& line : lines) duplicates += line.find(",duplicate_key,") != std::string::npos;
  EXPECT_EQ(duplicates, std::stoll(expected["expected_ineligible.duplicate_key"]));
}

INSTANTIATE_TEST_SUITE_P(Backends, BackfillE2e,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace crvs::e2e
