// The console's HTTP layer end to end in one process: a real httplib server and real gRPC
// channels to fake Admin and Reconciliation services started in-process, and a fake metrics
// endpoint whose text each test controls.
#include "services/console/console.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <tuple>

#include "crvs/admin/v1/admin.grpc.pb.h"
#include "crvs/reconcile/v1/reconciliation.grpc.pb.h"
#include "services/console/embedded_assets.h"
#include "services/console/json_views.h"
#include "services/platform/status.h"
#include "services/auth/certs.h"
#include "services/feeds/feed_service.h"
#include "services/feeds/subscribers.h"
#include "services/operators/accounts.h"
#include "services/store/audit.h"
#include "services/store/store_test_util.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/status_matchers.h"

namespace crvs::console {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Metadata(grpc::ServerContext* context, const char* key) {
  auto it = context->client_metadata().find(key);
  return it == context->client_metadata().end() ? ""
                                                : std::string(it->second.data(), it->second.size());
}
// Who the console calls as (its own identity).
std::string Principal(grpc::ServerContext* context) { return Metadata(context, "crvs-principal"); }
// Whom the call acts for: the signed-in operator, else the console itself.
std::string Acting(grpc::ServerContext* context) {
  std::string on_behalf = Metadata(context, "crvs-on-behalf-of");
  return on_behalf.empty() ? Principal(context) : on_behalf;
}

class FakeAdmin final : public admin::v1::Admin::Service {
 public:
  std::mutex mu;
  std::vector<std::string> principals;
  admin::v1::ListDeadLettersRequest last_list;
  admin::v1::ReplayDeadLetterRequest last_replay;
  admin::v1::DiscardDeadLetterRequest last_discard;
  int discards = 0;
  std::vector<std::string> connector_calls;
  std::map<int64_t, admin::v1::DeadLetter> dead_letters;

  grpc::Status GetPipelineStatus(grpc::ServerContext* c, const admin::v1::GetPipelineStatusRequest*,
                                 admin::v1::PipelineStatus* out) override {
    Seen(c);
    auto* p = out->add_partitions();
    p->set_kind(records::v1::RECORD_KIND_DEATH_NOTICE);
    p->set_topic("crvs.death-notices.v1");
    p->set_partition(0);
    p->set_consumer_group("crvs-registry-sink");
    p->set_committed_offset(93);
    p->set_high_watermark(100);
    p->set_log_start_offset(0);
    p->set_lag_messages(7);
    auto* q = out->add_partitions();
    q->set_topic("crvs.death-notices.v1");
    q->set_partition(1);
    q->set_consumer_group("crvs-registry-sink");
    q->set_kind(records::v1::RECORD_KIND_DEATH_NOTICE);
    q->set_committed_offset(10);
    q->set_high_watermark(15);
    q->set_log_start_offset(12);
    q->set_behind_log_start(true);
    auto* c1 = out->add_connectors();
    c1->set_name("registry-sink");
    c1->set_state(admin::v1::CONNECTOR_STATE_RUNNING);
    c1->mutable_since()->set_seconds(1'780'000'000);
    out->set_open_dead_letters(3);
    out->mutable_observed_at()->set_seconds(1'780'000'100);
    return grpc::Status::OK;
  }

  grpc::Status ListDeadLetters(grpc::ServerContext* c, const admin::v1::ListDeadLettersRequest* r,
                               admin::v1::ListDeadLettersResponse* out) override {
    Seen(c);
    std::lock_guard<std::mutex> lock(mu);
    last_list = *r;
    for (auto it = dead_letters.rbegin(); it != dead_letters.rend(); ++it) {
      admin::v1::DeadLetter d = it->second;
      d.clear_payload();
      d.clear_key();
      d.clear_headers();
      *out->add_dead_letters() = d;
    }
    out->set_next_page_token("next-1");
    return grpc::Status::OK;
  }

  grpc::Status GetDeadLetter(grpc::ServerContext* c, const admin::v1::GetDeadLetterRequest* r,
                             admin::v1::DeadLetter* out) override {
    Seen(c);
    std::lock_guard<std::mutex> lock(mu);
    auto it = dead_letters.find(r->id());
    if (it == dead_letters.end())
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no dead letter");
    *out = it->second;
    return grpc::Status::OK;
  }

  grpc::Status ReplayDeadLetter(grpc::ServerContext* c, const admin::v1::ReplayDeadLetterRequest* r,
                                admin::v1::DeadLetter* out) override {
    Seen(c);
    std::lock_guard<std::mutex> lock(mu);
    last_replay = *r;
    auto it = dead_letters.find(r->id());
    if (it == dead_letters.end())
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no dead letter");
    if (it->second.state() != admin::v1::DEAD_LETTER_STATE_OPEN) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "dead letter is not OPEN");
    }
    if (r->operator_note() == "bad note") {
      return ToGrpcStatus(InvalidArgument({{"operator_note", "contains a control character"}}));
    }
    it->second.set_state(admin::v1::DEAD_LETTER_STATE_REPLAYED);
    it->second.set_resolved_by(Acting(c));
    it->second.set_resolution_note(r->operator_note());
    *out = it->second;
    return grpc::Status::OK;
  }

  grpc::Status DiscardDeadLetter(grpc::ServerContext* c,
                                 const admin::v1::DiscardDeadLetterRequest* r,
                                 admin::v1::DeadLetter* out) override {
    Seen(c);
    std::lock_guard<std::mutex> lock(mu);
    ++discards;
    last_discard = *r;
    auto it = dead_letters.find(r->id());
    if (it == dead_letters.end())
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no dead letter");
    it->second.set_state(admin::v1::DEAD_LETTER_STATE_DISCARDED);
    it->second.set_resolution_note(r->reason());
    *out = it->second;
    return grpc::Status::OK;
  }

  grpc::Status PauseConnector(grpc::ServerContext* c, const admin::v1::PauseConnectorRequest* r,
                              admin::v1::ConnectorStatus* out) override {
    return Connector(c, "pause", r->name(), admin::v1::CONNECTOR_STATE_PAUSED, out);
  }
  grpc::Status ResumeConnector(grpc::ServerContext* c, const admin::v1::ResumeConnectorRequest* r,
                               admin::v1::ConnectorStatus* out) override {
    return Connector(c, "resume", r->name(), admin::v1::CONNECTOR_STATE_RUNNING, out);
  }

 private:
  void Seen(grpc::ServerContext* c) {
    std::lock_guard<std::mutex> lock(mu);
    principals.push_back(Principal(c));
  }
  grpc::Status Connector(grpc::ServerContext* c, const std::string& action, const std::string& name,
                         admin::v1::ConnectorState state, admin::v1::ConnectorStatus* out) {
    Seen(c);
    std::lock_guard<std::mutex> lock(mu);
    connector_calls.push_back(action + " " + name);
    if (name != "registry-sink" && name != "court source") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown connector " + name);
    }
    out->set_name(name);
    out->set_state(state);
    return grpc::Status::OK;
  }
};

class FakeReconciliation final : public reconcile::v1::Reconciliation::Service {
 public:
  std::mutex mu;
  std::vector<reconcile::v1::CoverageRequest> coverage_requests;
  reconcile::v1::IndicatorsRequest last_indicators;
  reconcile::v1::ListSilentSourcesRequest last_silent;
  std::string principal;

  grpc::Status GetCoverage(grpc::ServerContext* c, const reconcile::v1::CoverageRequest* r,
                           reconcile::v1::CoverageReport* out) override {
    std::lock_guard<std::mutex> lock(mu);
    principal = Acting(c);
    coverage_requests.push_back(*r);
    auto* row = out->add_rows();
    row->mutable_source()->set_kind(common::v1::PRINCIPAL_KIND_FACILITY);
    row->mutable_source()->set_code("BV79001");
    row->set_kind(records::v1::RECORD_KIND_DEATH_NOTICE);
    row->set_declared(200);
    row->set_present(190);
    row->set_missing(10);
    row->set_coverage_percent(95);
    row->set_on_time_percent(90);
    auto* total = out->mutable_total();
    total->set_declared(200);
    total->set_present(190);
    total->set_missing(10);
    total->set_coverage_percent(95);
    total->set_on_time_percent(90);
    return grpc::Status::OK;
  }

