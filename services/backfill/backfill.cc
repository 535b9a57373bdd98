#include "services/backfill/backfill.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/time/clock.h>

#include "services/backfill/checkpoint.h"
#include "services/backfill/progress.h"
#include "services/backfill/report.h"
#include "services/backfill/row_classifier.h"
#include "services/platform/logging.h"
#include "services/platform/mutex.h"
#include "services/records/records.h"

namespace crvs::backfill {
namespace {

using Clock = std::chrono::steady_clock;

auto Log() {
  static auto log = logging::Get("backfill");
  return log;
}

std::string DirectoryOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Which rows are fully done, as a sliding window over row numbers: delivery callbacks mark
// rows in any order, the run thread advances the low-water mark (rows 1..done() all done).
// A row may be issued only while it fits in the window (HasRoom), which bounds memory and
// the work redone after a crash.
class DoneWindow {
 public:
  static constexpr int64_t kCapacity = int64_t{1} << 20;

  DoneWindow() : flags_(new std::atomic<uint8_t>[kCapacity]) {
    for (int64_t i = 0; i < kCapacity; ++i) flags_[i].store(0, std::memory_order_relaxed);
  }

  void MarkDone(int64_t row) { flags_[row & (kCapacity - 1)].store(1, std::memory_order_release); }
  bool HasRoom(int64_t row) const { return row - low_ < kCapacity; }

  // Rows 1..done() are done. Run thread only.
  int64_t Advance() {
    while (flags_[low_ & (kCapacity - 1)].load(std::memory_order_acquire) != 0) {
      flags_[low_ & (kCapacity - 1)].store(0, std::memory_order_relaxed);
      ++low_;
    }
    return low_ - 1;
  }

