// crvs.registry.v1.Registry over gRPC's synchronous API: each call blocks its server thread
// on the civil-status database (Store), which is the point — RecordRegistration answers only
// after the registration is committed.
//
// Who may call (identity from auth::CallerFromMetadata; none → UNAUTHENTICATED):
// * reads (GetRecord, GetPersonStatus, ListRecords): registry offices and operators; a
//   registry office lists only the records it sent itself (source unset means its own);
// * RecordRegistration: a registry office, for registrations of its own office code.
// Anyone else: PERMISSION_DENIED.
//
// Lifetime: the Deps must outlive the service. Thread-safety: gRPC calls the methods
// concurrently; the service keeps no state of its own (the Store serializes its calls).
#pragma once

#include <functional>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>

#include "crvs/registry/v1/registry.grpc.pb.h"
#include "services/registry/registry_metrics.h"
#include "services/operators/accounts.h"
#include "services/reconcile/indicators/areas.h"
#include "services/store/store.h"
#include "services/validation/reference_data.h"

namespace crvs::registry {

class RegistryService final : public v1::Registry::Service {
 public:
  struct Deps {
    store::Store* store;
    const validation::ReferenceData* reference;
    RegistryMetrics* metrics;
    // The clock: "no event in the future" and committed times. Empty: absl::Now.
    std::function<absl::Time()> now;
  };
  explicit RegistryService(Deps deps);

  // What a reader may see (issue 17): a registry office, the records of its province (the
  // province of the commune where the event happened or was registered) and those its own
  // registrations link to, and the status of a person whose records lie in its province or
  // who is the subject of one of its registrations; an operator, its account's province
  // (national without an account or with a national one).
  struct ReadScope {
    std::string principal;
    std::string province;  // "" national
    std::string office;    // the registry office's code; "" for an operator
  };

  grpc::Status GetRecord(grpc::ServerContext* context, const v1::GetRecordRequest* request,
                         v1::RecordView* response) override;
  grpc::Status GetPersonStatus(grpc::ServerContext* context,
                               const v1::GetPersonStatusRequest* request,
                               v1::PersonStatus* response) override;
  grpc::Status ListRecords(grpc::ServerContext* context, const v1::ListRecordsRequest* request,
                           v1::ListRecordsResponse* response) override;
  grpc::Status RecordRegistration(grpc::ServerContext* context,
                                  const v1::RecordRegistrationRequest* request,
                                  v1::RecordRegistrationResponse* response) override;

 private:
  absl::StatusOr<v1::RecordView> Get(const common::v1::Principal& caller,
                                     const v1::GetRecordRequest& request);
  absl::StatusOr<v1::PersonStatus> Person(const common::v1::Principal& caller,
                                          const v1::GetPersonStatusRequest& request);
  absl::StatusOr<v1::ListRecordsResponse> List(const common::v1::Principal& caller,
                                               const v1::ListRecordsRequest& request);
  absl::StatusOr<v1::RecordRegistrationResponse> Record(
      const common::v1::Principal& caller, const v1::RecordRegistrationRequest& request,
      const std::string& trace_id);

  // Whether the registration's linked certificate / notice / decision is in the database and
  // not voided; false without a link.
  absl::StatusOr<bool> LinkedRecordFound(const records::v1::Registration& registration);
  // Runs `body` for the caller named in `context`, counts and times the call, logs failures
  // that are the server's, and turns the outcome into a gRPC status.
  template <class Response, class Body>
  grpc::Status Handle(const char* method, grpc::ServerContext* context, Response* response,
                      Body body);

  absl::Time Now() const { return deps_.now ? deps_.now() : absl::Now(); }

  absl::StatusOr<ReadScope> ScopeOf(const common::v1::Principal& caller);
  absl::Status CheckRecordInScope(const ReadScope& scope, const store::RecordRow& view);
  absl::Status CheckPersonInScope(const ReadScope& scope, const std::string& personal_id);

  Deps deps_;
  reconcile::indicators::Areas areas_;  // the built-in register: communes -> provinces
  operators::Accounts accounts_;
};

}  // namespace crvs::registry
