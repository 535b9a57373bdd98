// The feed service over a real database (SQLite, and a private PostgreSQL server), reached over
// gRPC with mutual TLS as agencies reach it.
#include "services/feeds/feed_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "services/auth/credentials.h"
#include "services/platform/grpc_server.h"
#include "services/store/audit.h"
#include "services/store/store_test_util.h"
#include "tests/support/postgres_server.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace crvs::feeds {
namespace {

namespace rv1 = records::v1;
namespace st = store::testing;
using ::crvs::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSubsetOf;

constexpr const char* kSubscribers = R"({"subscribers": [
  {"name": "population-db",
   "events": ["birth.registered", "death.registered", "status.changed", "record.amended",
              "record.voided"],
   "fields": ["subject.personal_id", "subject.full_name", "registration.number",
              "status.personal_id", "status.fact", "status.change", "void.reason"]},
  {"name": "social-insurance",
   "events": ["birth.notified", "birth.registered", "death.notified", "status.changed",
              "record.amended", "record.voided"],
   "fields": ["deceased.personal_id", "deceased.full_name", "child.full_name",
              "mother.personal_id", "subject.personal_id", "status.personal_id", "status.fact",
              "status.change", "void.reason"]},
  {"name": "former-partner", "events": ["birth.registered"], "revoked": true},
  {"name": "statistics-office", "delivery": ["statistics"]},
  {"name": "kafka-only", "events": ["birth.registered"], "delivery": ["kafka"]}
]})";

crvs::testing::PostgresServer* SharedPostgres() {
  static auto* server = [] {
    auto s = crvs::testing::PostgresServer::Start();
    EXPECT_THAT(s, IsOk());
    return s.ok() ? s->release() : nullptr;
  }();
  return server;
}

class FeedTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    store::DatabaseConfig config;
    if (GetParam() == "sqlite") {
      char tmpl[] = "/tmp/crvs-feeds-XXXXXX";
      dir_ = mkdtemp(tmpl);
      config.url = "sqlite:" + dir_ + "/crvs.db";
    } else {
      crvs::testing::PostgresServer* pg = SharedPostgres();
      ASSERT_NE(pg, nullptr);
      static int n = 0;
      auto uri = pg->CreateDatabase("feeds_" + std::to_string(++n));
      ASSERT_THAT(uri, IsOk());
      config.url = *uri;
    }
    config_ = config;
    auto opened = store::Store::Open(config);
    ASSERT_THAT(opened, IsOk());
    store_ = *std::move(opened);
    auto subs = ParseSubscribers(kSubscribers, "test");
    ASSERT_THAT(subs, IsOk());
    subscribers_ = *std::move(subs);
    auto areas = reconcile::indicators::Areas::Load({});
    ASSERT_THAT(areas, IsOk());
    areas_ = *std::move(areas);
    service_ = std::make_unique<FeedService>(
        FeedService::Deps{store_.get(), &subscribers_, {}, &areas_, 5});
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void Apply(std::vector<store::InboundRecord> records) {
    store::ApplyBatch batch;
    batch.group = model::ConsumerGroup("crvs-sink");
    batch.records = std::move(records);
    ASSERT_THAT(store_->Apply(batch), IsOk());
  }

  // The day: a consumed batch (a death notice, a birth certificate), a birth registration
  // through the API, then a batch amending the notice and voiding the certificate.
  void WriteDay() {
    death_ = st::Envelope(crvs::testing::DeathNotice(), rv1::ACTION_SUBMIT, "d-1");
    birth_ = st::Envelope(crvs::testing::BirthCertificate(), rv1::ACTION_SUBMIT, "b-1");
    Apply({st::Inbound(death_, "crvs.death", 0, 0), st::Inbound(birth_, "crvs.birth", 1, 0)});
    auto reg = st::Envelope(crvs::testing::BirthRegistration(), rv1::ACTION_SUBMIT, "r-1");
    ASSERT_THAT(store_->WriteRecord(reg), IsOk());
    rv1::DeathNotice amended = crvs::testing::DeathNotice();
    amended.mutable_deceased()->set_full_name("Hoàng Văn Tứ");
    auto amend = st::Envelope(amended, rv1::ACTION_AMEND, "d-2");
    auto voided = st::Envelope(crvs::testing::BirthCertificate(), rv1::ACTION_VOID, "b-2",
                               "issued in error");
    Apply({st::Inbound(amend, "crvs.death", 0, 1), st::Inbound(voided, "crvs.birth", 1, 1)});
  }

  const Subscriber& Sub(const std::string& name) { return *subscribers_.Find(name); }

  static std::vector<std::string> Types(const v1::PullResponse& r) {
    std::vector<std::string> out;
    for (const auto& e : r.events()) out.push_back(e.type());
    return out;
  }

  std::string dir_;
  store::DatabaseConfig config_;
  std::unique_ptr<store::Store> store_;
  Subscribers subscribers_;
  reconcile::indicators::Areas areas_;
  std::unique_ptr<FeedService> service_;
  std::unique_ptr<grpc::Server> server_;
  rv1::RecordEnvelope death_, birth_;
};

