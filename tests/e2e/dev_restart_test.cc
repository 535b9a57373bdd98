// `crvs dev` restarted on an existing var/: the embedded broker is in memory, so the new broker's
// logs start again at offset 0 while the database holds the positions of the old ones. Found by
// probing: the sink kept the stale positions ("ALARM stored position beyond the log end ...
// consuming from the log end") and the records accepted after the restart never reached the
// database, while /readyz said 200. Every ACCEPTED record must land, whatever the restart.
#include <sqlite3.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include "crvs/admin/v1/admin.grpc.pb.h"
#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "tests/e2e/pipeline_harness.h"
#include "tests/support/fixtures.h"
#include "tests/support/subprocess.h"

namespace crvs::e2e {
namespace {

auto Deadline(int s) { return std::chrono::system_clock::now() + std::chrono::seconds(s); }

// One `crvs dev` on fixed ports and one database file, started again and again.
class Dev {
 public:
  explicit Dev(std::string dir) : dir_(std::move(dir)) {}

  void Start() {
    process_ = std::make_unique<testing::Subprocess>(std::vector<std::string>{
        CRVS_BINARY, "--set", "database.url=sqlite:" + dir_ + "/crvs.db", "--set",
        "gateway.listen=127.0.0.1:" + std::to_string(gateway_), "--set",
        "registry.listen=127.0.0.1:" + std::to_string(FreePort()), "--set",
        "reconcile.listen=127.0.0.1:" + std::to_string(FreePort()), "--set",
        "admin.listen=127.0.0.1:" + std::to_string(admin_), "--set", "console.listen=127.0.0.1:0",
        "--set", "feeds.listen=127.0.0.1:0",
        "--set", "gateway.metrics_listen=127.0.0.1:" + std::to_string(metrics_), "--set",
        "log.level=warn", "dev"});
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(gateway_),
                                   grpc::InsecureChannelCredentials());
    ASSERT_TRUE(channel_->WaitForConnected(Deadline(60))) << "crvs dev did not start";
  }
  void Kill() { process_->Stop(SIGKILL, 0); }
  int StopCleanly() { return process_->Stop(SIGINT, 15000); }

  // Submits death notices prefix-0 .. prefix-(n-1); returns how many got a COMMITTED receipt
  // (in `crvs dev` a receipt waits for the database: the in-memory broker does not outlive a
  // crash).
  int Submit(const std::string& prefix, int n) {
    auto stub = ingest::v1::HealthIngest::NewStub(channel_);
    int accepted = 0;
    for (int i = 0; i < n; ++i) {
      ingest::v1::IngestRequest request;
      request.set_message_id(prefix + "-" + std::to_string(i));
      request.set_action(records::v1::ACTION_SUBMIT);
      *request.mutable_death_notice() = testing::DeathNotice("GBT-" + prefix + "-" + std::to_string(i));
      ingest::v1::Receipt receipt;
      grpc::ClientContext context;
      context.AddMetadata("crvs-principal", "facility:BV01002");
      context.set_deadline(Deadline(20));
      grpc::Status s = stub->Submit(&context, request, &receipt);
      if (s.ok() && receipt.state() == ingest::v1::RECEIPT_STATE_COMMITTED) ++accepted;
    }
    return accepted;
  }

