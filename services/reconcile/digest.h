// The bucketed (Merkle-style) digest protocol of CompareDigest, both sides of it.
//
// A record's bucket is named by the first hex characters of SHA-256(business_key); a bucket's
// digest is the XOR of SHA-256(business_key || 0x00 || content_hash) over its records (the
// hash empty when keys only) and its count guards against cancellations. A DigestIndex keeps
// the records sorted by key hash with a running XOR, so the digest of ANY bucket costs two
// binary searches: answering a comparison step costs O(buckets asked × log n), and a whole
// comparison grows with the number of differences, not with the inventory.
//
// Thread-safety: a built DigestIndex is immutable; any number of threads may read it.
#pragma once

#include <absl/status/statusor.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crvs/reconcile/v1/reconciliation.pb.h"

namespace crvs::reconcile {

inline constexpr int kMaxDigestDepth = 16;
inline constexpr int kMaxExpandedKeys = 10000;

class DigestIndex {
 public:
  using Hash = std::array<uint8_t, 32>;

  // Takes the entries (business_key, content_hash, issued_at); with keys_only the content
  // hashes are ignored. Cost O(n log n), once.
  DigestIndex(std::vector<v1::ManifestEntry> entries, bool keys_only);

  size_t size() const { return items_.size(); }

  // Count and digest of the bucket named `bucket` (lower-case hex, 0..16 characters).
  std::pair<uint64_t, Hash> Bucket(std::string_view bucket) const;
  // Every non-empty bucket of `depth` characters under `prefix`, sorted by name.
  std::vector<v1::BucketDigest> Buckets(std::string_view prefix, int depth) const;
  // The entries in bucket `bucket`, in key-hash order.
  std::vector<const v1::ManifestEntry*> Entries(std::string_view bucket) const;

 private:
  struct Item {
    uint64_t top;  // first 8 bytes of SHA-256(key), big-endian: bucket names are its hex prefix
    Hash key_hash;
    uint32_t entry;
  };
  // [begin, end) of the items in `bucket`.
  std::pair<size_t, size_t> Range(std::string_view bucket) const;

  std::vector<v1::ManifestEntry> entries_;
  std::vector<Item> items_;         // sorted by key_hash
  std::vector<Hash> running_xor_;   // running_xor_[i] = XOR of entry hashes of items_[0..i)
};

// The server's side of one CompareDigest step against `mine` (the database's records).
// INVALID_ARGUMENT names a bad depth, prefix or bucket.
absl::StatusOr<v1::DigestResponse> AnswerDigest(const DigestIndex& mine,
                                                const v1::DigestRequest& request);

// The source's side: runs the whole protocol with `call` (CompareDigest on a server) from
// `base` (source, kind, period, keys_only set) and returns what differs.
struct DigestDifferences {
  std::vector<std::string> only_here;     // keys the source has and the server lacks
  std::vector<std::string> only_there;    // keys the server has and the source lacks
  std::vector<std::string> hash_differs;  // keys on both sides with different content
  int64_t calls = 0;
  int64_t buckets_sent = 0;
};
absl::StatusOr<DigestDifferences> CompareWithServer(
    const DigestIndex& mine, const v1::DigestRequest& base,
    const std::function<absl::StatusOr<v1::DigestResponse>(const v1::DigestRequest&)>& call);

}  // namespace crvs::reconcile