TEST_P(FeedTest, EachSubscriberGetsItsEventsInCommitOrderWithOnlyItsFields) {
  WriteDay();
  for (const char* name : {"population-db", "social-insurance"}) {
    const Subscriber& s = Sub(name);
    auto page = service_->PullFor(s, {});
    ASSERT_THAT(page, IsOk());
    if (std::string(name) == "social-insurance") {
      EXPECT_THAT(Types(*page), ElementsAre("death.notified", "status.changed", "birth.notified",
                                            "birth.registered", "record.amended",
                                            "record.voided"));
    } else {
      // The notice's status change; the registration; the amend and void are of records it
      // does not receive (notices and certificates), so they do not follow.
      EXPECT_THAT(Types(*page), ElementsAre("status.changed", "birth.registered"));
    }
    EXPECT_TRUE(page->end_of_feed());
    std::set<std::string> allowed = s.fields;
    for (const char* f : {"event.id", "event.type", "event.committed_at", "record.business_key",
                          "record.kind", "record.version", "record.action"}) {
      allowed.insert(f);
    }
    std::string last_id;
    for (const auto& e : page->events()) {
      auto payload = nlohmann::json::parse(e.payload_json());
      EXPECT_THAT(FieldPaths(payload), IsSubsetOf(allowed)) << name << " " << e.payload_json();
      EXPECT_EQ(payload["event"]["id"], e.id());
      auto a = ParsePosition(last_id.empty() ? "0" : last_id), b = ParsePosition(e.id());
      ASSERT_THAT(b, IsOk());
      EXPECT_TRUE(*a < *b) << last_id << " then " << e.id();
      last_id = e.id();
    }
  }
  // The amend carries the new name to social insurance; the birth certificate's mother's ID too.
  auto page = service_->PullFor(Sub("social-insurance"), {});
  ASSERT_THAT(page, IsOk());
  EXPECT_THAT(page->events(4).payload_json(), HasSubstr("Hoàng Văn Tứ"));
  EXPECT_THAT(page->events(2).payload_json(), HasSubstr("079194001234"));
  EXPECT_THAT(page->events(2).payload_json(), ::testing::Not(HasSubstr("Nguyễn Thị Lan")));
}

TEST_P(FeedTest, ReplayFromACursorOrATimeGivesTheSameEventsAgain) {
  const absl::Time before = absl::Now() - absl::Seconds(1);
  WriteDay();
  const Subscriber& s = Sub("social-insurance");
  v1::PullRequest from_start;
  from_start.set_cursor("0");
  auto first = service_->PullFor(s, from_start);
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->events_size(), 6);

  // Acknowledge after the second event; the next pull starts after it.
  v1::AcknowledgeRequest ack;
  ack.set_cursor(first->events(1).id());
  ASSERT_THAT(service_->AcknowledgeFor(s, ack), IsOk());
  auto resumed = service_->PullFor(s, {});
  ASSERT_THAT(resumed, IsOk());
  ASSERT_EQ(resumed->events_size(), 4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(resumed->events(i).id(), first->events(i + 2).id());
    EXPECT_EQ(resumed->events(i).payload_json(), first->events(i + 2).payload_json());
  }
  // From a cursor it holds, and from a point in time: the same again.
  v1::PullRequest from_cursor;
  from_cursor.set_cursor(first->events(3).id());
  auto again = service_->PullFor(s, from_cursor);
  ASSERT_THAT(again, IsOk());
  ASSERT_EQ(again->events_size(), 2);
  EXPECT_EQ(again->events(0).payload_json(), first->events(4).payload_json());
  v1::PullRequest since;
  *since.mutable_since() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
      absl::ToUnixMicros(before));
  auto replay = service_->PullFor(s, since);
  ASSERT_THAT(replay, IsOk());
  ASSERT_EQ(replay->events_size(), 6);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(replay->events(i).payload_json(), first->events(i).payload_json());

  // Acknowledgements only move forward, and not past what was delivered.
  ack.set_cursor(first->events(0).id());
  EXPECT_THAT(service_->AcknowledgeFor(s, ack),
              crvs::testing::StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("before")));
  ack.set_cursor("999999.0");
  EXPECT_THAT(service_->AcknowledgeFor(s, ack),
              crvs::testing::StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("beyond")));
  ack.set_cursor(first->next_cursor());
  ASSERT_THAT(service_->AcknowledgeFor(s, ack), IsOk());
  auto done = service_->PullFor(s, {});
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(done->events_size(), 0);
  EXPECT_TRUE(done->end_of_feed());
  EXPECT_EQ(done->next_cursor(), first->next_cursor());
}

