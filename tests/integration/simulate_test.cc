// `crvs dev --simulate`, the README's run command, as a process on free ports: within seconds
// every kind of record has landed in the database (read back through the registry), the
// facilities' manifests leave gaps in the coverage the reconciler reports, the silent facility
// shows in its silent-source list, and the gateway's /metrics counts the planted invalid
// records it rejected.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <absl/time/civil_time.h>
#include <absl/time/clock.h>
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "crvs/reconcile/v1/reconciliation.grpc.pb.h"
#include "crvs/registry/v1/registry.grpc.pb.h"
#include "services/simulate/people.h"
#include "tests/support/console_session.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"

namespace crvs {
namespace {

namespace rv1 = ::crvs::records::v1;

int FreePort() { return testing::FreeLoopbackPort(); }

std::string Local(int port) { return "127.0.0.1:" + std::to_string(port); }

template <class Context>
void AsOperator(Context& context) {
  context.AddMetadata("crvs-principal", "operator:ops-1");
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

// Sum of the gateway's `family` samples whose labels include `label` (e.g.
// code="INVALID_ARGUMENT"); -1 if unreadable.
double GatewayCounter(int metrics_port, const std::string& family, const std::string& label) {
  httplib::Client client("127.0.0.1", metrics_port);
  auto res = client.Get("/metrics");
  if (!res || res->status != 200) return -1;
  std::istringstream lines(res->body);
  double sum = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(family + "{", 0) != 0) continue;
    if (line.find(label) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// Records the gateway refused as invalid.
double GatewayRejections(int metrics_port) {
  return GatewayCounter(metrics_port, "crvs_gateway_calls_total", "code=\"INVALID_ARGUMENT\"");
}

// Signed XML documents of the simulated facilities that speak documents, accepted.
double GatewayDocumentsAccepted(int metrics_port) {
  return GatewayCounter(metrics_port, "crvs_gateway_documents_total", "outcome=\"accepted\"");
}

// What the database holds, as the registry lists it.
struct Landed {
  std::map<rv1::RecordKind, int> records;
  std::set<rv1::RegistrationKind> registration_kinds;
  int amended = 0;  // current_version > 1
  int voided = 0;
  // Certificates and notices whose stored envelope came from a hospital document
  // (RecordEnvelope.source_document: sent through SubmitDocument).
  int from_documents = 0;
};

Landed ListEverything(registry::v1::Registry::Stub& registry) {
  Landed landed;
  for (auto kind : {rv1::RECORD_KIND_BIRTH_CERTIFICATE, rv1::RECORD_KIND_DEATH_NOTICE,
                    rv1::RECORD_KIND_DIVORCE_DECISION, rv1::RECORD_KIND_REGISTRATION}) {
    std::string token;
    for (int page = 0; page < 20; ++page) {
      grpc::ClientContext context;
      AsOperator(context);
      registry::v1::ListRecordsRequest request;
      request.set_kind(kind);
      request.set_page_size(1000);
      request.set_page_token(token);
      registry::v1::ListRecordsResponse response;
      if (!registry.ListRecords(&context, request, &response).ok()) break;
      for (const auto& view : response.records()) {
        ++landed.records[kind];
        if (view.current_version() > 1) ++landed.amended;
        if (view.state() == registry::v1::RECORD_STATE_VOIDED) ++landed.voided;
        for (const auto& version : view.versions()) {
          if (version.envelope().has_source_document()) {
            ++landed.from_documents;
            break;
          }
        }
        if (kind == rv1::RECORD_KIND_REGISTRATION && view.versions_size() > 0) {
          landed.registration_kinds.insert(view.versions(0).envelope().registration().kind());
        }
      }
      token = response.next_page_token();
      if (token.empty()) break;
    }
  }
  return landed;
}

TEST(SimulateCommand, DevSimulateFeedsEveryKindOfRecordThroughThePipeline) {
  const auto started = std::chrono::steady_clock::now();
  char dir_template[] = "/tmp/crvs-simulate-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const int gateway = FreePort(), registry = FreePort(), reconcile = FreePort(),
            metrics = FreePort(), console = FreePort();
  testing::Subprocess dev({CRVS_BINARY,
                           "--set", "database.url=sqlite:" + dir + "/crvs.db",
                           "--set", "gateway.listen=" + Local(gateway),
                           "--set", "registry.listen=" + Local(registry),
                           "--set", "reconcile.listen=" + Local(reconcile),
                           "--set", "gateway.metrics_listen=" + Local(metrics),
                           // Port 0: the console of `crvs dev` must dial the port the admin
                           // service bound, not the configured 0.
                           "--set", "admin.listen=127.0.0.1:0",
                           "--set", "feeds.listen=127.0.0.1:0",
                           "--set", "console.listen=" + Local(console),
                           "--set", "console.sample_interval=1s",
                           "--set", "log.level=warn",
                           // A simulated day per second: registrations, legal effects, amends
                           // and voids all come within the test.
                           "--set", "simulate.time_scale=86400",
                           "--set", "simulate.invalid_percent=10",
                           "--set", "simulate.missing_percent=5",
                           "--set", "simulate.void_percent=5",
                           // Half the facilities send signed XML documents (SubmitDocument).
                           "--set", "simulate.document_share=0.5",
                           // The silent facility is a small clinic (a few records in 10 s):
                           // 20 s of its traffic let the reconciler learn its cadence even when
                           // a loaded or sanitized machine bunches its submissions.
                           "--set", "simulate.silent_after=20s",
                           "--set", "simulate.manifest_interval=2s",
                           "--set", "reconcile.silent_min_quiet=4s",
                           "dev", "--simulate"});

  auto deadline = [](int s) { return std::chrono::system_clock::now() + std::chrono::seconds(s); };
  auto registry_channel = grpc::CreateChannel(Local(registry), grpc::InsecureChannelCredentials());
  auto reconcile_channel =
      grpc::CreateChannel(Local(reconcile), grpc::InsecureChannelCredentials());
  ASSERT_TRUE(registry_channel->WaitForConnected(deadline(30)));
  ASSERT_TRUE(reconcile_channel->WaitForConnected(deadline(30)));
  auto registry_stub = registry::v1::Registry::NewStub(registry_channel);
  auto reconcile_stub = reconcile::v1::Reconciliation::NewStub(reconcile_channel);

  const std::string silent = simulate::MakeFacilities(12).back().code;  // simulate.facilities
  const absl::CivilDay today =
      absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(7 * 3600));  // Vietnam
  Landed landed;
  reconcile::v1::CoverageReport coverage;
  std::vector<std::string> silent_sources;
  double rejected = -1;
  double documents = -1;
  std::string silent_error;  // the last ListSilentSources failure, for the failure message
  auto all_seen = [&] {
    for (auto kind : {rv1::RECORD_KIND_BIRTH_CERTIFICATE, rv1::RECORD_KIND_DEATH_NOTICE,
                      rv1::RECORD_KIND_DIVORCE_DECISION, rv1::RECORD_KIND_REGISTRATION}) {
      if (landed.records[kind] == 0) return false;
    }
    bool silent_listed = false;
    for (const auto& code : silent_sources) silent_listed |= code == silent;
    return landed.registration_kinds.size() == 3 && landed.amended > 0 && landed.voided > 0 &&
           coverage.total().missing() > 0 && silent_listed && rejected > 0 &&
           landed.from_documents > 0 && documents > 0;
  };
  // Typically all there after 25-30 s (the silent facility needs 20 s to go quiet, then a few
  // times its cadence); 120 s leaves room for a loaded machine and a sanitizer build (the loop
  // ends as soon as everything is seen).
  while (std::chrono::steady_clock::now() - started < std::chrono::seconds(120)) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    landed = ListEverything(*registry_stub);
    {
      grpc::ClientContext context;
      AsOperator(context);
      reconcile::v1::CoverageRequest request;
      request.mutable_period_start()->set_year(static_cast<int32_t>(today.year()));
      request.mutable_period_start()->set_month(today.month());
      request.mutable_period_start()->set_day(1);
      request.mutable_period_end()->set_year(static_cast<int32_t>(today.year()));
      request.mutable_period_end()->set_month(today.month());
      request.mutable_period_end()->set_day(today.day());
      reconcile::v1::CoverageReport report;
      if (reconcile_stub->GetCoverage(&context, request, &report).ok()) coverage = report;
    }
    {
      grpc::ClientContext context;
      AsOperator(context);
      reconcile::v1::ListSilentSourcesRequest request;
      reconcile::v1::ListSilentSourcesResponse response;
      silent_sources.clear();
      grpc::Status listed = reconcile_stub->ListSilentSources(&context, request, &response);
      if (listed.ok()) {
        for (const auto& s : response.silent_sources()) silent_sources.push_back(s.source().code());
      } else {
        silent_error = std::to_string(listed.error_code()) + " " + listed.error_message();
      }
    }
    rejected = GatewayRejections(metrics);
    documents = GatewayDocumentsAccepted(metrics);
    if (all_seen()) break;
  }
  std::cerr << "simulate_test: checked after "
            << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                started).count()
            << " s\n";

