#include "tests/e2e/pipeline_harness.h"
#include "tests/support/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "connectors/kafka/embedded_broker.h"
#include "crvs/registry/v1/registry.grpc.pb.h"
#include "connectors/kafka/kafka_config.h"
#include "tests/support/slowdown.h"

namespace crvs::e2e {
namespace {

// A consumer-group member's settings (sink, court source): a 3 s session timeout, so the
// partitions of one killed with -9 move to the others soon, then `settings`.
std::vector<std::string> WithShortSession(const std::string& section,
                                          const std::vector<std::string>& settings) {
  std::vector<std::string> all = {section + ".session_timeout=3s"};
  all.insert(all.end(), settings.begin(), settings.end());
  return all;
}

}  // namespace

std::string BackendName(Backend b) { return b == Backend::kSqlite ? "sqlite" : "postgres"; }

int FreePort() { return testing::FreeLoopbackPort(); }

double ScrapeMetric(int port, const std::string& series) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1);
  auto res = client.Get("/metrics");
  if (!res || res->status != 200) return 0;
  const bool labelled = series.find('{') != std::string::npos;
  double total = 0;
  std::istringstream lines(res->body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.compare(0, series.size(), series) != 0 || line.size() <= series.size()) continue;
    char next = line[series.size()];
    if (next != ' ' && (labelled || next != '{')) continue;
    total += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

registry::v1::PersonStatus PersonStatusOf(int registry_port, const std::string& personal_id) {
  auto stub = registry::v1::Registry::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(registry_port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.AddMetadata("crvs-principal", "operator:e2e");
  registry::v1::GetPersonStatusRequest request;
  request.mutable_personal_id()->set_number(personal_id);
  registry::v1::PersonStatus status;
  grpc::Status st = stub->GetPersonStatus(&ctx, request, &status);
  EXPECT_TRUE(st.ok()) << "GetPersonStatus(" << personal_id << "): " << st.error_message();
  return status;
}

Pipeline::Pipeline(Backend backend, ExternalKafka kafka) : backend_(backend) {
  OpenDatabase();
  bootstrap_ = std::move(kafka.bootstrap);
}

void Pipeline::OpenDatabase() {
  if (!dir_.ok()) throw std::runtime_error("cannot create a scratch directory");
  if (backend_ == Backend::kSqlite) {
    database_url_ = "sqlite:" + dir_.File("civil-status.db");
  } else {
    auto pg = testing::PostgresServer::Start();
    if (!pg.ok()) throw std::runtime_error(std::string(pg.status().message()));
    postgres_ = std::move(*pg);
    auto uri = postgres_->CreateDatabase("crvs");
    if (!uri.ok()) throw std::runtime_error(std::string(uri.status().message()));
    database_url_ = *uri;
  }
}

Pipeline::Pipeline(Backend backend, int partitions, int in_process_brokers,
                   std::vector<std::string> broker_settings)
    : backend_(backend), broker_settings_(std::move(broker_settings)) {
  OpenDatabase();
  if (in_process_brokers > 0) {
    // The product's topics (as `crvs devbroker` creates them, bar the court's input topic,
    // which the mock cluster creates when first used).
    auto broker = kafka::EmbeddedBroker::Start(
        {in_process_brokers, partitions, kafka::KafkaConfig{}.AllTopics()});
    if (!broker.ok()) throw std::runtime_error(std::string(broker.status().message()));
    embedded_broker_ = std::move(*broker);
    bootstrap_ = embedded_broker_->bootstrap_servers();
    return;
  }
  partitions_ = partitions;
  ReplaceBroker();
}

void Pipeline::ReplaceBroker() {
  if (embedded_broker_) throw std::logic_error("ReplaceBroker needs a devbroker process");
  broker_.reset();
  bootstrap_.clear();
  std::vector<std::string> args = {"--set",
                                    "kafka.embedded_partitions=" + std::to_string(partitions_)};
  for (const std::string& s : broker_settings_) {
    args.push_back("--set");
    args.push_back(s);
  }
  args.push_back("devbroker");
  broker_ = std::make_unique<testing::Subprocess>(CrvsArgs(args));
  bootstrap_ = broker_->ReadLine(20000);
  if (bootstrap_.find("127.0.0.1:") != 0) throw std::runtime_error("devbroker did not start");
}

Pipeline::~Pipeline() {
  feeds_.reset();
  reconcile_.reset();
  gateway_.reset();
  registry_.reset();
  court_sources_.clear();
  sinks_.clear();
  broker_.reset();
  embedded_broker_.reset();
  postgres_.reset();
}

std::vector<std::string> Pipeline::CrvsArgs(const std::vector<std::string>& extra) const {
  std::vector<std::string> args = {CRVS_BINARY, "--set", "log.level=warn"};
  if (!bootstrap_.empty()) {
    args.insert(args.end(), {"--set", "kafka.bootstrap_servers=" + bootstrap_});
  }
  if (!database_url_.empty()) args.insert(args.end(), {"--set", "database.url=" + database_url_});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::unique_ptr<testing::Subprocess> Pipeline::StartService(const Service& service) const {
  std::vector<std::string> extra;
  auto set = [&extra](const std::string& setting) {
    extra.insert(extra.end(), {"--set", setting});
  };
  const std::string& section = service.section;
  if (service.grpc_port > 0) {
    set(section + ".listen=127.0.0.1:" + std::to_string(service.grpc_port));
  }
  set(section + ".metrics_listen=127.0.0.1:" + std::to_string(service.metrics_port));
  if (service.grpc_port > 0 && service.plaintext) set(section + ".plaintext=true");
  for (const auto& s : service.settings) set(s);
  extra.push_back(service.command);
  auto process = std::make_unique<testing::Subprocess>(CrvsArgs(extra));
  if (service.grpc_port > 0 && !service.plaintext) {
    // A TLS port answers no insecure channel: ready is what the process's /readyz says.
    httplib::Client client("127.0.0.1", service.metrics_port);
    client.set_connection_timeout(1);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(60 * testing::kSlowdown);
    while (true) {
      auto res = client.Get("/readyz");
      if (res && res->status == 200) break;
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error(service.command + " did not become ready");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  } else if (service.grpc_port > 0) {
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(service.grpc_port),
                                       grpc::InsecureChannelCredentials());
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(20))) {
      throw std::runtime_error(service.command + " did not start");
    }
  }
  return process;
}