  grpc::Status GetIndicators(grpc::ServerContext* c, const reconcile::v1::IndicatorsRequest* r,
                             reconcile::v1::IndicatorReport* out) override {
    std::lock_guard<std::mutex> lock(mu);
    last_indicators = *r;
    out->set_period(r->period());
    out->mutable_as_of()->set_year(2026);
    out->mutable_as_of()->set_month(3);
    out->mutable_as_of()->set_day(11);
    auto* b1 = out->add_values();
    b1->set_id("B1");
    b1->set_area("VN");
    b1->set_numerator(96);
    b1->set_denominator(100);
    b1->set_percent(96);
    b1->set_target_2028(95);
    b1->set_target_2030(98.5);
    b1->set_met_2028(true);
    b1->set_met_2030(false);
    b1->set_definition("births registered within 60 days");
    auto* d3 = out->add_values();
    d3->set_id("D3");
    d3->set_area("VN");
    d3->set_target_2030(100);
    d3->set_definition("facility deaths registered on time");
    return grpc::Status::OK;
  }

  grpc::Status ListSilentSources(grpc::ServerContext* c,
                                 const reconcile::v1::ListSilentSourcesRequest* r,
                                 reconcile::v1::ListSilentSourcesResponse* out) override {
    std::lock_guard<std::mutex> lock(mu);
    last_silent = *r;
    auto* s = out->add_silent_sources();
    s->mutable_source()->set_kind(common::v1::PRINCIPAL_KIND_FACILITY);
    s->mutable_source()->set_code("BV01002");
    s->mutable_last_seen()->set_seconds(1'780'000'000);
    s->mutable_usual_cadence()->set_seconds(600);
    s->mutable_quiet_for()->set_seconds(7200);
    s->mutable_quiet_for()->set_nanos(500'000'000);
    return grpc::Status::OK;
  }
};

class FakeFetcher : public MetricsFetcher {
 public:
  absl::StatusOr<std::string> Fetch(const std::string& url) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = bodies_.find(url);
    if (it == bodies_.end()) return absl::UnavailableError("GET " + url + ": connection refused");
    return it->second;
  }
  void Set(const std::string& url, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    bodies_[url] = std::move(body);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> bodies_;
};

constexpr const char* kUrl = "http://sink.test:9465/metrics";
constexpr char kPassword[] = "mật khẩu đủ dài 2026";

std::string SinkMetrics(int committed, int accepted, int lag0, double lag_seconds0) {
  return "# HELP crvs_sink_lag_messages Messages in the partition not yet committed\n"
         "# TYPE crvs_sink_lag_messages gauge\n"
         "crvs_sink_lag_messages{partition=\"0\",topic=\"crvs.death-notices.v1\"} " +
         std::to_string(lag0) +
         "\n"
         "crvs_sink_lag_messages{partition=\"1\",topic=\"crvs.death-notices.v1\"} 5\n"
         "# TYPE crvs_sink_lag_seconds gauge\n"
         "crvs_sink_lag_seconds{partition=\"0\",topic=\"crvs.death-notices.v1\"} " +
         std::to_string(lag_seconds0) +
         "\n"
         "# TYPE crvs_sink_records_total counter\n"
         "crvs_sink_records_total{kind=\"death_notice\",outcome=\"applied_new\"} " +
         std::to_string(committed) +
         "\n"
         "# TYPE crvs_gateway_records_total counter\n"
         "crvs_gateway_records_total{kind=\"death_notice\",outcome=\"accepted\"} " +
         std::to_string(accepted) + "\n";
}

// 2026-03-10 20:00 UTC, i.e. 2026-03-11 03:00 in Vietnam.
absl::Time kStart = absl::FromCivil(absl::CivilSecond(2026, 3, 10, 20, 0, 0), absl::UTCTimeZone());

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &grpc_port_);
    builder.RegisterService(&admin_);
    builder.RegisterService(&reconcile_);
    grpc_ = builder.BuildAndStart();
    ASSERT_NE(grpc_, nullptr);

    admin::v1::DeadLetter open;
    open.set_id(7);
    open.set_original_topic("crvs.death-notices.v1");
    open.set_partition(1);
    open.set_offset(42);
    open.set_error_class("VALIDATION");
    open.set_error_message("deceased.personal_id.number: unknown province prefix");
    open.set_state(admin::v1::DEAD_LETTER_STATE_OPEN);
    open.set_business_key("death/BV79001/TB-2026-000123");
    open.set_attempts(1);
    open.mutable_failed_at()->set_seconds(1'780'000'000);
    open.set_key("death/BV79001/TB-2026-000123");
    records::v1::RecordEnvelope envelope;
    envelope.set_business_key("death/BV79001/TB-2026-000123");
    envelope.set_message_id("m-1");
    envelope.mutable_death_notice()->mutable_key()->set_facility_code("BV79001");
    envelope.mutable_death_notice()->mutable_deceased()->set_full_name("Hoàng Văn Tư");
    envelope.mutable_death_notice()->mutable_deceased()->mutable_personal_id()->set_number(
        "001052003456");
    open.set_payload(envelope.SerializeAsString());
    auto* h = open.add_headers();
    h->set_key("crvs-source");
    h->set_value("facility:BV79001");
    auto* binary = open.add_headers();
    binary->set_key("crvs-binary");
    binary->set_value(std::string("\xff\x00\x01", 3));
    admin_.dead_letters[7] = open;

    admin::v1::DeadLetter garbage = open;
    garbage.set_id(8);
    garbage.set_error_class("DECODE");
    garbage.set_payload("{\"not\": \"protobuf\"}");
    admin_.dead_letters[8] = garbage;

    admin::v1::DeadLetter replayed = open;
    replayed.set_id(9);
    replayed.set_state(admin::v1::DEAD_LETTER_STATE_REPLAYED);
    admin_.dead_letters[9] = replayed;

    fetcher_.Set(kUrl, SinkMetrics(100, 150, 7, 0.25));
    now_ = kStart;
    store::DatabaseConfig database;
    database.url = "sqlite:" + dir_.File("crvs.db");
    auto opened = store::Store::Open(database);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    accounts_ = std::make_unique<operators::Accounts>(*store_);
    using operators::Role;
    for (auto [name, role, province] :
         {std::tuple{"lan", Role::kOperator, ""}, std::tuple{"vy", Role::kViewer, ""},
          std::tuple{"ha", Role::kOperator, "01"}, std::tuple{"an", Role::kAdmin, ""}}) {
      ASSERT_TRUE(accounts_->Add(name, role, province, kPassword, "system:test", kStart).ok());
    }
    StartConsole("127.0.0.1:" + std::to_string(grpc_port_));
  }

  void StartConsole(const std::string& admin_address, ConsoleConfig config = {}) {
    console_.reset();
    config.listen = "127.0.0.1:0";
    config.admin_address = admin_address;
    config.reconcile_address = "127.0.0.1:" + std::to_string(grpc_port_);
    config.metrics_urls = {kUrl};
    config.sample_interval = config::Duration(3600 * 1000);  // samples only when a test asks
    config.history = config::Duration(2 * 3600 * 1000);
    config.call_timeout = config::Duration(2000);
    ConsoleDeps deps;
    deps.topic_kinds = MakeTopicKinds("crvs.birth-certificates.v1", "crvs.death-notices.v1",
                                      "crvs.divorce-decisions.v1", "crvs.registrations.v1");
    deps.fetcher = &fetcher_;
    deps.store = store_.get();
    deps.subscribers = subscribers_;
    deps.clock = [this] {
      std::lock_guard<std::mutex> lock(clock_mu_);
      return now_;
    };
    auto console = Console::Start(config, std::move(deps));
    ASSERT_TRUE(console.ok()) << console.status();
    console_ = std::move(*console);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", console_->port());
    session_ = config.auth == "password" ? SignIn("lan") : SignedIn{};
  }

  struct SignedIn {
    std::string cookie;  // "crvs_session=..."
    std::string csrf;
    json body;
  };

  // Password sign-in; the cookie as a browser would send it back.
  SignedIn SignIn(const std::string& name, const std::string& password = kPassword,
                  int want_status = 200) {
    json body = {{"name", name}, {"password", password}};
    auto res = client_->Post("/api/session", body.dump(), "application/json");
    EXPECT_TRUE(res);
    if (!res) return {};
    EXPECT_EQ(res->status, want_status) << res->body;
    SignedIn out;
    out.body = json::parse(res->body);
    const std::string set_cookie = res->get_header_value("Set-Cookie");
    out.cookie = set_cookie.substr(0, set_cookie.find(';'));
    if (out.body.contains("csrf_token")) out.csrf = out.body["csrf_token"];
    return out;
  }

  httplib::Headers As(const SignedIn& s) {
    return {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}};
  }

  void Advance(absl::Duration d) {
    std::lock_guard<std::mutex> lock(clock_mu_);
    now_ += d;
  }

  json GetJson(const std::string& path, int want_status = 200) {
    auto res = client_->Get(path.c_str(), As(session_));
    EXPECT_TRUE(res) << path;
    if (!res) return json();
    EXPECT_EQ(res->status, want_status) << path << " " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    return json::parse(res->body);
  }

  json PostJson(const std::string& path, const std::string& body, int want_status = 200) {
    auto res = client_->Post(path.c_str(), As(session_), body, "application/json");
    EXPECT_TRUE(res) << path;
    if (!res) return json();
    EXPECT_EQ(res->status, want_status) << path << " " << res->body;
    return json::parse(res->body);
  }

  crvs::testing::ScratchDir dir_{"crvs-console"};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<operators::Accounts> accounts_;
  const feeds::Subscribers* subscribers_ = nullptr;  // the agencies' feeds; none by default
  SignedIn session_;
  FakeAdmin admin_;
  FakeReconciliation reconcile_;
  FakeFetcher fetcher_;
  int grpc_port_ = 0;
  std::unique_ptr<grpc::Server> grpc_;
  std::mutex clock_mu_;
  absl::Time now_;
  std::unique_ptr<Console> console_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ConsoleTest, ServesTheEmbeddedPageWithNothingFromAnotherOrigin) {
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(page->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'self'"));
  EXPECT_THAT(page->body, HasSubstr("id=\"lag-messages-total\""));
  EXPECT_THAT(page->body, HasSubstr("id=\"throughput-committed\""));
  EXPECT_THAT(page->body, HasSubstr("id=\"coverage-total-percent\""));
  for (const EmbeddedAsset& asset : EmbeddedAssets()) {
    auto res = client_->Get(std::string(asset.path).c_str());
    ASSERT_TRUE(res) << asset.path;
    EXPECT_EQ(res->status, 200) << asset.path;
    EXPECT_EQ(res->body, asset.body);
    // Offline: no script, style, font or image from elsewhere (the SVG namespace URI is a name,
    // not a fetch).
    for (const char* external :
         {"src=\"http", "href=\"http", "url(http", "@import", "//cdn", "fonts.g"}) {
      EXPECT_THAT(std::string(asset.body), Not(HasSubstr(external))) << asset.path;
    }
  }
  EXPECT_EQ(client_->Get("/console.js")->get_header_value("Content-Type"),
            "text/javascript; charset=utf-8");
}

TEST_F(ConsoleTest, StatusShowsTheFiguresOfTheLatestSampleMergedWithAdmin) {
  json first = GetJson("/api/status");
  EXPECT_EQ(first["lag"]["messages_total"], 12);
  EXPECT_EQ(first["lag"]["seconds_max"], 0.25);
  EXPECT_TRUE(first["throughput"]["committed_per_second"].is_null());  // one sample: no window
  EXPECT_TRUE(first["window_seconds"].is_null());
  EXPECT_EQ(first["sampled_at"], "2026-03-10T20:00:00.000Z");

  fetcher_.Set(kUrl, SinkMetrics(160, 190, 30, 1.5));
  Advance(absl::Seconds(4));
  console_->sampler().SampleNow();
  console_->RefreshPipelineStatus();
  json s = GetJson("/api/status");
  EXPECT_EQ(s["window_seconds"], 4);
  EXPECT_EQ(s["lag"]["messages_total"], 35);
  EXPECT_EQ(s["lag"]["seconds_max"], 1.5);
  EXPECT_EQ(s["throughput"]["committed_per_second"], 15);
  EXPECT_EQ(s["throughput"]["accepted_per_second"], 10);
  EXPECT_EQ(s["open_dead_letters"], 3);
  EXPECT_EQ(s["operator"], "operator:lan");
  EXPECT_EQ(s["admin"]["ok"], true);

  ASSERT_EQ(s["partitions"].size(), 2u);
  const json& p0 = s["partitions"][0];
  EXPECT_EQ(p0["topic"], "crvs.death-notices.v1");
  EXPECT_EQ(p0["partition"], 0);
  EXPECT_EQ(p0["kind"], "death_notice");
  EXPECT_EQ(p0["lag_messages"], 30);
  EXPECT_EQ(p0["lag_seconds"], 1.5);
  EXPECT_EQ(p0["committed_offset"], 93);
  EXPECT_EQ(p0["high_watermark"], 100);
  EXPECT_EQ(p0["consumer_group"], "crvs-registry-sink");
  EXPECT_EQ(p0["admin_lag_messages"], 7);
  EXPECT_EQ(s["lag"]["admin_messages_total"], 7);
  EXPECT_TRUE(s["partitions"][1]["lag_seconds"].is_null());
  EXPECT_EQ(s["partitions"][1]["behind_log_start"], true);
  ASSERT_EQ(s["behind_log_start"].size(), 1u);
  EXPECT_EQ(s["behind_log_start"][0]["log_start_offset"], 12);

  ASSERT_EQ(s["connectors"].size(), 1u);
  EXPECT_EQ(s["connectors"][0]["name"], "registry-sink");
  EXPECT_EQ(s["connectors"][0]["state"], "running");

  bool found = false;
  for (const json& k : s["kinds"]) {
    if (k["kind"] != "death_notice") continue;
    found = true;
    EXPECT_EQ(k["lag_messages"], 35);
    EXPECT_EQ(k["committed_per_second"], 15);
    EXPECT_EQ(k["accepted_per_second"], 10);
  }
  EXPECT_TRUE(found);
  std::lock_guard<std::mutex> lock(admin_.mu);
  EXPECT_THAT(admin_.principals, ::testing::Each(std::string("operator:console")));
}

TEST_F(ConsoleTest, HistoryHoldsOnePointPerSample) {
  fetcher_.Set(kUrl, SinkMetrics(110, 150, 9, 0.5));
  Advance(absl::Seconds(5));
  console_->sampler().SampleNow();
  json h = GetJson("/api/history");
  EXPECT_EQ(h["sample_interval_seconds"], 3600);
  ASSERT_EQ(h["points"].size(), 2u);
  EXPECT_EQ(h["points"][0]["lag_messages_total"], 12);
  EXPECT_TRUE(h["points"][0]["committed_per_second"].is_null());
  EXPECT_EQ(h["points"][1]["lag_messages_total"], 14);
  EXPECT_EQ(h["points"][1]["committed_per_second"], 2);
  EXPECT_EQ(h["points"][1]["at"], "2026-03-10T20:00:05.000Z");
}

TEST_F(ConsoleTest, StatusStillAnswersWhenTheAdminServiceIsDown) {
  StartConsole("127.0.0.1:1");  // nothing listens there
  console_->RefreshPipelineStatus();
  json s = GetJson("/api/status");
  EXPECT_EQ(s["lag"]["messages_total"], 12);
  EXPECT_EQ(s["admin"]["ok"], false);
  EXPECT_EQ(s["admin"]["error"]["code"], "UNAVAILABLE");
  EXPECT_TRUE(s["open_dead_letters"].is_null());
  EXPECT_TRUE(s["connectors"].empty());
  EXPECT_THAT(s["admin"]["error"]["error"].get<std::string>(), HasSubstr("127.0.0.1:1"));
  json err = GetJson("/api/dead-letters", 503);
  EXPECT_EQ(err["code"], "UNAVAILABLE");
  EXPECT_THAT(err["error"].get<std::string>(), HasSubstr("127.0.0.1:1"));
}

TEST_F(ConsoleTest, ScrapeFailuresAreReportedNotFatal) {
  fetcher_.Set(kUrl, "this is { not metrics\n");
  Advance(absl::Seconds(5));
  console_->sampler().SampleNow();
  json s = GetJson("/api/status");
  ASSERT_EQ(s["scrapes"].size(), 1u);
  EXPECT_EQ(s["scrapes"][0]["ok"], false);
  EXPECT_THAT(s["scrapes"][0]["error"].get<std::string>(), HasSubstr("unparseable metrics"));
  EXPECT_EQ(s["lag"]["messages_total"], 0);
  EXPECT_TRUE(s["throughput"]["committed_per_second"].is_null());
}

TEST_F(ConsoleTest, ListsDeadLettersWithFilters) {
  json list = GetJson("/api/dead-letters?state=open&topic=crvs.death-notices.v1&page_size=20");
  ASSERT_EQ(list["dead_letters"].size(), 3u);
  EXPECT_EQ(list["dead_letters"][0]["id"], 9);
  EXPECT_EQ(list["dead_letters"][0]["state"], "replayed");
  EXPECT_EQ(list["dead_letters"][2]["error_class"], "VALIDATION");
  EXPECT_EQ(list["dead_letters"][2]["failed_at"], "2026-05-28T20:26:40Z");
  EXPECT_FALSE(list["dead_letters"][2].contains("payload_base64"));
  EXPECT_EQ(list["next_page_token"], "next-1");
  std::lock_guard<std::mutex> lock(admin_.mu);
  EXPECT_EQ(admin_.last_list.state(), admin::v1::DEAD_LETTER_STATE_OPEN);
  EXPECT_EQ(admin_.last_list.original_topic(), "crvs.death-notices.v1");
  EXPECT_EQ(admin_.last_list.page_size(), 20);
  EXPECT_FALSE(admin_.last_list.include_payload());
}

TEST_F(ConsoleTest, ListRefusesAnUnknownStateAndPageSize) {
  json err = GetJson("/api/dead-letters?state=lost&page_size=5000", 400);
  EXPECT_EQ(err["code"], "INVALID_ARGUMENT");
  ASSERT_EQ(err["fields"].size(), 2u);
  EXPECT_EQ(err["fields"][0]["field"], "state");
  EXPECT_EQ(err["fields"][1]["field"], "page_size");
}

TEST_F(ConsoleTest, InspectsADeadLetterDecodingItsEnvelope) {
  json d = GetJson("/api/dead-letters/7");
  EXPECT_EQ(d["id"], 7);
  EXPECT_EQ(d["key"], "death/BV79001/TB-2026-000123");
  ASSERT_EQ(d["headers"].size(), 2u);
  EXPECT_EQ(d["headers"][0]["key"], "crvs-source");
  EXPECT_EQ(d["headers"][0]["value"], "facility:BV79001");
  EXPECT_TRUE(d["headers"][1]["value"].is_null());
  EXPECT_EQ(d["headers"][1]["value_base64"], "/wAB");
  ASSERT_TRUE(d["envelope"].is_object()) << d.dump();
  EXPECT_EQ(d["envelope"]["business_key"], "death/BV79001/TB-2026-000123");
  EXPECT_EQ(d["envelope"]["death_notice"]["key"]["facility_code"], "BV79001");
  EXPECT_TRUE(d["envelope_error"].is_null());

  json garbage = GetJson("/api/dead-letters/8");
  EXPECT_TRUE(garbage["envelope"].is_null());
  EXPECT_FALSE(garbage["envelope_error"].is_null());
  EXPECT_FALSE(garbage.contains("payload_base64")) << "raw bytes cannot be masked: not shown";
  EXPECT_EQ(garbage["payload_size"], 19);
}

// Issue 17: GET /api/dead-letters/1 returned 12-digit personal IDs and names.
TEST_F(ConsoleTest, PersonalDataInADeadLetterIsMasked) {
  auto res = client_->Get("/api/dead-letters/7", As(session_));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  json d = json::parse(res->body);
  EXPECT_EQ(d["masked"], true);
  const json& deceased = d["envelope"]["death_notice"]["deceased"];
  EXPECT_EQ(deceased["personal_id"]["number"], "001*******56");
  EXPECT_EQ(deceased["full_name"], "H. V. T.");
  EXPECT_THAT(res->body, ::testing::Not(HasSubstr("001052003456")));
  EXPECT_THAT(res->body, ::testing::Not(HasSubstr("Hoàng")));
  EXPECT_FALSE(::testing::Value(res->body, ::testing::ContainsRegex("[0-9]{12}")));
  EXPECT_EQ(MaskName("  Nguyễn   Thị Lan "), "N. T. L.");
  EXPECT_EQ(MaskName(""), "");
  EXPECT_EQ(MaskPersonalId("12345"), "*****");
}

TEST_F(ConsoleTest, DeadLetterErrorsMapToHttpStatuses) {
  json missing = GetJson("/api/dead-letters/404", 404);
  EXPECT_EQ(missing["code"], "NOT_FOUND");
  json bad_id = GetJson("/api/dead-letters/abc", 400);
  EXPECT_EQ(bad_id["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(bad_id["fields"][0]["field"], "id");
  GetJson("/api/dead-letters/0", 400);
  json not_open = PostJson("/api/dead-letters/9/replay", R"({"note": "again"})", 409);
  EXPECT_EQ(not_open["code"], "FAILED_PRECONDITION");
  json unknown = GetJson("/api/nothing-here", 404);
  EXPECT_EQ(unknown["code"], "NOT_FOUND");
  // What httplib refuses by itself is answered in the same JSON shape.
  EXPECT_EQ(GetJson("/no-such-page", 404)["code"], "NOT_FOUND");
  json too_large = PostJson("/api/dead-letters/7/replay", std::string(100 * 1024, ' '), 413);
  EXPECT_EQ(too_large["code"], "RESOURCE_EXHAUSTED");
}

TEST_F(ConsoleTest, ReplaysWithTheOperatorsNote) {
  json d = PostJson("/api/dead-letters/7/replay", R"({"note": "reference data fixed"})");
  EXPECT_EQ(d["state"], "replayed");
  EXPECT_EQ(d["resolved_by"], "operator:lan");
  EXPECT_EQ(d["resolution_note"], "reference data fixed");
  {
    std::lock_guard<std::mutex> lock(admin_.mu);
    EXPECT_EQ(admin_.last_replay.id(), 7);
    EXPECT_EQ(admin_.last_replay.operator_note(), "reference data fixed");
  }
  // The Admin service's field name comes back as the console's body field.
  admin_.dead_letters[7].set_state(admin::v1::DEAD_LETTER_STATE_OPEN);
  json bad = PostJson("/api/dead-letters/7/replay", R"({"note": "bad note"})", 400);
  EXPECT_EQ(bad["fields"][0]["field"], "note");
  json not_json = PostJson("/api/dead-letters/7/replay", "note=x", 400);
  EXPECT_EQ(not_json["fields"][0]["field"], "body");
}

TEST_F(ConsoleTest, DiscardRefusesAnEmptyReasonWithoutCallingAdmin) {
  for (const char* body : {"{}", R"({"reason": ""})", R"({"reason": "   "})", ""}) {
    json err = PostJson("/api/dead-letters/7/discard", body, 400);
    EXPECT_EQ(err["code"], "INVALID_ARGUMENT") << body;
    ASSERT_EQ(err["fields"].size(), 1u) << body;
    EXPECT_EQ(err["fields"][0]["field"], "reason") << body;
  }
  json wrong_type = PostJson("/api/dead-letters/7/discard", R"({"reason": 5})", 400);
  EXPECT_EQ(wrong_type["fields"][0]["field"], "reason");
  {
    std::lock_guard<std::mutex> lock(admin_.mu);
    EXPECT_EQ(admin_.discards, 0);
  }
  json d =
      PostJson("/api/dead-letters/7/discard", R"({"reason": "test record from a training site"})");
  EXPECT_EQ(d["state"], "discarded");
  std::lock_guard<std::mutex> lock(admin_.mu);
  EXPECT_EQ(admin_.discards, 1);
  EXPECT_EQ(admin_.last_discard.reason(), "test record from a training site");
}

// The attacks of issue 17 that need no account: a page on another name resolving here (DNS
// rebinding) reads nothing; a cross-origin form or script changes nothing.
TEST_F(ConsoleTest, RefusesForeignHostsAndCrossOriginStateChanges) {
  httplib::Headers foreign = {{"Host", "attacker.example:8080"}};
  auto read = client_->Get("/api/dead-letters/7", foreign);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 403);
  EXPECT_EQ(json::parse(read->body)["code"], "PERMISSION_DENIED");
  EXPECT_THAT(read->body, ::testing::Not(HasSubstr("payload")));
  auto page = client_->Get("/", foreign);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 403);
  auto metrics = client_->Get("/metrics", foreign);  // scraped by address: exempt
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);

  const std::string self = "http://127.0.0.1:" + std::to_string(console_->port());
  auto form = client_->Post("/api/connectors/registry-sink/pause", {{"Origin", "http://evil.example"}},
                            "x=1", "text/plain");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 403);
  auto script = client_->Post("/api/dead-letters/7/discard",
                              {{"Origin", "http://127.0.0.1:1"}, {"Sec-Fetch-Site", "same-site"}},
                              R"({"reason": "gone"})", "application/json");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 403);
  auto no_origin_form = client_->Post("/api/connectors/registry-sink/pause", "", "text/plain");
  ASSERT_TRUE(no_origin_form);
  EXPECT_EQ(no_origin_form->status, 403);
  {
    std::lock_guard<std::mutex> lock(admin_.mu);
    EXPECT_TRUE(admin_.connector_calls.empty());
    EXPECT_EQ(admin_.discards, 0);
  }
  httplib::Headers own_headers = As(session_);
  own_headers.emplace("Origin", self);
  auto own = client_->Post("/api/connectors/registry-sink/pause", own_headers, "",
                           "application/json");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;
}

