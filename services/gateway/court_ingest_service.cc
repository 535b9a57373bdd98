#include "services/gateway/court_ingest_service.h"

#include <chrono>
#include <set>
#include <vector>

#include "services/auth/caller.h"
#include "services/gateway/ingest_calls.h"
#include "services/platform/elapsed.h"
#include "services/platform/mutex.h"
#include "services/platform/status.h"
#include "services/records/records.h"
#include "services/validation/validators.h"

namespace crvs::gateway {
namespace {

using ingest::v1::CourtIngestRequest;
using Clock = std::chrono::steady_clock;
using platform::SecondsSince;

absl::StatusOr<common::v1::Principal> Court(const grpc::CallbackServerContext& context) {
  auto caller = auth::CallerFromContext(context);
  if (!caller.ok()) return caller.status();
  if (caller->kind() != common::v1::PRINCIPAL_KIND_COURT) {
    return absl::PermissionDeniedError("only courts may call CourtIngest; caller is " +
                                       records::FormatPrincipal(*caller));
  }
  return caller;
}

// One StreamDecisions call. Requests are read in the court's order; each accepted one is
// produced (up to `stream_max_in_flight` awaiting Kafka); when the client half-closes and
// every record is confirmed, the resume point is published and the response sent. A bad
// request ends the stream once the records before it are settled. Finish is the last thing a
// method does: OnDone deletes the reactor.
class DecisionStreamReactor final : public grpc::ServerReadReactor<CourtIngestRequest> {
 public:
  DecisionStreamReactor(CourtIngestService* service, grpc::CallbackServerContext* context,
                        ingest::v1::StreamDecisionsResponse* response)
      : service_(service), response_(response) {
    auto caller = Court(*context);
    if (!caller.ok()) {
      Finish(ToGrpcStatus(caller.status()));
      return;
    }
    caller_ = *caller;
    resume_point_ = service_->deps().resume_points->Get(caller_.code());
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    // The next read is started inside this reaction, and gRPC may deliver its completion on
    // another thread before this one returns (seen in CI: records after a failed one were
    // produced). One reaction at a time: the next waits until this one has settled its record.
    // (gRPC calls OnDone only after every reaction returned, so the lock outlives its use.)
    platform::MutexLock reading(&read_mu_);
    if (!ok) {
      Settle([&] { mu_.AssertHeld(); reads_done_ = true; });
      return;
    }
    {
      // A read started before the stream failed can complete after: its request is dropped
      // (never produced) and no more reads start. The call finishes once the records in
      // flight are settled; if that already happened, Finish was called and gRPC calls OnDone
      // only after this reaction returns.
      platform::MutexLock lock(&mu_);
      if (finishing_ || !failed_.ok()) {
        reads_done_ = true;
        return;
      }
    }
    CourtIngestRequest request = std::move(request_);
    const uint64_t seq = request.sequence();
    absl::Status bad;
    if (seq == 0 || seq <= last_seen_) {
      bad = InvalidArgument({{"sequence", seq == 0 ? "is required (>= 1) on StreamDecisions"
                                                   : "must be greater than the previous "
                                                     "request's (" +
                                                         std::to_string(last_seen_) + ")"}});
    }
    absl::StatusOr<records::v1::RecordEnvelope> envelope =
        bad.ok() ? service_->Prepare(caller_, request) : absl::StatusOr<records::v1::RecordEnvelope>(bad);
    if (!envelope.ok()) {
      Settle([&] {
        mu_.AssertHeld();
        failed_ = envelope.status();
        failed_sequence_ = seq;
        reads_done_ = true;
      });
      return;
    }
    last_seen_ = seq;
    if (seq <= resume_point_) {  // already accepted earlier: a court restarting a little early
      Settle([&] { mu_.AssertHeld(); ++duplicates_; });
      StartRead(&request_);
      return;
    }
    bool read_more;
    {
      platform::MutexLock lock(&mu_);
      submitted_.push_back(seq);
      in_flight_.insert(seq);
      read_more = static_cast<int>(in_flight_.size()) < service_->deps().stream_max_in_flight;
      read_paused_ = !read_more;
    }
    if (read_more) StartRead(&request_);
    auto start = Clock::now();
    service_->deps().pipeline->Accept(std::move(*envelope), [this, seq, start](const auto& outcome) {
      service_->deps().metrics->Call("StreamDecisions",
                                     absl::StatusCodeToString(outcome.status().code()),
                                     SecondsSince(start));
      bool resume_read = false;
      Settle([&] {
        mu_.AssertHeld();
        in_flight_.erase(seq);
        if (outcome.ok()) {
          accepted_.insert(seq);
        } else if (failed_.ok()) {
          failed_ = outcome.status();
          failed_sequence_ = seq;
        }
        if (read_paused_ && !reads_done_ && failed_.ok() &&
            static_cast<int>(in_flight_.size()) < service_->deps().stream_max_in_flight) {
          read_paused_ = false;
          resume_read = true;
        }
      }, &resume_read);
    });
  }

