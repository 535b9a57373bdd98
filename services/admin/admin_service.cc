#include "services/admin/admin_service.h"

#include <absl/strings/str_cat.h>
#include <google/protobuf/util/time_util.h>

#include <future>

#include "crvs/records/v1/envelope.pb.h"
#include "services/admin/proto_mapping.h"
#include "services/platform/logging.h"
#include "services/platform/status.h"
#include "services/records/records.h"
#include "services/store/sql.h"

namespace crvs::admin {
namespace {

using google::protobuf::util::TimeUtil;

std::shared_ptr<spdlog::logger> Log() { return logging::Get("admin"); }

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

// The operator role and national scope: what changes the whole pipeline.
absl::Status NationalOperator(const operators::Operator& op, const std::string& what) {
  CRVS_RETURN_IF_ERROR(operators::RequireRole(op, operators::Role::kOperator, what));
  if (op.national()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(op.principal, " works for province ",
                                                  op.province_code, "; ", what,
                                                  " affects every province (national operators)"));
}

absl::Status CheckId(int64_t id) {
  return id > 0 ? absl::OkStatus() : InvalidArgument({{"id", "must be a dead-letter id (> 0)"}});
}

}  // namespace

AdminService::AdminService(Deps deps) : deps_(std::move(deps)), accounts_(*deps_.store) {
  if (deps_.areas == nullptr) {
    auto builtin = reconcile::indicators::Areas::Load({});
    if (builtin.ok()) {
      builtin_areas_ = std::move(*builtin);
    } else {
      Log()->error("event=areas_unavailable error=\"{}\" (dead letters: national scope only)",
                   std::string(builtin.status().message()));
    }
    deps_.areas = &builtin_areas_;
  }
}

// Runs `body` for the operator the call acts for; anyone else is refused. Store errors become
// UNAVAILABLE when retrying may help.
template <class F>
grpc::Status AdminService::AsOperator(grpc::ServerContext* context, const char* method, F body) {
  auto op = operators::OperatorFromContext(*context, deps_.delegates, accounts_);
  absl::Status status = op.ok() ? body(*op) : op.status();
  if (!status.ok() && IsRetryable(status)) {
    Log()->warn("event=call_failed method={} error=\"{}\"", method, std::string(status.message()));
    status = absl::UnavailableError(absl::StrCat(status.message(), "; retry"));
  }
  return ToGrpcStatus(status);
}

std::string AdminService::ProvinceOf(const store::DeadLetterRow& letter) const {
  records::v1::RecordEnvelope envelope;
  if (!envelope.ParseFromString(letter.payload)) return "";  // sealed or unreadable
  return reconcile::indicators::RecordProvince(envelope, *deps_.areas);
}

absl::StatusOr<store::DeadLetterRow> AdminService::DeadLetterInScope(
    const operators::Operator& op, int64_t id) {
  CRVS_RETURN_IF_ERROR(CheckId(id));
  auto letter = deps_.store->GetDeadLetter(id);
  if (letter.ok() && !op.InScope(ProvinceOf(*letter))) {
    return absl::NotFoundError(absl::StrCat("no dead letter ", id, " in province ",
                                            op.province_code));
  }
  return letter;
}

absl::StatusOr<int64_t> AdminService::OpenDeadLetters() {
  int64_t open = 0;
  CRVS_RETURN_IF_ERROR(deps_.store->Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(auto rows,
                          c.Execute("SELECT COUNT(*) FROM dead_letters WHERE state = 'OPEN'", {}));
    open = rows.at(0).at(0).AsInt();
    return absl::OkStatus();
  }));
  return open;
}

absl::StatusOr<v1::PipelineStatus> AdminService::Status(const v1::GetPipelineStatusRequest& r) {
  if (!records::v1::RecordKind_IsValid(r.kind())) {
    return InvalidArgument({{"kind", "is not a known record kind"}});
  }
  const absl::Time now = Now();
  v1::PipelineStatus status;
  std::map<std::string, bool> paused;
  for (auto& c : deps_.control->Connectors(now)) {
    paused[c.name()] = c.state() == v1::CONNECTOR_STATE_PAUSED;
    *status.add_connectors() = std::move(c);
  }
  CRVS_ASSIGN_OR_RETURN(auto partitions, deps_.inspector->Inspect(r.kind(), now));
  for (auto& p : partitions) {
    auto owner = deps_.connector_of_topic.find(p.topic());
    p.set_paused(owner != deps_.connector_of_topic.end() && paused[owner->second]);
    *status.add_partitions() = std::move(p);
  }
  CRVS_ASSIGN_OR_RETURN(int64_t open, OpenDeadLetters());
  status.set_open_dead_letters(open);
  *status.mutable_observed_at() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  return status;
}