TEST_F(ConsoleTest, PausesAndResumesConnectors) {
  console_->RefreshPipelineStatus();
  EXPECT_EQ(GetJson("/api/status")["connectors"][0]["state"], "running");
  json paused = PostJson("/api/connectors/registry-sink/pause", "");
  EXPECT_EQ(paused["name"], "registry-sink");
  EXPECT_EQ(paused["state"], "paused");
  // Shown at once, without waiting for the next poll of the pipeline status.
  EXPECT_EQ(GetJson("/api/status")["connectors"][0]["state"], "paused");
  json resumed = PostJson("/api/connectors/registry-sink/resume", "");
  EXPECT_EQ(resumed["state"], "running");
  json spaced = PostJson("/api/connectors/court%20source/pause", "");
  EXPECT_EQ(spaced["name"], "court source");
  json unknown = PostJson("/api/connectors/nope/pause", "", 404);
  EXPECT_EQ(unknown["code"], "NOT_FOUND");
  std::lock_guard<std::mutex> lock(admin_.mu);
  EXPECT_THAT(admin_.connector_calls, ElementsAre("pause registry-sink", "resume registry-sink",
                                                  "pause court source", "pause nope"));
}

TEST_F(ConsoleTest, CoverageDefaultsToThisMonthInVietnam) {
  json c = GetJson("/api/coverage");
  EXPECT_EQ(c["period"], "2026-03");
  EXPECT_EQ(c["period_start"], "2026-03-01");
  EXPECT_EQ(c["period_end"], "2026-03-31");
  EXPECT_EQ(c["total"]["coverage_percent"], 95);
  EXPECT_EQ(c["total"]["on_time_percent"], 90);
  EXPECT_TRUE(c["total"]["source"].is_null());
  ASSERT_EQ(c["rows"].size(), 1u);
  EXPECT_EQ(c["rows"][0]["source"], "facility:BV79001");
  EXPECT_EQ(c["rows"][0]["kind"], "death_notice");

  json year = GetJson("/api/coverage?period=2026");
  EXPECT_EQ(year["period_end"], "2026-12-31");
  json feb = GetJson("/api/coverage?period=2028-02");
  EXPECT_EQ(feb["period_end"], "2028-02-29");
  json bad = GetJson("/api/coverage?period=March", 400);
  EXPECT_EQ(bad["fields"][0]["field"], "period");

  std::lock_guard<std::mutex> lock(reconcile_.mu);
  ASSERT_EQ(reconcile_.coverage_requests.size(), 3u);
  EXPECT_EQ(reconcile_.coverage_requests[0].period_start().month(), 3);
  EXPECT_EQ(reconcile_.coverage_requests[0].period_end().day(), 31);
  EXPECT_EQ(reconcile_.principal, "operator:lan");
}

