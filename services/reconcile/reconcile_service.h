// crvs.reconcile.v1.Reconciliation over gRPC's synchronous API (each call blocks its thread on
// the database): manifests, coverage, gaps, re-send requests, digest comparison, indicators
// and silent sources.
//
// Who may call (identity from auth::CallerFromMetadata; none → UNAUTHENTICATED):
// * DeclareManifest(Stream), CompareDigest: a facility or court for itself (source unset or
//   its own), an operator for any source (source REQUIRED);
// * GetCoverage, ListGaps: a facility or court sees only its own (source unset means its
//   own); operators see everything;
// * GetIndicators: any authenticated caller (the indicators are public statistics);
// * RequestResend, ListSilentSources: operators only.
// Anyone else: PERMISSION_DENIED.
//
// Lifetime: the Deps must outlive the service. Thread-safety: gRPC calls the methods
// concurrently; the digest cache is guarded by a mutex, the Store serializes its own calls.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "crvs/reconcile/v1/reconciliation.grpc.pb.h"
#include "services/gateway/resend_inbox.h"
#include "services/operators/acting.h"
#include "services/platform/mutex.h"
#include "services/reconcile/digest.h"
#include "services/reconcile/reconcile_config.h"
#include "services/reconcile/silent_sources.h"
#include "services/store/store.h"

namespace crvs::reconcile {

class ReconcileService final : public v1::Reconciliation::Service {
 public:
  struct Deps {
    store::Store* store;
    const ReconcileConfig* config;
    // Publishes and remembers re-send requests (on the resync topic).
    gateway::ResendInbox* resend;
    // The indicator computation (services/reconcile/indicators).
    std::function<absl::StatusOr<v1::IndicatorReport>(const v1::IndicatorsRequest&)> indicators;
    // Whether a source lies in the province / commune (either may be empty = any); an error
    // (no commune reference data) is returned to the caller.
    std::function<absl::StatusOr<bool>(const std::string& source, const std::string& province,
                                       const std::string& commune)>
        source_in_area;
    std::function<absl::Time()> now;  // empty: absl::Now
    // Principals that may act on behalf of an operator (tls.delegates: the console).
    std::vector<std::string> delegates;
  };
  explicit ReconcileService(Deps deps);

  grpc::Status DeclareManifest(grpc::ServerContext* context, const v1::Manifest* request,
                               v1::ManifestAck* response) override;
  grpc::Status DeclareManifestStream(grpc::ServerContext* context,
                                     grpc::ServerReader<v1::ManifestChunk>* reader,
                                     v1::ManifestAck* response) override;
  grpc::Status GetCoverage(grpc::ServerContext* context, const v1::CoverageRequest* request,
                           v1::CoverageReport* response) override;
  grpc::Status ListGaps(grpc::ServerContext* context, const v1::GapsRequest* request,
                        grpc::ServerWriter<v1::Gap>* writer) override;
  grpc::Status RequestResend(grpc::ServerContext* context,
                             const v1::RequestResendRequest* request,
                             v1::RequestResendResponse* response) override;
  grpc::Status CompareDigest(grpc::ServerContext* context, const v1::DigestRequest* request,
                             v1::DigestResponse* response) override;
  grpc::Status GetIndicators(grpc::ServerContext* context, const v1::IndicatorsRequest* request,
                             v1::IndicatorReport* response) override;
  grpc::Status ListSilentSources(grpc::ServerContext* context,
                                 const v1::ListSilentSourcesRequest* request,
                                 v1::ListSilentSourcesResponse* response) override;

 private:
  absl::Time Now() const { return deps_.now ? deps_.now() : absl::Now(); }
  absl::StatusOr<v1::ManifestAck> Declare(const common::v1::Principal& caller,
                                          v1::Manifest header,
                                          std::vector<v1::ManifestEntry> entries);
  absl::StatusOr<v1::CoverageReport> Coverage(const common::v1::Principal& caller,
                                              const v1::CoverageRequest& request,
                                              const std::function<void(const v1::Gap&)>& gaps);
  absl::StatusOr<v1::RequestResendResponse> Resend(const v1::RequestResendRequest& request);
  absl::StatusOr<v1::DigestResponse> Digest(const common::v1::Principal& caller,
                                            v1::DigestRequest request);
  // The database's side of a digest comparison, cached for kDigestCacheTtl.
  absl::StatusOr<std::shared_ptr<const DigestIndex>> ServerIndex(const v1::DigestRequest& r);

  // The province an operator call is confined to: `requested` for a national operator, the
  // account's own province for a provincial one (PERMISSION_DENIED if it asked for another);
  // PERMISSION_DENIED without `role`.
  absl::StatusOr<std::string> ScopedProvince(grpc::ServerContext* context,
                                             const std::string& requested, operators::Role role,
                                             const std::string& what);

  Deps deps_;
  operators::Accounts accounts_;
  platform::Mutex cache_mu_;
  struct CachedIndex {
    absl::Time built_at;
    std::shared_ptr<const DigestIndex> index;
  };
  // (source, kind, first day, last day, keys_only) → index.
  std::map<std::tuple<std::string, int, int32_t, int32_t, bool>, CachedIndex> digest_cache_
      ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace crvs::reconcile