 private:
  std::unique_ptr<std::atomic<uint8_t>[]> flags_;
  int64_t low_ = 1;  // first row not known to be done
};

// What delivery callbacks share with the run thread; outlives every callback (the run waits
// for `outstanding` to reach zero before returning).
struct Deliveries {
  DoneWindow window;
  std::atomic<int64_t> outstanding{0};
  std::atomic<int64_t> confirmed{0};
  std::atomic<int64_t> failed{0};
  platform::Mutex mu;
  std::string first_error ABSL_GUARDED_BY(mu);
};

// Produces one record; its row is marked done when the broker confirms it. While the producer's
// queue is full, calls `wait` (which returns false to give up) and tries again.
absl::Status Produce(const std::string& topic, const records::v1::RecordEnvelope& envelope,
                     int64_t row, Publisher& publisher, Deliveries& d,
                     const std::function<bool()>& wait) {
  while (true) {
    kafka::OutgoingMessage message{topic, envelope.business_key(), envelope.SerializeAsString(),
                                   records::HeadersOf(envelope)};
    d.outstanding.fetch_add(1);
    absl::Status st =
        publisher.Publish(std::move(message), [&d, row](const kafka::Delivery& delivery) {
          if (delivery.status.ok()) {
            d.confirmed.fetch_add(1);
            d.window.MarkDone(row);
          } else if (d.failed.fetch_add(1) == 0) {
            platform::MutexLock lock(&d.mu);
            d.first_error = std::string(delivery.status.message());
          }
          d.outstanding.fetch_sub(1);
        });
    if (st.ok()) return st;
    d.outstanding.fetch_sub(1);
    if (st.code() != absl::StatusCode::kResourceExhausted) return st;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    if (!wait()) return absl::OkStatus();  // the caller sees the failure it gave up on
  }
}

}  // namespace

void ResolvePaths(const std::string& checkpoint_dir, BackfillOptions* o) {
  const std::string dir = checkpoint_dir.empty() ? DirectoryOf(o->file) : checkpoint_dir;
  if (o->checkpoint_path.empty())
    o->checkpoint_path = dir + "/" + BaseName(o->file) + ".checkpoint";
  if (o->report_path.empty()) {
    o->report_path = DirectoryOf(o->checkpoint_path) + "/" + BaseName(o->file) + ".ineligible.csv";
  }
}

absl::StatusOr<BackfillOptions> MakeOptions(const BackfillFlags& flags,
                                            const BackfillConfig& config,
                                            const kafka::KafkaConfig& kafka) {
  BackfillOptions o;
  if (flags.kind.empty())
    return absl::InvalidArgumentError("--kind: is required (divorce or registration)");
  auto kind = ParseExportKind(flags.kind);
  if (!kind.ok()) return kind.status();
  o.kind = *kind;
  if (flags.file.empty())
    return absl::InvalidArgumentError("--file: is required (the export to load)");
  o.file = flags.file;
  if (::access(o.file.c_str(), R_OK) != 0) {
    return absl::NotFoundError("--file: cannot read " + o.file + ": " + std::strerror(errno));
  }
  auto format = flags.format.empty() ? FormatFromPath(flags.file) : ParseExportFormat(flags.format);
  if (!format.ok()) return format.status();
  o.format = *format;
  if (!absl::ParseCivilTime(config.last_backlog_day, &o.last_backlog_day)) {
    return absl::InvalidArgumentError(
        "backfill.last_backlog_day: must be a date yyyy-mm-dd, got '" + config.last_backlog_day +
        "'");
  }
  o.topic =
      kafka.TopicFor(o.kind == ExportKind::kDivorce ? records::v1::RECORD_KIND_DIVORCE_DECISION
                                                    : records::v1::RECORD_KIND_REGISTRATION);
  o.checkpoint_interval = config.checkpoint_interval;
  o.progress_interval = config.progress_interval;
  o.checkpoint_path = flags.checkpoint;
  o.report_path = flags.report;
  ResolvePaths(config.checkpoint_dir, &o);
  return o;
}

absl::StatusOr<BackfillSummary> RunBackfill(const BackfillOptions& options, Publisher& publisher) {
  const auto started = Clock::now();
  BackfillSummary summary;
  summary.file = options.file;
  summary.kind = std::string(ExportKindName(options.kind));
  summary.format = std::string(ExportFormatName(options.format));
  summary.checkpoint_path = options.checkpoint_path;
  summary.report_path = options.report_path;
  if (options.topic.empty())
    return absl::InvalidArgumentError("backfill: no topic for the records");

  auto data = ExportData::Map(options.file);
  if (!data.ok()) return data.status();
  Checkpoint checkpoint;
  checkpoint.input = options.file;
  checkpoint.identity = IdentifyInput((*data)->bytes());
  checkpoint.kind = summary.kind;
  checkpoint.format = summary.format;
  checkpoint.last_backlog_day = absl::FormatCivilTime(options.last_backlog_day);
  auto total = CountRows(**data, options.format, options.kind);
  if (!total.ok()) return total.status();
  checkpoint.rows_total = *total;
  summary.rows = *total;

  auto previous = LoadCheckpoint(options.checkpoint_path);
  if (!previous.ok()) return previous.status();
  if (previous->has_value()) {
    absl::Status same = CheckSameInput(**previous, options.checkpoint_path, checkpoint);
    if (!same.ok()) return same;
    summary.resumed_from = (*previous)->rows_done;
  }
  checkpoint.rows_done = summary.resumed_from;

  auto reader = ExportReader::Open(**data, options.format, options.kind, options.file);
  if (!reader.ok()) return reader.status();
  auto report = EligibilityReport::Create(options.report_path);
  if (!report.ok()) return report.status();

  Log()->info("start file={} kind={} format={} rows={} resume_from_row={} topic={} checkpoint={}",
              options.file, summary.kind, summary.format, summary.rows, summary.resumed_from,
              options.topic, options.checkpoint_path);

  ClassifierOptions classifier_options;
  classifier_options.last_backlog_day = options.last_backlog_day;
  classifier_options.validation.reference = options.reference;
  classifier_options.validation.now = absl::Now();
  RowClassifier classifier(options.kind, classifier_options);
  Progress progress(summary.rows, options.progress_on_terminal, options.progress_interval);
  auto deliveries = std::make_unique<Deliveries>();
  Deliveries& d = *deliveries;

  int64_t last_saved = summary.resumed_from;
  auto next_save = Clock::now() + options.checkpoint_interval;
  absl::Status save_error;
  // Advances the done mark; rewrites the checkpoint when it is due and the mark moved.
  auto tick = [&] {
    const int64_t done = d.window.Advance();
    progress.Update(done);
    const auto now = Clock::now();
    if (done > last_saved && now >= next_save) {
      checkpoint.rows_done = done;
      absl::Status st = SaveCheckpoint(options.checkpoint_path, checkpoint);
      if (!st.ok() && save_error.ok()) save_error = st;
      last_saved = done;
      next_save = now + options.checkpoint_interval;
    }
  };
  auto failing = [&] { return d.failed.load() > 0 || !save_error.ok(); };

  absl::Status stop;  // why the run stopped before the end of the file
  int64_t last_row = 0;
  bool reached_end = false;
  RawRow row;
  records::v1::RecordEnvelope envelope;
  while (true) {
    if (failing()) break;
    if (options.stop_requested && options.stop_requested()) {
      stop = absl::CancelledError("interrupted");
      break;
    }
    if (!(*reader)->Next(&row)) {
      reached_end = true;
      break;
    }
    last_row = row.number;
    // A row kCapacity past the oldest unconfirmed one waits for it: memory and the work
    // redone after a crash stay bounded even if one partition stalls.
    while (!d.window.HasRoom(row.number) && !failing()) {
      tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (failing()) break;
    Verdict verdict = classifier.Classify(row, &envelope);
    if (!verdict.eligible) {
      ++summary.ineligible;
      ++summary.ineligible_by_reason[static_cast<int>(verdict.why.reason)];
      stop = (*report)->Add(row.number, verdict.business_key, verdict.why);
      if (!stop.ok()) break;
      d.window.MarkDone(row.number);
    } else {
      ++summary.eligible;
      if (row.number <= summary.resumed_from) {
        ++summary.already_done;  // produced and confirmed by an earlier run
        d.window.MarkDone(row.number);
      } else {
        stop = Produce(options.topic, envelope, row.number, publisher, d, [&] {
          // The producer queue is full: the broker is the bottleneck; wait for confirmations.
          tick();
          return !failing();
        });
        if (!stop.ok()) break;
      }
    }
    if ((row.number & 255) == 0) tick();
  }

  // Every record produced gets its outcome before the run ends (callbacks reference `d`).
  while (d.outstanding.load() > 0) {
    tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const int64_t done = d.window.Advance();
  summary.produced = d.confirmed.load();
  summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  checkpoint.complete = reached_end && done == last_row && stop.ok() && !failing();
  if (done > last_saved || checkpoint.complete) {
    checkpoint.rows_done = done;
    absl::Status st = SaveCheckpoint(options.checkpoint_path, checkpoint);
    if (!st.ok() && save_error.ok()) save_error = st;
  }
  progress.Finish(done);

  if (!save_error.ok()) return save_error;
  if (d.failed.load() > 0) {
    platform::MutexLock lock(&d.mu);
    return absl::UnavailableError(
        absl::StrCat(d.failed.load(), " record(s) were not confirmed by the broker (",
                     d.first_error, "); rows 1..", done, " are done (", options.checkpoint_path,
                     "): run the same command again to resume"));
  }
  if (!stop.ok()) {
    return absl::Status(stop.code(), absl::StrCat(stop.message(), "; rows 1..", done, " are done (",
                                                  options.checkpoint_path,
                                                  "): run the same command again to resume"));
  }
  absl::Status st = (*report)->Commit();
  if (!st.ok()) return st;
  Log()->info(
      "done file={} rows={} eligible={} produced={} already_done={} ineligible={} "
      "seconds={:.2f}",
      options.file, summary.rows, summary.eligible, summary.produced, summary.already_done,
      summary.ineligible, summary.seconds);
  return summary;
}

std::string FormatSummary(const BackfillSummary& s) {
  std::string out =
      absl::StrCat("backfill complete: ", s.kind, " export ", s.file, " (", s.format, ")\n");
  absl::StrAppend(&out, "rows: ", s.rows, "\n");
  absl::StrAppend(&out, "eligible: ", s.eligible, "\n");
  absl::StrAppend(&out, "produced: ", s.produced, "\n");
  absl::StrAppend(&out, "already_done: ", s.already_done, "\n");
  absl::StrAppend(&out, "ineligible: ", s.ineligible, "\n");
  for (int i = 0; i < kReasonCount; ++i) {
    if (s.ineligible_by_reason[i] == 0) continue;
    absl::StrAppend(&out, "ineligible.", std::string(ReasonName(static_cast<Reason>(i))), ": ",
                    s.ineligible_by_reason[i], "\n");
  }
  absl::StrAppend(&out, "resumed_from_row: ", s.resumed_from, "\n");
  absl::StrAppend(&out, "checkpoint: ", s.checkpoint_path, "\n");
  absl::StrAppend(&out, "report: ", s.report_path, "\n");
  absl::StrAppend(&out, absl::StrFormat("seconds: %.2f\n", s.seconds));
  absl::StrAppend(&out,
                  absl::StrFormat("rows_per_s: %.0f\n", s.seconds > 0 ? s.rows / s.seconds : 0));
  return out;
}

}  // namespace crvs::backfill
