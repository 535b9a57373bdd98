#include "services/gateway/health_ingest_service.h"

#include <chrono>
#include <deque>

#include "services/auth/caller.h"
#include "services/gateway/ingest_calls.h"
#include "services/platform/elapsed.h"
#include "services/platform/mutex.h"
#include "services/platform/status.h"
#include "services/records/records.h"
#include "services/validation/validators.h"

namespace crvs::gateway {
namespace {

using ingest::v1::IngestRequest;
using ingest::v1::Receipt;
using Clock = std::chrono::steady_clock;
using platform::SecondsSince;

std::string CodeName(absl::StatusCode code) { return absl::StatusCodeToString(code); }

const std::string& FacilityOf(const IngestRequest& r) {
  static const std::string none;
  if (r.has_birth_certificate()) return r.birth_certificate().key().facility_code();
  if (r.has_death_notice()) return r.death_notice().key().facility_code();
  return none;
}

// One SubmitStream call. Reads requests while fewer than `max_in_flight` await their receipt
// (back-pressure through gRPC flow control), writes receipts one at a time as outcomes arrive,
// and finishes once the client half-closed and every receipt is written. gRPC operations are
// started outside the lock, and Finish is the last thing a method does, because OnDone may
// delete the reactor as soon as Finish is called.
class SubmitStreamReactor final : public grpc::ServerBidiReactor<IngestRequest, Receipt> {
 public:
  SubmitStreamReactor(HealthIngestService* service, grpc::CallbackServerContext* context)
      : service_(service) {
    auto caller = auth::CallerFromContext(*context);
    if (!caller.ok()) {
      Finish(ToGrpcStatus(caller.status()));
      return;
    }
    caller_ = *caller;
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    // Take the request before anything else: once read_paused_ is set below, an outcome on
    // another thread may start the next read into request_ (OnOutcome). Moving it out after
    // that raced with that read: a request was overwritten unanswered, and the next one was
    // read as empty (a receipt with no message id, seen in the broker-outage fault test).
    IngestRequest request = std::move(request_);
    if (!ok) {
      bool finish;
      {
        platform::MutexLock lock(&mu_);
        reads_done_ = true;
        finish = ShouldFinishLocked();
      }
      if (finish) Finish(grpc::Status::OK);
      return;
    }
    bool read_more;
    {
      platform::MutexLock lock(&mu_);
      ++in_flight_;
      read_more = in_flight_ < service_->deps().stream_max_in_flight;
      read_paused_ = !read_more;
    }
    auto start = Clock::now();
    std::string message_id = request.message_id();
    if (read_more) StartRead(&request_);  // request_ was moved out: safe to reuse
    service_->Process(caller_, request, [this, start, message_id](const auto& outcome) {
      service_->deps().metrics->Call("SubmitStream", CodeName(outcome.status().code()),
                                     SecondsSince(start));
      OnOutcome(ReceiptOrRefusal(message_id, outcome));
    });
  }

  void OnWriteDone(bool ok) override {
    bool finish = false;
    bool write_next = false;
    {
      platform::MutexLock lock(&mu_);
      if (!ok) {
        broken_ = true;
        pending_.clear();
      }
      if (!pending_.empty()) {
        writing_ = std::move(pending_.front());
        pending_.pop_front();
        write_next = true;
      } else {
        is_writing_ = false;
        finish = ShouldFinishLocked();
      }
    }
    if (write_next) StartWrite(&writing_);
    if (finish) Finish(grpc::Status::OK);
  }

  void OnCancel() override {
    platform::MutexLock lock(&mu_);
    broken_ = true;
  }

  void OnDone() override { delete this; }

 private:
  void OnOutcome(Receipt receipt) {
    bool write_now = false;
    bool resume_read = false;
    bool finish = false;
    {
      platform::MutexLock lock(&mu_);
      --in_flight_;
      if (!broken_) {
        if (is_writing_) {
          pending_.push_back(std::move(receipt));
        } else {
          is_writing_ = true;
          writing_ = std::move(receipt);
          write_now = true;
        }
      }
      if (read_paused_ && !reads_done_ && in_flight_ < service_->deps().stream_max_in_flight) {
        read_paused_ = false;
        resume_read = true;
      }
      finish = !write_now && ShouldFinishLocked();
    }
    if (resume_read) StartRead(&request_);
    if (write_now) StartWrite(&writing_);
    if (finish) Finish(grpc::Status::OK);
  }

  bool ShouldFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !reads_done_ || in_flight_ > 0 || is_writing_ || !pending_.empty()) {
      return false;
    }
    finished_ = true;
    return true;
  }