  void OnDone() override { delete this; }

 private:
  // Runs `change` under the lock; then, outside it, resumes reading if `resume_read` says so,
  // or — when nothing is left in flight and reading is over — publishes the resume point and
  // finishes the call.
  template <class F>
  void Settle(F change, bool* resume_read = nullptr) {
    bool finish = false;
    {
      platform::MutexLock lock(&mu_);
      change();
      if (!finishing_ && (reads_done_ || !failed_.ok()) && in_flight_.empty()) {
        finishing_ = true;
        finish = true;
      }
    }
    if (finish) {
      PublishAndFinish();
    } else if (resume_read != nullptr && *resume_read) {
      StartRead(&request_);
    }
  }

  // The new resume point: the longest prefix of submitted sequences that were all accepted.
  uint64_t LastAccepted() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    uint64_t last = resume_point_;
    for (uint64_t seq : submitted_) {
      if (!accepted_.count(seq)) break;
      last = seq;
    }
    return last;
  }

  // Called once, after the last change (finishing_ is set): the state read here is final.
  void PublishAndFinish() {
    uint64_t last;
    {
      platform::MutexLock lock(&mu_);
      last = LastAccepted();
    }
    service_->deps().resume_points->Advance(caller_.code(), last, [this, last](const absl::Status& st) {
      absl::Status failed;
      uint64_t failed_sequence;
      int64_t accepted, duplicates;
      {
        platform::MutexLock lock(&mu_);
        failed = failed_;
        failed_sequence = failed_sequence_;
        accepted = static_cast<int64_t>(accepted_.size());
        duplicates = duplicates_;
      }
      absl::Status result = failed;
      if (result.ok() && !st.ok()) result = st;  // everything delivered but the point was not
      if (!result.ok()) {
        const char* reason = !failed_sequence ? "NOT_DELIVERED"
                             : failed.code() == absl::StatusCode::kResourceExhausted
                                 ? "RATE_LIMITED"
                                 : "RECORD_INVALID";
        AddErrorInfo(&result, reason, "crvs-sync",
                     {{"sequence", std::to_string(failed_sequence)},
                      {"last_accepted_sequence", std::to_string(st.ok() ? last : resume_point_)}});
        Finish(ToGrpcStatus(result));
        return;
      }
      response_->set_last_accepted_sequence(last);
      response_->set_accepted(accepted);
      response_->set_duplicates(duplicates);
      Finish(grpc::Status::OK);
    });
  }

  CourtIngestService* service_;
  ingest::v1::StreamDecisionsResponse* response_;
  common::v1::Principal caller_;
  CourtIngestRequest request_;
  uint64_t resume_point_ = 0;
  platform::Mutex read_mu_;  // held through each OnReadDone
  uint64_t last_seen_ ABSL_GUARDED_BY(read_mu_) = 0;

