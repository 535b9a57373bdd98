// Issue 6, "done when": a generated year of records (tests/e2e/reconcile/population.h: over
// 100,000 birth certificates, death notices and divorce decisions, with planted gaps, late
// syncs and mismatches, plus their registrations) pushed through the running pipeline —
// `crvs devbroker`, `crvs gateway`, `crvs sink` (SQLite), `crvs registry` and `crvs reconcile`
// as separate processes — after which every coverage figure and indicator the reconciliation
// service reports equals the population's own expected value (expected.h): counts exactly,
// percentages to 0.01 percentage point.
//
//   ninja -C build reconcile_population_test && build/tests/e2e/reconcile/reconcile_population_test
//
// Sources send as themselves (crvs-principal metadata): facilities over HealthIngest
// SubmitStream, courts over CourtIngest StreamDecisions, registry offices through
// Registry.RecordRegistration; each record's later version (amend or void) follows once every
// first version is acknowledged. Facilities and courts declare their manifests themselves; an
// operator loads the courts' backlog inventories and reads the reports.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include "crvs/reconcile/v1/reconciliation.grpc.pb.h"
#include "crvs/registry/v1/registry.grpc.pb.h"
#include "services/records/records.h"
#include "tests/e2e/pipeline_harness.h"
#include "tests/e2e/reconcile/expected.h"
#include "tests/e2e/reconcile/population.h"

namespace crvs::e2e {
namespace {

namespace pop = ::crvs::e2e::population;
namespace rec = ::crvs::reconcile::v1;
namespace v1 = ::crvs::records::v1;
using Clock = std::chrono::steady_clock;

constexpr size_t kManifestChunk = 10000;    // entries per DeclareManifestStream chunk
constexpr int kStreamAbove = 5000;          // larger manifests are streamed
constexpr int kRegistryClients = 4;         // concurrent registry-office callers
constexpr double kPercentTolerance = 0.01;  // percentage point
// Longest the test takes from generating to the last report, with room to spare.
constexpr absl::Duration kMidnightMargin = absl::Minutes(8);

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// The Vietnam date must not change while the test runs (a record committed after the end of
// the as-of day would not count), and the year must be old enough to hold a population.
// Waiting for midnight ends a second past it, and only once the clock says so: a sleep cut
// to whole milliseconds once woke a fraction of a millisecond early, the population was dated
// the day before (its calendar keeps whole seconds) and every record, committed after
// midnight, was unknown on that as-of day.
void StayClearOfMidnight() {
  const absl::TimeZone vn = pop::VietnamTime();
  const absl::Time now = absl::Now();
  const absl::Time midnight = absl::FromCivil(absl::ToCivilDay(now, vn) + 1, vn);
  const absl::Time resume =
      midnight - now < kMidnightMargin ? midnight + absl::Seconds(1) : now;
  const absl::Time year_start = absl::FromCivil(absl::ToCivilYear(resume, vn), vn);
  const absl::Time start = std::max(resume, year_start + pop::kMinTimeIntoYear);
  for (absl::Time t = absl::Now(); t < start; t = absl::Now()) {
    std::this_thread::sleep_for(absl::ToChronoMicroseconds(start - t) +
                                std::chrono::milliseconds(1));
  }
}

// A scratch directory, removed with its content at the end of the test.
class TempDir {
 public:
  TempDir() {
    char path[] = "/tmp/crvs-population-XXXXXX";
    path_ = mkdtemp(path);
  }
  ~TempDir() { testing::RunProgram({"rm", "-rf", path_}); }