  EXPECT_GT(landed.records[rv1::RECORD_KIND_BIRTH_CERTIFICATE], 0);
  EXPECT_GT(landed.records[rv1::RECORD_KIND_DEATH_NOTICE], 0);
  EXPECT_GT(landed.records[rv1::RECORD_KIND_DIVORCE_DECISION], 0);
  EXPECT_GT(landed.records[rv1::RECORD_KIND_REGISTRATION], 0);
  EXPECT_EQ(landed.registration_kinds.size(), 3u) << "births, deaths and divorces noted";
  EXPECT_GT(landed.amended, 0);
  EXPECT_GT(landed.voided, 0);
  EXPECT_GT(coverage.total().declared(), 0);
  EXPECT_GT(coverage.total().missing(), 0) << "facilities declare records they never sent";
  EXPECT_LT(coverage.total().coverage_percent(), 100);
  EXPECT_GT(coverage.total().present(), coverage.total().missing());
  EXPECT_TRUE(std::find(silent_sources.begin(), silent_sources.end(), silent) !=
              silent_sources.end())
      << silent << " went quiet after 20 s; last ListSilentSources error: " << silent_error;
  EXPECT_GT(rejected, 0) << "the gateway rejects the planted invalid records";
  EXPECT_GT(documents, 0) << "the document-speaking facilities' XML is accepted";
  EXPECT_GT(landed.from_documents, 0) << "records stored with their source document";

  // The console reaches this process's admin service (it listens on a port it picked), for
  // an operator signed in with an account made while the pipeline runs.
  auto added = testing::AddConsoleOperator(CRVS_BINARY, "sqlite:" + dir + "/crvs.db", "tester",
                                           "viewer");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  httplib::Client console_client("127.0.0.1", console);
  std::string sign_in_error;
  const httplib::Headers session = testing::SignInToConsole(console_client, "tester",
                                                            &sign_in_error);
  ASSERT_FALSE(session.empty()) << sign_in_error;
  auto status = console_client.Get("/api/status", session);
  ASSERT_TRUE(status) << "console on port " << console << " did not answer";
  const auto admin = nlohmann::json::parse(status->body, nullptr, false)["admin"];
  EXPECT_EQ(admin["ok"], true) << admin.dump();

  EXPECT_EQ(dev.Stop(SIGINT, 15000), 0) << "crvs dev --simulate must shut down cleanly";
  testing::RunProgram({"rm", "-rf", dir});
}

}  // namespace
}  // namespace crvs