void Pipeline::StartGateway(const std::vector<std::string>& settings) {
  gateway_port_ = FreePort();
  gateway_settings_ = settings;
  RestartGateway();
}

void Pipeline::KillGateway() { gateway_->Stop(SIGKILL); }

void Pipeline::RestartGateway() {
  gateway_.reset();
  gateway_ = StartService({"gateway", "gateway", gateway_port_, FreePort(), gateway_settings_});
}

int Pipeline::StartSink(const std::vector<std::string>& settings) {
  int port = FreePort();
  sinks_.push_back(StartService(
      {"sink", "sink", 0, port, WithShortSession("sink", settings)}));
  sink_metrics_ports_.push_back(port);
  return static_cast<int>(sinks_.size()) - 1;
}

int Pipeline::StartCourtSource(const std::vector<std::string>& settings) {
  int port = FreePort();
  court_sources_.push_back(
      StartService({"court-source", "court_source", 0, port,
                    WithShortSession("court_source", settings)}));
  court_source_metrics_ports_.push_back(port);
  return static_cast<int>(court_sources_.size()) - 1;
}

void Pipeline::StopCourtSource(int index) { court_sources_.at(index)->Stop(SIGTERM); }
void Pipeline::KillCourtSource(int index) { court_sources_.at(index)->Stop(SIGKILL); }

double Pipeline::CourtSourceMetric(int index, const std::string& series) {
  return ScrapeMetric(court_source_metrics_ports_.at(index), series);
}

int Pipeline::StartRegistry() {
  int port = FreePort();
  registry_ = StartService({"registry", "registry", port, FreePort(), {}});
  return port;
}

int Pipeline::StartReconcile(const std::vector<std::string>& settings) {
  int port = FreePort();
  reconcile_ = StartService({"reconcile", "reconcile", port, FreePort(), settings});
  return port;
}

int Pipeline::StartFeeds(const std::vector<std::string>& settings, bool plaintext) {
  int port = FreePort();
  feeds_ = StartService({"feeds", "feeds", port, FreePort(), settings, plaintext});
  return port;
}

void Pipeline::StopFeeds() {
  if (feeds_) feeds_->Stop(SIGTERM);
}

void Pipeline::KillSink(int index) { sinks_.at(index)->Stop(SIGKILL); }
void Pipeline::StopSink(int index) { sinks_.at(index)->Stop(SIGTERM); }

double Pipeline::SinkMetric(int index, const std::string& name) {
  return ScrapeMetric(sink_metrics_ports_.at(index), name);
}

std::vector<std::vector<std::string>> Pipeline::Query(const std::string& sqlite_sql,
                                                      const std::string& postgres_sql) const {
  std::vector<std::vector<std::string>> rows;
  if (backend_ == Backend::kPostgres) {
    auto r = postgres_->Query("crvs", postgres_sql);
    if (!r.ok()) throw std::runtime_error(std::string(r.status().message()));
    return *r;
  }
  sqlite3* db = nullptr;
  std::string path = database_url_.substr(7);
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return rows;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sqlite_sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const unsigned char* text = sqlite3_column_text(stmt, i);
        row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
      }
      rows.push_back(std::move(row));
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

int64_t Pipeline::Count(const std::string& sql) const {
  auto rows = Query(sql, sql);
  return rows.empty() || rows[0].empty() || rows[0][0].empty() ? 0 : std::stoll(rows[0][0]);
}

int64_t Pipeline::WaitForCount(const std::string& sql, int64_t n, int timeout_s) {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s * testing::kSlowdown);
  int64_t count = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      count = Count(sql);
    } catch (const std::exception&) {
      count = 0;  // the database may be restarting or not yet created
    }
    if (count >= n) return count;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return count;
}

std::unique_ptr<ingest::v1::HealthIngest::Stub> Pipeline::Stub() const {
  return ingest::v1::HealthIngest::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(gateway_port_), grpc::InsecureChannelCredentials()));
}

std::unique_ptr<ingest::v1::CourtIngest::Stub> Pipeline::CourtStub() const {
  return ingest::v1::CourtIngest::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(gateway_port_), grpc::InsecureChannelCredentials()));
}

}  // namespace crvs::e2e
