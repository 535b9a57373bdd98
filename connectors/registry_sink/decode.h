// Turns a consumed Kafka message into what the store applies: a decoded, valid envelope, or a
// failure with its error class for the dead-letter queue. Pure: no I/O, unit-tested.
#pragma once

#include <variant>

#include "services/store/store.h"
#include "services/validation/reference_data.h"

namespace crvs::sink {

// Error classes of dead letters written by the sink (the DLQ header crvs-dlq-error-class).
inline constexpr const char* kErrorDecode = "DECODE";                  // not a RecordEnvelope
inline constexpr const char* kErrorSchemaVersion = "SCHEMA_VERSION";   // unknown contract version
inline constexpr const char* kErrorValidation = "VALIDATION";          // fails the domain rules

using Decoded = std::variant<store::InboundRecord, store::FailedMessage>;

// `reference` is used for the domain rules (BRIEF §3), the same as at the gateway.
Decoded Decode(store::KafkaMessage message, const validation::ReferenceData& reference);

}  // namespace crvs::sink