  int64_t Count(const std::string& sql) const {
    sqlite3* db = nullptr;
    int64_t n = -1;
    if (sqlite3_open_v2((dir_ + "/crvs.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_busy_timeout(db, 5000);
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
          sqlite3_step(stmt) == SQLITE_ROW) {
        n = sqlite3_column_int64(stmt, 0);
      }
      sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return n;
  }
  int64_t WaitForVersions(int64_t n, int timeout_s) {
    int64_t count = -1;
    for (int i = 0; i < timeout_s * 10; ++i) {
      count = Count("SELECT COUNT(*) FROM record_versions");
      if (count >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return count;
  }

  int ReadyStatus() {
    httplib::Client http("127.0.0.1", metrics_);
    auto res = http.Get("/readyz");
    return res ? res->status : -1;
  }
  // Acknowledges every open offset alarm through the admin service, as an operator; returns
  // how many there were.
  int AcknowledgeAlarms() {
    auto admin = admin::v1::Admin::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(admin_), grpc::InsecureChannelCredentials()));
    grpc::ClientContext list;
    list.AddMetadata("crvs-principal", "operator:lan");
    admin::v1::ListOffsetAlarmsResponse alarms;
    grpc::Status s = admin->ListOffsetAlarms(&list, {}, &alarms);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const auto& a : alarms.alarms()) {
      EXPECT_EQ(a.kind(), admin::v1::OffsetAlarm::LOG_RESET) << a.alarm_id();
      grpc::ClientContext ack;
      ack.AddMetadata("crvs-principal", "operator:lan");
      admin::v1::AcknowledgeOffsetAlarmRequest request;
      request.set_alarm_id(a.alarm_id());
      request.set_note("crvs dev restarted on purpose");
      admin::v1::OffsetAlarm acked;
      s = admin->AcknowledgeOffsetAlarm(&ack, request, &acked);
      EXPECT_TRUE(s.ok()) << s.error_message();
      EXPECT_EQ(acked.acknowledged_by(), "operator:lan");
    }
    return alarms.alarms_size();
  }
  int WaitForReady(int want, int timeout_s) {
    int ready = -1;
    for (int i = 0; i < timeout_s * 10 && ready != want; ++i) {
      ready = ReadyStatus();
      if (ready != want) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return ready;
  }

 private:
  std::string dir_;
  int gateway_ = FreePort(), admin_ = FreePort(), metrics_ = FreePort();
  std::unique_ptr<testing::Subprocess> process_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST(DevRestart, RecordsAcceptedAfterKillAndRestartOnAnExistingDatabaseAllLand) {
  char dir_template[] = "/tmp/crvs-dev-restart-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  Dev dev(dir);

  ASSERT_NO_FATAL_FAILURE(dev.Start());
  ASSERT_EQ(dev.Submit("first", 200), 200);
  // kill -9 the moment the last receipt arrived: the in-memory broker and its logs are gone,
  // the database keeps its positions — and every record that got a receipt.
  dev.Kill();
  EXPECT_EQ(dev.Count("SELECT COUNT(*) FROM record_versions"), 200)
      << "a receipt was given for a record the crash took with the in-memory broker";
  EXPECT_EQ(dev.Count("SELECT COUNT(*) FROM log_resets"), 0);
  ASSERT_NO_FATAL_FAILURE(dev.Start());
  ASSERT_EQ(dev.Submit("after-kill", 400), 400);
  EXPECT_EQ(dev.WaitForVersions(600, 60), 600) << "records accepted after the restart are missing";
  // Every message id once: nothing lost, nothing applied twice.
  EXPECT_EQ(dev.Count("SELECT COUNT(DISTINCT message_id) FROM record_versions"), 600);
  // The resets are recorded and keep the pipeline not ready until acknowledged.
  EXPECT_GT(dev.Count("SELECT COUNT(*) FROM log_resets"), 0);
  EXPECT_EQ(dev.WaitForReady(503, 10), 503)
      << "/readyz must fail while a log reset is not acknowledged";
  EXPECT_EQ(dev.AcknowledgeAlarms(), dev.Count("SELECT COUNT(*) FROM log_resets"));
  EXPECT_EQ(dev.WaitForReady(200, 10), 200) << "acknowledged: ready again";

  // A clean stop and start: the same, on the positions of the second log.
  EXPECT_EQ(dev.StopCleanly(), 0);
  ASSERT_NO_FATAL_FAILURE(dev.Start());
  ASSERT_EQ(dev.Submit("after-stop", 200), 200);
  EXPECT_EQ(dev.WaitForVersions(800, 60), 800) << "records accepted after a clean restart are missing";
  EXPECT_EQ(dev.Count("SELECT COUNT(DISTINCT message_id) FROM record_versions"), 800);
  EXPECT_EQ(dev.StopCleanly(), 0);
  testing::RunProgram({"rm", "-rf", dir});
}

}  // namespace
}  // namespace crvs::e2e