TEST_P(FeedTest, DeliveriesAreAuditedWithoutPersonalData) {
  WriteDay();
  ASSERT_THAT(service_->PullFor(Sub("social-insurance"), {}), IsOk());
  std::vector<store::AuditRow> rows;
  ASSERT_THAT(store_->Read([&](store::sql::Connection& c) -> absl::Status {
    auto r = store::ListAudit(c, 0, 1000);
    if (!r.ok()) return r.status();
    rows = *std::move(r);
    return absl::OkStatus();
  }), IsOk());
  int delivered = 0;
  for (const auto& r : rows) {
    if (r.action != "feed.delivered") continue;
    ++delivered;
    EXPECT_EQ(r.actor, "agency:social-insurance");
    EXPECT_THAT(r.detail, HasSubstr("events=6"));
    EXPECT_THAT(r.detail, HasSubstr("death.notified:1"));
    EXPECT_THAT(r.detail, ::testing::Not(HasSubstr("001052003456")));
  }
  EXPECT_EQ(delivered, 1);
  ASSERT_THAT(store_->Read([&](store::sql::Connection& c) -> absl::Status {
    auto verified = store::VerifyAudit(c);
    if (!verified.ok()) return verified.status();
    EXPECT_TRUE(verified->intact) << verified->problem;
    return absl::OkStatus();
  }), IsOk());
}

TEST_P(FeedTest, APausedFeedIsUnavailableUntilResumed) {
  WriteDay();
  ASSERT_THAT(SetPaused(*store_, "social-insurance", true, "operator:lan"), IsOk());
  EXPECT_THAT(service_->PullFor(Sub("social-insurance"), {}),
              crvs::testing::StatusIs(absl::StatusCode::kUnavailable, HasSubstr("operator:lan")));
  ASSERT_THAT(SetPaused(*store_, "social-insurance", false, "operator:lan"), IsOk());
  EXPECT_THAT(service_->PullFor(Sub("social-insurance"), {}), IsOk());
}

// Writers committing concurrently (two connections: two sinks) while a reader follows the feed
// by its cursor: every version is read exactly once. A feed ordered by a sequence taken at
// insert would skip a transaction that took a low number and committed after a later one.
TEST_P(FeedTest, AReaderFollowingConcurrentWritersMissesNothing) {
  auto second = store::Store::Open(config_);
  ASSERT_THAT(second, IsOk());
  constexpr int kBatches = 40, kPerBatch = 5;
  std::atomic<int> done{0};
  auto writer = [&](store::Store* s, int who) {
    for (int b = 0; b < kBatches; ++b) {
      store::ApplyBatch batch;
      batch.group = model::ConsumerGroup("crvs-sink");
      for (int i = 0; i < kPerBatch; ++i) {
        const std::string no = absl::StrCat("GCS-", who, "-", b, "-", i);
        auto e = st::Envelope(crvs::testing::BirthCertificate(no), rv1::ACTION_SUBMIT, "m-" + no);
        batch.records.push_back(st::Inbound(e, "crvs.birth", who, b * kPerBatch + i));
      }
      absl::Status status;
      do {
        auto r = s->Apply(batch);
        status = r.status();
      } while (absl::IsUnavailable(status));  // SQLite: the other writer holds the lock
      EXPECT_THAT(status, IsOk());
    }
    ++done;
  };
  std::thread a(writer, store_.get(), 0), b(writer, second->get(), 1);
  std::multiset<std::string> seen;
  Position cursor;
  auto read_some = [&] {
    FeedPage page;
    ASSERT_THAT(store_->Read([&](store::sql::Connection& c) -> absl::Status {
      ReadOptions o;
      o.max_events = 7;
      auto p = ReadFeed(c, cursor, o);
      if (!p.ok()) return p.status();
      page = *std::move(p);
      return absl::OkStatus();
    }), IsOk());
    for (const auto& e : page.events) seen.insert(e.event.payload["record"]["business_key"]);
    cursor = page.scanned_to;
  };
  while (done < 2) read_some();
  a.join();
  b.join();
  for (int i = 0; i < 100; ++i) read_some();
  EXPECT_EQ(seen.size(), 2u * kBatches * kPerBatch);
  std::set<std::string> distinct(seen.begin(), seen.end());
  EXPECT_EQ(distinct.size(), seen.size()) << "an event was read twice";
}

