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
#include "services/platform/elapsed.h"
#include "services/platform/logging.h"
#include "services/platform/mutex.h"
#include "services/platform/status.h"
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

// One RunBackfill: the input checked against the checkpoint of an earlier run, the loop over
// its rows, the checkpoint kept as the broker confirms them, and the outcome.
class BackfillRun {
 public:
  BackfillRun(const BackfillOptions& options, Publisher& publisher)
      : options_(options), publisher_(publisher) {}

  absl::StatusOr<BackfillSummary> Run() {
    summary_.file = options_.file;
    summary_.kind = std::string(ExportKindName(options_.kind));
    summary_.format = std::string(ExportFormatName(options_.format));
    summary_.checkpoint_path = options_.checkpoint_path;
    summary_.report_path = options_.report_path;
    if (options_.topic.empty())
      return absl::InvalidArgumentError("backfill: no topic for the records");
    CRVS_RETURN_IF_ERROR(OpenInput());

    Log()->info("start file={} kind={} format={} rows={} resume_from_row={} topic={} checkpoint={}",
                options_.file, summary_.kind, summary_.format, summary_.rows,
                summary_.resumed_from, options_.topic, options_.checkpoint_path);

    ClassifierOptions classifier_options;
    classifier_options.last_backlog_day = options_.last_backlog_day;
    classifier_options.validation.reference = options_.reference;
    classifier_options.validation.now = absl::Now();
    classifier_ = std::make_unique<RowClassifier>(options_.kind, classifier_options);
    progress_ = std::make_unique<Progress>(summary_.rows, options_.progress_on_terminal,
                                           options_.progress_interval);
    last_saved_ = summary_.resumed_from;
    next_save_ = Clock::now() + options_.checkpoint_interval;

    const absl::Status stop = ProduceRows();
    const int64_t done = Drain();
    summary_.produced = d_.confirmed.load();
    summary_.seconds = platform::SecondsSince(started_);
    SaveLast(done, reached_end_ && done == last_row_ && stop.ok() && !Failing());
    progress_->Finish(done);
    return Outcome(done, stop);
  }

 private:
  // Maps the input, counts its rows and, when an earlier run left a checkpoint, checks that it
  // is of the same input and resumes after its rows.
  absl::Status OpenInput() {
    auto data = ExportData::Map(options_.file);
    if (!data.ok()) return data.status();
    data_ = *std::move(data);
    checkpoint_.input = options_.file;
    checkpoint_.identity = IdentifyInput(data_->bytes());
    checkpoint_.kind = summary_.kind;
    checkpoint_.format = summary_.format;
    checkpoint_.last_backlog_day = absl::FormatCivilTime(options_.last_backlog_day);
    auto total = CountRows(*data_, options_.format, options_.kind);
    if (!total.ok()) return total.status();
    checkpoint_.rows_total = *total;
    summary_.rows = *total;

    auto previous = LoadCheckpoint(options_.checkpoint_path);
    if (!previous.ok()) return previous.status();
    if (previous->has_value()) {
      absl::Status same = CheckSameInput(**previous, options_.checkpoint_path, checkpoint_);
      if (!same.ok()) return same;
      summary_.resumed_from = (*previous)->rows_done;
    }
    checkpoint_.rows_done = summary_.resumed_from;

    auto reader = ExportReader::Open(*data_, options_.format, options_.kind, options_.file);
    if (!reader.ok()) return reader.status();
    reader_ = *std::move(reader);
    auto report = EligibilityReport::Create(options_.report_path);
    if (!report.ok()) return report.status();
    report_ = *std::move(report);
    return absl::OkStatus();
  }

