#include "services/bench/bench_command.h"

#include <cstdio>

#include <absl/time/time.h>

#include "connectors/kafka/embedded_broker.h"
#include "services/bench/document_bench.h"
#include "services/bench/gateway_bench.h"
#include "services/bench/sink_bench.h"
#include "services/platform/exit_codes.h"
#include "services/platform/lifecycle.h"

namespace crvs::bench {
namespace {

void PrintProgress(const std::string& line) { std::fprintf(stderr, "  %s\n", line.c_str()); }

void PrintPercentiles(const char* name, const Percentiles& p) {
  std::printf("  %-28s n=%-9zu p50 %8.1f ms  p99 %8.1f ms  p99.9 %8.1f ms  max %8.1f ms\n", name,
              p.count, p.p50_ms, p.p99_ms, p.p999_ms, p.max_ms);
}

// A duration flag such as 10m or 90s, > 0.
absl::Status ParsePositiveDuration(const std::string& flag, const std::string& text,
                                   const char* example, absl::Duration* out) {
  if (absl::ParseDuration(text, out) && *out > absl::ZeroDuration()) return absl::OkStatus();
  return absl::InvalidArgumentError(flag + " '" + text + "' is not a duration such as " +
                                    example);
}

void PrintGatewayReport(const GatewayBenchReport& r, int concurrency, double rate,
                        int births_percent) {
  std::printf("crvs bench gateway: %s, %d clients, rate %s, births %d%%, database %s\n",
              r.mode.c_str(), concurrency,
              rate > 0 ? (std::to_string(static_cast<int64_t>(rate)) + "/s").c_str() : "unpaced",
              births_percent, r.backend.c_str());
  std::printf("  submitted %lld  accepted %lld  rejected %lld  failed %lld  committed %lld\n",
              static_cast<long long>(r.submitted), static_cast<long long>(r.accepted),
              static_cast<long long>(r.rejected), static_cast<long long>(r.failed),
              static_cast<long long>(r.committed));
  std::printf("  accepted (receipts)            %10.0f records/s over %.1f s\n", r.accepted_per_s,
              r.seconds);
  std::printf("  committed (end to end)         %10.0f records/s\n", r.committed_per_s);
  if (r.raw_upsert_per_s > 0) {
    std::printf("  raw batched upsert (ceiling)   %10.0f records/s\n", r.raw_upsert_per_s);
    // The ratio of BRIEF §6 compares ceilings: meaningful for an unpaced run only.
    if (rate <= 0) {
      std::printf("  end to end / raw upsert        %10.2f\n", r.committed_per_s / r.raw_upsert_per_s);
    }
  }
  PrintPercentiles("submit -> receipt", r.submit_to_receipt);
  PrintPercentiles("submit -> committed", r.submit_to_committed);
  std::printf("  cpu %.2f cores   rss start %lld MB  peak %lld MB  end %lld MB\n", r.cpu_cores,
              static_cast<long long>(r.rss_start_kb / 1024),
              static_cast<long long>(r.rss_peak_kb / 1024),
              static_cast<long long>(r.rss_end_kb / 1024));
  if (r.timeline.size() <= 1) return;
  std::printf("  timeline:   t(s)  submitted  committed  rss(MB)  cpu  committed p99(ms)\n");
  for (const auto& s : r.timeline) {
    std::printf("            %6.0f %10lld %10lld %8lld %4.2f %10.1f\n", s.at_s,
                static_cast<long long>(s.submitted), static_cast<long long>(s.committed),
                static_cast<long long>(s.rss_kb / 1024), s.cpu_cores, s.committed_p99_ms);
  }
}

void PrintDocumentReport(const DocumentBenchReport& r, int connections, const std::string& type) {
  std::printf("crvs bench documents: %lld documents (loaiHs %s, %lld birth certificates, %.0f "
              "bytes signed XML on average), %d HTTPS connections, facility %s\n",
              static_cast<long long>(r.documents), type.c_str(),
              static_cast<long long>(r.births), r.mean_document_bytes, connections,
              kDocumentBenchFacility);
  std::printf("  signing (hospital side)        %10.2f ms per document (SignDocument, mean), %.1f s "
              "for all\n",
              r.signing_ms_per_document, r.signing_seconds);
  if (r.verify_ms_per_document > 0) {
    std::printf("  alone, one thread              %10.3f ms read+map   %.3f ms verify signature\n",
                r.read_ms_per_document, r.verify_ms_per_document);
  }
  for (const auto& p : r.phases) {
    std::printf("  signature=%-8s received %lld/%lld  other %lld  on topics %lld  keys missing "
                "%lld\n",
                p.signature.c_str(), static_cast<long long>(p.received),
                static_cast<long long>(p.posted), static_cast<long long>(p.other),
                static_cast<long long>(p.on_topic), static_cast<long long>(p.keys_missing));
    std::printf("    received (MaKetQua 200)      %10.0f documents/s over %.1f s\n",
                p.received_per_s, p.seconds);
    PrintPercentiles("POST -> answer", p.latency);
    std::printf("    cpu %.2f cores   rss peak %lld MB   TLS connections opened %lld\n", p.cpu_cores,
                static_cast<long long>(p.rss_peak_kb / 1024),
                static_cast<long long>(p.connections_opened));
  }
  if (r.phases.size() >= 2 && r.phases.back().received_per_s > 0) {
    const auto& first = r.phases.front();
    const auto& last = r.phases.back();
    std::printf("  signature=%s / signature=%s   %10.2f (documents/s ratio)\n",
                first.signature.c_str(), last.signature.c_str(),
                first.received_per_s / last.received_per_s);
  }
}

}  // namespace

BenchCommand::BenchCommand(CLI::App& bench) {
  sink_ = bench.add_subcommand(
      "sink",
      "registry sink throughput (Kafka -> configured database, exactly once) next to the "
      "database's raw batched-upsert rate and the rate of writing the very rows the sink wrote "
      "(same tables, indexes, statements and batch size, no crvs logic), in one run");
  sink_->add_option("--records", sink_records_, "death notices to move")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  sink_->add_option("--sinks", sink_count_,
                    "sinks in one consumer group, each with its own database connection, "
                    "sharing the topic's partitions (scale-out)")
      ->capture_default_str()
      ->check(CLI::Range(1, 24));
  gateway_ = bench.add_subcommand(
      "gateway",
      "the whole ingest path from the source's side: clients call the gateway (unary or "
      "streaming) at a rate and concurrency with a birth/death mix; reports throughput, "
      "p50/p99/p99.9 of submit->receipt and submit->committed, CPU, RSS, and the database's raw "
      "batched-upsert rate measured in the same run. Embedded gateway + sink unless --gateway");
  GatewayFlags& f = gateway_flags_;
  gateway_->add_option("--mode", f.mode, "stream (SubmitStream) or unary (Submit)")
      ->capture_default_str();
  gateway_->add_option("--records", f.records, "records to send")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{50000000}));
  gateway_->add_option("--duration", f.duration,
                       "send for this long instead (e.g. 10m, a soak); needs --rate");
  gateway_->add_option("--rate", f.rate, "records per second over all clients; 0 = as fast as accepted")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e7));
  gateway_->add_option("--concurrency", f.concurrency,
                       "client threads: each one stream, or one call at a time")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  gateway_->add_option("--births-percent", f.births_percent,
                       "share of birth certificates; the rest are death notices")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  gateway_->add_option("--gateway", f.gateway_address,
                       "host:port of a running gateway to drive instead of the embedded one "
                       "(committed latency then reads database.url)");
  gateway_->add_flag("--skip-raw-upsert", f.skip_raw_upsert,
                     "do not measure the database's raw batched-upsert rate");
  gateway_->add_option("--sample-every", f.sample_every,
                       "timeline interval (RSS, CPU, committed, p99 per window)")
      ->capture_default_str();

  documents_ = bench.add_subcommand(
      "documents",
      "hospital documents per second through the gateway's HTTPS form door (POST "
      "/api/documents, mutual TLS), the facility's XML signature verified on each: N distinct "
      "documents are signed first (timed apart: the hospital's cost), then posted over C "
      "keep-alive connections; every answer must be MaKetQua 200 and every record must be on "
      "its topic. Then the same documents with gateway.document_signature=off, for the cost of "
      "verification. Embedded broker and gateway in this process");
  DocumentFlags& d = document_flags_;
  // Ranges are checked by ValidateDocumentBenchInputs, whose message names the flag.
  documents_->add_option("--documents", d.documents, "documents to sign and post")
      ->capture_default_str();
  documents_->add_option("--connections", d.connections,
                         "client threads, each one keep-alive HTTPS connection with the "
                         "facility's certificate")
      ->capture_default_str();
  documents_->add_option("--signature", d.signature,
                         "gateway.document_signature of the measured run: require, record or off")
      ->capture_default_str();
  documents_->add_flag("--skip-off", d.skip_off,
                       "do not repeat the run with gateway.document_signature=off");
  documents_->add_option("--type", d.type,
                         "loaiHs: 60 death notices, 61 birth certificates, mix (half each)")
      ->capture_default_str();
  documents_->add_option("--signing-threads", d.signing_threads,
                         "threads signing the documents before the run")
      ->capture_default_str();
  documents_->add_option("--breakdown", d.breakdown,
                         "documents read and verified alone on one thread, to show where the "
                         "door's time goes (0: skip)")
      ->capture_default_str();
}