grpc::Status AdminService::GetPipelineStatus(grpc::ServerContext* context,
                                             const v1::GetPipelineStatusRequest* request,
                                             v1::PipelineStatus* response) {
  return AsOperator(context, "GetPipelineStatus", [&](const operators::Operator&) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(*response, Status(*request));
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ListDeadLetters(grpc::ServerContext* context,
                                           const v1::ListDeadLettersRequest* request,
                                           v1::ListDeadLettersResponse* response) {
  return AsOperator(context, "ListDeadLetters", [&](const operators::Operator& op) -> absl::Status {
    store::DeadLetterQuery q;
    q.original_topic = request->original_topic();
    q.error_class = request->error_class();
    q.state = DeadLetterStateFilter(request->state());
    if (request->has_failed_from()) q.failed_from = FromProto(request->failed_from());
    if (request->has_failed_to()) q.failed_to = FromProto(request->failed_to());
    q.page_size = request->page_size();
    q.page_token = request->page_token();
    // A provincial operator's page keeps its province's letters only: it may be shorter than
    // page_size, even empty, with a next_page_token (keep paging until it is "").
    q.include_payload = request->include_payload() || !op.national();
    CRVS_ASSIGN_OR_RETURN(store::DeadLetterPage page, deps_.store->ListDeadLetters(q));
    for (auto& d : page.dead_letters) {
      if (!op.InScope(ProvinceOf(d))) continue;
      if (!request->include_payload()) {
        d.key.clear();
        d.payload.clear();
        d.headers.clear();
      }
      *response->add_dead_letters() = ToProto(d);
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::GetDeadLetter(grpc::ServerContext* context,
                                         const v1::GetDeadLetterRequest* request,
                                         v1::DeadLetter* response) {
  return AsOperator(context, "GetDeadLetter", [&](const operators::Operator& op) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(store::DeadLetterRow letter, DeadLetterInScope(op, request->id()));
    *response = ToProto(letter);
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::DeadLetter> AdminService::Replay(const std::string& by,
                                                    const v1::ReplayDeadLetterRequest& r) {
  CRVS_RETURN_IF_ERROR(CheckId(r.id()));
  if (r.operator_note().size() > 1000) {
    return InvalidArgument({{"operator_note", "must be at most 1000 bytes"}});
  }
  CRVS_ASSIGN_OR_RETURN(store::DeadLetterRow letter, deps_.store->GetDeadLetter(r.id()));
  if (letter.state != store::DeadLetterState::kOpen) {
    return absl::FailedPreconditionError(absl::StrCat(
        "dead letter ", r.id(), " is ", v1::DeadLetterState_Name(ToProto(letter.state)),
        ", not OPEN: it was already resolved by ", letter.resolved_by));
  }
  if (letter.original.topic.value() == store::kLegacyRegistryApiTopic) {
    // Not a Kafka record: a registration an office wrote through the registry API and was told
    // was refused. Producing it to this topic would lose it (nothing consumes it).
    return absl::FailedPreconditionError(absl::StrCat(
        "dead letter ", r.id(),
        " was written through the registry API; the office must resend it (it is not a Kafka "
        "record and cannot be replayed; discard it once the office has resent it)"));
  }
  kafka::OutgoingMessage message{letter.original.topic.value(), letter.key, letter.payload, {}};
  for (const auto& h : letter.headers) message.headers.push_back({h.key, h.value});
  message.headers.push_back({"crvs-replay-of", std::to_string(r.id())});
  auto done = std::make_shared<std::promise<kafka::Delivery>>();
  std::future<kafka::Delivery> delivered = done->get_future();
  absl::Status produced = deps_.producer->Produce(
      std::move(message), [done](const kafka::Delivery& d) { done->set_value(d); });
  kafka::Delivery d;
  d.status = produced;
  if (produced.ok()) d = delivered.get();
  if (!d.status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("Kafka did not confirm the replay (", d.status.message(),
                     "); the dead letter stays OPEN"));
  }
  // Delivered: Kafka named the partition and offset (kafka::Delivery).
  const int32_t partition = d.partition->value();
  const int64_t offset = d.offset->value();
  // Produced first, marked second: if marking fails the replay is retried, and the sink
  // applies a message id once whatever the number of copies.
  CRVS_ASSIGN_OR_RETURN(
      store::DeadLetterRow resolved,
      deps_.store->ResolveDeadLetter(
          r.id(), store::DeadLetterState::kReplayed, by,
          absl::StrCat("replayed to ", d.topic, "[", partition, "]@", offset,
                       r.operator_note().empty() ? "" : ": ", r.operator_note())));
  Log()->info("event=dead_letter_replayed id={} by={} topic={} partition={} offset={}", r.id(), by,
              d.topic, partition, offset);
  return ToProto(resolved);
}

grpc::Status AdminService::ReplayDeadLetter(grpc::ServerContext* context,
                                            const v1::ReplayDeadLetterRequest* request,
                                            v1::DeadLetter* response) {
  return AsOperator(context, "ReplayDeadLetter", [&](const operators::Operator& op) -> absl::Status {
    CRVS_RETURN_IF_ERROR(operators::RequireRole(op, operators::Role::kOperator, "replaying"));
    CRVS_RETURN_IF_ERROR(DeadLetterInScope(op, request->id()).status());
    CRVS_ASSIGN_OR_RETURN(*response, Replay(op.principal, *request));
    return absl::OkStatus();
  });
}

grpc::Status AdminService::DiscardDeadLetter(grpc::ServerContext* context,
                                             const v1::DiscardDeadLetterRequest* request,
                                             v1::DeadLetter* response) {
  return AsOperator(context, "DiscardDeadLetter", [&](const operators::Operator& op) -> absl::Status {
    CRVS_RETURN_IF_ERROR(operators::RequireRole(op, operators::Role::kOperator, "discarding"));
    const std::string& by = op.principal;
    std::vector<FieldViolation> bad;
    if (request->id() <= 0) bad.push_back({"id", "must be a dead-letter id (> 0)"});
    if (request->reason().empty() || request->reason().size() > 1000) {
      bad.push_back({"reason", "must be 1..1000 bytes: why it will never be applied"});
    }
    if (!bad.empty()) return InvalidArgument(bad);
    CRVS_RETURN_IF_ERROR(DeadLetterInScope(op, request->id()).status());
    CRVS_ASSIGN_OR_RETURN(store::DeadLetterRow discarded,
                          deps_.store->ResolveDeadLetter(request->id(),
                                                         store::DeadLetterState::kDiscarded, by,
                                                         request->reason()));
    *response = ToProto(discarded);
    Log()->info("event=dead_letter_discarded id={} by={}", request->id(), by);
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::ConnectorStatus> AdminService::Command(const std::string& by,
                                                          const std::string& name, bool pause) {
  if (name.empty()) return InvalidArgument({{"name", "is required"}});
  CRVS_ASSIGN_OR_RETURN(v1::ConnectorStatus status,
                        deps_.control->Command(name, pause, deps_.command_wait));
  // Audited once done (a pause changes nothing in the database). If the audit row cannot be
  // written the caller gets the error and retries; pausing twice is harmless.
  CRVS_RETURN_IF_ERROR(deps_.store->Audit(
      {{by, pause ? "connector.paused" : "connector.resumed", absl::StrCat("connector/", name),
        absl::StrCat("state=", v1::ConnectorState_Name(status.state()))}}));
  Log()->info("event=connector_{} connector={} by={} state={}", pause ? "pause" : "resume", name,
              by, v1::ConnectorState_Name(status.state()));
  return status;
}

grpc::Status AdminService::PauseConnector(grpc::ServerContext* context,
                                          const v1::PauseConnectorRequest* request,
                                          v1::ConnectorStatus* response) {
  return AsOperator(context, "PauseConnector", [&](const operators::Operator& op) -> absl::Status {
    CRVS_RETURN_IF_ERROR(NationalOperator(op, "pausing or resuming a connector"));
    CRVS_ASSIGN_OR_RETURN(*response, Command(op.principal, request->name(), true));
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ResumeConnector(grpc::ServerContext* context,
                                           const v1::ResumeConnectorRequest* request,
                                           v1::ConnectorStatus* response) {
  return AsOperator(context, "ResumeConnector", [&](const operators::Operator& op) -> absl::Status {
    CRVS_RETURN_IF_ERROR(NationalOperator(op, "pausing or resuming a connector"));
    CRVS_ASSIGN_OR_RETURN(*response, Command(op.principal, request->name(), false));
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ListOffsetAlarms(grpc::ServerContext* context,
                                            const v1::ListOffsetAlarmsRequest* request,
                                            v1::ListOffsetAlarmsResponse* response) {
  return AsOperator(context, "ListOffsetAlarms", [&](const operators::Operator&) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(auto alarms,
                          deps_.store->ListOffsetAlarms(request->include_acknowledged()));
    for (const auto& a : alarms) *response->add_alarms() = ToProto(a);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::AcknowledgeOffsetAlarm(grpc::ServerContext* context,
                                                  const v1::AcknowledgeOffsetAlarmRequest* request,
                                                  v1::OffsetAlarm* response) {
  return AsOperator(context, "AcknowledgeOffsetAlarm", [&](const operators::Operator& op) -> absl::Status {
    CRVS_RETURN_IF_ERROR(NationalOperator(op, "acknowledging an offset alarm"));
    const std::string& by = op.principal;
    if (request->alarm_id().empty()) return InvalidArgument({{"alarm_id", "is required"}});
    if (request->note().size() > 1000) return InvalidArgument({{"note", "is over 1000 bytes"}});
    CRVS_ASSIGN_OR_RETURN(auto alarm, deps_.store->AcknowledgeOffsetAlarm(request->alarm_id(), by,
                                                                          request->note()));
    *response = ToProto(alarm);
    Log()->info("event=offset_alarm_acknowledged alarm={} by={}", request->alarm_id(), by);
    return absl::OkStatus();
  });
}

}  // namespace crvs::admin
