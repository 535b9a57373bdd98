// Silent sources: facilities and courts that stopped sending. A source's usual cadence is the
// median interval between its submissions over the last 30 days (submissions less than a
// second apart are one burst); it is silent when quiet for more than `factor` times that and
// at least `min_quiet`. Activity is read from the database: record versions received and
// manifests declared.
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

struct SilenceRule {
  int factor = 3;
  absl::Duration min_quiet = absl::Hours(1);
};

// Activity instants (microseconds, ascending) of one source → its usual cadence; nullopt with
// fewer than 3 bursts (no cadence yet).
std::optional<absl::Duration> UsualCadence(const std::vector<int64_t>& instants_us);

// Every silent source (kind filter: PRINCIPAL_KIND_UNSPECIFIED = all; quiet at least
// `min_quiet_for` besides the rule), quietest relative to its cadence first.
absl::StatusOr<std::vector<v1::SilentSource>> FindSilentSources(store::Store& store,
                                                                const SilenceRule& rule,
                                                                common::v1::PrincipalKind kind,
                                                                absl::Duration min_quiet_for,
                                                                absl::Time now);

}  // namespace crvs::reconcile
