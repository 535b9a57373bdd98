// The court database's change stream into the civil-status database, shown with real
// processes: `crvs devbroker`, `crvs sink`, `crvs court-source` and `crvs registry`, Debezium
// change events produced with kcat (a Kafka client we did not write), the database read with
// plain SQL and both spouses' status read through the registry's gRPC service.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "crvs/ingest/v1/receipt.pb.h"
#include "crvs/registry/v1/registry.grpc.pb.h"
#include "tests/e2e/pipeline_harness.h"

namespace crvs::e2e {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
namespace reg = ::crvs::registry::v1;

constexpr const char* kInputTopic = "court.cdc.decisions";
constexpr int64_t kCommitMs = 1794700800000;  // 2026-11-15T00:00:00Z, after every decision

// Days since 1970-01-01 (io.debezium.time.Date) of a proleptic Gregorian date.
int64_t Days(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Spouse {
  std::string id, name, sex, dob;
};

// A row of the court's decision table under the default mapping (connectors/court_source/
// README.md): pending until `effective` is set.
Json Row(const std::string& no, const std::string& kind, const Spouse& a, const Spouse& b,
         const std::string& decided = "2026-09-01", const std::string& effective = "") {
  return {{"id", std::stoi(no.substr(0, 3))},
          {"court_code", "TA79001"},
          {"decision_no", no},
          {"decision_type", kind},
          {"decision_date", decided},
          {"effective_date", effective.empty() ? Json() : Json(effective)},
          {"set_aside_date", nullptr},
          {"set_aside_by_decision_no", nullptr},
          {"set_aside_reason", nullptr},
          {"spouse1_personal_id", a.id},
          {"spouse1_full_name", a.name},
          {"spouse1_sex", a.sex},
          {"spouse1_birth_date", a.dob},
          {"spouse2_personal_id", b.id},
          {"spouse2_full_name", b.name},
          {"spouse2_sex", b.sex},
          {"spouse2_birth_date", b.dob},
          {"marriage_commune_code", "26734"},
          {"marriage_book", "01/2015"},
          {"marriage_registration_no", "12"},
          {"marriage_registered_on", "2015-06-01"}};
}

// A Debezium change event of a PostgreSQL source, bare payload.
Json Event(const std::string& op, const Json& before, const Json& after, uint64_t lsn) {
  return {{"before", before},
          {"after", after},
          {"source",
           {{"version", "2.1.2.Final"},
            {"connector", "postgresql"},
            {"name", "court"},
            {"ts_ms", kCommitMs},
            {"snapshot", op == "r" ? "true" : "false"},
            {"db", "court"},
            {"schema", "public"},
            {"table", "decisions"},
            {"lsn", lsn}}},
          {"op", op},
          {"ts_ms", kCommitMs + 20}};
}

// The same event as the JSON converter writes it with schemas enabled: dates are
// io.debezium.time.Date day counts.
Json WithSchema(const Json& payload) {
  Json fields = Json::array();
  Json after = payload["after"];
  for (auto& [column, value] : after.items()) {
    bool date = column.find("date") != std::string::npos || column == "marriage_registered_on";
    Json field = {{"field", column}, {"optional", true}, {"type", date ? "int32" : "string"}};
    if (date) {
      field["name"] = "io.debezium.time.Date";
      if (value.is_string()) {
        std::string t = value.get<std::string>();
        value = Days(std::stoi(t.substr(0, 4)), std::stoul(t.substr(5, 2)),
                     std::stoul(t.substr(8, 2)));
      }
    }
    if (column == "id") field["type"] = "int32";
    fields.push_back(field);
  }
  Json wrapped_payload = payload;
  wrapped_payload["after"] = after;
  Json schema = {{"type", "struct"},
                 {"name", "court.public.decisions.Envelope"},
                 {"fields",
                  {{{"type", "struct"}, {"fields", fields}, {"optional", true}, {"field", "before"}},
                   {{"type", "struct"}, {"fields", fields}, {"optional", true}, {"field", "after"}},
                   {{"type", "string"}, {"field", "op"}},
                   {{"type", "int64"}, {"optional", true}, {"field", "ts_ms"}}}}};
  return {{"schema", schema}, {"payload", wrapped_payload}};
}

// Produces `messages` (Kafka key, JSON value or nullopt for a tombstone) with kcat, in order:
// one message per line, key and value split by a tab, an empty value sent as NULL (-Z).
void KcatProduce(const Pipeline& p, const std::vector<std::pair<std::string, std::optional<Json>>>& messages) {
  std::string input;
  for (const auto& [key, value] : messages) {
    input += key + "\t" + (value ? value->dump() : "") + "\n";
  }
  auto r = testing::RunProgram(
      {"kcat", "-P", "-b", p.bootstrap(), "-t", kInputTopic, "-K", "\t", "-Z"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::string Kcat(const Pipeline& p, const std::string& topic, const std::string& format) {
  auto r = testing::RunProgram(
      {"kcat", "-C", "-b", p.bootstrap(), "-t", topic, "-o", "beginning", "-e", "-q", "-f", format});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// Publishes a re-send request on the resync topic as the reconciler does (kcat sends the
// file's whole content as one message).
void PublishResendRequest(const Pipeline& p, const std::string& addressee, const std::string& id,
                          const std::string& business_key, const std::string& dir) {
  ingest::v1::ResendRequest request;
  request.set_request_id(id);
  request.set_business_key(business_key);
  request.set_kind(records::v1::RECORD_KIND_DIVORCE_DECISION);
  request.set_reason("declared in manifest M-2026-11 but missing");
  request.mutable_requested_at()->set_seconds(kCommitMs / 1000);
  const std::string path = dir + "/" + id + ".bin";
  std::ofstream(path, std::ios::binary) << request.SerializeAsString();
  auto r = testing::RunProgram({"kcat", "-P", "-b", p.bootstrap(), "-t", "crvs.resync-requests.v1",
                                "-k", addressee, "-H", "crvs-schema=crvs.ingest.v1.ResendRequest;v=1",
                                path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

template <class F>
bool WaitFor(F condition, int timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  return condition();
}

std::string Key(const std::string& no) {
  std::string escaped;
  for (char c : no) escaped += c == '/' ? std::string("%2F") : std::string(1, c);
  return "divorce/TA79001/" + escaped;
}

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
const Spouse kG1{"001085001111", "Ngô Văn Đức", "M", "1985-11-11"};
const Spouse kG2{"001190001212", "Cao Thị Yến", "F", "1990-12-12"};

const std::string kA = "101/2026/QĐST-HNGĐ";  // create (pending) → update to effective
const std::string kB = "102/2026/QĐST-HNGĐ";  // create (effective) → delete + tombstone
const std::string kC = "103/2026/QĐ-HNGĐ";    // snapshot row: an effective annulment
const std::string kD = "104/2026/BA-HNGĐ";    // snapshot row: a pending judgment
const std::string kE = "105/2026/QĐST-HNGĐ";  // out of order: set aside (newer) before effective
const std::string kF = "106/2026/QĐST-HNGĐ";  // a kind the mapping does not know: dead letter
const std::string kG = "107/2026/QĐST-HNGĐ";  // only in the court's export: served on request

class CourtSourceE2e : public ::testing::TestWithParam<Backend> {
 protected:
  // Marital status of `id` through the registry service, as an operator.
  reg::PersonStatus Status(const std::string& id) {
    return e2e::PersonStatusOf(registry_port_, id);
  }

  void ExpectMarital(const Spouse& a, const Spouse& b, reg::MaritalStatus status,
                     const std::string& since) {
    for (const Spouse& s : {a, b}) {
      reg::PersonStatus p = Status(s.id);
      EXPECT_EQ(p.marital_status(), status)
          << s.name << ": " << reg::MaritalStatus_Name(p.marital_status());
      if (!since.empty()) {
        char date[11];
        std::snprintf(date, sizeof date, "%04d-%02d-%02d", p.marital_status_since().year(),
                      p.marital_status_since().month(), p.marital_status_since().day());
        EXPECT_EQ(date, since) << s.name;
      }
    }
  }

  std::string State(Pipeline& p, const std::string& no) {
    auto rows = p.Query("SELECT state FROM records WHERE business_key = '" + Key(no) + "'",
                        "SELECT state FROM records WHERE business_key = '" + Key(no) + "'");
    return rows.empty() ? "(absent)" : rows[0][0];
  }
  int64_t Versions(Pipeline& p, const std::string& no) {
    return p.Count("SELECT count(*) FROM record_versions WHERE business_key = '" + Key(no) + "'");
  }

  int registry_port_ = 0;
};

TEST_P(CourtSourceE2e, DebeziumEventsFromKcatLeaveEveryDecisionAndSpouseInTheRightState) {
  Pipeline p(GetParam());
  const std::string dir = ::testing::TempDir() + "/court-source-e2e-" + std::to_string(getpid()) +
                          "-" + BackendName(GetParam());
  testing::RunProgram({"mkdir", "-p", dir});

  // The court's export of its decision table, for re-send requests: G (only here, effective),
  // and an old pending version of A (position 500) that must not override A's newer state.
  const std::string export_file = dir + "/decisions.ndjson";
  {
    Json g = Row(kG, "CONG_NHAN_THUAN_TINH", kG1, kG2, "2026-09-10", "2026-09-25");
    g["__lsn"] = 2000;
    g["__source_ts_ms"] = kCommitMs;
    Json old_a = Row(kA, "CONG_NHAN_THUAN_TINH", kA1, kA2);
    old_a["__lsn"] = 500;
    std::ofstream(export_file) << g.dump() << "\n" << old_a.dump() << "\n";
  }

  // Before the connector starts: the initial snapshot and the first changes (this also creates
  // the change-stream topic, as the court's Debezium connector would).
  Json a_pending = Row(kA, "CONG_NHAN_THUAN_TINH", kA1, kA2);
  Json b_effective = Row(kB, "CONG_NHAN_THUAN_TINH", kB1, kB2, "2026-09-01", "2026-10-05");
  KcatProduce(p, {
      {R"({"id":103})", Event("r", nullptr, Row(kC, "HUY_KET_HON_TRAI_PHAP_LUAT", kC1, kC2,
                                                "2026-08-01", "2026-08-20"), 900)},
      {R"({"id":104})", Event("r", nullptr, Row(kD, "BAN_AN", kD1, kD2), 900)},
      {R"({"id":101})", WithSchema(Event("c", nullptr, a_pending, 1000))},
      {R"({"id":102})", Event("c", nullptr, b_effective, 1200)},
  });

  p.StartSink();
  int cs = p.StartCourtSource({"court_source.resend_source_file=" + export_file});
  EXPECT_EQ(p.WaitForCount("SELECT count(*) FROM records", 4, 60), 4);
  // Started once the sink has created the database: two processes migrating a fresh SQLite
  // file at the same moment can meet "database is locked".
  registry_port_ = p.StartRegistry();
  EXPECT_EQ(State(p, kA), "PENDING_EFFECT");
  ExpectMarital(kA1, kA2, reg::MARITAL_STATUS_UNKNOWN, "");  // pending: changes nothing yet

  // While it runs: A takes effect; B is deleted (then its tombstone); E's two updates arrive
  // newest first; a snapshot row of A read before its update arrives after it; F cannot be
  // mapped.
  Json a_effective = a_pending;
  a_effective["effective_date"] = "2026-10-01";
  Json e_effective = Row(kE, "BAN_AN", kE1, kE2, "2026-09-01", "2026-09-25");
  Json e_set_aside = e_effective;
  e_set_aside["set_aside_date"] = "2026-11-10";
  e_set_aside["set_aside_by_decision_no"] = "07/2026/GĐT-DS";
  e_set_aside["set_aside_reason"] = "giám đốc thẩm";
  Json f_unmappable = Row(kF, "LY_THAN", kA1, kA2);
  KcatProduce(p, {
      {R"({"id":101})", Event("u", a_pending, a_effective, 1100)},
      {R"({"id":102})", Event("d", b_effective, nullptr, 1300)},
      {R"({"id":102})", std::nullopt},
      {R"({"id":105})", Event("u", nullptr, e_set_aside, 1500)},
      {R"({"id":105})", Event("u", nullptr, e_effective, 1400)},
      {R"({"id":101})", Event("r", nullptr, a_pending, 950)},
      {R"({"id":106})", Event("c", nullptr, f_unmappable, 1600)},
  });

  // 11 inputs: 9 envelopes, 1 dead letter, 1 tombstone; the sink applies all 9 (two STALE).
  EXPECT_TRUE(WaitFor([&] { return p.CourtSourceMetric(cs, "crvs_court_source_events_total") >= 11; }, 60));
  EXPECT_TRUE(WaitFor([&] { return p.SinkCommitted(0) >= 9; }, 60)) << p.SinkCommitted(0);
  EXPECT_EQ(p.CourtSourceMetric(cs, R"(crvs_court_source_events_total{op="tombstone",outcome="skipped"})"), 1);
  EXPECT_EQ(p.CourtSourceMetric(cs, R"(crvs_court_source_events_total{op="c",outcome="dead_lettered"})"), 1);
  EXPECT_EQ(p.CourtSourceMetric(cs, R"(crvs_court_source_dead_letters_total{error_class="MAPPING"})"), 1);
  EXPECT_EQ(
      p.SinkMetric(0, R"(crvs_sink_records_total{kind="divorce_decision",outcome="stale"})"), 2)
      << "E's older update and A's late snapshot row";
  // Became effective: A's update, B's create, E's effective update (confirmed, though stale).
  EXPECT_EQ(p.CourtSourceMetric(cs, "crvs_court_source_effective_to_recorded_seconds_count"), 3);

  EXPECT_EQ(State(p, kA), "EFFECTIVE");
  EXPECT_EQ(Versions(p, kA), 2) << "create + update; the late snapshot row is stale";
  EXPECT_EQ(State(p, kB), "VOIDED");
  EXPECT_EQ(Versions(p, kB), 2);
  EXPECT_EQ(State(p, kC), "EFFECTIVE");
  EXPECT_EQ(State(p, kD), "PENDING_EFFECT");
  EXPECT_EQ(State(p, kE), "SET_ASIDE") << "the newest position wins whatever the arrival order";
  EXPECT_EQ(Versions(p, kE), 1);
  EXPECT_EQ(State(p, kF), "(absent)");
  EXPECT_EQ(p.Count("SELECT count(*) FROM dead_letters"), 0)
      << "stale events are not errors; the unmappable row never reached the divorce topic";
  EXPECT_EQ(p.Count("SELECT count(*) FROM divorce_decisions WHERE legal_effect_date = "
                    "'2026-10-01' AND decision_kind = 'CONSENSUAL_RECOGNITION'"), 1);

  // Both spouses of every decision, through the registry service.
  ExpectMarital(kA1, kA2, reg::MARITAL_STATUS_DIVORCED, "2026-10-01");
  ExpectMarital(kB1, kB2, reg::MARITAL_STATUS_UNKNOWN, "");  // voided: counts nowhere
  ExpectMarital(kC1, kC2, reg::MARITAL_STATUS_ANNULLED, "2026-08-20");
  ExpectMarital(kD1, kD2, reg::MARITAL_STATUS_UNKNOWN, "");  // pending: no change yet
  EXPECT_EQ(Status(kD1.id).vital_status(), reg::VITAL_STATUS_ALIVE);
  ExpectMarital(kE1, kE2, reg::MARITAL_STATUS_MARRIED, "2026-11-10");

  // The unmappable row is on the dead-letter topic with its error context.
  std::string dlq;
  EXPECT_TRUE(WaitFor([&] {
    dlq = Kcat(p, "crvs.dead-letters.v1", "%k|%h\n");
    return !dlq.empty();
  }, 30));
  EXPECT_THAT(dlq, HasSubstr(R"({"id":106}|crvs-source=court:TA79001,crvs-dlq-error-class=MAPPING,)"
                             R"(crvs-dlq-error-message=column decision_type (court_source.column_kind): )"
                             R"(value "LY_THAN" is not in court_source.kind_values,)"
                             "crvs-dlq-original-topic=court.cdc.decisions,"));

  // Re-send requests for the court: G is served from the export; A's export row is older than
  // what the stream delivered, so it is served but changes nothing; 999 is not in the export
  // and stays open for the court; a facility's request is not ours.
  PublishResendRequest(p, "court:TA79001", "req-g", Key(kG), dir);
  PublishResendRequest(p, "court:TA79001", "req-a", Key(kA), dir);
  PublishResendRequest(p, "court:TA79001", "req-missing", Key("999/2026/QĐST-HNGĐ"), dir);
  PublishResendRequest(p, "facility:BV79001", "req-facility", Key(kG), dir);
  EXPECT_TRUE(WaitFor([&] {
    return p.CourtSourceMetric(cs, "crvs_court_source_resend_requests_total") >= 3;
  }, 60));
  EXPECT_EQ(p.CourtSourceMetric(cs, R"(crvs_court_source_resend_requests_total{outcome="served",reason=""})"), 2);
  EXPECT_EQ(p.CourtSourceMetric(cs, R"(crvs_court_source_resend_requests_total{outcome="unserved",reason="not_in_export"})"), 1);
  EXPECT_EQ(p.WaitForCount("SELECT count(*) FROM records", 6, 60), 6);
  EXPECT_TRUE(WaitFor([&] { return p.SinkCommitted(0) >= 11; }, 60));
  EXPECT_EQ(State(p, kG), "EFFECTIVE");
  ExpectMarital(kG1, kG2, reg::MARITAL_STATUS_DIVORCED, "2026-09-25");
  EXPECT_EQ(State(p, kA), "EFFECTIVE") << "a re-sent old row must not override newer data";
  EXPECT_EQ(Versions(p, kA), 2);
  std::string resync;
  EXPECT_TRUE(WaitFor([&] {
    resync = Kcat(p, "crvs.resync-requests.v1", "%k|%h|%s\n");
    return resync.find("crvs-resend-ack=1|req-a") != std::string::npos;
  }, 30));
  EXPECT_THAT(resync, HasSubstr("court:TA79001|crvs-resend-ack=1|req-g"));
  EXPECT_THAT(resync, Not(HasSubstr("crvs-resend-ack=1|req-missing")));
  EXPECT_THAT(resync, Not(HasSubstr("crvs-resend-ack=1|req-facility")));

  // Exactly once: a second connector in a new consumer group reads the whole stream and every
  // re-send request again; each envelope it produces is a duplicate (same message id) or stale.
  const int64_t versions = p.Count("SELECT count(*) FROM record_versions");
  EXPECT_EQ(versions, 8);
  int replay = p.StartCourtSource({"court_source.resend_source_file=" + export_file,
                                   "court_source.group_id=crvs-court-source-replay"});
  EXPECT_TRUE(WaitFor([&] {
    return p.CourtSourceMetric(replay, "crvs_court_source_events_total") >= 11 &&
           p.CourtSourceMetric(replay, "crvs_court_source_resend_requests_total") >= 3;
  }, 60));
  EXPECT_TRUE(WaitFor([&] { return p.SinkCommitted(0) >= 22; }, 60)) << p.SinkCommitted(0);
  EXPECT_EQ(p.SinkCommitted(0), 22);
  EXPECT_EQ(p.Count("SELECT count(*) FROM record_versions"), versions) << "a change applied twice";
  EXPECT_EQ(p.Count("SELECT count(*) FROM records"), 6);
  EXPECT_EQ(State(p, kE), "SET_ASIDE");

  testing::RunProgram({"rm", "-rf", dir});
}

TEST_P(CourtSourceE2e, ConnectorKilledMidStreamThenRestartedRecordsEveryChangeOnce) {
  // ~9 MB of change events over the 4 partitions the topic gets: within what the embedded
  // broker keeps per partition (about 5 MB), so nothing expires unread.
  constexpr int kDecisions = 10000;
  Pipeline p(GetParam());
  std::vector<std::pair<std::string, std::optional<Json>>> events;
  for (int i = 0; i < kDecisions; ++i) {
    char a[13], b[13];
    std::snprintf(a, sizeof a, "001088%06d", i);  // Hà Nội, male, born 1988
    std::snprintf(b, sizeof b, "001191%06d", i);  // Hà Nội, female, born 1991
    Json row = Row(std::to_string(100000 + i) + "/2026/QĐST-HNGĐ", "CONG_NHAN_THUAN_TINH",
                   {a, "Lê Văn Hùng", "M", "1988-05-10"}, {b, "Phạm Thị Mai", "F", "1991-02-03"},
                   "2026-09-01", "2026-10-01");
    events.push_back({"{\"id\":" + std::to_string(i) + "}",
                      Event("c", nullptr, row, 10000 + static_cast<uint64_t>(i))});
  }
  KcatProduce(p, events);
  p.StartSink();
  int first = p.StartCourtSource({"court_source.batch_max_records=200"});
  EXPECT_TRUE(WaitFor([&] {
    return p.CourtSourceMetric(first, "crvs_court_source_events_total") >= 2000;
  }, 60));
  double at_kill = p.CourtSourceMetric(first, "crvs_court_source_events_total");
  p.KillCourtSource(first);
  EXPECT_LT(at_kill, kDecisions) << "the kill came after the whole stream was read";
  int second = p.StartCourtSource({"court_source.batch_max_records=200"});

  EXPECT_EQ(p.WaitForCount("SELECT count(*) FROM records", kDecisions, 180), kDecisions);
  EXPECT_TRUE(WaitFor([&] {
    return p.CourtSourceMetric(second, "crvs_court_source_events_total") +
               at_kill >= kDecisions;
  }, 60));
  EXPECT_EQ(p.Count("SELECT count(*) FROM records WHERE state = 'EFFECTIVE'"), kDecisions);
  EXPECT_EQ(p.Count("SELECT count(*) FROM record_versions"), kDecisions) << "a change applied twice";
  EXPECT_EQ(p.Count("SELECT count(DISTINCT message_id) FROM record_versions"), kDecisions);
  EXPECT_EQ(p.Count("SELECT count(*) FROM dead_letters"), 0);
  EXPECT_EQ(p.Count("SELECT count(*) FROM persons WHERE marital_status = 'DIVORCED'"),
            2 * kDecisions);
}

INSTANTIATE_TEST_SUITE_P(Backends, CourtSourceE2e,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace crvs::e2e
