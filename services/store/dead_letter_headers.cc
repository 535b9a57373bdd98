#include "services/store/dead_letter_headers.h"

#include "crvs/store/v1/dead_letter_headers.pb.h"

namespace crvs::store {

std::string EncodeDeadLetterHeaders(const std::vector<KafkaHeader>& headers) {
  v1::StoredHeaders stored;
  for (const auto& h : headers) {
    v1::StoredHeader* entry = stored.add_headers();
    entry->set_key(h.key);
    entry->set_value(h.value);
  }
  return stored.SerializeAsString();
}

std::vector<KafkaHeader> DecodeDeadLetterHeaders(std::string_view bytes) {
  v1::StoredHeaders stored;
  if (!stored.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return {};
  std::vector<KafkaHeader> headers;
  headers.reserve(stored.headers_size());
  for (const auto& h : stored.headers()) headers.push_back({h.key(), h.value()});
  return headers;
}

}  // namespace crvs::store