  HealthIngestService* service_;
  common::v1::Principal caller_;
  IngestRequest request_;
  platform::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool is_writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  Receipt writing_ ABSL_GUARDED_BY(mu_);
  std::deque<Receipt> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

void HealthIngestService::Process(const common::v1::Principal& caller,
                                  const IngestRequest& request, IngestPipeline::Done done,
                                  const records::v1::SourceDocument* document) {
  if (absl::Status admitted = deps_.limiter->Admit(records::FormatPrincipal(caller));
      !admitted.ok()) {
    deps_.metrics->RateLimited("health");
    done(admitted);
    return;
  }
  validation::Context ctx;
  ctx.reference = deps_.reference;
  auto violations = validation::ValidateIngestRequest(request, ctx);
  if (!violations.empty()) {
    done(InvalidArgument(violations));
    return;
  }
  if (caller.kind() != common::v1::PRINCIPAL_KIND_FACILITY || caller.code() != FacilityOf(request)) {
    done(absl::PermissionDeniedError("caller " + records::FormatPrincipal(caller) +
                                     " may not submit records of facility " + FacilityOf(request)));
    return;
  }
  records::v1::RecordEnvelope envelope;
  envelope.set_message_id(request.message_id());
  envelope.set_action(request.action());
  envelope.set_reason(request.reason());
  envelope.set_trace_id(request.trace_id());
  *envelope.mutable_source() = caller;
  if (request.has_birth_certificate()) {
    *envelope.mutable_birth_certificate() = request.birth_certificate();
  } else {
    *envelope.mutable_death_notice() = request.death_notice();
  }
  if (document != nullptr) *envelope.mutable_source_document() = *document;
  deps_.pipeline->Accept(std::move(envelope), std::move(done));
}

grpc::ServerUnaryReactor* HealthIngestService::Submit(grpc::CallbackServerContext* context,
                                                      const IngestRequest* request,
                                                      Receipt* response) {
  auto* reactor = context->DefaultReactor();
  auto start = Clock::now();
  auto finish = [reactor, response, start, metrics = deps_.metrics](const auto& outcome) {
    if (outcome.ok()) *response = *outcome;
    metrics->Call("Submit", CodeName(outcome.status().code()), SecondsSince(start));
    reactor->Finish(ToGrpcStatus(outcome.status()));
  };
  auto caller = auth::CallerFromContext(*context);
  if (!caller.ok()) {
    finish(absl::StatusOr<Receipt>(caller.status()));
    return reactor;
  }
  Process(*caller, *request, finish);
  return reactor;
}

grpc::ServerUnaryReactor* HealthIngestService::SubmitDocument(
    grpc::CallbackServerContext* context, const ingest::v1::SubmitDocumentRequest* request,
    ingest::v1::SubmitDocumentResponse* response) {
  auto* reactor = context->DefaultReactor();
  auto start = Clock::now();
  auto caller = auth::CallerFromContext(*context);
  if (!caller.ok()) {
    deps_.metrics->Call("SubmitDocument", CodeName(caller.status().code()), SecondsSince(start));
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  std::string peer_certificate;
  if (auto auth = context->auth_context(); auth != nullptr) {
    for (const auto& pem : auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME)) {
      peer_certificate.assign(pem.data(), pem.size());
    }
  }
  documents_.Submit(*caller, request->document(), request->document_type(), peer_certificate,
                    [reactor, response, start, metrics = deps_.metrics](DocumentOutcome outcome) {
                      metrics->Call("SubmitDocument", CodeName(outcome.status.code()),
                                    SecondsSince(start));
                      if (outcome.status.ok()) *response = std::move(outcome.response);
                      reactor->Finish(ToGrpcStatus(outcome.status));
                    });
  return reactor;
}

grpc::ServerBidiReactor<IngestRequest, Receipt>* HealthIngestService::SubmitStream(
    grpc::CallbackServerContext* context) {
  return new SubmitStreamReactor(this, context);
}

grpc::ServerUnaryReactor* HealthIngestService::GetReceipt(
    grpc::CallbackServerContext* context, const ingest::v1::GetReceiptRequest* request,
    Receipt* response) {
  auto* reactor = context->DefaultReactor();
  auto caller = auth::CallerFromContext(*context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  FinishUnary(reactor, LookupReceipt(*deps_.book, deps_.outcomes, *caller, *request), response);
  return reactor;
}

grpc::ServerUnaryReactor* HealthIngestService::PullOutcomes(
    grpc::CallbackServerContext* context, const ingest::v1::PullOutcomesRequest* request,
    ingest::v1::PullOutcomesResponse* response) {
  auto* reactor = context->DefaultReactor();
  auto caller = auth::CallerFromContext(*context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  FinishUnary(reactor, gateway::PullOutcomes(deps_.database, *caller, *request), response);
  return reactor;
}

grpc::ServerUnaryReactor* HealthIngestService::PullResendRequests(
    grpc::CallbackServerContext* context, const ingest::v1::PullResendRequestsRequest* request,
    ingest::v1::PullResendRequestsResponse* response) {
  auto* reactor = context->DefaultReactor();
  auto caller = auth::CallerFromContext(*context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  FinishUnary(reactor, PullResends(*deps_.inbox, *caller, *request), response);
  return reactor;
}

}  // namespace crvs::gateway
