// The heart of sync coverage: one source's declared entries against the database's records of
// the same source and kind, in memory. Both sides are ordered by a 64-bit hash of the key (a
// sort of integers, not of strings) and merged, so 10 million entries compare in seconds;
// only the gaps are sorted by key. docs/indicators.md defines every count.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "crvs/reconcile/v1/reconciliation.pb.h"

namespace crvs::reconcile {

// One declared record (the latest declaration of its key wins).
struct DeclaredEntry {
  std::string business_key;
  std::string content_hash;   // 32 bytes, or empty: not compared
  int64_t issued_at_us = 0;   // 0: not declared (backlog inventories): no SLA applies
  int32_t manifest = 0;       // index into the caller's manifest ids (for gaps)
  int64_t declared_at_us = 0;  // when it was declared (manifest_store's bookkeeping)
};

// One record of the database.
struct StoredRecord {
  std::string business_key;
  std::string content_hash;       // of the current version
  bool voided = false;
  int64_t first_committed_us = 0;  // committed_at of version 1
  int64_t issued_at_us = 0;        // of the latest content
  int32_t period_day = -1;         // days since 1970-01-01 of its period date; -1: none
};

struct CompareOptions {
  int64_t sla_us = 24LL * 3600 * 1000000;
  int64_t committed_by_us = INT64_MAX;  // records committed later count as absent
  // Days (since 1970-01-01, inclusive ranges) the manifests cover: a stored record dated in
  // one of them and declared by none is EXTRA.
  std::vector<std::pair<int32_t, int32_t>> covered_days;
};

// Counts (declared ... extra) with percentages; source and kind are left to the caller.
// `gaps`, when set, receives every gap with business_key, kind, times and hashes set
// (source and manifest_id are the caller's: manifest_id is left empty, `manifest` index
// given alongside), in business-key order. Sorts both vectors in place.
v1::CoverageRow CompareEntries(
    std::vector<DeclaredEntry>& declared, std::vector<StoredRecord>& stored,
    const CompareOptions& options,
    const std::function<void(v1::Gap&, int32_t manifest)>& gaps = {});

// Drops repeated keys from `declared`, keeping the last occurrence; returns how many.
int64_t DeduplicateDeclared(std::vector<DeclaredEntry>& declared);

// 100 * part / whole, 0 when whole is 0.
double Percent(int64_t part, int64_t whole);

}  // namespace crvs::reconcile
