// The answer to a registration the store refused (Store::WriteRecord, outcome CONFLICT or
// INVALID): the store says which of its rules refused it, and this maps the rule to the gRPC
// status the office gets (services/registry/README.md, "Outcome → answer").
//
// Pure functions; thread-safe.
#pragma once

#include <absl/status/status.h>

#include "crvs/records/v1/envelope.pb.h"
#include "services/store/store.h"

namespace crvs::registry {

// The status of a submission `result` refused (result.refusal set):
// * key voided (SUBMIT or AMEND of a voided key) → FAILED_PRECONDITION;
// * the (source, message_id) already applied to another key, action or content →
//   INVALID_ARGUMENT naming message_id;
// * SUBMIT with other content for a recorded key → ALREADY_EXISTS (send an ACTION_AMEND);
// * an envelope the store cannot apply → INTERNAL (validation let through what the store
//   refuses: a bug, not the caller's fault).
absl::Status RefusalStatus(const records::v1::RecordEnvelope& envelope,
                           const store::RecordResult& result);

}  // namespace crvs::registry
