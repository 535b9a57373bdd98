#include "services/backfill/backfill_command.h"

#include <unistd.h>

#include <cstdio>

#include "connectors/kafka/embedded_broker.h"
#include "services/backfill/backfill_bench.h"
#include "services/backfill/columns.h"
#include "services/backfill/export_reader.h"
#include "services/backfill/generator.h"
#include "services/platform/exit_codes.h"
#include "services/platform/lifecycle.h"
#include "services/validation/reference_data.h"

namespace crvs::backfill {
namespace {

int ExitCodeOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kDataLoss:
      return kExitConfig;
    case absl::StatusCode::kCancelled:
      return kExitInterrupted;
    default:
      return kExitFailed;
  }
}

void AddRows(CLI::App* command, int64_t* rows, int64_t min, int64_t max, const char* help) {
  command->add_option("--rows", *rows, help)->capture_default_str()->check(CLI::Range(min, max));
}

void AddIneligiblePercent(CLI::App* command, double* percent) {
  command
      ->add_option("--ineligible-percent", *percent, "share of planted ineligible rows, 0..100")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
}

}  // namespace

BackfillCommand::BackfillCommand(CLI::App& app, CLI::App& bench) {
  backfill_ = app.add_subcommand(
      "backfill",
      "load a historical export through the pipeline: court divorce decisions effective up to "
      "backfill.last_backlog_day, or civil-status registrations (CSV or NDJSON, columns in "
      "services/backfill/README.md); eligible rows go to the record topic, the others to an "
      "eligibility report; resumable from its checkpoint");
  backfill_->add_option("--kind", flags_.kind, "divorce or registration");
  backfill_->add_option("--file", flags_.file, "the export file");
  backfill_->add_option("--format", flags_.format, "csv or ndjson (default: from the file name)");
  backfill_->add_option("--checkpoint", flags_.checkpoint,
                        "checkpoint file (default: <file name>.checkpoint in "
                        "backfill.checkpoint_dir, or next to the file)");
  backfill_->add_option("--report", flags_.report,
                        "eligibility report, CSV (default: <file name>.ineligible.csv next to "
                        "the checkpoint)");
  generate_ = backfill_->add_subcommand(
      "generate",
      "write a realistic export with planted ineligible rows (tests, benchmarks); prints the "
      "expected eligible count");
  generate_->add_option("--kind", generate_args_.kind, "divorce or registration")->required();
  AddRows(generate_, &generate_args_.rows, 0, 1000000000, "rows to write");
  AddIneligiblePercent(generate_, &generate_args_.ineligible_percent);
  generate_->add_option("--out", generate_args_.out, "the file to write")->required();
  generate_->add_option("--format", generate_args_.format,
                        "csv or ndjson (default: from the file name)");
  generate_->add_option("--seed", generate_args_.seed, "random seed (same seed, same file)")
      ->capture_default_str();
  bench_args_.kind = "divorce";
  bench_args_.format = "csv";
  bench_ = bench.add_subcommand(
      "backfill",
      "backfill throughput: a generated export read, classified and produced (acks=all) until "
      "the broker confirmed every record");
  bench_->add_option("--kind", bench_args_.kind, "divorce or registration")->capture_default_str();
  AddRows(bench_, &bench_args_.rows, 1, 100000000, "rows in the export");
  bench_->add_option("--format", bench_args_.format, "csv or ndjson")->capture_default_str();
  AddIneligiblePercent(bench_, &bench_args_.ineligible_percent);
}

bool BackfillCommand::parsed() const { return backfill_->parsed() || bench_->parsed(); }

int BackfillCommand::Run(const BackfillSections& sections) const {
  if (generate_->parsed()) return RunGenerate();
  if (bench_->parsed()) return RunBench(sections);
  return RunBackfill(sections);
}

int BackfillCommand::RunBackfill(const BackfillSections& s) const {
  auto options = MakeOptions(flags_, s.backfill, s.kafka);
  if (!options.ok()) return FailWith(options.status(), kExitConfig);
  if (s.kafka.bootstrap_servers.empty()) {
    return FailWith(absl::InvalidArgumentError(
                        "kafka.bootstrap_servers: is empty; crvs backfill produces to the cluster "
                        "the sink reads (for development, `crvs devbroker` prints one)"),
                    kExitConfig);
  }
  auto reference = validation::ReferenceData::Load(s.reference.provinces_file);
  if (!reference.ok()) return FailWith(reference.status(), kExitConfig);
  options->reference = &*reference;
  options->progress_on_terminal = isatty(STDERR_FILENO) == 1;
  int64_t polls = 0;  // a signal check every 1024 rows is prompt enough and costs nothing
  options->stop_requested = [&polls] {
    return ++polls % 1024 == 0 && Lifecycle::ShutdownSignalPending();
  };
  auto producer = kafka::Producer::Create(
      s.kafka, BackfillProducerConfig(s.producer, s.backfill), s.kafka.bootstrap_servers);
  if (!producer.ok()) return FailWith(producer.status(), kExitConfig);
  ProducerPublisher publisher(producer->get());
  auto summary = backfill::RunBackfill(*options, publisher);
  if (!summary.ok()) return FailWith(summary.status(), ExitCodeOf(summary.status()));
  std::printf("%s", FormatSummary(*summary).c_str());
  return kExitOk;
}

int BackfillCommand::RunGenerate() const {
  const GenerateArgs& a = generate_args_;
  auto kind = ParseExportKind(a.kind);
  if (!kind.ok()) return FailWith(kind.status(), kExitConfig);
  auto format = a.format.empty() ? FormatFromPath(a.out) : ParseExportFormat(a.format);
  if (!format.ok()) return FailWith(format.status(), kExitConfig);
  GenerateOptions g{*kind, *format, a.rows, a.ineligible_percent, a.seed, a.out};
  auto result = GenerateExport(g);
  if (!result.ok()) return FailWith(result.status(), kExitFailed);
  std::printf("%s", FormatGenerateResult(*result, g).c_str());
  return kExitOk;
}

int BackfillCommand::RunBench(const BackfillSections& s) const {
  const GenerateArgs& a = bench_args_;
  auto kind = ParseExportKind(a.kind);
  if (!kind.ok()) return FailWith(kind.status(), kExitConfig);
  auto format = ParseExportFormat(a.format);
  if (!format.ok()) return FailWith(format.status(), kExitConfig);
  Lifecycle lifecycle;
  auto bootstrap = kafka::ConfiguredOrEmbedded(s.kafka, {}, lifecycle);
  if (!bootstrap.ok()) return FailWith(bootstrap.status(), kExitFailed);
  BackfillBenchInputs in{s.kafka, s.producer, s.backfill, *bootstrap, *kind, *format,
                         a.rows, a.ineligible_percent};
  auto report = RunBackfillBench(in, [](const std::string& line) {
    std::fprintf(stderr, "  %s\n", line.c_str());
  });
  if (!report.ok()) return FailWith(report.status(), kExitFailed);
  std::printf("crvs bench backfill: %lld %s rows (%s, %lld bytes, %d-byte envelopes), %lld eligible\n",
              static_cast<long long>(report->rows), a.kind.c_str(), a.format.c_str(),
              static_cast<long long>(report->file_bytes), report->envelope_bytes,
              static_cast<long long>(report->eligible));
  std::printf("  rows read, classified           %10.0f rows/s\n", report->rows_per_s);
  std::printf("  records confirmed (acks=all)    %10.0f records/s\n", report->records_per_s);
  std::printf("  whole run                       %10.2f s\n", report->seconds);
  return kExitOk;
}

}  // namespace crvs::backfill
