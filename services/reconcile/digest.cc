#include "services/reconcile/digest.h"

#include <openssl/sha.h>

#include <absl/strings/str_cat.h>

#include <algorithm>
#include <deque>
#include <map>

#include "services/platform/status.h"

namespace crvs::reconcile {
namespace {

using Hash = DigestIndex::Hash;

Hash Sha256(std::string_view data) {
  Hash out;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

// SHA-256(business_key || 0x00 || content_hash): a record's contribution to its bucket.
Hash EntryHash(std::string_view key, std::string_view content_hash, std::string& scratch) {
  scratch.assign(key.data(), key.size());
  scratch.push_back('\0');
  scratch.append(content_hash.data(), content_hash.size());
  return Sha256(scratch);
}

uint64_t Top(const Hash& h) {
  uint64_t top = 0;
  for (int i = 0; i < 8; ++i) top = (top << 8) | h[i];
  return top;
}

void XorInto(Hash& into, const Hash& other) {
  for (size_t i = 0; i < into.size(); ++i) into[i] ^= other[i];
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

uint64_t ParseHex(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) v = (v << 4) | static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  return v;
}

std::string HexName(uint64_t value, int depth) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(depth, '0');
  for (int i = depth - 1; i >= 0; --i, value >>= 4) out[i] = kDigits[value & 0xf];
  return out;
}

// The bucket name of `key` at `depth`.
std::string BucketOf(std::string_view key, int depth) {
  return HexName(Top(Sha256(key)) >> (64 - 4 * depth), depth);
}

std::string HashBytes(const Hash& h) { return std::string(h.begin(), h.end()); }

absl::Status CheckRequest(const v1::DigestRequest& r) {
  std::vector<FieldViolation> out;
  const int prefix_len = static_cast<int>(r.bucket_prefix().size());
  if (!IsLowerHex(r.bucket_prefix()) || prefix_len >= kMaxDigestDepth) {
    out.push_back({"bucket_prefix", "must be lower-case hex, shorter than 16 characters"});
  }
  const int depth = static_cast<int>(r.depth());
  if (depth < prefix_len + 1 || depth > prefix_len + 4 || depth > kMaxDigestDepth) {
    out.push_back({"depth", absl::StrCat("must be in ", prefix_len + 1, "..",
                                         std::min(prefix_len + 4, kMaxDigestDepth),
                                         " (len(bucket_prefix)+1 .. +4, at most 16)")});
  }
  for (int i = 0; i < r.buckets_size() && out.size() < 20; ++i) {
    const v1::BucketDigest& b = r.buckets(i);
    const std::string path = absl::StrCat("buckets[", i, "]");
    if (static_cast<int>(b.bucket().size()) != depth || !IsLowerHex(b.bucket()) ||
        b.bucket().compare(0, prefix_len, r.bucket_prefix()) != 0) {
      out.push_back({path + ".bucket",
                     absl::StrCat("must be ", depth, " lower-case hex characters starting with '",
                                  r.bucket_prefix(), "'")});
    }
    if (b.digest().size() != 32) out.push_back({path + ".digest", "must be 32 bytes"});
  }
  return out.empty() ? absl::OkStatus() : InvalidArgument(out);
}

}  // namespace

DigestIndex::DigestIndex(std::vector<v1::ManifestEntry> entries, bool keys_only)
    : entries_(std::move(entries)) {
  items_.reserve(entries_.size());
  std::vector<Hash> entry_hashes(entries_.size());
  std::string scratch;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const v1::ManifestEntry& e = entries_[i];
    Hash key_hash = Sha256(e.business_key());
    items_.push_back({Top(key_hash), key_hash, static_cast<uint32_t>(i)});
    entry_hashes[i] =
        EntryHash(e.business_key(), keys_only ? std::string_view() : e.content_hash(), scratch);
  }
  std::sort(items_.begin(), items_.end(),
            [](const Item& a, const Item& b) { return a.key_hash < b.key_hash; });
  running_xor_.assign(items_.size() + 1, Hash{});
  for (size_t i = 0; i < items_.size(); ++i) {
    running_xor_[i + 1] = running_xor_[i];
    XorInto(running_xor_[i + 1], entry_hashes[items_[i].entry]);
  }
}

std::pair<size_t, size_t> DigestIndex::Range(std::string_view bucket) const {
  if (bucket.empty()) return {0, items_.size()};
  const int shift = 64 - 4 * static_cast<int>(bucket.size());
  const uint64_t value = ParseHex(bucket);
  auto by_top = [](const Item& item, uint64_t top) { return item.top < top; };
  auto lo = std::lower_bound(items_.begin(), items_.end(), value << shift, by_top);
  const bool last = shift == 0 ? value == UINT64_MAX : (value + 1) == (uint64_t{1} << (64 - shift));
  auto hi = last ? items_.end()
                 : std::lower_bound(lo, items_.end(), (value + 1) << shift, by_top);
  return {static_cast<size_t>(lo - items_.begin()), static_cast<size_t>(hi - items_.begin())};
}

std::pair<uint64_t, Hash> DigestIndex::Bucket(std::string_view bucket) const {
  auto [lo, hi] = Range(bucket);
  Hash digest = running_xor_[hi];
  XorInto(digest, running_xor_[lo]);
  return {hi - lo, digest};
}

std::vector<v1::BucketDigest> DigestIndex::Buckets(std::string_view prefix, int depth) const {
  std::vector<v1::BucketDigest> out;
  auto [pos, end] = Range(prefix);
  const int shift = 64 - 4 * depth;
  while (pos < end) {
    // Each non-empty bucket costs one binary search for its end.
    const uint64_t name = items_[pos].top >> shift;
    const std::string bucket = HexName(name, depth);
    const size_t next = Range(bucket).second;
    Hash digest = running_xor_[next];
    XorInto(digest, running_xor_[pos]);
    v1::BucketDigest& b = out.emplace_back();
    b.set_bucket(bucket);
    b.set_count(next - pos);
    b.set_digest(HashBytes(digest));
    pos = next;
  }
  return out;
}

