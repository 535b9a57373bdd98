#include "services/admin/proto_mapping.h"

#include <google/protobuf/util/time_util.h>

namespace crvs::admin {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

}  // namespace

v1::DeadLetterState ToProto(store::DeadLetterState state) {
  switch (state) {
    case store::DeadLetterState::kOpen:
      return v1::DEAD_LETTER_STATE_OPEN;
    case store::DeadLetterState::kReplayed:
      return v1::DEAD_LETTER_STATE_REPLAYED;
    case store::DeadLetterState::kDiscarded:
      return v1::DEAD_LETTER_STATE_DISCARDED;
    case store::DeadLetterState::kUnspecified:
      break;
  }
  return v1::DEAD_LETTER_STATE_UNSPECIFIED;
}

std::optional<store::DeadLetterState> DeadLetterStateFilter(v1::DeadLetterState state) {
  switch (state) {
    case v1::DEAD_LETTER_STATE_UNSPECIFIED:
      return std::nullopt;
    case v1::DEAD_LETTER_STATE_OPEN:
      return store::DeadLetterState::kOpen;
    case v1::DEAD_LETTER_STATE_REPLAYED:
      return store::DeadLetterState::kReplayed;
    case v1::DEAD_LETTER_STATE_DISCARDED:
      return store::DeadLetterState::kDiscarded;
    default:
      break;
  }
  return store::DeadLetterState::kUnspecified;  // no stored letter has it
}

v1::DeadLetter ToProto(const store::DeadLetterRow& row) {
  v1::DeadLetter d;
  d.set_id(row.id);
  d.set_original_topic(row.original.topic.value());
  d.set_partition(row.original.partition.value());
  d.set_offset(row.offset.value());
  d.set_error_class(row.error_class);
  d.set_error_message(row.error_message);
  d.set_key(row.key);
  d.set_payload(row.payload);
  for (const auto& h : row.headers) {
    auto* header = d.add_headers();
    header->set_key(h.key);
    header->set_value(h.value);
  }
  *d.mutable_failed_at() = ToTimestamp(row.failed_at);
  d.set_state(ToProto(row.state));
  d.set_business_key(row.business_key);
  d.set_attempts(row.attempts);
  if (row.resolved_at) *d.mutable_resolved_at() = ToTimestamp(*row.resolved_at);
  d.set_resolved_by(row.resolved_by);
  d.set_resolution_note(row.resolution_note);
  return d;
}

v1::OffsetAlarm ToProto(const store::OffsetAlarm& a) {
  v1::OffsetAlarm out;
  out.set_alarm_id(a.id);
  out.set_kind(a.kind == store::OffsetAlarm::Kind::kLogReset ? v1::OffsetAlarm::LOG_RESET
                                                             : v1::OffsetAlarm::RECORDS_LOST);
  out.set_consumer_group(a.group.value());
  out.set_topic(a.topic_partition.topic.value());
  out.set_partition(a.topic_partition.partition.value());
  out.set_from_offset(a.from.value());
  out.set_to_offset(a.to.value());
  out.set_log_end(a.log_end.value());
  out.set_reason(a.reason);
  *out.mutable_detected_at() = ToTimestamp(a.detected_at);
  if (a.acknowledged_at) *out.mutable_acknowledged_at() = ToTimestamp(*a.acknowledged_at);
  out.set_acknowledged_by(a.acknowledged_by);
  out.set_acknowledgement_note(a.acknowledgement_note);
  return out;
}

}  // namespace crvs::admin
