// The Simulator: plays a TrafficPlan against the real services, as the sources would — health
// facilities calling HealthIngest.Submit and courts CourtIngest.Submit on the gateway,
// commune registry offices calling Registry.RecordRegistration, facilities and courts
// declaring manifests with Reconciliation.DeclareManifest (DeclareManifestStream beyond 20,000
// entries) — each call carrying its source's identity in the `crvs-principal` metadata
// (plaintext development deployments only: under mutual TLS one client certificate could not
// speak for many sources).
//
// Documents: `document_share` of the facilities (chosen from the seed) speak XML instead: their
// birth certificates and death notices go to HealthIngest.SubmitDocument as the documents their
// hospital system would produce (services/documents/document_writer.h), signed with the
// facility's own RSA identity made at Start; their amends as re-issued documents; their voids
// natively (the documents have no void), and so does a planted error the document cannot carry.
// SubmitDocument's receipts count like Submit's answer (REJECTED = rejected).
//
// Steps are sent at their planned time by `senders` threads; a source is always served by the
// same thread, so its versions go out in order. Calls wait for the service to be reachable
// (wait-for-ready, up to call_timeout) and are retried with the same message id on
// UNAVAILABLE / DEADLINE_EXCEEDED / RESOURCE_EXHAUSTED / ABORTED, as a real source retries.
// Outcomes are counted per channel: accepted (OK), rejected (INVALID_ARGUMENT), failed
// (anything else); a rejection that was not planted, or a planted error that was accepted, is
// logged as a warning, since either means the simulator and the validators disagree.
// Progress goes to the "simulate" logger (stderr) every progress_interval.
//
// Lifetime: Start() returns a running simulator; Stop() (or destruction) cancels the calls in
// flight, joins its threads and logs the totals. Thread-safety: every public method may be
// called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>

#include "crvs/ingest/v1/court_ingest.grpc.pb.h"
#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "crvs/reconcile/v1/reconciliation.grpc.pb.h"
#include "crvs/registry/v1/registry.grpc.pb.h"
#include "services/documents/signing_identity.h"
#include "services/platform/mutex.h"
#include "services/simulate/simulate_config.h"
#include "services/simulate/traffic_plan.h"
#include "services/validation/reference_data.h"

namespace crvs::simulate {

// Checks the [simulate] settings; INVALID_ARGUMENT naming the key, e.g. "simulate.rate: must
// be > 0 and <= 100000, got 0".
absl::Status ValidateConfig(const SimulateConfig& config);

// The address to dial for a server of this host listening on `listen` ("0.0.0.0:50051" →
// "127.0.0.1:50051"). INVALID_ARGUMENT naming `key` for a missing or zero port.
absl::StatusOr<std::string> LocalDialAddress(const std::string& listen, std::string_view key);

// `config` pointed at this process's own services (`crvs dev --simulate`): the gateway,
// registry and reconciliation listen addresses replace the *_address settings.
absl::StatusOr<SimulateConfig> ForLocalServices(SimulateConfig config,
                                                const std::string& gateway_listen,
                                                const std::string& registry_listen,
                                                const std::string& reconcile_listen);

struct Counts {
  int64_t sent = 0;
  int64_t accepted = 0;
  int64_t rejected = 0;  // INVALID_ARGUMENT
  int64_t failed = 0;    // any other error, after retries
  int64_t planted = 0;   // sent with a planted error
};

struct Totals {
  std::array<Counts, kChannelCount> by_channel{};
  // Births and deaths sent as signed XML documents (SubmitDocument), also counted in their
  // channel; refused: not accepted (an error status, or a receipt REJECTED / FAILED).
  int64_t documents_sent = 0;
  int64_t documents_refused = 0;
  Counts all() const;
  const Counts& of(Channel c) const { return by_channel[static_cast<size_t>(c)]; }
};

// "sent=… accepted=… rejected=… (planted …) failed=… documents=… (refused …) | birth 10/9/1/0 …"
// (per channel: sent/accepted/rejected/failed).
std::string FormatTotals(const Totals& totals);

class Simulator {
 public:
  // Validates `config`, checks the simulated provinces against `reference` (the data the
  // gateway validates with; FAILED_PRECONDITION if a prefix is unknown), and starts sending.
  // `reference` is only read during Start.
  static absl::StatusOr<std::unique_ptr<Simulator>> Start(
      const SimulateConfig& config, const validation::ReferenceData& reference,
      absl::Time start = absl::Now());

  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  void Stop();
  // True once a run with a `duration` has sent every step due before it (false until then,
  // and always false without a duration); waits up to `timeout`.
  bool WaitFinished(absl::Duration timeout);
  Totals totals() const;
  // The facility that goes quiet after silent_after (empty when none).
  const std::string& silent_facility() const { return silent_facility_; }
  // The facilities that speak XML documents (document_share of them, chosen from the seed), by
  // principal ("facility:BV79001"), with the identity each signs with (made at Start).
  const std::map<std::string, documents::SigningIdentity>& document_facilities() const {
    return document_signers_;
  }

 private:
  struct Sender {
    platform::Mutex mu;
    platform::CondVar cv;
    std::deque<Step> queue ABSL_GUARDED_BY(mu);
    grpc::ClientContext* active ABSL_GUARDED_BY(mu) = nullptr;  // the call in flight, for Stop
    std::thread thread;
  };
  struct AtomicCounts {
    std::atomic<int64_t> sent{0}, accepted{0}, rejected{0}, failed{0}, planted{0};
  };

  Simulator(const SimulateConfig& config, absl::Time start);
  void Dispatch();
  void Send(Sender& sender);
  void Report();
  // The signed document a document-speaking facility sends for `step` (a birth or death submit
  // or amend); nullopt when the step goes natively: other sources, voids, and a planted error
  // the document cannot carry (an issue time an hour before the death on the same day).
  std::optional<std::string> DocumentFor(const Step& step) const;
  // One call of `step` (as `document` when set), retried while retryable; CANCELLED once
  // stopping.
  grpc::Status Call(Sender& sender, const Step& step, const std::string* document);
  grpc::Status CallOnce(grpc::ClientContext& context, const Step& step,
                        const std::string* document);
  void Count(const Step& step, const grpc::Status& status, bool document);
  bool DispatchDone() ABSL_LOCKS_EXCLUDED(mu_);
  // Sleeps up to `d`; false if stopping.
  bool SleepFor(absl::Duration d);

  const SimulateConfig config_;
  TrafficPlan plan_;  // the dispatcher's alone after Start
  const std::string silent_facility_;
  std::unique_ptr<ingest::v1::HealthIngest::Stub> health_;
  std::unique_ptr<ingest::v1::CourtIngest::Stub> court_;
  std::unique_ptr<registry::v1::Registry::Stub> registry_;
  std::unique_ptr<reconcile::v1::Reconciliation::Stub> reconcile_;
  std::map<std::string, documents::SigningIdentity> document_signers_;  // set in Start only

  std::vector<std::unique_ptr<Sender>> senders_;
  std::array<AtomicCounts, kChannelCount> counts_;
  std::atomic<int64_t> warnings_{0};
  std::atomic<int64_t> documents_sent_{0};
  std::atomic<int64_t> documents_refused_{0};

  platform::Mutex mu_;  // stop_ is set under it, so a wait on cv_ cannot miss it
  platform::CondVar cv_;
  std::atomic<bool> stop_{false};
  bool dispatch_done_ ABSL_GUARDED_BY(mu_) = false;
  int live_senders_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread dispatcher_;
  std::thread reporter_;
  std::once_flag stopped_;
};

}  // namespace crvs::simulate