  platform::Mutex mu_;
  std::vector<uint64_t> submitted_ ABSL_GUARDED_BY(mu_);  // in the court's order
  std::set<uint64_t> in_flight_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> accepted_ ABSL_GUARDED_BY(mu_);
  int64_t duplicates_ ABSL_GUARDED_BY(mu_) = 0;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
  uint64_t failed_sequence_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

absl::StatusOr<records::v1::RecordEnvelope> CourtIngestService::Prepare(
    const common::v1::Principal& caller, const CourtIngestRequest& request) {
  if (absl::Status admitted = deps_.limiter->Admit(records::FormatPrincipal(caller));
      !admitted.ok()) {
    deps_.metrics->RateLimited("court");
    return admitted;
  }
  validation::Context ctx;
  ctx.reference = deps_.reference;
  auto violations = validation::ValidateCourtIngestRequest(request, ctx);
  if (!violations.empty()) return InvalidArgument(violations);
  if (request.decision().key().court_code() != caller.code()) {
    return absl::PermissionDeniedError("caller " + records::FormatPrincipal(caller) +
                                       " may not submit decisions of court " +
                                       request.decision().key().court_code());
  }
  records::v1::RecordEnvelope envelope;
  envelope.set_message_id(request.message_id());
  envelope.set_action(request.action());
  envelope.set_reason(request.reason());
  envelope.set_trace_id(request.trace_id());
  envelope.set_source_sequence(request.sequence());
  *envelope.mutable_source() = caller;
  *envelope.mutable_divorce_decision() = request.decision();
  return envelope;
}

grpc::ServerUnaryReactor* CourtIngestService::Submit(grpc::CallbackServerContext* context,
                                                     const CourtIngestRequest* request,
                                                     ingest::v1::Receipt* response) {
  auto* reactor = context->DefaultReactor();
  auto start = Clock::now();
  auto finish = [reactor, response, start, metrics = deps_.metrics](const auto& outcome) {
    metrics->Call("CourtSubmit", absl::StatusCodeToString(outcome.status().code()),
                  SecondsSince(start));
    FinishUnary(reactor, outcome, response);
  };
  auto caller = Court(*context);
  if (!caller.ok()) {
    finish(absl::StatusOr<ingest::v1::Receipt>(caller.status()));
    return reactor;
  }
  auto envelope = Prepare(*caller, *request);
  if (!envelope.ok()) {
    finish(absl::StatusOr<ingest::v1::Receipt>(envelope.status()));
    return reactor;
  }
  deps_.pipeline->Accept(std::move(*envelope), finish);
  return reactor;
}

grpc::ServerReadReactor<CourtIngestRequest>* CourtIngestService::StreamDecisions(
    grpc::CallbackServerContext* context, ingest::v1::StreamDecisionsResponse* response) {
  return new DecisionStreamReactor(this, context, response);
}

grpc::ServerUnaryReactor* CourtIngestService::GetResumePoint(
    grpc::CallbackServerContext* context, const ingest::v1::GetResumePointRequest* request,
    ingest::v1::ResumePoint* response) {
  auto* reactor = context->DefaultReactor();
  auto caller = Court(*context);
  absl::StatusOr<ingest::v1::ResumePoint> result;
  if (!caller.ok()) {
    result = caller.status();
  } else {
    const std::string& court = request->court_code().empty() ? caller->code() : request->court_code();
    if (court != caller->code()) {
      result = absl::PermissionDeniedError("a court may only read its own resume point");
    } else {
      ingest::v1::ResumePoint point;
      point.set_court_code(court);
      point.set_last_accepted_sequence(deps_.resume_points->Get(court));
      result = point;
    }
  }
  FinishUnary(reactor, result, response);
  return reactor;
}

grpc::ServerUnaryReactor* CourtIngestService::GetReceipt(grpc::CallbackServerContext* context,
                                                         const ingest::v1::GetReceiptRequest* request,
                                                         ingest::v1::Receipt* response) {
  auto* reactor = context->DefaultReactor();
  auto caller = Court(*context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  FinishUnary(reactor, LookupReceipt(*deps_.book, deps_.outcomes, *caller, *request), response);
  return reactor;
}

grpc::ServerUnaryReactor* CourtIngestService::PullOutcomes(
    grpc::CallbackServerContext* context, const ingest::v1::PullOutcomesRequest* request,
    ingest::v1::PullOutcomesResponse* response) {
  auto* reactor = context->DefaultReactor();
  auto caller = Court(*context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  FinishUnary(reactor, gateway::PullOutcomes(deps_.database, *caller, *request), response);
  return reactor;
}

grpc::ServerUnaryReactor* CourtIngestService::PullResendRequests(
    grpc::CallbackServerContext* context, const ingest::v1::PullResendRequestsRequest* request,
    ingest::v1::PullResendRequestsResponse* response) {
  auto* reactor = context->DefaultReactor();
  auto caller = Court(*context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  FinishUnary(reactor, PullResends(*deps_.inbox, *caller, *request), response);
  return reactor;
}

}  // namespace crvs::gateway
