#include "services/reconcile/manifest_compare.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <string_view>
#include <utility>

namespace crvs::reconcile {
namespace {

using google::protobuf::util::TimeUtil;

// (hash of the key, index): sorting these orders a side by hash in one integer sort.
using Slot = std::pair<uint64_t, uint32_t>;

template <class T>
std::vector<Slot> HashOrder(const std::vector<T>& items) {
  std::vector<Slot> order(items.size());
  std::hash<std::string_view> hash;
  for (size_t i = 0; i < items.size(); ++i) {
    order[i] = {hash(items[i].business_key), static_cast<uint32_t>(i)};
  }
  std::sort(order.begin(), order.end());
  return order;
}

bool InCoveredDays(int32_t day, const CompareOptions& options) {
  if (day < 0) return false;
  for (const auto& [first, last] : options.covered_days) {
    if (day >= first && day <= last) return true;
  }
  return false;
}

struct PendingGap {
  v1::Gap gap;
  int32_t manifest = -1;
};

google::protobuf::Timestamp FromMicros(int64_t us) { return TimeUtil::MicrosecondsToTimestamp(us); }

// Classifies one declared entry against its stored record (or none).
void Classify(const DeclaredEntry& d, const StoredRecord* s, const CompareOptions& options,
              v1::CoverageRow& row, std::vector<PendingGap>* gaps) {
  auto add_gap = [&](v1::GapKind kind) {
    if (gaps == nullptr) return;
    PendingGap g;
    g.manifest = d.manifest;
    g.gap.set_business_key(d.business_key);
    g.gap.set_kind(kind);
    if (d.issued_at_us != 0) *g.gap.mutable_issued_at() = FromMicros(d.issued_at_us);
    g.gap.set_declared_hash(d.content_hash);
    if (s != nullptr) {
      *g.gap.mutable_committed_at() = FromMicros(s->first_committed_us);
      g.gap.set_stored_hash(s->content_hash);
    }
    gaps->push_back(std::move(g));
  };
  row.set_declared(row.declared() + 1);
  const bool known = s != nullptr && s->first_committed_us <= options.committed_by_us;
  if (!known) {
    row.set_missing(row.missing() + 1);
    add_gap(v1::GAP_KIND_MISSING);
    return;
  }
  if (s->voided) {
    row.set_missing(row.missing() + 1);
    row.set_content_mismatch(row.content_mismatch() + 1);
    add_gap(v1::GAP_KIND_CONTENT_MISMATCH);
    return;
  }
  row.set_present(row.present() + 1);
  if (!d.content_hash.empty() && d.content_hash != s->content_hash) {
    row.set_content_mismatch(row.content_mismatch() + 1);
    add_gap(v1::GAP_KIND_CONTENT_MISMATCH);
  }
  if (d.issued_at_us == 0 || s->first_committed_us <= d.issued_at_us + options.sla_us) {
    row.set_present_on_time(row.present_on_time() + 1);
  } else {
    add_gap(v1::GAP_KIND_LATE);
  }
}

void AddExtra(const StoredRecord& s, const CompareOptions& options, v1::CoverageRow& row,
              std::vector<PendingGap>* gaps) {
  if (s.voided || s.first_committed_us > options.committed_by_us ||
      !InCoveredDays(s.period_day, options)) {
    return;
  }
  row.set_extra(row.extra() + 1);
  if (gaps == nullptr) return;
  PendingGap g;
  g.gap.set_business_key(s.business_key);
  g.gap.set_kind(v1::GAP_KIND_EXTRA);
  *g.gap.mutable_issued_at() = FromMicros(s.issued_at_us);
  *g.gap.mutable_committed_at() = FromMicros(s.first_committed_us);
  g.gap.set_stored_hash(s.content_hash);
  gaps->push_back(std::move(g));
}

}  // namespace

double Percent(int64_t part, int64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

int64_t DeduplicateDeclared(std::vector<DeclaredEntry>& declared) {
  std::vector<Slot> order = HashOrder(declared);
  std::vector<bool> drop(declared.size(), false);
  int64_t dropped = 0;
  // Within a run of equal hashes (almost always one entry), an entry is dropped when a later
  // one (higher index) has the same key.
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && order[j].first == order[i].first) ++j;
    for (size_t a = i; a < j; ++a) {
      for (size_t b = a + 1; b < j; ++b) {
        const uint32_t lo = std::min(order[a].second, order[b].second);
        const uint32_t hi = std::max(order[a].second, order[b].second);
        if (!drop[lo] && declared[lo].business_key == declared[hi].business_key) {
          drop[lo] = true;
          ++dropped;
        }
      }
    }
    i = j;
  }
  if (dropped == 0) return 0;
  size_t out = 0;
  for (size_t i = 0; i < declared.size(); ++i) {
    if (drop[i]) continue;
    if (out != i) declared[out] = std::move(declared[i]);  // never onto itself: that empties it
    ++out;
  }
  declared.resize(out);
  return dropped;
}

v1::CoverageRow CompareEntries(
    std::vector<DeclaredEntry>& declared, std::vector<StoredRecord>& stored,
    const CompareOptions& options,
    const std::function<void(v1::Gap&, int32_t manifest)>& gaps) {
  v1::CoverageRow row;
  std::vector<PendingGap> pending;
  std::vector<PendingGap>* gap_list = gaps ? &pending : nullptr;
  const std::vector<Slot> d_order = HashOrder(declared);
  const std::vector<Slot> s_order = HashOrder(stored);
  std::vector<bool> matched(stored.size(), false);

  size_t si = 0;
  for (size_t di = 0; di < d_order.size();) {
    const uint64_t h = d_order[di].first;
    while (si < s_order.size() && s_order[si].first < h) ++si;
    size_t s_end = si;
    while (s_end < s_order.size() && s_order[s_end].first == h) ++s_end;
    for (; di < d_order.size() && d_order[di].first == h; ++di) {
      const DeclaredEntry& d = declared[d_order[di].second];
      const StoredRecord* s = nullptr;
      for (size_t k = si; k < s_end; ++k) {
        const StoredRecord& candidate = stored[s_order[k].second];
        if (candidate.business_key == d.business_key) {
          s = &candidate;
          matched[s_order[k].second] = true;
          break;
        }
      }
      Classify(d, s, options, row, gap_list);
    }
  }
  for (size_t i = 0; i < stored.size(); ++i) {
    if (!matched[i]) AddExtra(stored[i], options, row, gap_list);
  }
  row.set_coverage_percent(Percent(row.present(), row.declared()));
  row.set_on_time_percent(Percent(row.present_on_time(), row.declared()));

  if (gaps) {
    std::stable_sort(pending.begin(), pending.end(), [](const PendingGap& a, const PendingGap& b) {
      return a.gap.business_key() < b.gap.business_key();
    });
    for (PendingGap& g : pending) gaps(g.gap, g.manifest);
  }
  return row;
}

}  // namespace crvs::reconcile