TEST_F(ConsoleTest, IndicatorsForThisYearWithTargets) {
  json r = GetJson("/api/indicators");
  EXPECT_EQ(r["period"], "2026");
  EXPECT_EQ(r["as_of"], "2026-03-11");
  ASSERT_EQ(r["values"].size(), 2u);
  EXPECT_EQ(r["values"][0]["id"], "B1");
  EXPECT_EQ(r["values"][0]["percent"], 96);
  EXPECT_EQ(r["values"][0]["met_2028"], true);
  EXPECT_EQ(r["values"][0]["met_2030"], false);
  EXPECT_EQ(r["values"][0]["target_2030"], 98.5);
  EXPECT_TRUE(r["values"][1]["percent"].is_null());
  EXPECT_TRUE(r["values"][1]["target_2028"].is_null());
  EXPECT_TRUE(r["values"][1]["met_2030"].is_null());
  std::lock_guard<std::mutex> lock(reconcile_.mu);
  EXPECT_EQ(reconcile_.last_indicators.period(), "2026");
  EXPECT_EQ(reconcile_.last_indicators.breakdown(), reconcile::v1::BREAKDOWN_NONE);
}

TEST_F(ConsoleTest, SilentSources) {
  json r = GetJson("/api/silent-sources?kind=facility");
  ASSERT_EQ(r["silent_sources"].size(), 1u);
  EXPECT_EQ(r["silent_sources"][0]["source"], "facility:BV01002");
  EXPECT_EQ(r["silent_sources"][0]["usual_cadence_seconds"], 600);
  EXPECT_EQ(r["silent_sources"][0]["quiet_for_seconds"], 7200.5);
  {
    std::lock_guard<std::mutex> lock(reconcile_.mu);
    EXPECT_EQ(reconcile_.last_silent.kind(), common::v1::PRINCIPAL_KIND_FACILITY);
  }
  json bad = GetJson("/api/silent-sources?kind=hospital", 400);
  EXPECT_EQ(bad["fields"][0]["field"], "kind");
}

