#include "services/registry/proto_mapping.h"

namespace crvs::registry {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    seconds -= 1;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rest * 1000));
  return ts;
}

v1::RecordState ToProto(store::RecordState state) {
  switch (state) {
    case store::RecordState::kActive:
      return v1::RECORD_STATE_ACTIVE;
    case store::RecordState::kVoided:
      return v1::RECORD_STATE_VOIDED;
    case store::RecordState::kPendingEffect:
      return v1::RECORD_STATE_PENDING_EFFECT;
    case store::RecordState::kEffective:
      return v1::RECORD_STATE_EFFECTIVE;
    case store::RecordState::kSetAside:
      return v1::RECORD_STATE_SET_ASIDE;
    case store::RecordState::kConflict:
      return v1::RECORD_STATE_CONFLICT;
    case store::RecordState::kUnspecified:
      break;
  }
  return v1::RECORD_STATE_UNSPECIFIED;
}

v1::VitalStatus ToProto(store::VitalStatus status) {
  switch (status) {
    case store::VitalStatus::kUnknown:
      return v1::VITAL_STATUS_UNKNOWN;
    case store::VitalStatus::kAlive:
      return v1::VITAL_STATUS_ALIVE;
    case store::VitalStatus::kDeceased:
      return v1::VITAL_STATUS_DECEASED;
    case store::VitalStatus::kUnspecified:
      break;
  }
  return v1::VITAL_STATUS_UNSPECIFIED;
}

v1::MaritalStatus ToProto(store::MaritalStatus status) {
  switch (status) {
    case store::MaritalStatus::kUnknown:
      return v1::MARITAL_STATUS_UNKNOWN;
    case store::MaritalStatus::kMarried:
      return v1::MARITAL_STATUS_MARRIED;
    case store::MaritalStatus::kDivorced:
      return v1::MARITAL_STATUS_DIVORCED;
    case store::MaritalStatus::kWidowed:
      return v1::MARITAL_STATUS_WIDOWED;
    case store::MaritalStatus::kAnnulled:
      return v1::MARITAL_STATUS_ANNULLED;
    case store::MaritalStatus::kUnspecified:
      break;
  }
  return v1::MARITAL_STATUS_UNSPECIFIED;
}

v1::RecordVersion ToProto(const store::RecordVersionRow& row) {
  v1::RecordVersion v;
  v.set_version(row.version);
  v.set_action(row.action);
  v.set_reason(row.reason);
  v.set_content_hash(row.content_hash);
  v.set_message_id(row.message_id);
  *v.mutable_committed_at() = ToTimestamp(row.committed_at);
  *v.mutable_envelope() = row.envelope;
  return v;
}

v1::RecordView ToProto(const store::RecordRow& row) {
  v1::RecordView view;
  view.set_business_key(row.business_key);
  view.set_kind(row.kind);
  view.set_state(ToProto(row.state));
  view.set_state_detail(row.state_detail);
  view.set_current_version(row.current_version);
  for (const auto& version : row.versions) *view.add_versions() = ToProto(version);
  return view;
}

v1::PersonStatus ToProto(const store::PersonRow& row) {
  v1::PersonStatus status;
  status.mutable_personal_id()->set_number(row.personal_id);
  status.set_vital_status(ToProto(row.vital_status));
  if (row.date_of_death) *status.mutable_date_of_death() = *row.date_of_death;
  status.set_marital_status(ToProto(row.marital_status));
  if (row.marital_since) *status.mutable_marital_status_since() = *row.marital_since;
  for (const auto& key : row.evidence_keys) status.add_evidence_keys(key);
  return status;
}

}  // namespace crvs::registry
