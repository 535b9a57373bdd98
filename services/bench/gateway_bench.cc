#include "services/bench/gateway_bench.h"
#include "services/platform/elapsed.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include "connectors/registry_sink/registry_sink.h"
#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "services/auth/credentials.h"
#include "services/bench/bench_records.h"
#include "services/gateway/gateway.h"
#include "services/platform/mutex.h"
#include "services/platform/status.h"
#include "services/records/records.h"
#include "services/store/raw_upsert_probe.h"
#include "services/store/store.h"
#include "services/validation/reference_data.h"

namespace crvs::bench {
namespace {

namespace ingest = ::crvs::ingest::v1;
using Clock = std::chrono::steady_clock;

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0) return std::atoll(line.c_str() + n);
  }
  return 0;
}

// Message ids "gb-<run>-<i>": the run makes them unique across runs on one database, and the
// index finds the record's times.
std::string MessageId(const std::string& run, int64_t i) { return "gb-" + run + "-" + std::to_string(i); }

int64_t IndexOf(const std::string& run, const std::string& message_id) {
  const std::string prefix = "gb-" + run + "-";
  if (message_id.compare(0, prefix.size(), prefix) != 0) return -1;
  return std::atoll(message_id.c_str() + prefix.size());
}

// Everything the client threads share. Times are wall-clock µs; 0 = not yet.
struct Run {
  std::string id;
  int64_t capacity = 0;
  std::unique_ptr<std::atomic<int64_t>[]> submitted_us;
  std::unique_ptr<std::atomic<int64_t>[]> receipt_us;
  std::atomic<int64_t> next{0};      // next record index to send
  std::atomic<int64_t> submitted{0};
  std::atomic<int64_t> accepted{0}, rejected{0}, failed{0};
  std::atomic<bool> stop{false};
  platform::Mutex error_mu;
  std::string first_error;

  void Error(const std::string& e) {
    platform::MutexLock lock(&error_mu);
    if (first_error.empty()) first_error = e;
  }
};

ingest::IngestRequest Request(const std::string& run, int64_t i, int births_percent) {
  ingest::IngestRequest r;
  r.set_message_id(MessageId(run, i));
  r.set_action(records::v1::ACTION_SUBMIT);
  // A spread-out mix: record i is a birth when (i * 37) mod 100 falls below the percentage.
  if ((i * 37) % 100 < births_percent) {
    *r.mutable_birth_certificate() = BenchBirthCertificate(run, i);
  } else {
    *r.mutable_death_notice() = BenchDeathNotice(run, i);
  }
  return r;
}

// Claims the next index to send, waiting for its slot in the schedule. -1 when done.
int64_t Claim(Run& run, const GatewayBenchInputs& in, Clock::time_point start,
              Clock::time_point end) {
  int64_t i = run.next.fetch_add(1);
  int64_t limit = in.records > 0 ? in.records : run.capacity;
  if (i >= limit || i >= run.capacity || run.stop) return -1;
  if (in.rate > 0) {
    auto due = start + std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / in.rate));
    std::this_thread::sleep_until(due);
  }
  if (in.duration > absl::ZeroDuration() && Clock::now() >= end) return -1;
  return i;
}

void Receipt(Run& run, const ingest::Receipt& receipt) {
  int64_t i = IndexOf(run.id, receipt.message_id());
  if (i < 0 || i >= run.capacity) return;
  run.receipt_us[i].store(NowUs());
  switch (receipt.state()) {
    case ingest::RECEIPT_STATE_ACCEPTED:
    case ingest::RECEIPT_STATE_COMMITTED: run.accepted++; break;
    case ingest::RECEIPT_STATE_REJECTED:
      run.rejected++;
      run.Error("REJECTED " + receipt.message_id() + ": " + receipt.error().message());
      break;
    default:
      run.failed++;
      run.Error("receipt state " + std::to_string(receipt.state()) + ": " + receipt.error().message());
  }
}

void UnaryClient(Run& run, const GatewayBenchInputs& in, ingest::HealthIngest::Stub& stub,
                 Clock::time_point start, Clock::time_point end) {
  for (int64_t i; (i = Claim(run, in, start, end)) >= 0;) {
    ingest::IngestRequest request = Request(run.id, i, in.births_percent);
    grpc::ClientContext context;
    context.AddMetadata("crvs-principal", std::string("facility:") + kBenchFacility);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    ingest::Receipt receipt;
    run.submitted_us[i].store(NowUs());
    run.submitted++;
    grpc::Status st = stub.Submit(&context, request, &receipt);
    if (!st.ok()) {
      run.receipt_us[i].store(NowUs());
      if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
        run.rejected++;
      } else {
        run.failed++;
      }
      run.Error("Submit: " + st.error_message());
      continue;
    }
    Receipt(run, receipt);
  }
}