TEST_F(ConsoleTest, ServesHealthReadinessAndItsOwnMetrics) {
  EXPECT_EQ(client_->Get("/healthz")->status, 200);
  EXPECT_EQ(client_->Get("/readyz")->status, 200);
  GetJson("/api/status");
  GetJson("/api/dead-letters/404", 404);
  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("# TYPE crvs_console_http_requests_total counter"));
  EXPECT_THAT(
      metrics->body,
      HasSubstr(
          R"(crvs_console_http_requests_total{code="200",method="GET",route="/api/status"} 1)"));
  EXPECT_THAT(
      metrics->body,
      HasSubstr(
          R"(crvs_console_http_requests_total{code="404",method="GET",route="/api/dead-letters/{id}"} 1)"));
  EXPECT_THAT(metrics->body, HasSubstr(R"(crvs_console_scrapes_total{outcome="ok"} 1)"));
  // Its own exposition parses with its own parser.
  EXPECT_TRUE(ParseTextFormat(metrics->body).ok());
}

// ---- sign-in, sessions, roles (issue 17) --------------------------------------------------

std::vector<std::string> AuditActions(store::Store& store, const std::string& prefix) {
  std::vector<std::string> out;
  EXPECT_TRUE(store.Read([&](store::sql::Connection& c) -> absl::Status {
    auto rows = store::ListAudit(c, 0, 10000);
    if (!rows.ok()) return rows.status();
    for (auto& r : *rows) {
      if (r.action.rfind(prefix, 0) == 0) out.push_back(r.actor + " " + r.action + " " + r.detail);
    }
    return absl::OkStatus();
  }).ok());
  return out;
}