  std::string Write(const std::string& name, const std::string& text) const {
    const std::string file = path_ + "/" + name;
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::string path_;
};

std::string Principal(const v1::RecordEnvelope& e) { return records::FormatPrincipal(e.source()); }

// --- pushing -----------------------------------------------------------------------------------

// One facility's records over HealthIngest.SubmitStream; returns how many were ACCEPTED.
int64_t StreamFacility(const Pipeline& p, const std::vector<const v1::RecordEnvelope*>& wave) {
  auto stub = p.Stub();
  grpc::ClientContext ctx;
  ctx.AddMetadata("crvs-principal", Principal(*wave.front()));
  auto stream = stub->SubmitStream(&ctx);
  std::thread writer([&] {
    for (const auto* e : wave) {
      if (!stream->Write(pop::HealthRequest(*e))) break;
    }
    stream->WritesDone();
  });
  int64_t accepted = 0;
  ingest::v1::Receipt receipt;
  while (stream->Read(&receipt)) {
    if (receipt.state() == ingest::v1::RECEIPT_STATE_ACCEPTED) ++accepted;
  }
  writer.join();
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << Principal(*wave.front()) << ": " << status.error_message();
  return accepted;
}

// One court's decisions over CourtIngest.StreamDecisions, in sequence order.
int64_t StreamCourt(const Pipeline& p, const std::vector<const v1::RecordEnvelope*>& wave) {
  auto stub = p.CourtStub();
  grpc::ClientContext ctx;
  ctx.AddMetadata("crvs-principal", Principal(*wave.front()));
  ingest::v1::StreamDecisionsResponse response;
  auto stream = stub->StreamDecisions(&ctx, &response);
  for (const auto* e : wave) {
    if (!stream->Write(pop::CourtRequest(*e))) break;
  }
  stream->WritesDone();
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << Principal(*wave.front()) << ": " << status.error_message();
  EXPECT_EQ(response.duplicates(), 0) << Principal(*wave.front());
  return response.accepted();
}

// Registrations through Registry.RecordRegistration, each as its registry office.
int64_t RecordRegistrations(int registry_port, const std::vector<const v1::RecordEnvelope*>& wave) {
  auto stub = registry::v1::Registry::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(registry_port), grpc::InsecureChannelCredentials()));
  int64_t committed = 0;
  for (const auto* e : wave) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("crvs-principal", Principal(*e));
    registry::v1::RecordRegistrationResponse response;
    const grpc::Status status = stub->RecordRegistration(&ctx, pop::RegistryRequest(*e), &response);
    if (status.ok()) {
      ++committed;
    } else {
      ADD_FAILURE() << records::KeyOf(*e).value << ": " << status.error_message();
    }
  }
  return committed;
}

// Sends a wave, every source concurrently; returns how many submissions were accepted.
int64_t PushWave(const Pipeline& p, int registry_port,
                 const std::vector<v1::RecordEnvelope>& wave) {
  std::map<std::string, std::vector<const v1::RecordEnvelope*>> by_source;
  std::vector<std::vector<const v1::RecordEnvelope*>> registrations(kRegistryClients);
  size_t next_client = 0;
  for (const auto& e : wave) {
    if (e.has_registration()) {
      registrations[next_client++ % kRegistryClients].push_back(&e);
    } else {
      by_source[Principal(e)].push_back(&e);
    }
  }
  std::atomic<int64_t> accepted{0};
  std::vector<std::thread> senders;
  for (const auto& [source, records] : by_source) {
    senders.emplace_back([&, records = &records] {
      accepted += records->front()->has_divorce_decision() ? StreamCourt(p, *records)
                                                           : StreamFacility(p, *records);
    });
  }
  for (const auto& client : registrations) {
    if (client.empty()) continue;
    senders.emplace_back(
        [&, client = &client] { accepted += RecordRegistrations(registry_port, *client); });
  }
  for (auto& t : senders) t.join();
  return accepted.load();
}

// --- reconciliation ----------------------------------------------------------------------------

