// The README's run command, `crvs dev`, as a newcomer meets it: one process that takes a death
// notice over gRPC and shows it, committed, through the registry service and in the
// reconciler's indicators.
#include <chrono>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "crvs/reconcile/v1/reconciliation.grpc.pb.h"
#include "crvs/registry/v1/registry.grpc.pb.h"
#include "tests/e2e/pipeline_harness.h"
#include "tests/support/fixtures.h"
#include "tests/support/subprocess.h"

namespace crvs::e2e {
namespace {

TEST(DevCommand, RunsGatewaySinkAndRegistryEndToEnd) {
  char dir_template[] = "/tmp/crvs-dev-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  int gateway = FreePort(), registry = FreePort(), metrics = FreePort(), reconcile = FreePort(),
      admin = FreePort();
  testing::Subprocess dev({CRVS_BINARY, "--set", "database.url=sqlite:" + dir + "/crvs.db",
                           "--set", "gateway.listen=127.0.0.1:" + std::to_string(gateway),
                           "--set", "registry.listen=127.0.0.1:" + std::to_string(registry),
                           "--set", "reconcile.listen=127.0.0.1:" + std::to_string(reconcile),
                           "--set", "admin.listen=127.0.0.1:" + std::to_string(admin),
                           "--set", "console.listen=127.0.0.1:0",
                           "--set", "feeds.listen=127.0.0.1:0",
                           "--set", "gateway.metrics_listen=127.0.0.1:" + std::to_string(metrics),
                           "--set", "log.level=warn", "dev"});

  auto deadline = [](int s) { return std::chrono::system_clock::now() + std::chrono::seconds(s); };
  auto gw = grpc::CreateChannel("127.0.0.1:" + std::to_string(gateway), grpc::InsecureChannelCredentials());
  auto reg = grpc::CreateChannel("127.0.0.1:" + std::to_string(registry), grpc::InsecureChannelCredentials());
  ASSERT_TRUE(gw->WaitForConnected(deadline(30)));
  ASSERT_TRUE(reg->WaitForConnected(deadline(30)));

  ingest::v1::IngestRequest request;
  request.set_message_id("dev-1");
  request.set_action(records::v1::ACTION_SUBMIT);
  *request.mutable_death_notice() = testing::DeathNotice();
  ingest::v1::Receipt receipt;
  grpc::ClientContext submit;
  submit.AddMetadata("crvs-principal", "facility:BV01002");
  submit.set_deadline(deadline(20));
  grpc::Status s = ingest::v1::HealthIngest::NewStub(gw)->Submit(&submit, request, &receipt);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // The embedded broker is in memory: a receipt in `crvs dev` waits for the database commit.
  EXPECT_EQ(receipt.state(), ingest::v1::RECEIPT_STATE_COMMITTED) << receipt.ShortDebugString();
  EXPECT_EQ(receipt.version(), 1);

  auto stub = registry::v1::Registry::NewStub(reg);
  registry::v1::RecordView view;
  registry::v1::PersonStatus person;
  grpc::Status found;
  for (int i = 0; i < 100; ++i) {  // the sink commits within a batch interval
    grpc::ClientContext get;
    get.AddMetadata("crvs-principal", "operator:ops-1");
    registry::v1::GetRecordRequest r;
    r.set_business_key(receipt.business_key());
    found = stub->GetRecord(&get, r, &view);
    if (found.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(found.ok()) << found.error_message();
  EXPECT_EQ(view.business_key(), "death/BV01002/GBT-2026-000045");
  ASSERT_EQ(view.versions_size(), 1);
  EXPECT_EQ(view.versions(0).message_id(), "dev-1");

  grpc::ClientContext status;
  status.AddMetadata("crvs-principal", "operator:ops-1");
  registry::v1::GetPersonStatusRequest who;
  who.mutable_personal_id()->set_number("001052003456");
  ASSERT_TRUE(stub->GetPersonStatus(&status, who, &person).ok());
  EXPECT_EQ(person.vital_status(), registry::v1::VITAL_STATUS_DECEASED);

  // The reconciler counts the notice in D5 (deaths in a facility in 2026).
  auto rec = reconcile::v1::Reconciliation::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(reconcile), grpc::InsecureChannelCredentials()));
  grpc::ClientContext indicators;
  indicators.AddMetadata("crvs-principal", "operator:ops-1");
  reconcile::v1::IndicatorsRequest ask;
  ask.set_period("2026");
  ask.add_indicator_ids("D5");
  reconcile::v1::IndicatorReport report;
  grpc::Status computed = rec->GetIndicators(&indicators, ask, &report);
  ASSERT_TRUE(computed.ok()) << computed.error_message();
  ASSERT_GE(report.values_size(), 1);
  EXPECT_EQ(report.values(0).id(), "D5");
  EXPECT_EQ(report.values(0).denominator(), 1);
  EXPECT_EQ(report.values(0).numerator(), 1);  // I21.9 is a certified cause

  // With no reference file configured, the register since 2025-07-01 is built in: a province
  // breakdown places the death (commune 00004) in Hà Nội (01), and a filter on any of the 34
  // provinces and any of the 3,321 communes of deploy/reference/communes.csv is answered.
  auto ask_for = [&](const std::string& province, const std::string& commune,
                     reconcile::v1::Breakdown breakdown, reconcile::v1::IndicatorReport* out) {
    grpc::ClientContext call;
    call.AddMetadata("crvs-principal", "operator:ops-1");
    reconcile::v1::IndicatorsRequest r = ask;
    r.set_province_code(province);
    r.set_commune_code(commune);
    r.set_breakdown(breakdown);
    return rec->GetIndicators(&call, r, out);
  };
  reconcile::v1::IndicatorReport by_province;
  grpc::Status s2 = ask_for("", "", reconcile::v1::BREAKDOWN_PROVINCE, &by_province);
  ASSERT_TRUE(s2.ok()) << s2.error_message();
  ASSERT_EQ(by_province.values_size(), 2) << by_province.ShortDebugString();
  EXPECT_EQ(by_province.values(1).breakdown_key(), "01");
  EXPECT_EQ(by_province.values(1).denominator(), 1);
  std::set<std::string> provinces;
  int communes = 0, commune_errors = 0, hanoi_deaths = 0;
  std::ifstream register_csv(std::string(CRVS_SOURCE_DIR) + "/deploy/reference/communes.csv");
  std::string line;
  std::getline(register_csv, line);  // the header
  while (std::getline(register_csv, line)) {
    const std::string commune = line.substr(0, 5), province = line.substr(6, 2);
    provinces.insert(province);
    ++communes;
    reconcile::v1::IndicatorReport one;
    grpc::Status st = ask_for("", commune, reconcile::v1::BREAKDOWN_NONE, &one);
    if (!st.ok() || one.values_size() != 1 || one.values(0).area() != commune) ++commune_errors;
    if (st.ok() && one.values_size() == 1) hanoi_deaths += one.values(0).denominator();
  }
  EXPECT_EQ(communes, 3321);
  EXPECT_EQ(commune_errors, 0) << "commune filters not answered";
  EXPECT_EQ(hanoi_deaths, 1) << "the death counts in exactly one commune";
  ASSERT_EQ(provinces.size(), 34u);
  for (const std::string& province : provinces) {
    reconcile::v1::IndicatorReport one;
    grpc::Status st = ask_for(province, "", reconcile::v1::BREAKDOWN_COMMUNE, &one);
    ASSERT_TRUE(st.ok()) << province << ": " << st.error_message();
    ASSERT_GE(one.values_size(), 1);
    EXPECT_EQ(one.values(0).area(), province);
    EXPECT_EQ(one.values(0).denominator(), province == "01" ? 1 : 0) << province;
  }

  // Components stop in reverse order; the registry gives in-flight calls 2 s. 15 s leaves room
  // for a loaded CI machine without accepting a hang.
  EXPECT_EQ(dev.Stop(SIGINT, 15000), 0) << "crvs dev must shut down cleanly on Ctrl-C";
  testing::RunProgram({"rm", "-rf", dir});
}

}  // namespace
}  // namespace crvs::e2e