bool BenchCommand::parsed() const {
  return sink_->parsed() || gateway_->parsed() || documents_->parsed();
}

int BenchCommand::Run(const BenchSections& sections) const {
  if (documents_->parsed()) return RunDocuments(sections);
  return sink_->parsed() ? RunSink(sections) : RunGateway(sections);
}

namespace {

DocumentBenchInputs DocumentInputsFromFlags(const BenchSections& s, int64_t documents,
                                            int connections, const std::string& signature,
                                            bool skip_off, const std::string& type,
                                            int signing_threads, int breakdown) {
  DocumentBenchInputs in;
  in.kafka = s.kafka;
  in.producer = s.producer;
  in.gateway = s.gateway;
  in.documents = documents;
  in.connections = connections;
  in.policies = {signature};
  if (!skip_off && signature != "off") in.policies.push_back("off");
  in.type = type;
  in.signing_threads = signing_threads;
  in.breakdown_documents = breakdown;
  return in;
}

}  // namespace

int BenchCommand::RunDocuments(const BenchSections& s) const {
  const DocumentFlags& d = document_flags_;
  DocumentBenchInputs in = DocumentInputsFromFlags(s, d.documents, d.connections, d.signature,
                                                   d.skip_off, d.type, d.signing_threads,
                                                   d.breakdown);
  if (absl::Status valid = ValidateDocumentBenchInputs(in); !valid.ok()) {
    return FailWith(valid, kExitConfig);
  }
  auto report = RunDocumentBench(in, PrintProgress);
  if (!report.ok()) {
    const bool bad_input = report.status().code() == absl::StatusCode::kInvalidArgument;
    return FailWith(report.status(), bad_input ? kExitConfig : kExitFailed);
  }
  PrintDocumentReport(*report, d.connections, d.type);
  if (!report->ok()) {
    std::fprintf(stderr, "crvs bench documents: FAILED: not every document was received and on "
                         "its topic (see above)\n");
    return kExitFailed;
  }
  return kExitOk;
}