// A reader that wants none of many versions still reaches the end, a few versions at a time.
TEST_P(FeedTest, AReaderThatWantsNothingStillMovesToTheEnd) {
  std::vector<store::InboundRecord> batch;
  for (int i = 0; i < 30; ++i) {
    const std::string no = absl::StrCat("GCS-N-", i);
    batch.push_back(st::Inbound(
        st::Envelope(crvs::testing::BirthCertificate(no), rv1::ACTION_SUBMIT, "m-" + no),
        "crvs.birth", 0, i));
  }
  Apply(std::move(batch));
  Position cursor;
  int calls = 0;
  FeedPage page;
  do {
    ASSERT_THAT(store_->Read([&](store::sql::Connection& c) -> absl::Status {
      ReadOptions o;
      o.max_versions = 4;
      o.wanted = [](const Event&) { return false; };
      auto p = ReadFeed(c, cursor, o);
      if (!p.ok()) return p.status();
      page = *std::move(p);
      return absl::OkStatus();
    }), IsOk());
    EXPECT_TRUE(cursor < page.scanned_to || !page.more) << "no progress at " << FormatPosition(cursor);
    cursor = page.scanned_to;
    EXPECT_TRUE(page.events.empty());
  } while (page.more && ++calls < 100);
  EXPECT_FALSE(page.more);
  EXPECT_GE(calls, 7);  // 30 versions, 4 at a time
  EXPECT_EQ(cursor.ordinal, 29);
}

// A home death registered at `office` (no certificate): one event in that commune.
rv1::Registration HomeDeath(const std::string& office, int n, common::v1::Sex sex, int born,
                            int registered_day) {
  rv1::Registration r;
  r.mutable_key()->set_registry_office_code(office);
  r.mutable_key()->set_book("01/2026");
  r.mutable_key()->set_registration_no(absl::StrCat(n));
  r.set_kind(rv1::REGISTRATION_KIND_DEATH);
  *r.mutable_registration_date() = crvs::testing::Date(2026, 10, registered_day);
  *r.mutable_event_date() = crvs::testing::Date(2026, 10, 2);
  r.mutable_subject()->mutable_personal_id()->set_number(absl::StrCat("0010", born, "00", 1000 + n));
  r.mutable_subject()->set_full_name(absl::StrCat("Người Mất ", n));
  r.mutable_subject()->set_sex(sex);
  *r.mutable_subject()->mutable_date_of_birth() = crvs::testing::Date(born, 5, 5);
  r.mutable_registrar()->set_full_name("Đỗ Thị Mai");
  *r.mutable_recorded_at() = crvs::testing::At("2026-10-28T03:00:00Z");
  return r;
}

