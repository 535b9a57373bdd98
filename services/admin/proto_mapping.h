// The store's rows (services/store/rows.h) in the Admin API's terms (crvs.admin.v1), and back
// for the filters: the one place the admin service and its tests map them.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>

#include "crvs/admin/v1/admin.pb.h"
#include "services/store/store.h"

namespace crvs::admin {

// Every field, key / payload / headers as the row holds them (empty when the store did not read
// them).
v1::DeadLetter ToProto(const store::DeadLetterRow& row);
v1::DeadLetterState ToProto(store::DeadLetterState state);
// A ListDeadLetters filter: UNSPECIFIED is any state (unset); a value the API does not define
// matches no dead letter.
std::optional<store::DeadLetterState> DeadLetterStateFilter(v1::DeadLetterState state);

v1::OffsetAlarm ToProto(const store::OffsetAlarm& alarm);

}  // namespace crvs::admin