// The requests of issue 17 that needed no account now get 401 and change nothing.
TEST_F(ConsoleTest, WithoutASessionNothingIsReadOrChanged) {
  httplib::Headers none;
  for (const char* path : {"/api/dead-letters/7", "/api/dead-letters", "/api/status",
                           "/api/coverage", "/api/indicators", "/api/session"}) {
    auto res = client_->Get(path, none);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 401) << path;
    json err = json::parse(res->body);
    EXPECT_EQ(err["code"], "UNAUTHENTICATED") << path;
    EXPECT_EQ(err["auth"], "password") << path;
    EXPECT_THAT(res->body, Not(HasSubstr("Hoàng"))) << path;
  }
  for (const char* path : {"/api/connectors/registry-sink/pause", "/api/dead-letters/7/discard",
                           "/api/dead-letters/7/replay", "/api/dead-letters/7/reveal"}) {
    auto res = client_->Post(path, R"({"reason": "x", "note": "x"})", "application/json");
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 401) << path;
  }
  // A made-up session id is no session.
  auto forged = client_->Get("/api/status", {{"Cookie", "crvs_session=00ff"}});
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);
  std::lock_guard<std::mutex> lock(admin_.mu);
  EXPECT_TRUE(admin_.connector_calls.empty());
  EXPECT_EQ(admin_.discards, 0);
  EXPECT_EQ(admin_.last_replay.id(), 0);
}

TEST_F(ConsoleTest, PasswordSignInSetsAHardenedSessionCookie) {
  json body = {{"name", "vy"}, {"password", kPassword}};
  auto res = client_->Post("/api/session", body.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const std::string cookie = res->get_header_value("Set-Cookie");
  EXPECT_THAT(cookie, ::testing::MatchesRegex("crvs_session=[0-9a-f]{64}; Path=/; Max-Age=43200; "
                                              "HttpOnly; Secure; SameSite=Strict"));
  json who = json::parse(res->body);
  EXPECT_EQ(who["operator"], "operator:vy");
  EXPECT_EQ(who["role"], "viewer");
  EXPECT_EQ(who["province_code"], "");
  EXPECT_THAT(who["csrf_token"].get<std::string>(), ::testing::MatchesRegex("[0-9a-f]{64}"));
  EXPECT_THAT(res->body, Not(HasSubstr(cookie.substr(13, 64))));  // the id is never in a body
  // GET /api/session answers the same for the page.
  SignedIn ha = SignIn("ha");
  auto me = client_->Get("/api/session", {{"Cookie", ha.cookie}});
  ASSERT_TRUE(me);
  json ha_body = json::parse(me->body);
  EXPECT_EQ(ha_body["province_code"], "01");
  EXPECT_EQ(ha_body["province_name"], "Hà Nội");
  EXPECT_EQ(ha_body["csrf_token"], ha.csrf);
  EXPECT_THAT(AuditActions(*store_, "operator.signed_in"),
              ::testing::Contains(HasSubstr("operator:vy operator.signed_in auth=password")));
}

TEST_F(ConsoleTest, WrongPasswordsAreRefusedThenTheAccountLocksAndAddressesAreThrottled) {
  SignedIn wrong = SignIn("vy", "not the password at all", 401);
  EXPECT_EQ(wrong.body["code"], "UNAUTHENTICATED");
  EXPECT_TRUE(wrong.cookie.empty());
  // The same answer for a name that does not exist.
  EXPECT_EQ(SignIn("nobody", "not the password at all", 401).body["error"], wrong.body["error"]);
  for (int i = 0; i < 3; ++i) SignIn("vy", "not the password at all", 401);
  // The fifth wrong password locks the account (LoginPolicy); then even the right one is refused.
  SignIn("vy", "not the password at all", 401);
  SignedIn locked = SignIn("vy", kPassword, 403);
  EXPECT_THAT(locked.body["error"].get<std::string>(), HasSubstr("locked"));
  EXPECT_THAT(AuditActions(*store_, "operator.locked"), ::testing::SizeIs(1));
  // 8 attempts so far this minute from 127.0.0.1 (the fixture's own sign-in was one); the
  // 11th is throttled whatever the account, with Retry-After.
  SignIn("lan", "wrong again, twelve+", 401);
  SignIn("lan", "wrong again, twelve+", 401);
  json body = {{"name", "an"}, {"password", kPassword}};
  auto throttled = client_->Post("/api/session", body.dump(), "application/json");
  ASSERT_TRUE(throttled);
  EXPECT_EQ(throttled->status, 429) << throttled->body;
  EXPECT_FALSE(throttled->get_header_value("Retry-After").empty());
  // A minute later the address may try again; 15 minutes later the lock is over.
  Advance(absl::Minutes(16));
  SignIn("vy", kPassword, 200);
}

TEST_F(ConsoleTest, SessionsEndWhenIdleAtTheirLifetimeAndAtLogout) {
  Advance(absl::Minutes(29));
  GetJson("/api/status", 200);  // activity keeps it alive
  Advance(absl::Minutes(29));
  GetJson("/api/status", 200);
  Advance(absl::Minutes(31));
  EXPECT_EQ(GetJson("/api/status", 401)["code"], "UNAUTHENTICATED");

  // However active, a session ends 12 h after sign-in.
  session_ = SignIn("lan");
  for (int i = 0; i < 12 * 3; ++i) {
    Advance(absl::Minutes(20));
    GetJson("/api/history", i < 35 ? 200 : 401);
  }

  // Logout needs the CSRF token (another site cannot sign anyone out), then ends the session.
  session_ = SignIn("lan");
  auto no_token = client_->Post("/api/session/logout", {{"Cookie", session_.cookie}}, "{}",
                                "application/json");
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 403);
  auto out = client_->Post("/api/session/logout", As(session_), "{}", "application/json");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  EXPECT_THAT(out->get_header_value("Set-Cookie"), HasSubstr("Max-Age=0"));
  GetJson("/api/status", 401);
}