// The statistics office's table: no published cell below the threshold, and no suppressed
// cell an attacker can solve for from the published ones (line by line, as long as any line
// has a single unknown), nothing personal in it.
TEST_P(FeedTest, TheStatisticsFeedHidesSmallCellsBeyondRecovery) {
  // Province 01: commune 00004 one death (a small cell), 00008 six, 00025 seven, 00070 two.
  int n = 0;
  std::vector<store::InboundRecord> batch;
  auto add = [&](const std::string& office, int count) {
    for (int i = 0; i < count; ++i, ++n) {
      auto e = st::Envelope(HomeDeath(office, n, i % 2 ? common::v1::SEX_FEMALE
                                                        : common::v1::SEX_MALE,
                                      1940 + (n % 3) * 20, n % 4 == 0 ? 25 : 10),
                            rv1::ACTION_SUBMIT, absl::StrCat("hd-", n));
      batch.push_back(st::Inbound(e, "crvs.registrations", 0, n));
    }
  };
  add("00004", 1);
  add("00008", 6);
  add("00025", 7);
  add("00070", 2);
  Apply(std::move(batch));

  v1::GetStatisticsRequest request;
  request.set_kind("deaths");
  request.set_province("01");
  request.set_month("2026-10");
  auto table = service_->GetStatisticsFor(Sub("statistics-office"), request);
  ASSERT_THAT(table, IsOk());
  ASSERT_EQ(table->dimensions_size(), 4);
  EXPECT_EQ(table->dimensions(0).name(), "area");
  EXPECT_GE(table->suppressed_primary(), 1);

  // Cells by their nodes; lines from the dimension trees.
  std::map<std::vector<int>, std::optional<int64_t>> cells;
  for (const auto& c : table->cells()) {
    std::vector<int> nodes(c.nodes().begin(), c.nodes().end());
    if (c.suppressed()) {
      EXPECT_FALSE(c.has_count());
      cells[nodes] = std::nullopt;
    } else {
      ASSERT_TRUE(c.has_count());
      EXPECT_TRUE(c.count() == 0 || c.count() >= 5) << "published small cell " << c.count();
      cells[nodes] = c.count();
    }
  }
  EXPECT_EQ(cells[std::vector<int>(4, 0)], std::optional<int64_t>(16));
  std::vector<std::vector<std::vector<int>>> children(4);  // per dimension, per node
  for (int d = 0; d < 4; ++d) {
    const auto& dim = table->dimensions(d);
    children[d].resize(dim.labels_size());
    for (int i = 0; i < dim.parents_size(); ++i) {
      if (dim.parents(i) >= 0) children[d][dim.parents(i)].push_back(i);
    }
  }
  bool progress = true;
  int solved = 0;
  while (progress) {
    progress = false;
    for (const auto& [nodes, value] : cells) {
      for (int d = 0; d < 4; ++d) {
        if (children[d][nodes[d]].empty()) continue;
        // The line: nodes (total along d) = sum of its children along d.
        std::vector<std::vector<int>> members = {nodes};
        for (int child : children[d][nodes[d]]) {
          auto m = nodes;
          m[d] = child;
          members.push_back(m);
        }
        int unknown = -1, unknowns = 0;
        int64_t sum_children = 0;
        for (size_t i = 0; i < members.size(); ++i) {
          const auto& v = cells[members[i]];
          if (!v) {
            ++unknowns;
            unknown = static_cast<int>(i);
          } else if (i > 0) {
            sum_children += *v;
          }
        }
        if (unknowns != 1) continue;
        ADD_FAILURE() << "a suppressed cell is recoverable from its line (dimension " << d << ")";
        cells[members[unknown]] = unknown == 0 ? sum_children : 0;  // mark solved
        ++solved;
        progress = solved < 10;  // report a few, then stop
      }
    }
  }
  // Nothing personal: no personal ID or name of the registrations.
  const std::string bytes = table->SerializeAsString();
  for (int i = 0; i < n; ++i) {
    const std::string id = absl::StrCat("0010", 1940 + (i % 3) * 20, "00", 1000 + i);
    EXPECT_EQ(bytes.find(id), std::string::npos) << id;
  }
  EXPECT_EQ(bytes.find("Người Mất"), std::string::npos);
  EXPECT_EQ(bytes.find("1940-05-05"), std::string::npos);

  // Only the statistics subscriber gets it; it gets nothing else.
  EXPECT_THAT(service_->GetStatisticsFor(Sub("population-db"), request),
              crvs::testing::StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(service_->PullFor(Sub("statistics-office"), {}),
              crvs::testing::StatusIs(absl::StatusCode::kPermissionDenied,
                                      HasSubstr("aggregated statistics only")));
  request.set_province("99");
  EXPECT_THAT(service_->GetStatisticsFor(Sub("statistics-office"), request),
              crvs::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(Databases, FeedTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

// Over gRPC with mutual TLS: the certificate says who reads.
class FeedGrpcTest : public FeedTest {};

TEST_P(FeedGrpcTest, OnlyASubscribersOwnCertificateReadsAndARevokedOneIsDenied) {
  WriteDay();
  crvs::testing::TestPki pki("feeds-pki");
  ASSERT_TRUE(pki.ok());
  auto started = StartGrpcServer("feeds", "127.0.0.1:0", 8, 0, service_.get(), false, pki.server());
  ASSERT_THAT(started, IsOk());
  server_ = std::move(started->server);
  auto call = [&](const std::string& principal, v1::PullResponse* out) {
    auto creds = auth::MakeChannelCredentials(false, pki.Client(principal));
    EXPECT_THAT(creds, IsOk());
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    auto stub = v1::FeedService::NewStub(grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(started->port), *creds, args));
    grpc::ClientContext ctx;
    return stub->Pull(&ctx, v1::PullRequest(), out);
  };
  v1::PullResponse response;
  grpc::Status ok = call("agency:social-insurance", &response);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(response.events_size(), 6);
  for (const char* who : {"agency:former-partner", "agency:stranger", "operator:lan",
                          "facility:BV79001"}) {
    grpc::Status denied = call(who, &response);
    EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED) << who;
  }
  grpc::Status kafka_only = call("agency:kafka-only", &response);
  EXPECT_EQ(kafka_only.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

INSTANTIATE_TEST_SUITE_P(Databases, FeedGrpcTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace crvs::feeds
