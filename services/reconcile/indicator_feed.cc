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
  feed->thread_ = std::thread([raw = feed.get()] { raw->Run(); });
  return feed;
}

IndicatorFeed::~IndicatorFeed() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::string> IndicatorFeed::Watermark() {
  std::string mark;
  CRVS_RETURN_IF_ERROR(deps_.store->Read([&](store::sql::Connection& c) -> absl::Status {
    for (const char* sql :
         {"SELECT COALESCE(SUM(next_offset), 0), COALESCE(MAX(updated_at_us), 0) "
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
  return absl::OkStatus();
}

void IndicatorFeed::Run() {
  std::string last_mark;
  absl::Time last_publish = absl::InfinitePast();
  absl::Duration wait = absl::ZeroDuration();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, absl::ToChronoMilliseconds(wait), [this] { return stop_; });
      if (stop_) return;
    }
    wait = deps_.interval;
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