void StreamClient(Run& run, const GatewayBenchInputs& in, ingest::HealthIngest::Stub& stub,
                  Clock::time_point start, Clock::time_point end) {
  grpc::ClientContext context;
  context.AddMetadata("crvs-principal", std::string("facility:") + kBenchFacility);
  auto stream = stub.SubmitStream(&context);
  std::atomic<int64_t> written{0}, answered{0};
  std::thread reader([&] {
    ingest::Receipt receipt;
    while (stream->Read(&receipt)) {
      Receipt(run, receipt);
      answered++;
    }
  });
  for (int64_t i; (i = Claim(run, in, start, end)) >= 0;) {
    ingest::IngestRequest request = Request(run.id, i, in.births_percent);
    run.submitted_us[i].store(NowUs());
    run.submitted++;
    if (!stream->Write(request)) {
      run.receipt_us[i].store(NowUs());
      run.failed++;
      run.Error("SubmitStream: the stream closed while writing");
      break;
    }
    written++;
  }
  stream->WritesDone();
  reader.join();
  grpc::Status st = stream->Finish();
  if (!st.ok()) run.Error("SubmitStream: " + st.error_message());
  if (answered < written) {
    run.failed += written - answered;
    run.Error("SubmitStream: " + std::to_string(written - answered) + " records without a receipt");
  }
}

struct CommitTimes {
  std::vector<std::pair<int64_t, int64_t>> rows;  // (index, committed_at_us)
};

// The run's commit times from the sink's idempotency table, of commits after `after_us`.
absl::StatusOr<CommitTimes> ReadCommitTimes(store::Store& db, const std::string& run,
                                            int64_t after_us = 0) {
  CommitTimes out;
  CRVS_RETURN_IF_ERROR(db.Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(
        auto rows, c.Execute("SELECT message_id, committed_at_us FROM applied_messages "
                             "WHERE message_id >= $1 AND message_id < $2 AND committed_at_us > $3",
                             {store::sql::Value::Text("gb-" + run + "-"),
                              store::sql::Value::Text("gb-" + run + "."),
                              store::sql::Value::Int(after_us)}));
    out.rows.reserve(rows.size());
    for (const auto& r : rows) out.rows.emplace_back(IndexOf(run, r[0].AsString()), r[1].AsInt());
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int64_t> CountCommitted(store::Store& db, const std::string& run) {
  int64_t n = 0;
  CRVS_RETURN_IF_ERROR(db.Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(auto rows, c.Execute("SELECT count(*) FROM applied_messages "
                                               "WHERE message_id >= $1 AND message_id < $2",
                                               {store::sql::Value::Text("gb-" + run + "-"),
                                                store::sql::Value::Text("gb-" + run + ".")}));
    n = rows.empty() ? 0 : rows[0][0].AsInt();
    return absl::OkStatus();
  }));
  return n;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

Percentiles PercentilesOf(std::vector<double>& values) {
  Percentiles p;
  p.count = values.size();
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  auto rank = [&](double q) {
    size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::min(values.size() - 1, k == 0 ? 0 : k - 1)];
  };
  p.p50_ms = rank(0.50);
  p.p99_ms = rank(0.99);
  p.p999_ms = rank(0.999);
  p.max_ms = values.back();
  return p;
}

int64_t ResidentKb() { return StatusKb("VmRSS:"); }
int64_t PeakResidentKb() { return StatusKb("VmHWM:"); }
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