std::vector<const v1::ManifestEntry*> DigestIndex::Entries(std::string_view bucket) const {
  auto [lo, hi] = Range(bucket);
  std::vector<const v1::ManifestEntry*> out;
  out.reserve(hi - lo);
  for (size_t i = lo; i < hi; ++i) out.push_back(&entries_[items_[i].entry]);
  return out;
}

absl::StatusOr<v1::DigestResponse> AnswerDigest(const DigestIndex& mine,
                                                const v1::DigestRequest& request) {
  CRVS_RETURN_IF_ERROR(CheckRequest(request));
  std::map<std::string, std::pair<uint64_t, std::string>> theirs;
  for (const v1::BucketDigest& b : request.buckets()) {
    theirs[b.bucket()] = {b.count(), b.digest()};
  }
  std::vector<std::string> differing;
  for (const v1::BucketDigest& b : mine.Buckets(request.bucket_prefix(), request.depth())) {
    auto it = theirs.find(b.bucket());
    if (it == theirs.end() || it->second.first != b.count() || it->second.second != b.digest()) {
      differing.push_back(b.bucket());
    }
    if (it != theirs.end()) theirs.erase(it);
  }
  for (const auto& [bucket, value] : theirs) {
    if (value.first != 0) differing.push_back(bucket);  // they have it, we do not
  }
  std::sort(differing.begin(), differing.end());
  v1::DigestResponse response;
  for (const std::string& b : differing) response.add_differing_buckets(b);
  if (!request.expand_keys()) return response;
  std::vector<const v1::ManifestEntry*> keys;
  for (const std::string& b : differing) {
    auto entries = mine.Entries(b);
    keys.insert(keys.end(), entries.begin(), entries.end());
    if (keys.size() > static_cast<size_t>(kMaxExpandedKeys)) return response;  // recurse instead
  }
  std::sort(keys.begin(), keys.end(), [](const v1::ManifestEntry* a, const v1::ManifestEntry* b) {
    return a->business_key() < b->business_key();
  });
  for (const v1::ManifestEntry* e : keys) *response.add_keys() = *e;
  response.set_expanded(true);
  return response;
}

namespace {

// Compares the source's and the server's entries of the buckets in `buckets`.
void DiffExpanded(const DigestIndex& mine, const v1::DigestResponse& response, bool keys_only,
                  int depth, DigestDifferences& out) {
  std::map<std::string, const v1::ManifestEntry*> there;
  for (const v1::ManifestEntry& e : response.keys()) there[e.business_key()] = &e;
  for (const std::string& bucket : response.differing_buckets()) {
    for (const v1::ManifestEntry* e : mine.Entries(bucket)) {
      auto it = there.find(e->business_key());
      if (it == there.end()) {
        out.only_here.push_back(e->business_key());
        continue;
      }
      if (!keys_only && it->second->content_hash() != e->content_hash()) {
        out.hash_differs.push_back(e->business_key());
      }
      there.erase(it);
    }
  }
  for (const auto& [key, entry] : there) {
    if (std::find(response.differing_buckets().begin(), response.differing_buckets().end(),
                  BucketOf(key, depth)) != response.differing_buckets().end()) {
      out.only_there.push_back(key);
    }
  }
}

}  // namespace

absl::StatusOr<DigestDifferences> CompareWithServer(
    const DigestIndex& mine, const v1::DigestRequest& base,
    const std::function<absl::StatusOr<v1::DigestResponse>(const v1::DigestRequest&)>& call) {
  constexpr uint64_t kExpandBelow = 256;  // my entries in a bucket small enough to list
  struct Step {
    std::string prefix;
    int depth;
    bool expand;
  };
  DigestDifferences out;
  std::deque<Step> steps;
  // The first step aims at about 64 entries per bucket (at most 65,536 buckets).
  int depth = 1;
  while (depth < 4 && (mine.size() >> (4 * depth)) > 64) ++depth;
  steps.push_back({"", depth, mine.size() <= kExpandBelow});
  while (!steps.empty()) {
    Step step = steps.front();
    steps.pop_front();
    v1::DigestRequest request = base;
    request.set_bucket_prefix(step.prefix);
    request.set_depth(step.depth);
    request.set_expand_keys(step.expand);
    for (auto& b : mine.Buckets(step.prefix, step.depth)) *request.add_buckets() = std::move(b);
    out.buckets_sent += request.buckets_size();
    ++out.calls;
    CRVS_ASSIGN_OR_RETURN(v1::DigestResponse response, call(request));
    if (step.expand && response.expanded()) {
      DiffExpanded(mine, response, base.keys_only(), step.depth, out);
      continue;
    }
    for (const std::string& bucket : response.differing_buckets()) {
      const int len = static_cast<int>(bucket.size());
      if (len >= kMaxDigestDepth) {
        return absl::InternalError(absl::StrCat("bucket ", bucket, " still differs at depth 16"));
      }
      const bool expand = mine.Bucket(bucket).first <= kExpandBelow;
      steps.push_back({bucket, std::min(len + (expand ? 1 : 2), kMaxDigestDepth), expand});
    }
  }
  std::sort(out.only_here.begin(), out.only_here.end());
  std::sort(out.only_there.begin(), out.only_there.end());
  std::sort(out.hash_differs.begin(), out.hash_differs.end());
  return out;
}

}  // namespace crvs::reconcile
