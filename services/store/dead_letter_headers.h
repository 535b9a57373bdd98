// How a dead letter's Kafka headers are stored (dead_letters.headers): the store's own message
// crvs.store.v1.StoredHeaders (proto/crvs/store/v1/dead_letter_headers.proto), wire-compatible
// with a crvs.admin.v1.DeadLetter holding only its headers, which is how every row has been
// written since migration 1: old rows read back and new rows equal old ones, without the store
// depending on the admin API.
//
// Internal to crvs_store (and its tests). Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "services/store/rows.h"

namespace crvs::store {

// The encoding of `headers`, in order; "" for none. Empty keys and values are left out of
// their entry, as protobuf does.
std::string EncodeDeadLetterHeaders(const std::vector<KafkaHeader>& headers);

// The headers `bytes` encodes, in order; none when `bytes` is not such an encoding (malformed
// wire format, or a key that is not UTF-8), as parsing the message would fail. Other fields
// are skipped.
std::vector<KafkaHeader> DecodeDeadLetterHeaders(std::string_view bytes);

}  // namespace crvs::store
