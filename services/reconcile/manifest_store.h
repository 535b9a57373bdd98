// Manifests: what a source declares it issued (crvs.reconcile.v1.Manifest). Validated with
// field-level errors, stored in the database (tables manifests / manifest_entries), replacing
// an earlier declaration of the same id or the same period, and answered with the coverage of
// the manifest at declaration time.
//
// Thread-safety: free functions; the Store serializes its calls.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <string>
#include <vector>

#include "crvs/reconcile/v1/reconciliation.pb.h"
#include "services/store/store.h"

namespace crvs::reconcile {

inline constexpr int kMaxUnaryManifestEntries = 20000;
inline constexpr int kMaxChunkEntries = 10000;
// A backlog inventory lists decisions effective up to this day (indicator V2).
inline constexpr int kLastBacklogYear = 2025;

// Checks the header (every field but entries) and `entries` (paths "entries[i]...", i counted
// across the whole manifest). `today` is the Vietnam local date (period_end must not be
// after it). INVALID_ARGUMENT naming every bad field.
absl::Status ValidateManifest(const v1::Manifest& header,
                              const std::vector<v1::ManifestEntry>& entries, absl::CivilDay today);

// Stores a validated manifest in one transaction, with its audit row (manifest.declared by
// `declared_by`), and returns its acknowledgement (summary =
// coverage against the database now). FAILED_PRECONDITION when its period overlaps, without
// being equal to, that of another manifest of the same source, kind and backlog flag.
absl::StatusOr<v1::ManifestAck> StoreManifest(store::Store& store, const v1::Manifest& header,
                                              std::vector<v1::ManifestEntry> entries,
                                              const std::string& declared_by, absl::Time now,
                                              absl::Duration sla);

}  // namespace crvs::reconcile
