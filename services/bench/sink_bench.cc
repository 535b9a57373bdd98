#include "services/bench/sink_bench.h"
#include "services/platform/elapsed.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <google/protobuf/util/time_util.h>
#include <prometheus/registry.h>

#include "connectors/registry_sink/registry_sink.h"
#include "services/bench/bench_records.h"
#include "services/platform/status.h"
#include "services/records/records.h"
#include "services/store/raw_upsert_probe.h"
#include "services/store/store.h"
#include "services/validation/reference_data.h"

namespace crvs::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A valid death notice for person i (bench_records.h), as the gateway would have enveloped it.
records::v1::RecordEnvelope Notice(const std::string& run, int i) {
  records::v1::RecordEnvelope e;
  e.set_message_id("bench-" + run + "-" + std::to_string(i));
  e.set_action(records::v1::ACTION_SUBMIT);
  e.mutable_source()->set_kind(common::v1::PRINCIPAL_KIND_FACILITY);
  e.mutable_source()->set_code(kBenchFacility);
  *e.mutable_death_notice() = BenchDeathNotice(run, i);
  records::CompleteEnvelope(&e, google::protobuf::util::TimeUtil::GetCurrentTime());
  return e;
}

}  // namespace

absl::StatusOr<SinkBenchReport> RunSinkBench(
    const SinkBenchInputs& in, const std::function<void(const std::string&)>& progress) {
  SinkBenchReport report;
  report.records = in.records;
  const std::string run = records::NewTraceId().substr(0, 8);

  // 1. Input, produced before anything is timed on the database side.
  std::vector<kafka::OutgoingMessage> messages;
  messages.reserve(static_cast<size_t>(in.records));
  size_t bytes = 0;
  for (int i = 0; i < in.records; ++i) {
    auto e = Notice(run, i);
    messages.push_back({in.kafka.topic_deaths, e.business_key(), e.SerializeAsString(),
                        records::HeadersOf(e)});
    bytes += messages.back().value.size();
  }
  report.envelope_bytes = static_cast<int>(bytes / std::max<size_t>(1, messages.size()));
  {
    kafka::ProducerConfig pc = in.producer;
    pc.queue_max_messages = std::max(pc.queue_max_messages, in.records);
    CRVS_ASSIGN_OR_RETURN(auto producer, kafka::Producer::Create(in.kafka, pc, in.bootstrap_servers));
    std::atomic<int> delivered{0}, failed{0};
    auto start = Clock::now();
    for (auto& m : messages) {
      CRVS_RETURN_IF_ERROR(producer->Produce(std::move(m), [&](const kafka::Delivery& d) {
        (d.status.ok() ? delivered : failed).fetch_add(1);
      }));
    }
    while (delivered + failed < in.records) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    report.produce_per_s = in.records / platform::SecondsSince(start);
    if (failed > 0) return absl::UnavailableError(std::to_string(failed.load()) + " records not delivered");
    progress("produced " + std::to_string(in.records) + " notices of " +
             std::to_string(report.envelope_bytes) + " bytes");
  }

  // 2. The database's ceiling, same rows count, batch and payload size.
  CRVS_ASSIGN_OR_RETURN(report.raw_upsert_per_s,
                        store::MeasureRawUpsertRate(in.database, {in.records, in.sink.batch_max_records,
                                                                  report.envelope_bytes}));
  progress("raw batched upsert measured");

  // 3. The sinks draining the topic into the same database: one consumer group, each sink with
  // its own database connection, the partitions shared between them.
  const int sinks = std::max(1, in.sinks);
  report.sinks = sinks;
  std::vector<std::unique_ptr<store::Store>> dbs;
  for (int i = 0; i < sinks; ++i) {
    CRVS_ASSIGN_OR_RETURN(auto db, store::Store::Open(in.database));
    dbs.push_back(std::move(db));
  }
  report.backend = std::string(dbs[0]->backend());
  CRVS_ASSIGN_OR_RETURN(auto dlq, kafka::Producer::Create(in.kafka, in.producer, in.bootstrap_servers));
  prometheus::Registry metrics;
  sink::SinkConfig sc = in.sink;
  sc.group_id = "crvs-bench-" + run;
  std::vector<std::unique_ptr<sink::RegistrySink>> running;
  for (int i = 0; i < sinks; ++i) {
    CRVS_ASSIGN_OR_RETURN(auto sink, sink::RegistrySink::Start(
                                         sc, in.kafka, in.bootstrap_servers,
                                         {dbs[static_cast<size_t>(i)].get(), dlq.get(),
                                          &validation::ReferenceData::Default(), &metrics}));
    running.push_back(std::move(sink));
  }
  auto committed = [&]() {
    int64_t n = 0;
    for (const auto& s : running) n += s->committed();
    return n;
  };
  Clock::time_point first;
  int64_t at_first = 0;
  auto last_report = Clock::now();
  auto give_up = Clock::now() + std::chrono::minutes(10);
  while (committed() < in.records) {
    if (Clock::now() > give_up) return absl::DeadlineExceededError("sink did not finish in 10 minutes");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    int64_t c = committed();
    if (at_first == 0 && c > 0) {
      first = Clock::now();
      at_first = c;
    }
    if (platform::SecondsSince(last_report) >= 1.0) {
      progress("sink committed " + std::to_string(c) + "/" + std::to_string(in.records));
      last_report = Clock::now();
    }
  }
  report.sink_per_s = (in.records - at_first) / std::max(1e-9, platform::SecondsSince(first));
  for (auto& s : running) s->Stop();

  // 4. The same rows again, into a fresh schema, with nothing but the writing.
  progress("writing the sink's rows again without crvs logic");
  CRVS_ASSIGN_OR_RETURN(store::SameRowsResult same,
                        store::MeasureSameRowsRate(in.database, {in.sink.batch_max_records,
                                                                 "%/BENCH-" + run + "-%"}));
  report.same_rows_per_s = same.records_per_s;
  report.rows_per_record = same.rows_per_record;
  return report;
}

}  // namespace crvs::bench
