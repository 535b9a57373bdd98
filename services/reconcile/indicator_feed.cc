#include "services/reconcile/indicator_feed.h"

#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>

#include <future>

#include "services/platform/logging.h"
#include "services/platform/status.h"
#include "services/reconcile/indicators/report_format.h"
#include "services/store/sql.h"
#include "services/validation/field_checks.h"

namespace crvs::reconcile {
namespace {

std::shared_ptr<spdlog::logger> Log() { return logging::Get("reconcile"); }

}  // namespace

std::unique_ptr<IndicatorFeed> IndicatorFeed::Start(Deps deps) {
  std::unique_ptr<IndicatorFeed> feed(new IndicatorFeed(std::move(deps)));
  if (feed->deps_.metrics != nullptr) {
    prometheus::Registry& r = *feed->deps_.metrics;
    feed->percent_ = &prometheus::BuildGauge()
                          .Name("crvs_reconcile_indicator_percent")
                          .Help("National value of each programme indicator for the current "
                                "year, in percent (absent while its denominator is 0)")
                          .Register(r);
    feed->target_ = &prometheus::BuildGauge()
                         .Name("crvs_reconcile_indicator_target_percent")
                         .Help("The programme's target for each indicator, by target year")
                         .Register(r);
    feed->silent_ = &prometheus::BuildGauge()
                         .Name("crvs_reconcile_silent_sources")
                         .Help("Facilities and courts quiet for longer than their usual cadence")
                         .Register(r)
                         .Add({});
  }
  feed->thread_ = std::thread([raw = feed.get()] { raw->Run(); });
  return feed;
}

IndicatorFeed::~IndicatorFeed() {
  {
    platform::MutexLock lock(&mu_);
    stop_ = true;
  }
  wake_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::string> IndicatorFeed::Watermark() {
  std::string mark;
  CRVS_RETURN_IF_ERROR(deps_.store->Read([&](store::sql::Connection& c) -> absl::Status {
    for (const char* sql :
         {"SELECT CAST(COALESCE(SUM(next_offset), 0) AS BIGINT), COALESCE(MAX(updated_at_us), 0) "
          "FROM consumed_offsets",
          "SELECT COUNT(*), COALESCE(MAX(declared_at_us), 0) FROM manifests"}) {
      CRVS_ASSIGN_OR_RETURN(auto rows, c.Execute(sql, {}));
      for (const auto& value : rows.at(0)) absl::StrAppend(&mark, value.AsInt(), "/");
    }
    return absl::OkStatus();
  }));
  return mark;
}

absl::Status IndicatorFeed::Publish() {
  const absl::Time now = deps_.now ? deps_.now() : absl::Now();
  v1::IndicatorsRequest request;
  request.set_period(absl::StrCat(validation::internal::VietnamDay(now).year()));
  CRVS_ASSIGN_OR_RETURN(v1::IndicatorReport report, deps_.indicators(request));
  const int64_t sequence = published_.load() + 1;
  auto delivered = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> done = delivered->get_future();
  CRVS_RETURN_IF_ERROR(deps_.producer->Produce(
      {deps_.topic, absl::StrCat("VN/", report.period()), indicators::FormatJson(report),
       {{"crvs-schema", kSnapshotSchema}, {"crvs-snapshot-sequence", std::to_string(sequence)}}},
      [delivered](const kafka::Delivery& d) { delivered->set_value(d.status); }));
  CRVS_RETURN_IF_ERROR(done.get());
  published_ = sequence;
  SetIndicatorGauges(report);
  return absl::OkStatus();
}

void IndicatorFeed::SetIndicatorGauges(const v1::IndicatorReport& report) {
  if (percent_ == nullptr) return;
  for (const v1::IndicatorValue& v : report.values()) {
    if (!v.breakdown_key().empty()) continue;
    const std::map<std::string, std::string> labels{{"indicator", v.id()}};
    if (v.has_percent()) {
      percent_->Add(labels).Set(v.percent());
    } else if (percent_->Has(labels)) {
      percent_->Remove(&percent_->Add(labels));
    }
    if (v.has_target_2028()) target_->Add({{"indicator", v.id()}, {"year", "2028"}}).Set(v.target_2028());
    if (v.has_target_2030()) target_->Add({{"indicator", v.id()}, {"year", "2030"}}).Set(v.target_2030());
  }
}

void IndicatorFeed::CountSilentSources() {
  const absl::Time now = deps_.now ? deps_.now() : absl::Now();
  if (silent_ == nullptr || now - silent_counted_ < absl::Minutes(1)) return;
  silent_counted_ = now;
  auto silent = FindSilentSources(*deps_.store, deps_.silence,
                                  common::v1::PRINCIPAL_KIND_UNSPECIFIED, absl::ZeroDuration(), now);
  if (silent.ok()) silent_->Set(static_cast<double>(silent->size()));
}

void IndicatorFeed::Run() {
  std::string last_mark;
  absl::Time last_publish = absl::InfinitePast();
  absl::Duration wait = absl::ZeroDuration();
  for (;;) {
    {
      const auto next = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(wait);
      platform::MutexLock lock(&mu_);
      while (!stop_ && wake_.WaitUntil(&mu_, next)) {
      }
      if (stop_) return;
    }
    wait = deps_.interval;
    CountSilentSources();
    auto mark = Watermark();
    if (!mark.ok()) {
      Log()->warn("event=feed_check_failed error=\"{}\"", std::string(mark.status().message()));
      continue;
    }
    const absl::Time started = absl::Now();
    if (*mark == last_mark && started - last_publish < deps_.heartbeat) continue;
    absl::Status published = Publish();
    const absl::Duration took = absl::Now() - started;
    if (!published.ok()) {
      Log()->warn("event=feed_publish_failed error=\"{}\"", std::string(published.message()));
      continue;
    }
    last_mark = *mark;
    last_publish = started;
    wait = std::max(deps_.interval, took * 2);
    Log()->debug("event=snapshot_published sequence={} took_ms={}", published_.load(),
                 absl::ToInt64Milliseconds(took));
  }
}

}  // namespace crvs::reconcile
