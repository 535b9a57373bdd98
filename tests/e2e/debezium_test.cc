// The court connector against a real Debezium: a court's decision table in a real PostgreSQL
// (wal_level=logical), Kafka Connect 4.1.1 standalone with Debezium's PostgreSQL connector
// 3.6.1.Final (pgoutput) started by scripts/kafka-connect.sh, a real Kafka broker
// (scripts/kafka.sh), and `crvs court-source`, `crvs sink` and `crvs registry` as processes.
// The court's changes are plain SQL; the civil-status database (a second database of the same
// PostgreSQL server) is read with SQL and both spouses' status through the registry's gRPC
// service.
//
// Covered: the initial snapshot of existing rows (op r), inserts, an update to effective, a
// set-aside, deletes (REPLICA IDENTITY FULL) with their tombstones, two changes of one row in
// one transaction, changes made while Connect was stopped (SIGTERM) and picked up on restart,
// both JSON converter forms (value schemas on, then off), and Connect killed (SIGKILL) with its
// offsets unflushed: Debezium sends those changes again and every one is a DUPLICATE, so each
// change lands exactly once.
//
// Dates are in 2025 because the records are validated against the wall clock (the change's
// commit time is `issued_at`): no date may be in the future.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "crvs/registry/v1/registry.grpc.pb.h"
#include "tests/e2e/pipeline_harness.h"
#include "tests/support/postgres_server.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/slowdown.h"
#include "tests/support/subprocess.h"