absl::StatusOr<GatewayBenchReport> RunGatewayBench(
    const GatewayBenchInputs& in, const std::function<void(const std::string&)>& progress) {
  if (in.records <= 0 && in.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--records or --duration must be set");
  }
  if (in.records <= 0 && in.rate <= 0) {
    return absl::InvalidArgumentError("--duration needs --rate (records/s): a timed run is paced");
  }
  if (in.concurrency < 1) return absl::InvalidArgumentError("--concurrency must be at least 1");
  if (in.births_percent < 0 || in.births_percent > 100) {
    return absl::InvalidArgumentError("--births-percent must be 0..100");
  }
  GatewayBenchReport report;
  report.mode = in.stream ? "stream" : "unary";

  Run run;
  run.id = records::NewTraceId().substr(0, 8);
  run.capacity = in.records > 0 ? in.records
                                : static_cast<int64_t>(in.rate * absl::ToDoubleSeconds(in.duration) *
                                                       1.05) + 1000;
  run.submitted_us.reset(new std::atomic<int64_t>[static_cast<size_t>(run.capacity)]);
  run.receipt_us.reset(new std::atomic<int64_t>[static_cast<size_t>(run.capacity)]);
  for (int64_t i = 0; i < run.capacity; ++i) {
    run.submitted_us[i].store(0, std::memory_order_relaxed);
    run.receipt_us[i].store(0, std::memory_order_relaxed);
  }

  // 1. The database's ceiling first, while nothing else runs.
  if (in.measure_raw_upsert) {
    CRVS_ASSIGN_OR_RETURN(report.raw_upsert_per_s,
                          store::MeasureRawUpsertRate(in.database, {100000, in.sink.batch_max_records, 700}));
    progress("raw batched upsert of the database: " + Fixed(report.raw_upsert_per_s, 0) + " rows/s");
  }

  // 2. The system: an in-process gateway and sink, or a deployment's gateway.
  CRVS_ASSIGN_OR_RETURN(auto db, store::Store::Open(in.database));
  report.backend = std::string(db->backend());
  prometheus::Registry metrics;
  std::unique_ptr<kafka::Producer> dlq;
  std::unique_ptr<sink::RegistrySink> sink;
  std::unique_ptr<store::Store> gateway_db;  // receipt_after = database: the gateway's reads
  std::unique_ptr<gateway::Gateway> gw;
  std::string address = in.gateway_address;
  if (address.empty()) {
    CRVS_ASSIGN_OR_RETURN(dlq, kafka::Producer::Create(in.kafka, in.producer, in.bootstrap_servers));
    sink::SinkConfig sc = in.sink;
    sc.group_id = "crvs-bench-gateway-" + run.id;
    CRVS_ASSIGN_OR_RETURN(sink, sink::RegistrySink::Start(sc, in.kafka, in.bootstrap_servers,
                                                          {db.get(), dlq.get(),
                                                           &validation::ReferenceData::Default(),
                                                           &metrics}));
    gateway::GatewayConfig gc = in.gateway;
    gc.listen = "127.0.0.1:0";
    gc.metrics_listen = "";
    gc.plaintext = true;  // in-process, on loopback
    // Receipts that wait for the database read it on a connection of their own, as in
    // `crvs dev`; `auto` keeps measuring Kafka receipts, as before.
    if (gc.receipt_after == "database") {
      CRVS_ASSIGN_OR_RETURN(gateway_db, store::Store::Open(in.database));
    }
    CRVS_ASSIGN_OR_RETURN(gw, gateway::Gateway::Start(gc, in.kafka, in.producer,
                                                      in.bootstrap_servers, metrics, {},
                                                      gateway_db.get()));
    address = "127.0.0.1:" + std::to_string(gw->port());
    // Let the sink join its group before the clock starts.
    std::this_thread::sleep_for(std::chrono::seconds(3));
  }
  const bool plaintext = in.gateway_address.empty() || in.gateway.plaintext;
  CRVS_ASSIGN_OR_RETURN(auto credentials, auth::MakeChannelCredentials(plaintext, in.tls));
  grpc::ChannelArguments args;
  std::vector<std::unique_ptr<ingest::HealthIngest::Stub>> stubs;
  for (int t = 0; t < in.concurrency; ++t) {
    // One channel per client: separate HTTP/2 connections, as separate facilities would have.
    args.SetInt("crvs.bench.client", t);
    stubs.push_back(
        ingest::HealthIngest::NewStub(grpc::CreateCustomChannel(address, credentials, args)));
  }

  // 3. The load.
  report.rss_start_kb = ResidentKb();
  const double cpu0 = CpuSeconds();
  const auto start = Clock::now();
  const auto end = start + absl::ToChronoNanoseconds(in.duration);
  const int64_t start_us = NowUs();
  std::vector<std::thread> clients;
  for (int t = 0; t < in.concurrency; ++t) {
    clients.emplace_back([&, t] {
      if (in.stream) {
        StreamClient(run, in, *stubs[static_cast<size_t>(t)], start, end);
      } else {
        UnaryClient(run, in, *stubs[static_cast<size_t>(t)], start, end);
      }
    });
  }
  std::atomic<bool> clients_done{false};
  std::thread joiner([&] {
    for (auto& c : clients) c.join();
    clients_done = true;
  });

  // Samples until every client is done and (embedded or reachable database) every accepted
  // record is committed.
  double last_cpu = cpu0;
  auto last_sample = start;
  int64_t last_commit_seen_us = 0;
  auto give_up = Clock::time_point::max();
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    bool sample_due = Clock::now() - last_sample >= absl::ToChronoNanoseconds(in.sample_every);
    int64_t committed = -1;
    if (clients_done || sample_due) {
      auto c = CountCommitted(*db, run.id);
      committed = c.ok() ? *c : -1;
    }
    if (sample_due) {
      GatewayBenchSample s;
      s.at_s = platform::SecondsSince(start);
      s.submitted = run.submitted;
      s.committed = committed;
      s.rss_kb = ResidentKb();
      double cpu = CpuSeconds();
      s.cpu_cores = (cpu - last_cpu) /
                    std::chrono::duration<double>(Clock::now() - last_sample).count();
      last_cpu = cpu;
      // p99 of what committed since the previous sample (the soak's "lag bounded").
      auto times = ReadCommitTimes(*db, run.id, last_commit_seen_us);
      if (times.ok()) {
        std::vector<double> window;
        for (auto [i, at] : times->rows) {
          last_commit_seen_us = std::max(last_commit_seen_us, at);
          if (i >= 0 && i < run.capacity && run.submitted_us[i] > 0) {
            window.push_back(static_cast<double>(at - run.submitted_us[i]) / 1000.0);
          }
        }
        s.committed_p99_ms = PercentilesOf(window).p99_ms;
      }
      report.timeline.push_back(s);
      last_sample = Clock::now();
      progress("t=" + Fixed(s.at_s, 0) + "s submitted=" + std::to_string(s.submitted) +
               " committed=" + std::to_string(s.committed) + " rss=" +
               std::to_string(s.rss_kb / 1024) + "MB cpu=" + Fixed(s.cpu_cores, 2) +
               " cores committed_p99=" + Fixed(s.committed_p99_ms, 1) + "ms");
    }
    if (clients_done) {
      if (give_up == Clock::time_point::max()) give_up = Clock::now() + std::chrono::minutes(5);
      if (committed < 0 || committed >= run.accepted || Clock::now() > give_up) break;
    }
  }
  joiner.join();
  const double wall = platform::SecondsSince(start);
  report.cpu_cores = (CpuSeconds() - cpu0) / wall;
  report.rss_peak_kb = PeakResidentKb();
  report.rss_end_kb = ResidentKb();
  if (sink) sink->Stop();
  if (gw) gw->Stop();

  // 4. Figures.
  report.submitted = run.submitted;
  report.accepted = run.accepted;
  report.rejected = run.rejected;
  report.failed = run.failed;
  int64_t last_receipt = start_us;
  std::vector<double> receipt_ms;
  receipt_ms.reserve(static_cast<size_t>(run.submitted));
  for (int64_t i = 0; i < run.capacity; ++i) {
    int64_t s = run.submitted_us[i], r = run.receipt_us[i];
    if (s > 0 && r > 0) {
      receipt_ms.push_back(static_cast<double>(r - s) / 1000.0);
      last_receipt = std::max(last_receipt, r);
    }
  }
  report.seconds = static_cast<double>(last_receipt - start_us) / 1e6;
  report.accepted_per_s = static_cast<double>(report.accepted) / std::max(1e-9, report.seconds);
  report.submit_to_receipt = PercentilesOf(receipt_ms);
  auto times = ReadCommitTimes(*db, run.id);
  if (times.ok()) {
    std::vector<double> committed_ms;
    int64_t last_commit = start_us;
    for (auto [i, at] : times->rows) {
      if (i < 0 || i >= run.capacity || run.submitted_us[i] == 0) continue;
      committed_ms.push_back(static_cast<double>(at - run.submitted_us[i]) / 1000.0);
      last_commit = std::max(last_commit, at);
    }
    report.committed = static_cast<int64_t>(committed_ms.size());
    report.committed_per_s = static_cast<double>(report.committed) /
                             std::max(1e-9, static_cast<double>(last_commit - start_us) / 1e6);
    report.submit_to_committed = PercentilesOf(committed_ms);
  } else {
    report.committed = -1;
  }
  if (!run.first_error.empty()) progress("first error: " + run.first_error);
  return report;
}

}  // namespace crvs::bench