  // Reads, classifies and produces rows until the end of the file (reached_end_), a failed
  // delivery or checkpoint write (Failing), or a stop: returns why it stopped before the end
  // of the file (OK for the first two).
  absl::Status ProduceRows() {
    absl::Status stop;
    RawRow row;
    records::v1::RecordEnvelope envelope;
    while (true) {
      if (Failing()) break;
      if (options_.stop_requested && options_.stop_requested()) {
        stop = absl::CancelledError("interrupted");
        break;
      }
      if (!reader_->Next(&row)) {
        reached_end_ = true;
        break;
      }
      last_row_ = row.number;
      // A row kCapacity past the oldest unconfirmed one waits for it: memory and the work
      // redone after a crash stay bounded even if one partition stalls.
      while (!d_.window.HasRoom(row.number) && !Failing()) {
        Tick();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (Failing()) break;
      stop = HandleRow(row, &envelope);
      if (!stop.ok()) break;
      if ((row.number & 255) == 0) Tick();
    }
    return stop;
  }

  // One row: an ineligible one goes to the report, an eligible one to the topic unless an
  // earlier run already did it.
  absl::Status HandleRow(const RawRow& row, records::v1::RecordEnvelope* envelope) {
    Verdict verdict = classifier_->Classify(row, envelope);
    if (!verdict.eligible) {
      ++summary_.ineligible;
      ++summary_.ineligible_by_reason[static_cast<int>(verdict.why.reason)];
      CRVS_RETURN_IF_ERROR(report_->Add(row.number, verdict.business_key, verdict.why));
      d_.window.MarkDone(row.number);
      return absl::OkStatus();
    }
    ++summary_.eligible;
    if (row.number <= summary_.resumed_from) {
      ++summary_.already_done;  // produced and confirmed by an earlier run
      d_.window.MarkDone(row.number);
      return absl::OkStatus();
    }
    return Produce(options_.topic, *envelope, row.number, publisher_, d_, [&] {
      // The producer queue is full: the broker is the bottleneck; wait for confirmations.
      Tick();
      return !Failing();
    });
  }

  // Advances the done mark; rewrites the checkpoint when it is due and the mark moved.
  void Tick() {
    const int64_t done = d_.window.Advance();
    progress_->Update(done);
    const auto now = Clock::now();
    if (done > last_saved_ && now >= next_save_) {
      checkpoint_.rows_done = done;
      absl::Status st = SaveCheckpoint(options_.checkpoint_path, checkpoint_);
      if (!st.ok() && save_error_.ok()) save_error_ = st;
      last_saved_ = done;
      next_save_ = now + options_.checkpoint_interval;
    }
  }

  bool Failing() const { return d_.failed.load() > 0 || !save_error_.ok(); }

  // Waits until every record produced has its outcome (callbacks reference d_); returns the
  // done mark: rows 1..it are done.
  int64_t Drain() {
    while (d_.outstanding.load() > 0) {
      Tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return d_.window.Advance();
  }

  // The run's last checkpoint: rows 1..done, and whether that is the whole file.
  void SaveLast(int64_t done, bool complete) {
    checkpoint_.complete = complete;
    if (done > last_saved_ || checkpoint_.complete) {
      checkpoint_.rows_done = done;
      absl::Status st = SaveCheckpoint(options_.checkpoint_path, checkpoint_);
      if (!st.ok() && save_error_.ok()) save_error_ = st;
    }
  }

  // The summary, or why the run did not finish (rows 1..done are done: how to resume).
  absl::StatusOr<BackfillSummary> Outcome(int64_t done, const absl::Status& stop) {
    if (!save_error_.ok()) return save_error_;
    if (d_.failed.load() > 0) {
      platform::MutexLock lock(&d_.mu);
      return absl::UnavailableError(
          absl::StrCat(d_.failed.load(), " record(s) were not confirmed by the broker (",
                       d_.first_error, "); rows 1..", done, " are done (",
                       options_.checkpoint_path, "): run the same command again to resume"));
    }
    if (!stop.ok()) {
      return absl::Status(stop.code(),
                          absl::StrCat(stop.message(), "; rows 1..", done, " are done (",
                                       options_.checkpoint_path,
                                       "): run the same command again to resume"));
    }
    absl::Status st = report_->Commit();
    if (!st.ok()) return st;
    Log()->info(
        "done file={} rows={} eligible={} produced={} already_done={} ineligible={} "
        "seconds={:.2f}",
        options_.file, summary_.rows, summary_.eligible, summary_.produced,
        summary_.already_done, summary_.ineligible, summary_.seconds);
    return summary_;
  }

  const BackfillOptions& options_;
  Publisher& publisher_;
  const Clock::time_point started_ = Clock::now();
  BackfillSummary summary_;
  std::unique_ptr<ExportData> data_;
  Checkpoint checkpoint_;
  std::unique_ptr<ExportReader> reader_;  // reads data_
  std::unique_ptr<EligibilityReport> report_;
  std::unique_ptr<RowClassifier> classifier_;
  std::unique_ptr<Progress> progress_;
  Deliveries d_;
  int64_t last_saved_ = 0;  // rows_done of the checkpoint file
  Clock::time_point next_save_;
  absl::Status save_error_;
  int64_t last_row_ = 0;
  bool reached_end_ = false;
};

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
  return BackfillRun(options, publisher).Run();
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