namespace crvs::e2e {
namespace {

namespace reg = ::crvs::registry::v1;

const char* const kTombstonesSkipped =
    R"(crvs_court_source_events_total{op="tombstone",outcome="skipped"})";
using Clock = std::chrono::steady_clock;

const std::string kKafkaScript = std::string(CRVS_SOURCE_DIR) + "/scripts/kafka.sh";
const std::string kConnectScript = std::string(CRVS_SOURCE_DIR) + "/scripts/kafka-connect.sh";

// Last non-empty line of a program's output (what both scripts print: the address, the topic).
std::string LastLine(const std::string& out) {
  std::istringstream lines(out);
  std::string line, last;
  while (std::getline(lines, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

template <class F>
bool WaitFor(F condition, int timeout_s) {
  auto deadline = Clock::now() + std::chrono::seconds(timeout_s * testing::kSlowdown);
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return condition();
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

struct Spouse {
  std::string id, name, sex, dob;
};

// Spouses, each with a personal ID that agrees with sex and year of birth.
const Spouse kA1{"001088000101", "Lê Văn Hùng", "M", "1988-05-10"};
const Spouse kA2{"001191000202", "Phạm Thị Mai", "F", "1991-02-03"};
const Spouse kB1{"079085000303", "Võ Văn Tài", "M", "1985-01-20"};
const Spouse kB2{"079187000404", "Đỗ Thị Hoa", "F", "1987-08-08"};
const Spouse kC1{"031080000505", "Bùi Văn Nam", "M", "1980-03-03"};
const Spouse kC2{"031182000606", "Hoàng Thị Thu", "F", "1982-12-12"};
const Spouse kD1{"048092000707", "Trịnh Văn Long", "M", "1992-04-04"};
const Spouse kD2{"048195000808", "Lý Thị Ngọc", "F", "1995-05-05"};
const Spouse kE1{"036089000909", "Đặng Văn Khoa", "M", "1989-09-09"};
const Spouse kE2{"036190001010", "Mai Thị Hạnh", "F", "1990-10-10"};
const Spouse kF1{"001085001111", "Ngô Văn Đức", "M", "1985-11-11"};
const Spouse kF2{"001190001212", "Cao Thị Yến", "F", "1990-12-12"};
const Spouse kG1{"040087001313", "Phan Văn Bình", "M", "1987-07-07"};
const Spouse kG2{"040189001414", "Trần Thị Lan", "F", "1989-09-19"};
const Spouse kH1{"001090001515", "Vũ Văn Minh", "M", "1990-01-15"};
const Spouse kH2{"001192001616", "Đinh Thị Hương", "F", "1992-06-16"};

// Decisions (court TA79001), by primary key id.
const std::string kA = "101/2025/QĐST-HNGĐ";  // insert pending → update to effective
const std::string kB = "102/2025/QĐST-HNGĐ";  // insert effective → delete
const std::string kC = "103/2025/QĐ-HNGĐ";    // snapshot: effective annulment → deleted later
const std::string kD = "104/2025/BA-HNGĐ";    // snapshot: pending judgment → effective (Connect down)
const std::string kE = "105/2025/BA-HNGĐ";    // snapshot: effective judgment → set aside
const std::string kF = "106/2025/QĐST-HNGĐ";  // insert + update in one transaction
const std::string kG = "107/2025/QĐST-HNGĐ";  // inserted while Connect was down → set aside
const std::string kH = "108/2025/QĐST-HNGĐ";  // inserted after Connect was killed and restarted

std::string Key(const std::string& no) {
  std::string escaped;
  for (char c : no) escaped += c == '/' ? std::string("%2F") : std::string(1, c);
  return "divorce/TA79001/" + escaped;
}

std::string Quote(const std::string& s) { return s.empty() ? "NULL" : "'" + s + "'"; }

// INSERT of one row of the court's decision table (the default mapping's column names).
std::string Insert(int id, const std::string& no, const std::string& kind, const Spouse& a,
                   const Spouse& b, const std::string& decided, const std::string& effective) {
  return "INSERT INTO decisions (id, court_code, decision_no, decision_type, decision_date, "
         "effective_date, spouse1_personal_id, spouse1_full_name, spouse1_sex, "
         "spouse1_birth_date, spouse2_personal_id, spouse2_full_name, spouse2_sex, "
         "spouse2_birth_date, marriage_commune_code, marriage_book, marriage_registration_no, "
         "marriage_registered_on) VALUES (" +
         std::to_string(id) + ", 'TA79001', " + Quote(no) + ", " + Quote(kind) + ", " +
         Quote(decided) + ", " + Quote(effective) + ", " + Quote(a.id) + ", " + Quote(a.name) +
         ", " + Quote(a.sex) + ", " + Quote(a.dob) + ", " + Quote(b.id) + ", " + Quote(b.name) +
         ", " + Quote(b.sex) + ", " + Quote(b.dob) + ", '26734', '01/2015', '12', '2015-06-01');";
}

class DebeziumE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string cache = std::getenv("XDG_CACHE_HOME") != nullptr
                                  ? std::getenv("XDG_CACHE_HOME")
                                  : std::string(std::getenv("HOME")) + "/.cache";
    ASSERT_TRUE(
        std::filesystem::exists(cache + "/crvs-sync/java/debezium/debezium-connector-postgres"))
        << "no Debezium jars under " << cache << "/crvs-sync/java: run scripts/install-deps.sh";
    started_ = Clock::now();

    // One PostgreSQL server for both sides: the court's database (captured by Debezium) and
    // the civil-status database the sink writes.
    testing::PostgresServerOptions options;
    options.settings = {"wal_level=logical", "max_wal_senders=4", "max_replication_slots=4"};
    auto pg = testing::PostgresServer::Start(options);
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = std::move(*pg);
    ASSERT_TRUE(pg_->CreateDatabase("court").ok());
    auto url = pg_->CreateDatabase("crvs");
    ASSERT_TRUE(url.ok()) << url.status();
    database_url_ = *url;
    Court(
        "CREATE TABLE decisions ("
        "  id integer PRIMARY KEY,"
        "  court_code text NOT NULL,"
        "  decision_no text NOT NULL UNIQUE,"
        "  decision_type text NOT NULL,"
        "  decision_date date NOT NULL,"
        "  effective_date date,"
        "  set_aside_date date,"
        "  set_aside_by_decision_no text,"
        "  set_aside_reason text,"
        "  spouse1_personal_id char(12), spouse1_full_name text, spouse1_sex char(1),"
        "  spouse1_birth_date date,"
        "  spouse2_personal_id char(12), spouse2_full_name text, spouse2_sex char(1),"
        "  spouse2_birth_date date,"
        "  marriage_commune_code text, marriage_book text, marriage_registration_no text,"
        "  marriage_registered_on date);"
        // Deletes carry the whole row (the business key), not only the primary key.
        "ALTER TABLE decisions REPLICA IDENTITY FULL;");

    // A real Kafka broker with the product's topics.
    const std::string kafka_dir = dir_.File("kafka");
    auto kafka = testing::RunProgram(
        {kKafkaScript, "up", "--brokers", "1", "--dir", kafka_dir, "--ports",
         std::to_string(FreePort()) + "," + std::to_string(FreePort()), "--owner",
         std::to_string(getpid()), "--crvs", CRVS_BINARY});
    kafka_up_ = true;
    ASSERT_EQ(kafka.exit_code, 0) << kafka.err;
    bootstrap_ = LastLine(kafka.out);
    ASSERT_EQ(bootstrap_.rfind("127.0.0.1:", 0), 0u) << kafka.out << kafka.err;
    std::cout << "[ figures  ] kafka up after " << Seconds(started_) << " s at " << bootstrap_
              << "\n";
  }

  void TearDown() override {
    court_source_.reset();
    sink_.reset();
    registry_.reset();
    if (connect_up_) testing::RunProgram({kConnectScript, "kill", "--dir", dir_.File("connect")});
    if (kafka_up_) testing::RunProgram({kKafkaScript, "down", "--dir", dir_.File("kafka")});
    pg_.reset();
  }

  // SQL in the court's database.
  void Court(const std::string& sql) {
    auto r = pg_->Query("court", sql);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  std::vector<std::vector<std::string>> Crvs(const std::string& sql) {
    auto r = pg_->Query("crvs", sql);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<std::vector<std::string>>{};
  }
  int64_t Count(const std::string& sql) {
    auto rows = Crvs(sql);
    return rows.empty() || rows[0].empty() || rows[0][0].empty() ? -1 : std::stoll(rows[0][0]);
  }
  bool WaitForCount(const std::string& sql, int64_t n, int timeout_s) {
    return WaitFor(
        [&] {
          auto r = pg_->Query("crvs", sql);  // the sink may not have created the tables yet
          return r.ok() && !r->empty() && std::stoll((*r)[0][0]) >= n;
        },
        timeout_s);
  }

  // Starts Kafka Connect + Debezium on the court's table (again, with the same offsets, after a
  // stop or kill); returns the change topic. `extra` are more script arguments.
  std::string StartConnect(bool schemas, const std::vector<std::string>& extra = {}) {
    auto t0 = Clock::now();
    std::vector<std::string> argv = {
        kConnectScript, "start", "--dir", dir_.File("connect"), "--bootstrap", bootstrap_,
        "--pg-port", std::to_string(pg_->port()), "--pg-db", "court", "--table",
        "public.decisions", "--prefix", "court", "--rest-port", std::to_string(FreePort()),
        "--schemas", schemas ? "true" : "false", "--partitions", "3", "--wait-topic",
        "--owner", std::to_string(getpid())};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = testing::RunProgram(argv);
    connect_up_ = true;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::cout << "[ figures  ] connect (schemas " << (schemas ? "on" : "off") << ") running after "
              << Seconds(t0) << " s\n";
    return LastLine(r.out);
  }
  void StopConnect(const std::string& how) {  // "stop" (SIGTERM) or "kill" (SIGKILL)
    auto t0 = Clock::now();
    auto r = testing::RunProgram({kConnectScript, how, "--dir", dir_.File("connect")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::cout << "[ figures  ] connect " << how << " took " << Seconds(t0) << " s\n";
  }

  std::vector<std::string> Crvs(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {CRVS_BINARY,
                                     "--set",
                                     "log.level=warn",
                                     "--set",
                                     "kafka.bootstrap_servers=" + bootstrap_,
                                     "--set",
                                     "database.url=" + database_url_};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Session timeouts stay at their defaults (10 s): a real broker refuses a JoinGroup below its
  // group.min.session.timeout.ms (6 s), which the 3 s of pipeline_harness is.
  void StartSink() {
    sink_metrics_ = FreePort();
    sink_ = std::make_unique<testing::Subprocess>(
        Crvs({"--set", "sink.metrics_listen=127.0.0.1:" + std::to_string(sink_metrics_), "sink"}));
  }
  void StartCourtSource(const std::string& topic) {
    court_source_metrics_ = FreePort();
    court_source_ = std::make_unique<testing::Subprocess>(Crvs(
        {"--set", "court_source.metrics_listen=127.0.0.1:" + std::to_string(court_source_metrics_),
         "--set", "court_source.input_topic=" + topic,
         "court-source"}));
  }
  void StartRegistry() {
    registry_port_ = FreePort();
    registry_ = std::make_unique<testing::Subprocess>(
        Crvs({"--set", "registry.listen=127.0.0.1:" + std::to_string(registry_port_), "--set",
              "registry.metrics_listen=127.0.0.1:" + std::to_string(FreePort()), "--set",
              "registry.plaintext=true", "registry"}));
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(registry_port_),
                                       grpc::InsecureChannelCredentials());
    ASSERT_TRUE(
        channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(20)));
  }

  // Marital status of `id` through the registry service, as an operator.
  reg::PersonStatus Status(const std::string& id) {
    return e2e::PersonStatusOf(registry_port_, id);
  }
  // Both spouses: through gRPC, and the persons table by SQL.
  void ExpectMarital(const Spouse& a, const Spouse& b, reg::MaritalStatus status,
                     const std::string& since) {
    for (const Spouse& s : {a, b}) {
      reg::PersonStatus p = Status(s.id);
      EXPECT_EQ(p.marital_status(), status)
          << s.name << ": " << reg::MaritalStatus_Name(p.marital_status());
      std::string sql_status = "(no row)", sql_since;
      auto rows = Crvs("SELECT marital_status, coalesce(marital_since, '') FROM persons "
                       "WHERE personal_id = '" + s.id + "'");
      if (!rows.empty()) {
        sql_status = rows[0][0];
        sql_since = rows[0][1];
      }
      const std::string name = reg::MaritalStatus_Name(status);
      EXPECT_EQ(sql_status == "(no row)" ? "MARITAL_STATUS_UNKNOWN"
                                         : "MARITAL_STATUS_" + sql_status,
                name)
          << s.name << " in the persons table";
      if (!since.empty()) {
        char date[11];
        std::snprintf(date, sizeof date, "%04d-%02d-%02d", p.marital_status_since().year(),
                      p.marital_status_since().month(), p.marital_status_since().day());
        EXPECT_EQ(date, since) << s.name;
        EXPECT_EQ(sql_since, since) << s.name << " in the persons table";
      }
    }
  }

  std::string State(const std::string& no) {
    auto rows = Crvs("SELECT state FROM records WHERE business_key = '" + Key(no) + "'");
    return rows.empty() ? "(absent)" : rows[0][0];
  }
  int64_t Versions(const std::string& no) {
    return Count("SELECT count(*) FROM record_versions WHERE business_key = '" + Key(no) + "'");
  }
  // Messages on the change topic (every partition), tombstones included.
  int64_t TopicMessages(const std::string& topic) {
    auto r = testing::RunProgram(
        {"kcat", "-C", "-b", bootstrap_, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%o\n"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::count(r.out.begin(), r.out.end(), '\n');
  }
  double CourtSourceMetric(const std::string& series) {
    return e2e::ScrapeMetric(court_source_metrics_, series);
  }
  double SinkMetric(const std::string& series) { return e2e::ScrapeMetric(sink_metrics_, series); }

  testing::ScratchDir dir_{"crvs-debezium"};
  Clock::time_point started_;
  std::unique_ptr<testing::PostgresServer> pg_;
  std::string database_url_;
  std::string bootstrap_;
  bool kafka_up_ = false;
  bool connect_up_ = false;
  std::unique_ptr<testing::Subprocess> sink_, court_source_, registry_;
  int sink_metrics_ = 0, court_source_metrics_ = 0, registry_port_ = 0;
};

TEST_F(DebeziumE2e, SnapshotInsertsUpdatesSetAsideDeletesAndRestartsLandExactlyOnce) {
  // Rows that exist before Debezium starts: its initial snapshot reads them (op r).
  Court(Insert(103, kC, "HUY_KET_HON_TRAI_PHAP_LUAT", kC1, kC2, "2025-03-01", "2025-03-20") +
        Insert(104, kD, "BAN_AN", kD1, kD2, "2025-04-01", "") +
        Insert(105, kE, "BAN_AN", kE1, kE2, "2025-04-10", "2025-05-10"));

  const std::string topic = StartConnect(/*schemas=*/true);
  ASSERT_EQ(topic, "court.public.decisions");
  StartSink();
  StartCourtSource(topic);
  ASSERT_TRUE(WaitForCount("SELECT count(*) FROM record_versions", 3, 60))
      << "the snapshot did not land; court-source events: "
      << CourtSourceMetric("crvs_court_source_events_total");
  std::cout << "[ figures  ] snapshot landed " << Seconds(started_) << " s after the start\n";
  StartRegistry();
  EXPECT_EQ(CourtSourceMetric(R"(crvs_court_source_events_total{op="r",outcome="produced"})"), 3);
  EXPECT_EQ(State(kC), "EFFECTIVE");
  EXPECT_EQ(State(kD), "PENDING_EFFECT");
  EXPECT_EQ(State(kE), "EFFECTIVE");
  ExpectMarital(kC1, kC2, reg::MARITAL_STATUS_ANNULLED, "2025-03-20");
  ExpectMarital(kD1, kD2, reg::MARITAL_STATUS_UNKNOWN, "");  // pending: changes nothing yet
  ExpectMarital(kE1, kE2, reg::MARITAL_STATUS_DIVORCED, "2025-05-10");

  // Live changes, each statement its own transaction but F's two.
  Court(Insert(101, kA, "CONG_NHAN_THUAN_TINH", kA1, kA2, "2025-06-01", ""));
  Court("UPDATE decisions SET effective_date = '2025-06-20' WHERE id = 101");
  Court(Insert(102, kB, "CONG_NHAN_THUAN_TINH", kB1, kB2, "2025-06-01", "2025-06-05"));
  Court("DELETE FROM decisions WHERE id = 102");
  Court("UPDATE decisions SET set_aside_date = '2025-09-15', "
        "set_aside_by_decision_no = '07/2025/GĐT-DS', set_aside_reason = 'giám đốc thẩm' "
        "WHERE id = 105");
  Court("BEGIN;" + Insert(106, kF, "CONG_NHAN_THUAN_TINH", kF1, kF2, "2025-07-01", "") +
        "UPDATE decisions SET effective_date = '2025-07-15' WHERE id = 106; COMMIT;");
  // 3 + A c,u + B c,d + E u + F c,u = 10 versions; B's tombstone is skipped.
  ASSERT_TRUE(WaitForCount("SELECT count(*) FROM record_versions", 10, 60))
      << Count("SELECT count(*) FROM record_versions");
  EXPECT_TRUE(WaitFor([&] {
    return CourtSourceMetric(kTombstonesSkipped) == 1;
  }, 10));
  EXPECT_EQ(State(kA), "EFFECTIVE");
  EXPECT_EQ(Versions(kA), 2);
  EXPECT_EQ(State(kB), "VOIDED");
  EXPECT_EQ(Versions(kB), 2);
  EXPECT_EQ(State(kE), "SET_ASIDE");
  EXPECT_EQ(Versions(kE), 2);
  EXPECT_EQ(State(kF), "EFFECTIVE");
  EXPECT_EQ(Versions(kF), 2) << "two changes of one row in one transaction: two positions";
  ExpectMarital(kA1, kA2, reg::MARITAL_STATUS_DIVORCED, "2025-06-20");

  // Connect stopped (SIGTERM: it commits its offsets); the court keeps working meanwhile. The
  // restarted worker resumes at its offsets (no new snapshot) and writes bare payloads
  // (value schemas off). Its offsets are not flushed again (600 s) for the kill below.
  StopConnect("stop");
  const int64_t before_restart = TopicMessages(topic);
  EXPECT_EQ(before_restart, 11) << "3 snapshot rows, 7 changes, 1 tombstone";
  Court("UPDATE decisions SET effective_date = '2025-08-01' WHERE id = 104");
  Court(Insert(107, kG, "CONG_NHAN_THUAN_TINH", kG1, kG2, "2025-08-01", "2025-08-10"));
  EXPECT_EQ(StartConnect(/*schemas=*/false, {"--worker-set", "offset.flush.interval.ms=600000"}),
            topic);
  ASSERT_TRUE(WaitForCount("SELECT count(*) FROM record_versions", 12, 60))
      << Count("SELECT count(*) FROM record_versions");
  EXPECT_EQ(State(kD), "EFFECTIVE");
  EXPECT_EQ(State(kG), "EFFECTIVE");
  EXPECT_EQ(TopicMessages(topic), before_restart + 2)
      << "a stop and restart sent nothing twice and took no new snapshot";
  EXPECT_EQ(CourtSourceMetric(R"(crvs_court_source_events_total{op="r",outcome="produced"})"), 3);

  // More changes, then Connect is killed before it flushes its offsets: on restart Debezium
  // streams again from its last committed position, i.e. every change since the SIGTERM.
  Court("UPDATE decisions SET set_aside_date = '2025-10-20', "
        "set_aside_by_decision_no = '11/2025/GĐT-DS' WHERE id = 107");
  Court("DELETE FROM decisions WHERE id = 103");
  ASSERT_TRUE(WaitForCount("SELECT count(*) FROM record_versions", 14, 60))
      << Count("SELECT count(*) FROM record_versions");
  const int64_t before_kill = TopicMessages(topic);
  EXPECT_EQ(before_kill, before_restart + 5);  // D u, G c, G u, C d + tombstone
  const double duplicates_before = SinkMetric(
      R"(crvs_sink_records_total{kind="divorce_decision",outcome="duplicate"})");
  StopConnect("kill");
  EXPECT_EQ(StartConnect(/*schemas=*/false), topic);
  Court(Insert(108, kH, "BAN_AN", kH1, kH2, "2025-10-01", "2025-10-25"));
  ASSERT_TRUE(WaitForCount("SELECT count(*) FROM record_versions", 15, 60))
      << Count("SELECT count(*) FROM record_versions");
  // Debezium streams the WAL in order: the re-sent changes are produced before H's insert.
  EXPECT_TRUE(WaitFor([&] { return TopicMessages(topic) >= before_kill + 6; }, 10));
  const int64_t replayed = TopicMessages(topic) - before_kill - 1;
  std::cout << "[ figures  ] after the kill Debezium sent " << replayed << " message(s) again\n";
  EXPECT_EQ(replayed, 5) << "Debezium re-sent D u, G c, G u, C d and C's tombstone";
  EXPECT_TRUE(WaitFor([&] {
    return CourtSourceMetric("crvs_court_source_events_total") >= before_kill + replayed + 1;
  }, 30)) << CourtSourceMetric("crvs_court_source_events_total");
  EXPECT_TRUE(WaitFor([&] {
    return SinkMetric(R"(crvs_sink_records_total{kind="divorce_decision",outcome="duplicate"})") -
               duplicates_before >= 4;
  }, 30));
  EXPECT_EQ(SinkMetric(R"(crvs_sink_records_total{kind="divorce_decision",outcome="duplicate"})") -
                duplicates_before, 4)
      << "each re-sent change is a DUPLICATE (same message id)";

  // Exactly once: 15 changes, 15 versions, each message id once; nothing dead-lettered.
  EXPECT_EQ(Count("SELECT count(*) FROM record_versions"), 15);
  EXPECT_EQ(Count("SELECT count(DISTINCT message_id) FROM record_versions"), 15);
  EXPECT_EQ(Count("SELECT count(*) FROM applied_messages"), 15);
  EXPECT_EQ(Count("SELECT count(*) FROM records"), 8);
  EXPECT_EQ(Count("SELECT count(*) FROM dead_letters"), 0);
  EXPECT_EQ(CourtSourceMetric("crvs_court_source_dead_letters_total"), 0);
  EXPECT_EQ(CourtSourceMetric(kTombstonesSkipped), 3);

  const std::map<std::string, std::pair<std::string, int>> expected = {
      {kA, {"EFFECTIVE", 2}}, {kB, {"VOIDED", 2}},    {kC, {"VOIDED", 2}},
      {kD, {"EFFECTIVE", 2}}, {kE, {"SET_ASIDE", 2}}, {kF, {"EFFECTIVE", 2}},
      {kG, {"SET_ASIDE", 2}}, {kH, {"EFFECTIVE", 1}}};
  for (const auto& [no, state] : expected) {
    EXPECT_EQ(State(no), state.first) << no;
    EXPECT_EQ(Versions(no), state.second) << no;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM divorce_decisions WHERE business_key = '" + Key(kD) +
                  "' AND legal_effect_date = '2025-08-01' AND decision_kind = 'JUDGMENT'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM divorce_decisions WHERE business_key = '" + Key(kE) +
                  "' AND set_aside_on = '2025-09-15' AND set_aside_by = '07/2025/GĐT-DS'"), 1);

  ExpectMarital(kA1, kA2, reg::MARITAL_STATUS_DIVORCED, "2025-06-20");
  ExpectMarital(kB1, kB2, reg::MARITAL_STATUS_UNKNOWN, "");  // deleted: voided, counts nowhere
  ExpectMarital(kC1, kC2, reg::MARITAL_STATUS_UNKNOWN, "");  // the annulment deleted
  ExpectMarital(kD1, kD2, reg::MARITAL_STATUS_DIVORCED, "2025-08-01");
  ExpectMarital(kE1, kE2, reg::MARITAL_STATUS_MARRIED, "2025-09-15");  // set aside
  ExpectMarital(kF1, kF2, reg::MARITAL_STATUS_DIVORCED, "2025-07-15");
  ExpectMarital(kG1, kG2, reg::MARITAL_STATUS_MARRIED, "2025-10-20");
  ExpectMarital(kH1, kH2, reg::MARITAL_STATUS_DIVORCED, "2025-10-25");
  std::cout << "[ figures  ] whole test " << Seconds(started_) << " s\n";
}

}  // namespace
}  // namespace crvs::e2e
