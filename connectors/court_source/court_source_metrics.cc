#include "connectors/court_source/court_source_metrics.h"

namespace crvs::court_source {
namespace {
constexpr double kHour = 3600, kDay = 24 * kHour;
// From "recorded within the hour" (real time, V1) to the historical backlog (years).
const prometheus::Histogram::BucketBoundaries kEffectiveToRecorded = {
    60,       300,      kHour,     6 * kHour,  kDay,       2 * kDay,    7 * kDay,
    30 * kDay, 90 * kDay, 365 * kDay, 730 * kDay, 1825 * kDay, 3650 * kDay};
}  // namespace

CourtSourceMetrics::CourtSourceMetrics(prometheus::Registry& r)
    : events_(prometheus::BuildCounter()
                  .Name("crvs_court_source_events_total")
                  .Help("Change-stream inputs by op (c, u, d, r, tombstone, unknown) and outcome "
                        "(produced, dead_lettered, skipped)")
                  .Register(r)),
      decisions_(prometheus::BuildCounter()
                     .Name("crvs_court_source_decisions_total")
                     .Help("Divorce decisions confirmed on the divorce topic by the state they "
                           "carry (pending, effective, set_aside, deleted)")
                     .Register(r)),
      effective_to_recorded_(prometheus::BuildHistogram()
                                 .Name("crvs_court_source_effective_to_recorded_seconds")
                                 .Help("Legal effect date (00:00 Vietnam time) to the effective "
                                       "decision confirmed on the divorce topic (seconds)")
                                 .Register(r)
                                 .Add({}, kEffectiveToRecorded)),
      dead_letters_(prometheus::BuildCounter()
                        .Name("crvs_court_source_dead_letters_total")
                        .Help("Inputs dead-lettered by error class (DECODE, MAPPING, VALIDATION)")
                        .Register(r)),
      resends_(prometheus::BuildCounter()
                   .Name("crvs_court_source_resend_requests_total")
                   .Help("Re-send requests for courts: served, or unserved with the reason "
                         "(left open for the court system)")
                   .Register(r)),
      delivery_retries_(prometheus::BuildCounter()
                            .Name("crvs_court_source_delivery_retries_total")
                            .Help("Outputs produced again after a failed delivery")
                            .Register(r)
                            .Add({})),
      behind_log_start_(prometheus::BuildCounter()
                            .Name("crvs_court_source_behind_log_start_total")
                            .Help("ALARM: times the committed position fell below the log start")
                            .Register(r)),
      lost_offsets_(prometheus::BuildCounter()
                        .Name("crvs_court_source_lost_offsets_total")
                        .Help("Change-stream offsets expired unread (the court must re-snapshot)")
                        .Register(r)),
      last_change_(prometheus::BuildGauge()
                       .Name("crvs_court_source_last_change_timestamp_seconds")
                       .Help("Commit time in the court database of the newest change handled")
                       .Register(r)
                       .Add({})) {}

void CourtSourceMetrics::Event(const std::string& op, const std::string& outcome) {
  events_.Add({{"op", op}, {"outcome", outcome}}).Increment();
}

void CourtSourceMetrics::Decision(const std::string& state) {
  decisions_.Add({{"state", state}}).Increment();
}

void CourtSourceMetrics::DeadLetter(const std::string& error_class) {
  dead_letters_.Add({{"error_class", error_class}}).Increment();
}

void CourtSourceMetrics::Resend(const std::string& outcome, const std::string& reason) {
  resends_.Add({{"outcome", outcome}, {"reason", reason}}).Increment();
}

void CourtSourceMetrics::BehindLogStart(const std::string& topic, int partition, double lost) {
  prometheus::Labels labels{{"topic", topic}, {"partition", std::to_string(partition)}};
  behind_log_start_.Add(labels).Increment();
  lost_offsets_.Add(labels).Increment(lost);
}

}  // namespace crvs::court_source
