#include "services/backfill/backfill_bench.h"

#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>

#include "services/backfill/backfill.h"
#include "services/backfill/generator.h"
#include "services/backfill/row_classifier.h"
#include "services/platform/scratch_dir.h"
#include "services/records/records.h"

namespace crvs::backfill {

kafka::ProducerConfig BackfillProducerConfig(const kafka::ProducerConfig& base,
                                             const BackfillConfig& backfill) {
  kafka::ProducerConfig pc = base;
  pc.linger = backfill.linger;
  pc.queue_max_messages = backfill.queue_max_messages;
  pc.delivery_timeout = backfill.delivery_timeout;
  return pc;
}

absl::StatusOr<BackfillBenchReport> RunBackfillBench(
    const BackfillBenchInputs& in, const std::function<void(const std::string&)>& progress) {
  // The generated export, the checkpoint and the report; removed when the bench ends.
  platform::ScratchDir dir("crvs-bench-backfill");
  if (!dir.ok()) return absl::InternalError("cannot create a scratch directory");

  GenerateOptions g;
  g.kind = in.kind;
  g.format = in.format;
  g.rows = in.rows;
  g.ineligible_percent = in.ineligible_percent;
  g.out = dir.path() + "/export." + std::string(ExportFormatName(in.format));
  auto generated = GenerateExport(g);
  if (!generated.ok()) return generated.status();
  progress(absl::StrCat("generated ", generated->rows, " rows (", generated->eligible,
                        " eligible) in ", g.out));

  BackfillOptions o;
  o.kind = in.kind;
  o.file = g.out;
  o.format = in.format;
  o.topic =
      in.kafka.TopicFor(in.kind == ExportKind::kDivorce ? records::v1::RECORD_KIND_DIVORCE_DECISION
                                                        : records::v1::RECORD_KIND_REGISTRATION);
  if (!absl::ParseCivilTime(in.backfill.last_backlog_day, &o.last_backlog_day)) {
    return absl::InvalidArgumentError("backfill.last_backlog_day: must be yyyy-mm-dd");
  }
  o.progress_interval = in.backfill.progress_interval;
  o.checkpoint_interval = in.backfill.checkpoint_interval;
  ResolvePaths("", &o);

  auto producer = kafka::Producer::Create(
      in.kafka, BackfillProducerConfig(in.producer, in.backfill), in.bootstrap_servers);
  if (!producer.ok()) return producer.status();
  ProducerPublisher publisher(producer->get());
  auto summary = RunBackfill(o, publisher);
  if (!summary.ok()) return summary.status();
  if (summary->eligible != generated->eligible || summary->produced != generated->eligible) {
    return absl::InternalError(absl::StrCat("expected ", generated->eligible,
                                            " eligible records, the run produced ",
                                            summary->produced, " of ", summary->eligible));
  }

  BackfillBenchReport report;
  report.rows = summary->rows;
  report.eligible = summary->produced;
  report.seconds = summary->seconds;
  report.rows_per_s = summary->rows / summary->seconds;
  report.records_per_s = summary->produced / summary->seconds;
  auto data = ExportData::Map(g.out);
  if (data.ok()) {
    report.file_bytes = static_cast<int64_t>((*data)->bytes().size());
    // The envelope size of the first eligible rows, as the run produced them.
    auto reader = ExportReader::Open(**data, in.format, in.kind, g.out);
    if (reader.ok()) {
      RowClassifier classifier(in.kind, ClassifierOptions{o.last_backlog_day, {}});
      RawRow row;
      records::v1::RecordEnvelope envelope;
      size_t bytes = 0, n = 0;
      while (n < 1000 && (*reader)->Next(&row)) {
        if (classifier.Classify(row, &envelope).eligible) {
          bytes += envelope.ByteSizeLong();
          ++n;
        }
      }
      report.envelope_bytes = n ? static_cast<int>(bytes / n) : 0;
    }
  }
  return report;
}

}  // namespace crvs::backfill
