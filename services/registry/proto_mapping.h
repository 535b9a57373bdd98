// The store's rows (services/store/rows.h) in the Registry API's terms (crvs.registry.v1): the
// one place the registry service maps them.
//
// Thread-safety: pure functions.
#pragma once

#include <absl/time/time.h>
#include <google/protobuf/timestamp.pb.h>

#include "crvs/registry/v1/registry.pb.h"
#include "services/store/store.h"

namespace crvs::registry {

// Every field; the versions the row holds, in its order.
v1::RecordView ToProto(const store::RecordRow& row);
v1::RecordVersion ToProto(const store::RecordVersionRow& row);
// personal_id echoed as its number; dates only when the row holds them.
v1::PersonStatus ToProto(const store::PersonRow& row);

v1::RecordState ToProto(store::RecordState state);
v1::VitalStatus ToProto(store::VitalStatus status);
v1::MaritalStatus ToProto(store::MaritalStatus status);

// An instant as a Timestamp, to the microsecond (what the database keeps).
google::protobuf::Timestamp ToTimestamp(absl::Time t);

}  // namespace crvs::registry