TEST_F(ConsoleTest, StateChangesNeedTheSessionsCsrfToken) {
  for (const std::string& token : {std::string(), std::string("0123"), SignIn("vy").csrf}) {
    auto res = client_->Post("/api/connectors/registry-sink/pause",
                             {{"Cookie", session_.cookie}, {"X-CSRF-Token", token}}, "",
                             "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 403) << token;
    EXPECT_THAT(res->body, HasSubstr("X-CSRF-Token"));
  }
  std::lock_guard<std::mutex> lock(admin_.mu);
  EXPECT_TRUE(admin_.connector_calls.empty());
}

TEST_F(ConsoleTest, AViewerReadsButCannotAct) {
  session_ = SignIn("vy");
  GetJson("/api/dead-letters/7", 200);
  EXPECT_THAT(PostJson("/api/dead-letters/7/replay", "{}", 403)["error"].get<std::string>(),
              HasSubstr("operator:vy has the role viewer"));
  PostJson("/api/dead-letters/7/discard", R"({"reason": "x"})", 403);
  PostJson("/api/connectors/registry-sink/pause", "", 403);
  PostJson("/api/dead-letters/7/reveal", R"({"reason": "x"})", 403);
  std::lock_guard<std::mutex> lock(admin_.mu);
  EXPECT_TRUE(admin_.connector_calls.empty());
  EXPECT_EQ(admin_.discards, 0);
  EXPECT_EQ(admin_.last_replay.id(), 0);
}

// Each call acts for the signed-in operator; the console's own identity is only the carrier.
TEST_F(ConsoleTest, CallsActForTheSignedInOperator) {
  PostJson("/api/dead-letters/7/replay", R"({"note": "fixed"})");
  session_ = SignIn("an");
  GetJson("/api/coverage");
  std::lock_guard<std::mutex> lock(admin_.mu);
  EXPECT_EQ(admin_.dead_letters[7].resolved_by(), "operator:lan");
  std::lock_guard<std::mutex> lock2(reconcile_.mu);
  EXPECT_EQ(reconcile_.principal, "operator:an");
}

TEST_F(ConsoleTest, DisablingAnAccountEndsItsSessions) {
  GetJson("/api/status", 200);
  ASSERT_TRUE(accounts_->Disable("lan", "operator:an", kStart).ok());
  EXPECT_THAT(GetJson("/api/status", 401)["error"].get<std::string>(), HasSubstr("disabled"));
  SignIn("lan", kPassword, 403);
}

TEST_F(ConsoleTest, TheFullViewOfPersonalDataNeedsAReasonAndIsAudited) {
  EXPECT_EQ(PostJson("/api/dead-letters/7/reveal", "{}", 400)["fields"][0]["field"], "reason");
  json full = PostJson("/api/dead-letters/7/reveal", R"({"reason": "hospital asked by phone"})");
  EXPECT_EQ(full["masked"], false);
  EXPECT_EQ(full["envelope"]["death_notice"]["deceased"]["personal_id"]["number"],
            "001052003456");
  EXPECT_EQ(full["envelope"]["death_notice"]["deceased"]["full_name"], "Hoàng Văn Tư");
  EXPECT_THAT(AuditActions(*store_, "personal_data.revealed"),
              ElementsAre("operator:lan personal_data.revealed business_key=death/BV79001/"
                          "TB-2026-000123 reason=hospital asked by phone"));
  // The masked view stays the default.
  EXPECT_EQ(GetJson("/api/dead-letters/7")["masked"], true);
}

TEST_F(ConsoleTest, ProvinceQueriesAreCheckedAndPassedOn) {
  EXPECT_EQ(GetJson("/api/indicators?province=7", 400)["fields"][0]["field"], "province");
  json by_province = GetJson("/api/indicators?breakdown=province&province=79");
  {
    std::lock_guard<std::mutex> lock(reconcile_.mu);
    EXPECT_EQ(reconcile_.last_indicators.province_code(), "79");
    EXPECT_EQ(reconcile_.last_indicators.breakdown(), reconcile::v1::BREAKDOWN_PROVINCE);
  }
  GetJson("/api/coverage?province=01");
  std::lock_guard<std::mutex> lock(reconcile_.mu);
  EXPECT_EQ(reconcile_.coverage_requests.back().province_code(), "01");
}

// ---- the agencies' data feeds (services/feeds) ------------------------------------------------

// Two agencies' feeds over the fixture's database, with two registrations committed (two
// transactions of the feed).
class ConsoleFeedsTest : public ConsoleTest {
 protected:
  void SetUp() override {
    ConsoleTest::SetUp();
    if (HasFatalFailure()) return;
    auto parsed = feeds::ParseSubscribers(R"({"subscribers": [
      {"name": "population-db", "description": "Cơ sở dữ liệu quốc gia về dân cư",
       "events": ["birth.registered", "death.registered"],
       "fields": ["subject.personal_id", "registration.number"], "delivery": ["pull", "kafka"]},
      {"name": "social-insurance", "description": "Bảo hiểm xã hội Việt Nam",
       "events": ["death.notified", "birth.registered"], "fields": ["deceased.personal_id"]},
      {"name": "former-partner", "events": ["birth.registered"], "revoked": true}
    ]})", "test");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    feeds_ = *std::move(parsed);
    subscribers_ = &feeds_;
    StartConsole("127.0.0.1:" + std::to_string(grpc_port_));
    for (const char* number : {"123", "124"}) {
      auto written = store_->WriteRecord(store::testing::Envelope(
          crvs::testing::BirthRegistration(number), records::v1::ACTION_SUBMIT,
          std::string("reg-") + number));
      ASSERT_TRUE(written.ok()) << written.status();
    }
  }

  feeds::CursorState Cursor(const std::string& subscriber) {
    feeds::CursorState out;
    EXPECT_TRUE(store_->Read([&](store::sql::Connection& c) -> absl::Status {
      CRVS_ASSIGN_OR_RETURN(out, feeds::LoadCursor(c, subscriber));
      return absl::OkStatus();
    }).ok());
    return out;
  }

  static const json* Find(const json& list, const std::string& name) {
    for (const json& f : list) {
      if (f["name"] == name) return &f;
    }
    return nullptr;
  }

  feeds::Subscribers feeds_;
};

TEST_F(ConsoleFeedsTest, ListsEverySubscribersFeedWithItsLag) {
  // social-insurance takes everything and acknowledges it: no lag left, times set.
  feeds::FeedService service(feeds::FeedService::Deps{store_.get(), &feeds_, {}});
  auto pulled = service.PullFor(*feeds_.Find("social-insurance"), {});
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  ASSERT_EQ(pulled->events_size(), 2);
  feeds::v1::AcknowledgeRequest ack;
  ack.set_cursor(pulled->next_cursor());
  ASSERT_TRUE(service.AcknowledgeFor(*feeds_.Find("social-insurance"), ack).ok());

  // Any signed-in operator reads them, a viewer and a provincial one too.
  for (const char* who : {"vy", "ha", "lan"}) {
    session_ = SignIn(who);
    json list = GetJson("/api/feeds")["feeds"];
    ASSERT_EQ(list.size(), 3u) << who;
    EXPECT_EQ(list[0]["name"], "former-partner");  // name order
  }
  json list = GetJson("/api/feeds")["feeds"];
  const json* population = Find(list, "population-db");
  ASSERT_NE(population, nullptr);
  EXPECT_EQ((*population)["description"], "Cơ sở dữ liệu quốc gia về dân cư");
  EXPECT_EQ((*population)["events"], json({"birth.registered", "death.registered"}));
  EXPECT_EQ((*population)["delivery"], json({"kafka", "pull"}));
  EXPECT_EQ((*population)["revoked"], false);
  EXPECT_EQ((*population)["acknowledged"], "0");
  EXPECT_TRUE((*population)["acknowledged_at"].is_null());
  EXPECT_EQ((*population)["delivered_seq"], 0);
  EXPECT_TRUE((*population)["delivered_at"].is_null());
  EXPECT_EQ((*population)["lag_transactions"], 2);
  EXPECT_EQ((*population)["paused"], false);
  EXPECT_TRUE((*population)["paused_by"].is_null());
  EXPECT_TRUE((*population)["last_error"].is_null());

  const json* social = Find(list, "social-insurance");
  ASSERT_NE(social, nullptr);
  EXPECT_EQ((*social)["acknowledged"], pulled->next_cursor());
  EXPECT_NE((*social)["acknowledged"], "0");
  EXPECT_EQ((*social)["lag_transactions"], 0);
  EXPECT_GT((*social)["delivered_seq"].get<int64_t>(), 0);
  EXPECT_EQ((*social)["delivered_seq"], (*social)["feed_end_seq"]);
  static const std::regex rfc3339(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  for (const char* at : {"acknowledged_at", "delivered_at"}) {
    ASSERT_TRUE((*social)[at].is_string()) << at;
    EXPECT_TRUE(std::regex_match((*social)[at].get<std::string>(), rfc3339)) << (*social)[at];
  }
  EXPECT_EQ((*Find(list, "former-partner"))["revoked"], true);

  // The page has the section (hidden until /api/feeds answers).
  EXPECT_THAT(client_->Get("/")->body, HasSubstr("id=\"feed-rows\""));
}

TEST_F(ConsoleFeedsTest, ANationalOperatorPausesAndResumesAFeedAudited) {
  json paused = PostJson("/api/feeds/social-insurance/pause", "");
  EXPECT_EQ(paused["name"], "social-insurance");
  EXPECT_EQ(paused["paused"], true);
  EXPECT_EQ(paused["paused_by"], "operator:lan");
  feeds::CursorState cursor = Cursor("social-insurance");
  EXPECT_TRUE(cursor.paused);
  EXPECT_EQ(cursor.paused_by, "operator:lan");
  EXPECT_FALSE(Cursor("population-db").paused);  // only that one
  EXPECT_EQ((*Find(GetJson("/api/feeds")["feeds"], "social-insurance"))["paused_by"],
            "operator:lan");
  // The agency is now told who paused it.
  feeds::FeedService service(feeds::FeedService::Deps{store_.get(), &feeds_, {}});
  auto pull = service.PullFor(*feeds_.Find("social-insurance"), {});
  EXPECT_EQ(pull.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(pull.status().message()), HasSubstr("operator:lan"));

  session_ = SignIn("an");  // an admin may too
  json resumed = PostJson("/api/feeds/social-insurance/resume", "");
  EXPECT_EQ(resumed["paused"], false);
  EXPECT_TRUE(resumed["paused_by"].is_null());
  EXPECT_FALSE(Cursor("social-insurance").paused);
  EXPECT_TRUE(service.PullFor(*feeds_.Find("social-insurance"), {}).ok());
  EXPECT_THAT(AuditActions(*store_, "feed.p"), ElementsAre(HasSubstr("operator:lan feed.paused")));
  EXPECT_THAT(AuditActions(*store_, "feed.r"), ElementsAre(HasSubstr("operator:an feed.resumed")));
}

TEST_F(ConsoleFeedsTest, ProvincialOperatorsAndViewersCannotPauseAFeed) {
  session_ = SignIn("ha");  // operator role, province 01
  json provincial = PostJson("/api/feeds/social-insurance/pause", "", 403);
  EXPECT_EQ(provincial["code"], "PERMISSION_DENIED");
  EXPECT_THAT(provincial["error"].get<std::string>(),
              AllOf(HasSubstr("operator:ha works for province 01"), HasSubstr("every province"),
                    HasSubstr("national operators only")));
  session_ = SignIn("vy");  // viewer, national
  EXPECT_THAT(PostJson("/api/feeds/social-insurance/pause", "", 403)["error"].get<std::string>(),
              HasSubstr("operator:vy has the role viewer"));
  // The same guard as every state change: a CSRF token and a same-origin JSON request.
  session_ = SignIn("lan");
  auto no_token = client_->Post("/api/feeds/social-insurance/pause", {{"Cookie", session_.cookie}},
                                "", "application/json");
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 403);
  EXPECT_THAT(no_token->body, HasSubstr("X-CSRF-Token"));
  httplib::Headers cross_site = As(session_);
  cross_site.emplace("Origin", "http://evil.example");
  auto form = client_->Post("/api/feeds/social-insurance/pause", cross_site, "x=1", "text/plain");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 403);

  EXPECT_FALSE(Cursor("social-insurance").paused);
  EXPECT_THAT(AuditActions(*store_, "feed."), ::testing::IsEmpty());
}