class Reconciliation {
 public:
  explicit Reconciliation(int port)
      : stub_(rec::Reconciliation::NewStub(grpc::CreateChannel(
            "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()))) {}

  // Declares `m` as its own source, or (backlog inventories) as an operator on its behalf.
  // nullopt (and a test failure) when the service refuses it.
  std::optional<rec::ManifestAck> Declare(rec::Manifest m) {
    grpc::ClientContext ctx;
    if (m.backlog_inventory()) {
      ctx.AddMetadata("crvs-principal", "operator:e2e");
    } else {
      ctx.AddMetadata("crvs-principal", records::FormatPrincipal(m.source()));
      m.clear_source();
    }
    rec::ManifestAck ack;
    const grpc::Status status = m.entries_size() > kStreamAbove
                                    ? DeclareStream(&ctx, m, &ack)
                                    : stub_->DeclareManifest(&ctx, m, &ack);
    if (!status.ok()) {
      ADD_FAILURE() << m.manifest_id() << ": " << status.error_message();
      return std::nullopt;
    }
    return ack;
  }

  rec::CoverageReport Coverage(absl::CivilDay first, absl::CivilDay last, bool backlog) {
    rec::CoverageRequest request;
    *request.mutable_period_start() = Date(first);
    *request.mutable_period_end() = Date(last);
    request.set_backlog_inventory(backlog);
    rec::CoverageReport report;
    grpc::ClientContext ctx;
    ctx.AddMetadata("crvs-principal", "operator:e2e");
    const grpc::Status status = stub_->GetCoverage(&ctx, request, &report);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return report;
  }

  rec::IndicatorReport Indicators(const pop::Calendar& cal, rec::Breakdown breakdown) {
    rec::IndicatorsRequest request;
    request.set_period(cal.Period());
    *request.mutable_as_of() = Date(cal.today);
    request.set_breakdown(breakdown);
    rec::IndicatorReport report;
    grpc::ClientContext ctx;
    ctx.AddMetadata("crvs-principal", "operator:e2e");
    const grpc::Status status = stub_->GetIndicators(&ctx, request, &report);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return report;
  }

 private:
  static common::v1::LocalDate Date(absl::CivilDay d) {
    common::v1::LocalDate out;
    out.set_year(static_cast<int32_t>(d.year()));
    out.set_month(d.month());
    out.set_day(d.day());
    return out;
  }

  grpc::Status DeclareStream(grpc::ClientContext* ctx, const rec::Manifest& m,
                             rec::ManifestAck* ack) {
    auto stream = stub_->DeclareManifestStream(ctx, ack);
    rec::ManifestChunk chunk;
    *chunk.mutable_header() = m;
    chunk.mutable_header()->clear_entries();
    for (int i = 0; i < m.entries_size(); ++i) {
      *chunk.add_entries() = m.entries(i);
      if (chunk.entries_size() == static_cast<int>(kManifestChunk) || i + 1 == m.entries_size()) {
        if (!stream->Write(chunk)) break;
        chunk.Clear();
      }
    }
    stream->WritesDone();
    return stream->Finish();
  }

  std::unique_ptr<rec::Reconciliation::Stub> stub_;
};

// --- comparing ---------------------------------------------------------------------------------

pop::CoverageCounts CountsOf(const rec::CoverageRow& row) {
  return {row.declared(),         row.present(), row.present_on_time(),
          row.content_mismatch(), row.missing(), row.extra()};
}

void ExpectPercents(const rec::CoverageRow& row, const std::string& what) {
  const double declared = static_cast<double>(row.declared());
  EXPECT_NEAR(row.coverage_percent(), declared ? 100.0 * row.present() / declared : 0,
              kPercentTolerance)
      << what;
  EXPECT_NEAR(row.on_time_percent(), declared ? 100.0 * row.present_on_time() / declared : 0,
              kPercentTolerance)
      << what;
}

void ExpectCoverage(const rec::CoverageReport& report, const pop::CoverageRows& expected) {
  pop::CoverageRows actual;
  for (const auto& row : report.rows()) {
    actual[{records::FormatPrincipal(row.source()), row.kind()}] = CountsOf(row);
    ExpectPercents(row, records::FormatPrincipal(row.source()));
  }
  for (const auto& [source_kind, counts] : expected) {
    const std::string what = source_kind.first + " " + v1::RecordKind_Name(source_kind.second);
    auto it = actual.find(source_kind);
    if (it == actual.end()) {
      ADD_FAILURE() << "no coverage row for " << what;
      continue;
    }
    EXPECT_EQ(it->second, counts) << what;
  }
  EXPECT_EQ(actual.size(), expected.size()) << "rows of sources that declared nothing";
  EXPECT_EQ(CountsOf(report.total()), pop::Total(expected)) << "total";
  const rec::CoverageRow& t = report.total();
  std::printf("[ figure ] coverage total: declared %lld present %lld on time %lld mismatch %lld "
              "missing %lld extra %lld (%.2f %% / %.2f %% on time)\n",
              static_cast<long long>(t.declared()), static_cast<long long>(t.present()),
              static_cast<long long>(t.present_on_time()),
              static_cast<long long>(t.content_mismatch()), static_cast<long long>(t.missing()),
              static_cast<long long>(t.extra()), t.coverage_percent(), t.on_time_percent());
  ExpectPercents(report.total(), "total");
}

struct Targets {
  std::optional<double> y2028, y2030;
};
const std::map<std::string, Targets>& PlanTargets() {  // docs/indicators.md, "Targets"
  static const auto* targets = new std::map<std::string, Targets>{
      {"B1", {95, 98.5}}, {"B2", {98, 99}}, {"B3", {95, {}}}, {"D1", {85, 90}},   {"D2", {90, 95}},
      {"D3", {{}, 100}},  {"D4", {80, 90}}, {"D5", {75, 80}}, {"V1", {100, 100}}, {"V2", {85, 95}}};
  return *targets;
}

template <class T>
std::optional<T> Optional(bool present, T value) {
  return present ? std::optional<T>(value) : std::nullopt;
}

// A total row's targets are the plan's, and met says whether its percent reaches them.
void ExpectTargets(const rec::IndicatorValue& v) {
  const Targets& t = PlanTargets().at(v.id());
  const auto percent = Optional(v.has_percent(), v.percent());
  const auto met = [&](const std::optional<double>& target) {
    return percent && target ? std::optional<bool>(*percent >= *target) : std::nullopt;
  };
  EXPECT_EQ(Optional(v.has_target_2028(), v.target_2028()), t.y2028) << v.id();
  EXPECT_EQ(Optional(v.has_target_2030(), v.target_2030()), t.y2030) << v.id();
  EXPECT_EQ(Optional(v.has_met_2028(), v.met_2028()), met(t.y2028)) << v.id();
  EXPECT_EQ(Optional(v.has_met_2030(), v.met_2030()), met(t.y2030)) << v.id();
}

// Compares every row of `report` with `expected`; a group absent on one side counts as zeros.
void ExpectIndicators(const rec::IndicatorReport& report, const pop::IndicatorTable& expected,
                      bool by_province) {
  std::map<std::string, std::map<std::string, const rec::IndicatorValue*>> actual;
  for (const auto& v : report.values()) {
    EXPECT_EQ(v.area(), "VN");
    actual[v.id()][v.breakdown_key()] = &v;
    if (v.breakdown_key().empty()) ExpectTargets(v);
  }
  for (const auto& [id, targets] : PlanTargets()) {
    std::map<std::string, pop::IndicatorCounts> groups;
    if (auto e = expected.find(id); e != expected.end()) groups = e->second;
    if (!by_province) groups = {{"", groups[""]}};
    for (const auto& [key, value] : actual[id]) groups.emplace(key, pop::IndicatorCounts{});
    ASSERT_TRUE(actual[id].count("")) << id << ": no total row";
    for (const auto& [key, want] : groups) {
      const std::string what = id + (key.empty() ? " total" : " province " + key);
      auto it = actual[id].find(key);
      const pop::IndicatorCounts got =
          it == actual[id].end()
              ? pop::IndicatorCounts{}
              : pop::IndicatorCounts{it->second->numerator(), it->second->denominator(),
                                     it->second->open_not_mature()};
      EXPECT_EQ(got, want) << what;
      if (!by_province) {  // the national figures, for the log
        std::printf("[ figure ] %s %lld/%lld open %lld (expected %lld/%lld open %lld)\n",
                    what.c_str(), static_cast<long long>(got.numerator),
                    static_cast<long long>(got.denominator), static_cast<long long>(got.open_not_mature),
                    static_cast<long long>(want.numerator),
                    static_cast<long long>(want.denominator), static_cast<long long>(want.open_not_mature));
      }
      if (it == actual[id].end()) continue;
      ASSERT_EQ(it->second->has_percent(), want.Percent().has_value()) << what;
      if (want.Percent()) {
        EXPECT_NEAR(it->second->percent(), *want.Percent(), kPercentTolerance) << what;
      }
    }
  }
}

// --- the test ----------------------------------------------------------------------------------

TEST(ReconcilePopulation, EveryCoverageFigureAndIndicatorEqualsTheGeneratorsOwn) {
  StayClearOfMidnight();
  auto start = Clock::now();
  auto generated = pop::Generate(pop::Options{});
  ASSERT_TRUE(generated.ok()) << generated.status();
  const pop::Population& population = *generated;
  const pop::Calendar& cal = population.calendar;
  std::printf("[ timing ] generated %zu submissions + %zu changes, %zu manifests: %.1f s\n",
              population.submits.size(), population.changes.size(), population.manifests.size(),
              Seconds(start));

  Pipeline p(Backend::kSqlite, /*partitions=*/24);
  p.StartGateway();
  p.StartSink();
  const int registry_port = p.StartRegistry();
  const TempDir dir;
  const int reconcile_port =
      p.StartReconcile({"reconcile.reference_communes_file=" +
                            dir.Write("communes.csv", pop::CommunesCsv(population)),
                        // Its own small register: no pre-2025 mapping (every code is today's).
                        "reconcile.reference_communes_before_2025_file=" +
                            dir.Write("communes-before-2025.csv",
                                      "old_commune_code,old_province_code,old_name,commune_code,"
                                      "province_code,counted_here,note\n"),
                        "reconcile.reference_sources_file=" +
                            dir.Write("sources.csv", pop::SourcesCsv(population))});

  start = Clock::now();
  EXPECT_EQ(PushWave(p, registry_port, population.submits),
            static_cast<int64_t>(population.submits.size()));
  EXPECT_EQ(PushWave(p, registry_port, population.changes),
            static_cast<int64_t>(population.changes.size()));
  const int64_t versions =
      static_cast<int64_t>(population.submits.size() + population.changes.size());
  std::printf("[ timing ] pushed through the gateway and registry: %.1f s\n", Seconds(start));
  ASSERT_EQ(p.WaitForCount("SELECT count(*) FROM record_versions", versions, 300), versions);
  std::printf("[ timing ] all committed in the database: %.1f s after the first send\n",
              Seconds(start));
  EXPECT_EQ(p.Count("SELECT count(*) FROM records"),
            static_cast<int64_t>(population.submits.size()));
  EXPECT_EQ(p.Count("SELECT count(*) FROM dead_letters"), 0);

  start = Clock::now();
  Reconciliation reconciliation(reconcile_port);
  int refused = 0;
  for (const auto& m : population.manifests) {
    const std::optional<rec::ManifestAck> ack = reconciliation.Declare(m);
    if (!ack) {
      ++refused;
      continue;
    }
    const pop::AckCounts want = pop::ExpectedAck(m);
    EXPECT_EQ(ack->entries(), want.entries) << m.manifest_id();
    EXPECT_EQ(ack->duplicate_entries(), want.duplicate_entries) << m.manifest_id();
  }
  std::printf("[ timing ] declared %zu manifests: %.1f s\n", population.manifests.size(),
              Seconds(start));
  ASSERT_EQ(refused, 0) << "manifests refused: no coverage figure can match";

  start = Clock::now();
  ExpectCoverage(reconciliation.Coverage(cal.first_day, cal.today, false),
                 pop::ExpectedCoverage(population, {cal.first_day, cal.today, false}));
  ExpectCoverage(
      reconciliation.Coverage(pop::kBacklogFirstDay, pop::kBacklogLastDay, true),
      pop::ExpectedCoverage(population, {pop::kBacklogFirstDay, pop::kBacklogLastDay, true}));
  const pop::IndicatorTable indicators = pop::ExpectedIndicators(population);
  ExpectIndicators(reconciliation.Indicators(cal, rec::BREAKDOWN_NONE), indicators, false);
  ExpectIndicators(reconciliation.Indicators(cal, rec::BREAKDOWN_PROVINCE), indicators, true);
  std::printf("[ timing ] coverage and indicators: %.1f s\n", Seconds(start));
}

}  // namespace
}  // namespace crvs::e2e
