// What a registration recorded through the registry API means to the store, which was made
// for records consumed from Kafka: the Kafka coordinates such a write carries, and the gRPC
// status of a write Store::Apply refused as a CONFLICT.
//
// Pure functions; thread-safe.
#pragma once

#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "crvs/records/v1/envelope.pb.h"
#include "crvs/registry/v1/registry.pb.h"
#include "services/store/store.h"

namespace crvs::registry {

// The topic stored with versions and dead letters of records written through the registry
// API. Not a Kafka topic: nothing is produced to or consumed from it.
inline constexpr const char* kApiTopic = "registry-api";

// The synthetic offset of a submission (partition 0 of kApiTopic): the first 63 bits of
// SHA-256(source "\n" message_id). Dead letters are unique per (topic, partition, offset), so
// a submission refused again on a retry keeps its one dead letter, and two different
// submissions share one only with probability ~2^-63.
store::Offset ApiOffset(const common::v1::Principal& source, const std::string& message_id);

// The InboundRecord that applies a completed envelope (records::CompleteEnvelope): key = the
// business key, value = the serialized envelope, headers = records::HeadersOf, at
// kApiTopic / 0 / ApiOffset.
store::InboundRecord ApiRecord(records::v1::RecordEnvelope envelope);

// The status of a submission Store::Apply answered with CONFLICT. The store does not say
// which of its rules refused it, so the rule is told from the record as it now stands
// (`current`: GetRecord of the envelope's key; NOT_FOUND when there is none) and the order in
// which Apply checks (store.h: the message id first, then the key):
// * SUBMIT or AMEND of a voided key → FAILED_PRECONDITION;
// * the (source, message_id) was already applied to another key, action or content →
//   INVALID_ARGUMENT naming message_id;
// * SUBMIT with other content for a key already recorded → ALREADY_EXISTS (send an AMEND).
// `current` must be OK or NOT_FOUND.
absl::Status ConflictStatus(const records::v1::RecordEnvelope& envelope,
                            const absl::StatusOr<registry::v1::RecordView>& current);

}  // namespace crvs::registry