TEST_F(ConsoleFeedsTest, AnUnknownSubscriberIsNotFoundByName) {
  json unknown = PostJson("/api/feeds/tax-office/pause", "", 404);
  EXPECT_EQ(unknown["code"], "NOT_FOUND");
  EXPECT_THAT(unknown["error"].get<std::string>(),
              AllOf(HasSubstr("\"tax-office\""), HasSubstr("population-db")));
  EXPECT_THAT(AuditActions(*store_, "feed."), ::testing::IsEmpty());
}

TEST_F(ConsoleTest, WithoutSubscribersTheFeedEndpointsSaySo) {
  json list = GetJson("/api/feeds", 404);
  EXPECT_EQ(list["code"], "NOT_FOUND");
  EXPECT_THAT(list["error"].get<std::string>(), HasSubstr("no data feeds"));
  EXPECT_THAT(PostJson("/api/feeds/population-db/pause", "", 404)["error"].get<std::string>(),
              HasSubstr("no data feeds"));
}

TEST_F(ConsoleTest, ServesTheTranslationsWithTheSameKeysInBothLanguages) {
  json vi = json::parse(client_->Get("/i18n/vi.json")->body);
  json en = json::parse(client_->Get("/i18n/en.json")->body);
  ASSERT_TRUE(vi.is_object());
  ASSERT_TRUE(en.is_object());
  EXPECT_GT(vi.size(), 50u);
  for (auto it = vi.begin(); it != vi.end(); ++it) EXPECT_TRUE(en.contains(it.key())) << it.key();
  for (auto it = en.begin(); it != en.end(); ++it) EXPECT_TRUE(vi.contains(it.key())) << it.key();
}

// console.auth = certificate: HTTPS asking for a client certificate of the CA; its CN
// operator:<name> must name an account, which gives the role; probes work without one.
TEST_F(ConsoleTest, ClientCertificatesSignOperatorsIn) {
  const std::string certs = dir_.File("certs");
  ASSERT_TRUE(auth::InitCa(certs).ok());
  for (const char* principal : {"operator:vy", "operator:ghost", "facility:BV79001"}) {
    auth::IssueOptions client;
    client.dir = certs;
    client.principal = principal;
    ASSERT_TRUE(auth::Issue(client).ok()) << principal;
  }
  auth::IssueOptions https;
  https.dir = certs;
  https.principal = "server:console";
  https.server = true;
  auto server = auth::Issue(https);
  ASSERT_TRUE(server.ok()) << server.status();
  ConsoleConfig config;
  config.auth = "certificate";
  config.https_cert_file = server->cert_file;
  config.https_key_file = server->key_file;
  config.client_ca_file = certs + "/ca.crt";
  StartConsole("127.0.0.1:" + std::to_string(grpc_port_), config);
  ASSERT_TRUE(session_.cookie.empty()) << "no password sign-in with certificates";

  auto client = [&](const std::string& base) {
    auto c = base.empty() ? std::make_unique<httplib::SSLClient>("127.0.0.1", console_->port())
                          : std::make_unique<httplib::SSLClient>(
                                "127.0.0.1", console_->port(), certs + "/" + base + ".crt",
                                certs + "/" + base + ".key");
    c->set_ca_cert_path((certs + "/ca.crt").c_str());
    c->enable_server_certificate_verification(true);
    return c;
  };
  // Without a certificate: the probes answer, the API does not.
  auto anonymous = client("");
  auto health = anonymous->Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  auto refused = anonymous->Get("/api/session");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(json::parse(refused->body)["auth"], "certificate");

  auto vy = client("operator-vy");
  auto me = vy->Get("/api/session");
  ASSERT_TRUE(me);
  ASSERT_EQ(me->status, 200) << me->body;
  json who = json::parse(me->body);
  EXPECT_EQ(who["operator"], "operator:vy");
  EXPECT_EQ(who["role"], "viewer");
  EXPECT_EQ(who["auth"], "certificate");
  const std::string cookie = me->get_header_value("Set-Cookie");
  EXPECT_THAT(cookie, HasSubstr("; HttpOnly; Secure; SameSite=Strict"));
  const httplib::Headers session = {{"Cookie", cookie.substr(0, cookie.find(';'))},
                                    {"X-CSRF-Token", who["csrf_token"].get<std::string>()}};
  auto status = vy->Get("/api/status", session);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200);
  auto pause = vy->Post("/api/connectors/registry-sink/pause", session, "", "application/json");
  ASSERT_TRUE(pause);
  EXPECT_EQ(pause->status, 403) << "a viewer's certificate does not make it an operator";
  // A session is only good with the certificate it was made for.
  auto ghost = client("operator-ghost");
  auto stolen = ghost->Get("/api/status", session);
  ASSERT_TRUE(stolen);
  EXPECT_EQ(stolen->status, 403) << stolen->body;  // and operator:ghost has no account
  EXPECT_THAT(stolen->body, HasSubstr("has no account"));
  auto facility = client("facility-BV79001");
  auto not_operator = facility->Get("/api/session");
  ASSERT_TRUE(not_operator);
  EXPECT_EQ(not_operator->status, 401);
  // No password sign-in here.
  auto password = vy->Post("/api/session", json{{"name", "lan"}, {"password", kPassword}}.dump(),
                           "application/json");
  ASSERT_TRUE(password);
  EXPECT_EQ(password->status, 409);
  std::lock_guard<std::mutex> lock(admin_.mu);
  EXPECT_TRUE(admin_.connector_calls.empty());
}

TEST(ConsoleConfig, ValidationNamesEveryBadKey) {
  ConsoleConfig config;
  config.operator_principal = "facility:BV79001";
  config.metrics_urls = {"ftp://x/metrics"};
  config.listen = "8080";
  config.history = config::Duration(1000);
  config.auth = "pin";
  absl::Status st = ValidateConsoleConfig(config);
  EXPECT_THAT(::crvs::testing::ViolatedFields(st),
              ElementsAre("console.listen", "console.metrics_urls", "console.operator",
                          "console.history", "console.auth", "console.https_cert_file"));
  EXPECT_TRUE(ValidateConsoleConfig(ConsoleConfig{}).ok());
  // Beyond loopback, and for client certificates, only HTTPS.
  ConsoleConfig open;
  open.listen = "0.0.0.0:8080";
  EXPECT_THAT(::crvs::testing::ViolatedFields(ValidateConsoleConfig(open)),
              ElementsAre("console.https_cert_file"));
  ConsoleConfig certificate;
  certificate.auth = "certificate";
  EXPECT_THAT(::crvs::testing::ViolatedFields(ValidateConsoleConfig(certificate)),
              ElementsAre("console.https_cert_file"));
  open.https_cert_file = "console.crt";
  open.https_key_file = "console.key";
  EXPECT_TRUE(ValidateConsoleConfig(open).ok());
}

}  // namespace
}  // namespace crvs::console