int BenchCommand::RunSink(const BenchSections& s) const {
  Lifecycle lifecycle;
  auto bootstrap = kafka::ConfiguredOrEmbedded(s.kafka, {}, lifecycle);
  if (!bootstrap.ok()) return FailWith(bootstrap.status(), kExitFailed);
  auto report = RunSinkBench(
      {s.kafka, s.producer, s.sink, s.database, *bootstrap, sink_records_, sink_count_},
      PrintProgress);
  if (!report.ok()) return FailWith(report.status(), kExitFailed);
  std::printf("crvs bench sink: %d death notices (%d-byte envelopes), database %s\n",
              report->records, report->envelope_bytes, report->backend.c_str());
  std::printf("  producer (acks=all)            %10.0f records/s\n", report->produce_per_s);
  std::printf("  raw batched upsert (ceiling)   %10.0f records/s\n", report->raw_upsert_per_s);
  std::printf("  same rows, no crvs logic       %10.0f records/s (%.2f rows per record)\n",
              report->same_rows_per_s, report->rows_per_record);
  std::printf("  sink, Kafka -> database        %10.0f records/s (%d sink%s)\n", report->sink_per_s,
              report->sinks, report->sinks == 1 ? "" : "s");
  std::printf("  sink / raw upsert              %10.2f\n",
              report->sink_per_s / report->raw_upsert_per_s);
  std::printf("  sink / same rows               %10.2f\n",
              report->sink_per_s / report->same_rows_per_s);
  return kExitOk;
}

int BenchCommand::RunGateway(const BenchSections& s) const {
  const GatewayFlags& f = gateway_flags_;
  GatewayBenchInputs in;
  in.kafka = s.kafka;
  in.producer = s.producer;
  in.sink = s.sink;
  in.database = s.database;
  in.gateway = s.gateway;
  in.tls = s.tls;
  in.gateway_address = f.gateway_address;
  if (f.mode != "stream" && f.mode != "unary") {
    return FailWith(absl::InvalidArgumentError("--mode must be stream or unary, not '" + f.mode + "'"),
                    kExitConfig);
  }
  in.stream = f.mode == "stream";
  in.records = f.records;
  absl::Status flags = absl::OkStatus();
  if (!f.duration.empty()) {
    flags = ParsePositiveDuration("--duration", f.duration, "10m or 90s", &in.duration);
    in.records = 0;
  }
  if (flags.ok()) {
    flags = ParsePositiveDuration("--sample-every", f.sample_every, "10s", &in.sample_every);
  }
  if (!flags.ok()) return FailWith(flags, kExitConfig);
  in.rate = f.rate;
  in.concurrency = f.concurrency;
  in.births_percent = f.births_percent;
  in.measure_raw_upsert = !f.skip_raw_upsert;
  Lifecycle lifecycle;  // the embedded broker, when one is needed, lives until the report
  if (in.gateway_address.empty()) {
    auto bootstrap = kafka::ConfiguredOrEmbedded(s.kafka, {}, lifecycle);
    if (!bootstrap.ok()) return FailWith(bootstrap.status(), kExitFailed);
    in.bootstrap_servers = *bootstrap;
  }
  auto report = RunGatewayBench(in, PrintProgress);
  if (!report.ok()) {
    const bool bad_input = report.status().code() == absl::StatusCode::kInvalidArgument;
    return FailWith(report.status(), bad_input ? kExitConfig : kExitFailed);
  }
  PrintGatewayReport(*report, f.concurrency, f.rate, f.births_percent);
  return report->failed > 0 || report->rejected > 0 ? kExitFailed : kExitOk;
}

}  // namespace crvs::bench
