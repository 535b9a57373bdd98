// crvs.admin.v1.Admin over gRPC's synchronous API: pipeline lag, dead letters (inspect,
// replay, discard) and pausing / resuming connectors. Operators only, acting for themselves or
// through the console (operators::OperatorFromContext: none → UNAUTHENTICATED, not an
// operator or a disabled account → PERMISSION_DENIED). Role and scope come from the account:
// a viewer reads; replay, discard, pause / resume and acknowledging alarms need the operator
// role; a provincial operator sees and resolves only the dead letters of its province (the
// province of the commune where the event happened or was registered, RecordProvince) and
// cannot pause the pipeline or acknowledge its alarms, which are national.
// Every mutating call is logged with the operator, and replay / discard store who and why on
// the dead letter itself.
//
// Lifetime: the Deps must outlive the service. Thread-safety: gRPC calls the methods
// concurrently; every dependency is thread-safe.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "connectors/kafka/connector_control.h"
#include "connectors/kafka/producer.h"
#include "crvs/admin/v1/admin.grpc.pb.h"
#include "services/admin/pipeline_inspector.h"
#include "services/operators/acting.h"
#include "services/reconcile/indicators/areas.h"
#include "services/store/store.h"

namespace crvs::admin {

class AdminService final : public v1::Admin::Service {
 public:
  struct Deps {
    store::Store* store;
    PipelineInspector* inspector;
    kafka::ControlView* control;
    kafka::Producer* producer;  // replays
    // Which connector consumes which topic (a paused connector's partitions show paused).
    std::map<std::string, std::string> connector_of_topic;
    absl::Duration command_wait = absl::Seconds(5);
    std::function<absl::Time()> now;  // empty: absl::Now
    // Principals that may act on behalf of an operator (tls.delegates: the console).
    std::vector<std::string> delegates;
    // Communes -> provinces, for the province of a dead letter. Null: the built-in register.
    const reconcile::indicators::Areas* areas = nullptr;
  };
  explicit AdminService(Deps deps);

  // The number of OPEN dead letters (also used for the crvs_admin_dead_letters_open gauge).
  absl::StatusOr<int64_t> OpenDeadLetters();

  grpc::Status GetPipelineStatus(grpc::ServerContext* context,
                                 const v1::GetPipelineStatusRequest* request,
                                 v1::PipelineStatus* response) override;
  grpc::Status ListDeadLetters(grpc::ServerContext* context,
                               const v1::ListDeadLettersRequest* request,
                               v1::ListDeadLettersResponse* response) override;
  grpc::Status GetDeadLetter(grpc::ServerContext* context, const v1::GetDeadLetterRequest* request,
                             v1::DeadLetter* response) override;
  grpc::Status ReplayDeadLetter(grpc::ServerContext* context,
                                const v1::ReplayDeadLetterRequest* request,
                                v1::DeadLetter* response) override;
  grpc::Status DiscardDeadLetter(grpc::ServerContext* context,
                                 const v1::DiscardDeadLetterRequest* request,
                                 v1::DeadLetter* response) override;
  grpc::Status PauseConnector(grpc::ServerContext* context,
                              const v1::PauseConnectorRequest* request,
                              v1::ConnectorStatus* response) override;
  grpc::Status ResumeConnector(grpc::ServerContext* context,
                               const v1::ResumeConnectorRequest* request,
                               v1::ConnectorStatus* response) override;
  grpc::Status ListOffsetAlarms(grpc::ServerContext* context,
                                const v1::ListOffsetAlarmsRequest* request,
                                v1::ListOffsetAlarmsResponse* response) override;
  grpc::Status AcknowledgeOffsetAlarm(grpc::ServerContext* context,
                                      const v1::AcknowledgeOffsetAlarmRequest* request,
                                      v1::OffsetAlarm* response) override;

 private:
  absl::Time Now() const { return deps_.now ? deps_.now() : absl::Now(); }
  absl::StatusOr<v1::PipelineStatus> Status(const v1::GetPipelineStatusRequest& request);
  absl::StatusOr<v1::DeadLetter> Replay(const std::string& by, const v1::ReplayDeadLetterRequest& r);
  template <class F>
  grpc::Status AsOperator(grpc::ServerContext* context, const char* method, F body);
  // The dead letter `id`, NOT_FOUND also when it lies outside `op`'s province (whether it
  // exists there is not told).
  absl::StatusOr<store::DeadLetterRow> DeadLetterInScope(const operators::Operator& op,
                                                         int64_t id);
  std::string ProvinceOf(const store::DeadLetterRow& letter) const;
  absl::StatusOr<v1::ConnectorStatus> Command(const std::string& by, const std::string& name,
                                              bool pause);

  Deps deps_;
  reconcile::indicators::Areas builtin_areas_;  // when deps_.areas is null
  operators::Accounts accounts_;
};

}  // namespace crvs::admin
