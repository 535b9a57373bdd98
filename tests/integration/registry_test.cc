// The registry service end to end: a real gRPC server in-process over a real civil-status
// database — a SQLite file and a real PostgreSQL server started for this binary — seeded the
// way the sink fills it (Store::Apply of envelopes). Every outcome is checked by reading the
// database back (store or service), with exact status codes and field paths.
#include <google/protobuf/util/message_differencer.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "crvs/registry/v1/registry.grpc.pb.h"
#include "services/platform/metrics_server.h"
#include "services/records/records.h"
#include "services/registry/proto_mapping.h"
#include "services/registry/registry.h"
#include "services/store/audit.h"
#include "services/store/sql.h"
#include "services/operators/accounts.h"
#include "services/store/store.h"
#include "services/validation/reference_data.h"
#include "tests/support/fixtures.h"
#include "tests/support/postgres_server.h"
#include "tests/support/status_matchers.h"

namespace crvs {
namespace {

namespace common = ::crvs::common::v1;
namespace rv1 = ::crvs::records::v1;
namespace reg = ::crvs::registry::v1;
namespace fx = ::crvs::testing;
using google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kOffice[] = "registry_office:26734";  // the office of fx::BirthRegistration()
constexpr char kOperator[] = "operator:lan";
constexpr char kBirthKey[] = "birth/BV79001/GCS-2026-000123";
constexpr char kDeathKey[] = "death/BV01002/GBT-2026-000045";
constexpr char kRegistrationKey[] = "registration/26734/01%2F2026/123";

// ---------------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------------

// One empty database for one test.
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  virtual store::DatabaseConfig config() const = 0;
  // Makes writes fail with a transient error until Restore().
  virtual void Break() = 0;
  virtual void Restore() = 0;
};

class SqliteDatabase : public TestDatabase {
 public:
  SqliteDatabase() {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("crvs_registry_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
    std::filesystem::create_directories(dir_);
  }
  ~SqliteDatabase() override {
    Restore();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  store::DatabaseConfig config() const override {
    store::DatabaseConfig c;
    c.url = "sqlite:" + (dir_ / "crvs.db").string();
    c.busy_timeout = std::chrono::milliseconds(200);
    return c;
  }
  // A second connection holds the write lock.
  void Break() override {
    ASSERT_EQ(sqlite3_open((dir_ / "crvs.db").c_str(), &locker_), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(locker_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  void Restore() override {
    if (locker_ == nullptr) return;
    sqlite3_exec(locker_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(locker_);
    locker_ = nullptr;
  }

 private:
  std::filesystem::path dir_;
  sqlite3* locker_ = nullptr;
};

// One PostgreSQL server for the binary, started by the first test that needs it and stopped
// after the last test.
std::unique_ptr<fx::PostgresServer>& Server() {
  static std::unique_ptr<fx::PostgresServer> server;
  return server;
}

class StopPostgres : public ::testing::Environment {
 public:
  void TearDown() override { Server().reset(); }
};
::testing::Environment* const kStopPostgres =
    ::testing::AddGlobalTestEnvironment(new StopPostgres);

class PostgresDatabase : public TestDatabase {
 public:
  PostgresDatabase() {
    static std::atomic<int> counter{0};
    if (Server() == nullptr) {
      auto server = fx::PostgresServer::Start();
      if (!server.ok()) {
        ADD_FAILURE() << "PostgreSQL did not start: " << server.status();
        return;
      }
      Server() = std::move(*server);
    }
    auto uri = Server()->CreateDatabase("registry_test_" + std::to_string(++counter));
    if (!uri.ok()) {
      ADD_FAILURE() << uri.status();
      return;
    }
    uri_ = *uri;
  }
  ~PostgresDatabase() override { Restore(); }
  store::DatabaseConfig config() const override {
    store::DatabaseConfig c;
    c.url = uri_;
    c.busy_timeout = std::chrono::milliseconds(200);
    c.connect_timeout = std::chrono::seconds(2);
    return c;
  }
  // The server goes down.
  void Break() override {
    ASSERT_TRUE(Server()->Stop().ok());
    stopped_ = true;
  }
  void Restore() override {
    if (!stopped_) return;
    stopped_ = false;
    ASSERT_TRUE(Server()->Restart().ok()) << Server()->server_log();
  }
  bool ok() const { return !uri_.empty(); }

 private:
  std::string uri_;
  bool stopped_ = false;
};

std::unique_ptr<TestDatabase> MakeDatabase(const std::string& backend) {
  if (backend == "SQLite") return std::make_unique<SqliteDatabase>();
  auto db = std::make_unique<PostgresDatabase>();
  if (!db->ok()) return nullptr;
  return db;
}

// ---------------------------------------------------------------------------------------------
// Seeding: envelopes as the gateway completes them, applied as the sink applies them
// ---------------------------------------------------------------------------------------------

void SetRecord(rv1::RecordEnvelope* e, const rv1::BirthCertificate& r) {
  *e->mutable_birth_certificate() = r;
  e->mutable_source()->set_code(r.key().facility_code());
}
void SetRecord(rv1::RecordEnvelope* e, const rv1::DeathNotice& r) {
  *e->mutable_death_notice() = r;
  e->mutable_source()->set_code(r.key().facility_code());
}

template <class Record>
rv1::RecordEnvelope Envelope(const Record& record, rv1::Action action,
                             const std::string& message_id, const std::string& reason = "") {
  rv1::RecordEnvelope e;
  SetRecord(&e, record);
  e.mutable_source()->set_kind(common::PRINCIPAL_KIND_FACILITY);
  e.set_message_id(message_id);
  e.set_action(action);
  e.set_reason(reason);
  records::CompleteEnvelope(&e, fx::At("2026-10-31T00:00:00Z"));
  return e;
}

rv1::BirthCertificate Certificate(const std::string& no, const std::string& issued_at) {
  rv1::BirthCertificate b = fx::BirthCertificate(no);
  *b.mutable_issued_at() = fx::At(issued_at);
  return b;
}

// The fixed clock of the service: the fixtures are valid as of this instant.
absl::Time TestNow() {
  return absl::FromCivil(absl::CivilSecond(2026, 11, 1, 0, 0, 0), absl::UTCTimeZone());
}

// ---------------------------------------------------------------------------------------------
// The fixture: database, seed, registry server, client
// ---------------------------------------------------------------------------------------------

class RegistryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = MakeDatabase(GetParam());
    ASSERT_NE(db_, nullptr);
    auto store = store::Store::Open(db_->config());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ASSERT_NO_FATAL_FAILURE(Seed());

    registry::RegistryConfig config;
    config.listen = "127.0.0.1:0";
    config.plaintext = true;
    auto r = registry::Registry::Start(
        config, {store_.get(), &validation::ReferenceData::Default(), &metrics_, TestNow});
    ASSERT_TRUE(r.ok()) << r.status();
    registry_ = std::move(*r);
    stub_ = reg::Registry::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(registry_->port()), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    registry_.reset();
    store_.reset();
    db_.reset();
  }

  // Birth certificate 000123 (submitted, then amended: 2 versions) and 000124..000126 of
  // BV79001, issued on 20, 21, 22 and 25 October; the death notice of BV01002.
  void Seed() {
    rv1::BirthCertificate amended = Certificate("GCS-2026-000123", "2026-10-20T09:00:00Z");
    amended.mutable_child()->set_weight_grams(3300);
    std::vector<rv1::RecordEnvelope> births = {
        Envelope(Certificate("GCS-2026-000123", "2026-10-20T09:00:00Z"), rv1::ACTION_SUBMIT,
                 "his-1"),
        Envelope(amended, rv1::ACTION_AMEND, "his-2", "sửa cân nặng"),
        Envelope(Certificate("GCS-2026-000124", "2026-10-21T09:00:00Z"), rv1::ACTION_SUBMIT,
                 "his-3"),
        Envelope(Certificate("GCS-2026-000125", "2026-10-22T09:00:00Z"), rv1::ACTION_SUBMIT,
                 "his-4"),
        Envelope(Certificate("GCS-2026-000126", "2026-10-25T09:00:00Z"), rv1::ACTION_SUBMIT,
                 "his-5"),
    };
    store::ApplyBatch batch;
    batch.group = store::ConsumerGroup("registry-sink");
    auto add = [&batch](const rv1::RecordEnvelope& e, const std::string& topic, int64_t offset) {
      store::KafkaMessage m;
      m.topic_partition = {store::Topic(topic), store::Partition(0)};
      m.offset = store::Offset(offset);
      m.key = e.business_key();
      m.value = e.SerializeAsString();
      batch.records.push_back({m, e});
      batch.offsets.push_back({m.topic_partition, store::Offset(offset + 1)});
    };
    for (size_t i = 0; i < births.size(); ++i) {
      add(births[i], "crvs.birth-certificates.v1", static_cast<int64_t>(i));
    }
    add(Envelope(fx::DeathNotice(), rv1::ACTION_SUBMIT, "his-9"), "crvs.death-notices.v1", 0);
    auto result = store_->Apply(batch);
    ASSERT_TRUE(result.ok()) << result.status();
    std::vector<store::ApplyOutcome> outcomes;
    for (const auto& r : result->records) outcomes.push_back(r.outcome);
    ASSERT_THAT(outcomes, ElementsAre(store::ApplyOutcome::kAppliedNew,
                                      store::ApplyOutcome::kAppliedVersion,
                                      store::ApplyOutcome::kAppliedNew,
                                      store::ApplyOutcome::kAppliedNew,
                                      store::ApplyOutcome::kAppliedNew,
                                      store::ApplyOutcome::kAppliedNew));
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& principal) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!principal.empty()) ctx->AddMetadata("crvs-principal", principal);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }

  grpc::Status GetRecord(const std::string& key, reg::RecordView* view,
                         const std::string& principal = kOperator) {
    reg::GetRecordRequest request;
    request.set_business_key(key);
    return stub_->GetRecord(Context(principal).get(), request, view);
  }

  grpc::Status PersonStatus(const std::string& id, reg::PersonStatus* status,
                            const std::string& principal = kOperator) {
    reg::GetPersonStatusRequest request;
    request.mutable_personal_id()->set_number(id);
    return stub_->GetPersonStatus(Context(principal).get(), request, status);
  }

  grpc::Status List(const reg::ListRecordsRequest& request, reg::ListRecordsResponse* response,
                    const std::string& principal = kOperator) {
    return stub_->ListRecords(Context(principal).get(), request, response);
  }

  grpc::Status Record(const reg::RecordRegistrationRequest& request,
                      reg::RecordRegistrationResponse* response,
                      const std::string& principal = kOffice) {
    return stub_->RecordRegistration(Context(principal).get(), request, response);
  }

  static reg::RecordRegistrationRequest Submit(const std::string& message_id,
                                               const rv1::Registration& registration =
                                                   fx::BirthRegistration()) {
    reg::RecordRegistrationRequest r;
    r.set_message_id(message_id);
    r.set_action(rv1::ACTION_SUBMIT);
    *r.mutable_registration() = registration;
    return r;
  }

  static reg::RecordRegistrationRequest Void(const std::string& message_id) {
    reg::RecordRegistrationRequest r;
    r.set_message_id(message_id);
    r.set_action(rv1::ACTION_VOID);
    r.set_reason("ghi nhầm sổ");
    *r.mutable_registration()->mutable_key() = fx::BirthRegistration().key();
    return r;
  }

  // The store's view of a key: NOT_FOUND or the record.
  absl::StatusOr<store::RecordRow> Stored(const std::string& key) {
    return store_->GetRecord(store::BusinessKey(key));
  }

  std::vector<store::DeadLetterRow> DeadLetters() {
    auto page = store_->ListDeadLetters({});
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->dead_letters : std::vector<store::DeadLetterRow>{};
  }

  // The audit rows of refused writes, oldest first.
  std::vector<store::AuditRow> RefusedRows() {
    std::vector<store::AuditRow> refused;
    EXPECT_TRUE(store_
                    ->Read([&](store::sql::Connection& c) -> absl::Status {
                      auto rows = store::ListAudit(c, 0, 10000);
                      if (!rows.ok()) return rows.status();
                      for (auto& row : *rows) {
                        if (row.action == "record.refused") refused.push_back(std::move(row));
                      }
                      return absl::OkStatus();
                    })
                    .ok());
    return refused;
  }
  // The rule of each refused write ("KEY_VOIDED", ...), oldest first.
  std::vector<std::string> Refusals() {
    std::vector<std::string> rules;
    for (const auto& row : RefusedRows()) {
      const size_t at = row.detail.find("refusal=");
      rules.push_back(at == std::string::npos
                          ? ""
                          : row.detail.substr(at + 8, row.detail.find(' ', at) - at - 8));
    }
    return rules;
  }

  // The value of crvs_registry_calls_total{method, code}; 0 when absent.
  double Calls(const std::string& method, const std::string& code) {
    std::istringstream text(RenderMetrics(metrics_));
    std::string line;
    while (std::getline(text, line)) {
      if (line.rfind("crvs_registry_calls_total{", 0) == 0 &&
          line.find("method=\"" + method + "\"") != std::string::npos &&
          line.find("code=\"" + code + "\"") != std::string::npos) {
        return std::stod(line.substr(line.rfind(' ') + 1));
      }
    }
    return 0;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<store::Store> store_;
  prometheus::Registry metrics_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<reg::Registry::Stub> stub_;
};

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

TEST_P(RegistryTest, GetRecordReturnsEveryVersionOldestFirst) {
  reg::RecordView view;
  ASSERT_TRUE(GetRecord(kBirthKey, &view).ok());
  EXPECT_EQ(view.business_key(), kBirthKey);
  EXPECT_EQ(view.kind(), rv1::RECORD_KIND_BIRTH_CERTIFICATE);
  EXPECT_EQ(view.state(), reg::RECORD_STATE_ACTIVE);
  EXPECT_EQ(view.current_version(), 2);
  ASSERT_EQ(view.versions_size(), 2);
  EXPECT_EQ(view.versions(0).version(), 1);
  EXPECT_EQ(view.versions(0).action(), rv1::ACTION_SUBMIT);
  EXPECT_EQ(view.versions(0).message_id(), "his-1");
  EXPECT_EQ(view.versions(0).envelope().birth_certificate().child().weight_grams(), 3200);
  EXPECT_EQ(view.versions(1).version(), 2);
  EXPECT_EQ(view.versions(1).action(), rv1::ACTION_AMEND);
  EXPECT_EQ(view.versions(1).reason(), "sửa cân nặng");
  EXPECT_EQ(view.versions(1).envelope().birth_certificate().child().weight_grams(), 3300);
  EXPECT_EQ(view.versions(1).content_hash().size(), 32u);

  // A registry office reads synced certificates too (to pre-fill registrations).
  reg::RecordView as_office;
  ASSERT_TRUE(GetRecord(kBirthKey, &as_office, kOffice).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(view, as_office));
}

TEST_P(RegistryTest, GetRecordOfAnUnknownKeyIsNotFound) {
  reg::RecordView view;
  EXPECT_EQ(GetRecord("birth/BV79001/GCS-2026-999999", &view).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(RegistryTest, GetRecordOfAMalformedKeyNamesBusinessKey) {
  for (const std::string key : {"", "birth/BV79001", "marriage/26734/1", "death/BV01002/GBT%1"}) {
    reg::RecordView view;
    grpc::Status s = GetRecord(key, &view);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << key;
    EXPECT_THAT(fx::ViolatedFields(s), ElementsAre("business_key")) << key;
  }
}

TEST_P(RegistryTest, ReadsNeedAnIdentityAndARightToRead) {
  reg::RecordView view;
  EXPECT_EQ(GetRecord(kBirthKey, &view, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetRecord(kBirthKey, &view, "somebody").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetRecord(kBirthKey, &view, "facility:BV79001").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  reg::PersonStatus status;
  EXPECT_EQ(PersonStatus("001052003456", &status, "court:TA79001").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_P(RegistryTest, PersonStatusOfTheDeceasedIsDeceasedWithTheDate) {
  reg::PersonStatus status;
  ASSERT_TRUE(PersonStatus("001052003456", &status).ok());
  EXPECT_EQ(status.personal_id().number(), "001052003456");
  EXPECT_EQ(status.vital_status(), reg::VITAL_STATUS_DECEASED);
  EXPECT_TRUE(MessageDifferencer::Equals(status.date_of_death(), fx::Date(2026, 10, 25)))
      << status.date_of_death().ShortDebugString();
  EXPECT_EQ(status.marital_status(), reg::MARITAL_STATUS_UNKNOWN);
  EXPECT_THAT(status.evidence_keys(), ElementsAre(kDeathKey));
}

TEST_P(RegistryTest, PersonStatusOfAPersonTheDatabaseDoesNotKnowIsUnknownNotNotFound) {
  reg::PersonStatus status;
  ASSERT_TRUE(PersonStatus("079194009999", &status).ok());
  EXPECT_EQ(status.personal_id().number(), "079194009999");
  EXPECT_EQ(status.vital_status(), reg::VITAL_STATUS_UNKNOWN);
  EXPECT_EQ(status.marital_status(), reg::MARITAL_STATUS_UNKNOWN);
  EXPECT_THAT(status.evidence_keys(), IsEmpty());
}

TEST_P(RegistryTest, PersonStatusOfAMalformedIdNamesTheField) {
  for (const std::string id : {"", "00105200345", "00105200345X", "999052003456"}) {
    reg::PersonStatus status;
    grpc::Status s = PersonStatus(id, &status);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << id;
    EXPECT_THAT(fx::ViolatedFields(s), ElementsAre("personal_id.number")) << id;
    EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("00105200345"))) << "no IDs in errors";
  }
}

std::vector<std::string> Keys(const reg::ListRecordsResponse& page) {
  std::vector<std::string> keys;
  for (const auto& r : page.records()) keys.push_back(r.business_key());
  return keys;
}

TEST_P(RegistryTest, ListRecordsBySourceAndPeriodPagesInIssueOrder) {
  reg::ListRecordsRequest request;
  request.mutable_source()->set_kind(common::PRINCIPAL_KIND_FACILITY);
  request.mutable_source()->set_code("BV79001");
  *request.mutable_issued_from() = fx::At("2026-10-20T00:00:00Z");
  *request.mutable_issued_to() = fx::At("2026-10-25T00:00:00Z");  // excludes 000126
  request.set_page_size(2);

  reg::ListRecordsResponse first;
  ASSERT_TRUE(List(request, &first).ok());
  EXPECT_THAT(Keys(first), ElementsAre(kBirthKey, "birth/BV79001/GCS-2026-000124"));
  ASSERT_FALSE(first.next_page_token().empty());
  // Only the current version; the amended certificate shows version 2.
  ASSERT_EQ(first.records(0).versions_size(), 1);
  EXPECT_EQ(first.records(0).current_version(), 2);
  EXPECT_EQ(first.records(0).versions(0).version(), 2);
  EXPECT_EQ(first.records(0).versions(0).reason(), "sửa cân nặng");

  request.set_page_token(first.next_page_token());
  reg::ListRecordsResponse second;
  ASSERT_TRUE(List(request, &second).ok());
  EXPECT_THAT(Keys(second), ElementsAre("birth/BV79001/GCS-2026-000125"));
  EXPECT_TRUE(second.next_page_token().empty());

  // By kind, every source: only the death notice.
  reg::ListRecordsRequest deaths;
  deaths.set_kind(rv1::RECORD_KIND_DEATH_NOTICE);
  reg::ListRecordsResponse page;
  ASSERT_TRUE(List(deaths, &page).ok());
  EXPECT_THAT(Keys(page), ElementsAre(kDeathKey));
}

TEST_P(RegistryTest, ListRecordsNamesEveryBadFilterAndABadToken) {
  reg::ListRecordsRequest request;
  request.mutable_source()->set_kind(common::PRINCIPAL_KIND_FACILITY);
  *request.mutable_issued_from() = fx::At("2026-10-25T00:00:00Z");
  *request.mutable_issued_to() = fx::At("2026-10-20T00:00:00Z");
  request.set_page_size(1001);
  reg::ListRecordsResponse response;
  grpc::Status s = List(request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(fx::ViolatedFields(s), ElementsAre("source.code", "issued_to", "page_size"));

  reg::ListRecordsRequest bad_token;
  bad_token.set_page_token("not-a-token");
  s = List(bad_token, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(fx::ViolatedFields(s), ElementsAre("page_token"));
}

TEST_P(RegistryTest, ARegistryOfficeListsOnlyWhatItSent) {
  reg::RecordRegistrationResponse recorded;
  ASSERT_TRUE(Record(Submit("26734-1"), &recorded).ok());

  reg::ListRecordsResponse own;
  ASSERT_TRUE(List({}, &own, kOffice).ok());
  EXPECT_THAT(Keys(own), ElementsAre(kRegistrationKey));

  reg::ListRecordsRequest others;
  others.mutable_source()->set_kind(common::PRINCIPAL_KIND_FACILITY);
  others.mutable_source()->set_code("BV79001");
  reg::ListRecordsResponse response;
  EXPECT_EQ(List(others, &response, kOffice).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

// ---------------------------------------------------------------------------------------------
// RecordRegistration
// ---------------------------------------------------------------------------------------------

TEST_P(RegistryTest, BirthRegistrationLinkedToTheSeededCertificateIsCommittedAsVersion1) {
  reg::RecordRegistrationResponse response;
  grpc::Status s = Record(Submit("26734-2026-000123"), &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.business_key(), kRegistrationKey);
  EXPECT_EQ(response.version(), 1);
  EXPECT_TRUE(response.linked_record_found());
  ASSERT_TRUE(response.has_committed_at());

  // Committed before the answer: the database holds it, from this office, at that time.
  auto stored = Stored(kRegistrationKey);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->kind, rv1::RECORD_KIND_REGISTRATION);
  EXPECT_EQ(stored->state, store::RecordState::kActive);
  ASSERT_EQ(stored->versions.size(), 1u);
  const store::RecordVersionRow& v = stored->versions[0];
  EXPECT_EQ(v.message_id, "26734-2026-000123");
  EXPECT_EQ(v.action, rv1::ACTION_SUBMIT);
  EXPECT_EQ(records::FormatPrincipal(v.envelope.source()), kOffice);
  EXPECT_TRUE(MessageDifferencer::Equals(registry::ToTimestamp(v.committed_at),
                                         response.committed_at()));
  EXPECT_TRUE(MessageDifferencer::Equals(v.envelope.registration(), fx::BirthRegistration()));
  EXPECT_EQ(v.envelope.trace_id().size(), 32u);

  // The child is now known to the database.
  reg::PersonStatus child;
  ASSERT_TRUE(PersonStatus("079226001111", &child).ok());
  EXPECT_EQ(child.vital_status(), reg::VITAL_STATUS_ALIVE);
  EXPECT_EQ(Calls("RecordRegistration", "OK"), 1);
}

TEST_P(RegistryTest, TheCallersTraceparentBecomesTheEnvelopeTraceId) {
  auto ctx = Context(kOffice);
  ctx->AddMetadata("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  reg::RecordRegistrationResponse response;
  ASSERT_TRUE(stub_->RecordRegistration(ctx.get(), Submit("26734-1"), &response).ok());
  auto stored = Stored(kRegistrationKey);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->versions[0].envelope.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST_P(RegistryTest, ResendingAMessageIdReturnsTheOriginalResponseAndWritesNothing) {
  reg::RecordRegistrationResponse first;
  ASSERT_TRUE(Record(Submit("26734-2026-000123"), &first).ok());
  reg::RecordRegistrationResponse again;
  grpc::Status s = Record(Submit("26734-2026-000123"), &again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(MessageDifferencer::Equals(first, again))
      << first.ShortDebugString() << " vs " << again.ShortDebugString();

  auto stored = Stored(kRegistrationKey);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->versions.size(), 1u);
  EXPECT_THAT(DeadLetters(), IsEmpty());
}

TEST_P(RegistryTest, LinkedRecordNotFoundForAHomeBirthOrACertificateNotYetArrived) {
  rv1::Registration home = fx::BirthRegistration("124");
  home.clear_linked();
  reg::RecordRegistrationResponse response;
  ASSERT_TRUE(Record(Submit("26734-a", home), &response).ok());
  EXPECT_EQ(response.version(), 1);
  EXPECT_FALSE(response.linked_record_found());

  rv1::Registration early = fx::BirthRegistration("125");
  early.mutable_birth_certificate()->set_certificate_no("GCS-2026-000999");
  ASSERT_TRUE(Record(Submit("26734-b", early), &response).ok());
  EXPECT_FALSE(response.linked_record_found());
  // The link is kept for when the certificate arrives.
  auto stored = Stored("registration/26734/01%2F2026/125");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->versions[0].envelope.registration().birth_certificate().certificate_no(),
            "GCS-2026-000999");
}

TEST_P(RegistryTest, AmendAddsAVersionWithItsReason) {
  reg::RecordRegistrationResponse response;
  ASSERT_TRUE(Record(Submit("26734-1"), &response).ok());
  reg::RecordRegistrationRequest amend = Submit("26734-2");
  amend.set_action(rv1::ACTION_AMEND);
  amend.set_reason("sửa tên người đăng ký");
  amend.mutable_registration()->mutable_registrar()->set_full_name("Ngô Thị Hạnh Dung");
  ASSERT_TRUE(Record(amend, &response).ok());
  EXPECT_EQ(response.version(), 2);
  EXPECT_TRUE(response.linked_record_found());

  auto stored = Stored(kRegistrationKey);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->current_version, 2);
  ASSERT_EQ(stored->versions.size(), 2u);
  EXPECT_EQ(stored->versions[1].reason, "sửa tên người đăng ký");
  EXPECT_EQ(stored->versions[1].envelope.registration().registrar().full_name(),
            "Ngô Thị Hạnh Dung");
}

TEST_P(RegistryTest, AnotherOfficeIsPermissionDeniedAndNothingIsWritten) {
  reg::RecordRegistrationResponse response;
  grpc::Status s = Record(Submit("26735-1"), &response, "registry_office:26735");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("26734"));
  EXPECT_EQ(Record(Submit("his-1"), &response, "facility:BV79001").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Record(Submit("op-1"), &response, kOperator).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Record(Submit("anon-1"), &response, "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  EXPECT_THAT(Stored(kRegistrationKey), fx::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(DeadLetters(), IsEmpty());
  EXPECT_EQ(Calls("RecordRegistration", "PERMISSION_DENIED"), 3);
  EXPECT_EQ(Calls("RecordRegistration", "UNAUTHENTICATED"), 1);
}

TEST_P(RegistryTest, AnInvalidRegistrationNamesEveryBadFieldAndWritesNothing) {
  reg::RecordRegistrationRequest request = Submit("26734 1");  // a space
  request.set_action(rv1::ACTION_AMEND);                      // without a reason
  rv1::Registration* r = request.mutable_registration();
  r->mutable_subject()->mutable_personal_id()->set_number("079225001111");  // says born 2025
  *r->mutable_registration_date() = fx::Date(2026, 10, 19);                // before the birth
  r->mutable_death_notice()->set_facility_code("BV01002");                 // not a BIRTH link
  r->mutable_death_notice()->set_notice_no("GBT-2026-000045");
  r->clear_registrar();
  reg::RecordRegistrationResponse response;
  grpc::Status s = Record(request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(fx::ViolatedFields(s),
              ElementsAre("message_id", "reason", "registration.event_date",
                          "registration.subject.personal_id.number",
                          "registration.death_notice", "registration.registrar.full_name"));
  EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("079225001111")));

  EXPECT_THAT(Stored(kRegistrationKey), fx::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(DeadLetters(), IsEmpty());
}

TEST_P(RegistryTest, VoidThenSubmitIsFailedPreconditionAndTheRecordStaysVoided) {
  reg::RecordRegistrationResponse response;
  ASSERT_TRUE(Record(Submit("26734-1"), &response).ok());
  reg::RecordRegistrationResponse voided;
  ASSERT_TRUE(Record(Void("26734-2"), &voided).ok());
  EXPECT_EQ(voided.business_key(), kRegistrationKey);
  EXPECT_EQ(voided.version(), 2);
  EXPECT_FALSE(voided.linked_record_found());

  grpc::Status s = Record(Submit("26734-3"), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("voided"));
  reg::RecordRegistrationRequest amend = Submit("26734-4");
  amend.set_action(rv1::ACTION_AMEND);
  amend.set_reason("khôi phục");
  EXPECT_EQ(Record(amend, &response).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  auto stored = Stored(kRegistrationKey);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, store::RecordState::kVoided);
  EXPECT_EQ(stored->current_version, 2);
  EXPECT_EQ(stored->versions[1].action, rv1::ACTION_VOID);
  EXPECT_EQ(stored->versions[1].reason, "ghi nhầm sổ");

  // Each refusal is audited with its rule; none is a dead letter.
  EXPECT_THAT(Refusals(), ElementsAre("KEY_VOIDED", "KEY_VOIDED"));
  EXPECT_THAT(DeadLetters(), IsEmpty());
}

TEST_P(RegistryTest, ASubmitWithOtherContentForARecordedKeyIsAlreadyExists) {
  reg::RecordRegistrationResponse response;
  ASSERT_TRUE(Record(Submit("26734-1"), &response).ok());
  reg::RecordRegistrationRequest changed = Submit("26734-2");
  changed.mutable_registration()->mutable_registrar()->set_full_name("Lê Văn Tám");
  grpc::Status s = Record(changed, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(s.error_message(), HasSubstr("ACTION_AMEND"));

  auto stored = Stored(kRegistrationKey);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->versions.size(), 1u);
  EXPECT_EQ(stored->versions[0].envelope.registration().registrar().full_name(), "Ngô Thị Hạnh");
  EXPECT_THAT(Refusals(), ElementsAre("SUBMIT_OF_OTHER_CONTENT"));
}

TEST_P(RegistryTest, AMessageIdReusedForOtherContentNamesMessageId) {
  reg::RecordRegistrationResponse response;
  ASSERT_TRUE(Record(Submit("26734-1"), &response).ok());
  grpc::Status s = Record(Submit("26734-1", fx::BirthRegistration("124")), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(fx::ViolatedFields(s), ElementsAre("message_id"));
  EXPECT_THAT(Stored("registration/26734/01%2F2026/124"), fx::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Refusals(), ElementsAre("MESSAGE_ID_REUSED"));
}

// A refused registration used to become a dead letter at a made-up Kafka topic
// ("registry-api"): an operator's ReplayDeadLetter produced it to a topic nobody reads, and
// the registration was lost. The office is told why at once and must resend; the refusal is an
// audit row naming the rule, and nothing waits in the dead letters to be replayed.
TEST_P(RegistryTest, RefusedRegistrationIsNotReplayedIntoAKafkaTopicNobodyReads) {
  reg::RecordRegistrationResponse response;
  ASSERT_TRUE(Record(Submit("26734-1"), &response).ok());
  reg::RecordRegistrationRequest changed = Submit("26734-2");
  changed.mutable_registration()->mutable_registrar()->set_full_name("Lê Văn Tám");
  ASSERT_EQ(Record(changed, &response).error_code(), grpc::StatusCode::ALREADY_EXISTS);

  EXPECT_THAT(DeadLetters(), IsEmpty());
  const std::vector<store::AuditRow> refused = RefusedRows();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].actor, kOffice);
  EXPECT_EQ(refused[0].subject, kRegistrationKey);
  EXPECT_THAT(refused[0].detail, HasSubstr("refusal=SUBMIT_OF_OTHER_CONTENT"));
  EXPECT_THAT(refused[0].detail, HasSubstr("message_id=26734-2"));
}

TEST_P(RegistryTest, DatabaseUnavailableIsUnavailableAndARetryAppliesOnce) {
  db_->Break();
  reg::RecordRegistrationResponse response;
  grpc::Status s = Record(Submit("26734-1"), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  db_->Restore();

  grpc::Status retried = Record(Submit("26734-1"), &response);
  ASSERT_TRUE(retried.ok()) << retried.error_message();
  EXPECT_EQ(response.version(), 1);
  auto stored = Stored(kRegistrationKey);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->versions.size(), 1u);
  EXPECT_EQ(Calls("RecordRegistration", "UNAVAILABLE"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistryTest, ::testing::Values("SQLite", "PostgreSQL"),
                         [](const auto& info) { return info.param; });

// ---------------------------------------------------------------------------------------------
// The component
// ---------------------------------------------------------------------------------------------

// Issue 17: reads are confined to the reader's province (the commune where the event happened
// or was registered), plus, for an office, what its own registrations link to and the persons
// they name. Office 26734 is in province 79 (Hồ Chí Minh City), office 00004 in 01 (Hà Nội);
// the seeded births happened in 26734, the death in 00004.
TEST_P(RegistryTest, ReadsAreConfinedToTheReadersProvince) {
  reg::RecordView view;
  EXPECT_TRUE(GetRecord(kBirthKey, &view, kOffice).ok());
  grpc::Status st = GetRecord(kDeathKey, &view, kOffice);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
  EXPECT_THAT(st.error_message(), HasSubstr("province 79"));
  reg::PersonStatus status;
  EXPECT_EQ(PersonStatus("001052003456", &status, kOffice).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string hanoi_office = "registry_office:00004";
  EXPECT_TRUE(GetRecord(kDeathKey, &view, hanoi_office).ok());
  EXPECT_TRUE(PersonStatus("001052003456", &status, hanoi_office).ok());
  EXPECT_EQ(GetRecord(kBirthKey, &view, hanoi_office).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A person nobody in the province has records of is not told either.
  EXPECT_EQ(PersonStatus("079194009999", &status, hanoi_office).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // A birth in province 79 registered at the parents' residence in Hà Nội: office 00004 then
  // reads the certificate its registration links to, and the child's status.
  rv1::Registration at_residence = fx::BirthRegistration("777");
  at_residence.mutable_key()->set_registry_office_code("00004");
  reg::RecordRegistrationResponse recorded;
  st = Record(Submit("00004-1", at_residence), &recorded, hanoi_office);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(GetRecord(kBirthKey, &view, hanoi_office).ok());
  EXPECT_TRUE(PersonStatus(at_residence.subject().personal_id().number(), &status, hanoi_office)
                  .ok());

  // An operator's account confines it likewise; a national one (or none) sees all.
  operators::Accounts accounts(*store_);
  ASSERT_TRUE(accounts.Add("ha", operators::Role::kViewer, "01", "mật khẩu đủ dài 2026",
                           "system:test", absl::Now())
                  .ok());
  EXPECT_TRUE(GetRecord(kDeathKey, &view, "operator:ha").ok());
  EXPECT_EQ(GetRecord(kBirthKey, &view, "operator:ha").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  reg::ListRecordsResponse listed;
  ASSERT_TRUE(List({}, &listed, "operator:ha").ok());
  ASSERT_EQ(listed.records_size(), 2);  // the death in 00004 and the registration made there
  for (const auto& r : listed.records()) {
    EXPECT_NE(r.kind(), rv1::RECORD_KIND_BIRTH_CERTIFICATE) << r.business_key();
  }
  EXPECT_TRUE(GetRecord(kBirthKey, &view, kOperator).ok());
}

TEST(RegistryComponentTest, RejectsBadConfigurationNamingTheKey) {
  SqliteDatabase db;
  auto store = store::Store::Open(db.config());
  ASSERT_TRUE(store.ok()) << store.status();
  prometheus::Registry metrics;
  registry::RegistryConfig config;
  config.listen = "127.0.0.1:0";
  config.max_message_bytes = 0;
  auto r = registry::Registry::Start(
      config, {store->get(), &validation::ReferenceData::Default(), &metrics});
  EXPECT_THAT(r, fx::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(fx::ViolatedFields(r.status()), ElementsAre("registry.max_message_bytes"));

  // Mutual TLS (the default) without a [tls] identity: the error names the missing keys.
  config.max_message_bytes = 1 << 20;
  config.plaintext = false;
  auto tls = registry::Registry::Start(
      config, {store->get(), &validation::ReferenceData::Default(), &metrics});
  EXPECT_THAT(tls, fx::StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(tls.status().message()),
              ::testing::HasSubstr("tls.ca_file, tls.cert_file, tls.key_file"));
}

// Regression: gRPC binds with SO_REUSEPORT by default, so a second process on the same port
// started fine and took part of the calls. The second one must fail to start instead.
TEST(RegistryComponentTest, RefusesAPortAnotherServerListensOn) {
  SqliteDatabase db;
  auto store = store::Store::Open(db.config());
  ASSERT_TRUE(store.ok()) << store.status();
  prometheus::Registry metrics;
  registry::RegistryConfig config;
  config.listen = "127.0.0.1:0";
  config.plaintext = true;
  auto first = registry::Registry::Start(
      config, {store->get(), &validation::ReferenceData::Default(), &metrics});
  ASSERT_TRUE(first.ok()) << first.status();
  prometheus::Registry other_metrics;
  config.listen = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = registry::Registry::Start(
      config, {store->get(), &validation::ReferenceData::Default(), &other_metrics});
  EXPECT_THAT(second, fx::StatusIs(absl::StatusCode::kUnavailable));
}

TEST(RegistryComponentTest, StopsServingOnStop) {
  SqliteDatabase db;
  auto store = store::Store::Open(db.config());
  ASSERT_TRUE(store.ok()) << store.status();
  prometheus::Registry metrics;
  registry::RegistryConfig config;
  config.listen = "127.0.0.1:0";
  config.plaintext = true;
  auto r = registry::Registry::Start(
      config, {store->get(), &validation::ReferenceData::Default(), &metrics});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->NotReady(), "");
  auto stub = reg::Registry::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*r)->port()), grpc::InsecureChannelCredentials()));

  (*r)->Stop();
  EXPECT_EQ((*r)->NotReady(), "stopped");
  grpc::ClientContext ctx;
  ctx.AddMetadata("crvs-principal", kOperator);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  reg::GetRecordRequest request;
  request.set_business_key(kBirthKey);
  reg::RecordView view;
  EXPECT_EQ(stub->GetRecord(&ctx, request, &view).error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace crvs
