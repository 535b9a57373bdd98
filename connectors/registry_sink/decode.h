// Turns a consumed Kafka message into what the store applies: a decoded, valid envelope, or a
// failure with its error class for the dead-letter queue. Pure: no I/O, unit-tested.
//
// Values arrive sealed (services/crypto): they are opened first, bound to their Kafka key. An
// opened message carries the plaintext envelope from then on (the database keeps envelopes, as
// it keeps every record's personal data; the dead-letter topic gets it sealed again by the
// producer). A message that cannot be opened keeps its sealed bytes, so nothing is lost: once
// the missing key is back in the ring, a replay opens it.
#pragma once

#include <variant>

#include "services/crypto/payload_cipher.h"
#include "services/store/store.h"
#include "services/validation/reference_data.h"

namespace crvs::sink {

// Error classes of dead letters written by the sink (the DLQ header crvs-dlq-error-class).
inline constexpr const char* kErrorDecode = "DECODE";    // not a (sealed) RecordEnvelope
// Sealed, but not openable here: unknown key id (named in the message) or failed authentication.
inline constexpr const char* kErrorDecrypt = "DECRYPT";
inline constexpr const char* kErrorSchemaVersion = "SCHEMA_VERSION";   // unknown contract version
inline constexpr const char* kErrorValidation = "VALIDATION";          // fails the domain rules

using Decoded = std::variant<store::InboundRecord, store::FailedMessage>;

// `reference` is used for the domain rules (BRIEF §3), the same as at the gateway. `cipher`
// opens sealed values; a value that is not sealed is a DECODE failure unless `accept_unsealed`
// (crypto.accept_unsealed, for the upgrade from a release without encryption).
Decoded Decode(store::KafkaMessage message, const validation::ReferenceData& reference,
               const crypto::PayloadCipher& cipher, bool accept_unsealed = false);

}  // namespace crvs::sink
