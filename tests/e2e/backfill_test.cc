// `crvs backfill` end to end, with real processes: `crvs devbroker`, `crvs sink` into SQLite or
// PostgreSQL, and `crvs backfill` itself, killed with SIGKILL about halfway through a
// 200,000-row court export and run again. Every check reads the database with plain SQL, the
// eligibility report and the checkpoint as files.
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <absl/strings/str_split.h>
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

// A digitised book from before the 2025 reorganisation: a birth registered in 2024 at the
// office of Phường Quang Trung, Hà Giang (00688, old province 02), which since 2025-07-01 is
// part of Phường Hà Giang 2 (00691), Tuyên Quang (08); and one at Phường Trúc Bạch, Hà Nội
// (00004, now part of Phường Ba Đình, also 00004). `crvs report` with nothing configured counts
// them in today's provinces and communes; the database keeps the codes as written.
TEST_P(BackfillE2e, APre2025RegistrationCountsInTodaysProvinceAndKeepsItsOfficeCode) {
  const std::string file = dir_ + "/registrations.csv";
  {
    std::ofstream out(file);
    out << "ma_co_quan_dang_ky,quyen_so,so_dang_ky,loai_dang_ky,ngay_dang_ky,ngay_su_kien,"
           "ho_ten,so_dinh_danh,gioi_tinh,ngay_sinh,dan_toc,ma_xa_cu_tru,ho_ten_me,"
           "so_dinh_danh_me,ngay_sinh_me,ho_ten_cha,so_dinh_danh_cha,ngay_sinh_cha,ho_ten_ben_b,"
           "so_dinh_danh_ben_b,gioi_tinh_ben_b,ngay_sinh_ben_b,ma_co_so_y_te,so_giay_chung_sinh,"
           "so_giay_bao_tu,ma_toa_an,so_quyet_dinh,nguoi_ky,chuc_vu_nguoi_ky,thoi_diem_ghi_so\n"
           "00688,01/2024,7,KHAI_SINH,2024-03-05,2024-02-10,Hoàng Minh Sơn,002224000007,M,"
           "2024-02-10,Tày,00688,Đỗ Thu Anh,002192000007,1992-10-30,Bùi Hữu Tuấn,002090000007,"
           "1990-09-01,,,,,,,,,,Lê Thị Hồng,Công chức tư pháp - hộ tịch,\n"
           "00004,01/2024,8,KHAI_SINH,2024-04-20,2024-02-11,Vũ Thu Hà,001324000008,F,2024-02-11,"
           "Kinh,00004,Ngô Thu Trang,001195000008,1995-01-15,,,,,,,,,,,,,Lê Thị Hồng,"
           "Công chức tư pháp - hộ tịch,\n";
  }
  Pipeline p(GetParam(), kPartitions);
  p.StartSink();
  auto backfill = testing::RunProgram(
      p.CrvsCommand({"backfill", "--kind", "registration", "--file", file}));
  ASSERT_EQ(backfill.exit_code, 0) << backfill.out << backfill.err;
  EXPECT_EQ(KeyValues(backfill.out)["eligible"], "2") << backfill.out;
  ASSERT_EQ(p.WaitForCount("SELECT count(*) FROM registrations", 2, 60), 2);
  EXPECT_EQ(p.Count("SELECT count(*) FROM registrations WHERE registry_office_code = '00688'"), 1)
      << "the original office code is kept";

  // `crvs report --format csv`: the rows, each as column → cell.
  auto report = [&](std::vector<std::string> flags) {
    std::vector<std::string> args = {"report", "--period", "2024", "--indicators", "B1",
                                     "--format", "csv"};  // as of today: loaded today
    args.insert(args.end(), flags.begin(), flags.end());
    auto run = testing::RunProgram(p.CrvsCommand(args));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    std::vector<std::map<std::string, std::string>> out;
    const auto lines = Lines(run.out);
    if (lines.empty()) return out;
    const std::vector<std::string> header = absl::StrSplit(lines[0], ',');
    for (size_t i = 1; i < lines.size(); ++i) {
      const std::vector<std::string> cells = absl::StrSplit(lines[i], ',');
      std::map<std::string, std::string> row;
      for (size_t c = 0; c < header.size() && c < cells.size(); ++c) row[header[c]] = cells[c];
      out.push_back(row);
    }
    return out;
  };
  std::map<std::string, std::string> by_province;  // breakdown key → denominator
  for (auto& row : report({"--breakdown", "province"})) {
    by_province[row["breakdown_key"]] = row["denominator"];
  }
  EXPECT_EQ(by_province["08"], "1");  // Tuyên Quang, not Hà Giang (02)
  EXPECT_EQ(by_province["01"], "1");
  EXPECT_EQ(by_province[""], "2");  // the total
  EXPECT_EQ(by_province.size(), 3u) << "no other group (not 02, not the unknown area)";
  auto commune = report({"--commune", "00691"});
  ASSERT_EQ(commune.size(), 1u);
  EXPECT_EQ(commune[0]["area"], "00691");
  EXPECT_EQ(commune[0]["denominator"], "1");
  EXPECT_EQ(commune[0]["numerator"], "1");
}

INSTANTIATE_TEST_SUITE_P(Backends, BackfillE2e,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace crvs::e2e
