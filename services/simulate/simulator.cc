#include "services/simulate/simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <utility>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

#include "services/documents/document_writer.h"
#include "services/documents/hospital_document.h"
#include "services/documents/signature.h"
#include "services/platform/grpc_client.h"
#include "services/platform/logging.h"
#include "services/platform/status.h"

namespace crvs::simulate {
namespace {

constexpr int kMaxAttempts = 5;
constexpr size_t kMaxQueuedPerSender = 2000;
// DeclareManifest takes up to 20,000 entries; beyond, DeclareManifestStream in 10,000s.
constexpr int kUnaryManifestEntries = 20000;
constexpr int kManifestChunkEntries = 10000;
// Warnings about unexpected outcomes: the first ones, then one in a thousand.
constexpr int64_t kWarningsInFull = 20;

absl::Status Bad(std::string_view key, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("simulate.", std::string(key), ": ", std::string(what)));
}

absl::Status CheckRange(std::string_view key, double value, double lo, double hi,
                        bool lo_inclusive = true) {
  if ((lo_inclusive ? value >= lo : value > lo) && value <= hi) return absl::OkStatus();
  return Bad(key, absl::StrCat("must be ", lo_inclusive ? ">= " : "> ", lo, " and <= ", hi,
                               ", got ", value));
}

bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::RESOURCE_EXHAUSTED || code == grpc::StatusCode::ABORTED;
}

std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

std::chrono::microseconds Chrono(absl::Duration d) {
  return std::chrono::microseconds(absl::ToInt64Microseconds(std::max(d, absl::ZeroDuration())));
}

// SplitMix64: a well-mixed 64-bit value of `x`, the same on every platform.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The round(share × n) facilities that speak documents: those ranked first by a hash of the
// seed and their position, so the same seed picks the same ones.
std::vector<const Source*> DocumentFacilities(const std::vector<Source>& facilities,
                                              double share, int64_t seed) {
  std::vector<std::pair<uint64_t, const Source*>> ranked;
  for (size_t i = 0; i < facilities.size(); ++i) {
    ranked.emplace_back(Mix(Mix(static_cast<uint64_t>(seed)) ^ i), &facilities[i]);
  }
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  const size_t n = std::min(
      ranked.size(), static_cast<size_t>(std::llround(share * static_cast<double>(ranked.size()))));
  std::vector<const Source*> out;
  for (size_t i = 0; i < n; ++i) out.push_back(ranked[i].second);
  return out;
}

// A receipt of SubmitDocument as the status Submit would have answered: REJECTED and FAILED
// carry their error's code (INVALID_ARGUMENT, PERMISSION_DENIED; UNAVAILABLE, … retried).
grpc::Status ReceiptStatus(const ingest::v1::Receipt& receipt) {
  if (receipt.state() != ingest::v1::RECEIPT_STATE_REJECTED &&
      receipt.state() != ingest::v1::RECEIPT_STATE_FAILED) {
    return grpc::Status::OK;
  }
  grpc::StatusCode code = static_cast<grpc::StatusCode>(receipt.error().code());
  if (code == grpc::StatusCode::OK) {
    code = receipt.state() == ingest::v1::RECEIPT_STATE_REJECTED
               ? grpc::StatusCode::INVALID_ARGUMENT
               : grpc::StatusCode::UNAVAILABLE;
  }
  return grpc::Status(code, receipt.error().message());
}

}  // namespace

absl::Status ValidateConfig(const SimulateConfig& c) {
  const std::pair<std::string_view, const std::string*> addresses[] = {
      {"gateway_address", &c.gateway_address},
      {"registry_address", &c.registry_address},
      {"reconcile_address", &c.reconcile_address}};
  for (const auto& [key, value] : addresses) {
    if (value->empty()) return Bad(key, "is required (host:port)");
  }
  absl::Status st = CheckRange("rate", c.rate, 0, 100000, false);
  if (st.ok()) st = CheckRange("facilities", c.facilities, 1, 500);
  if (st.ok()) st = CheckRange("courts", c.courts, 1, 100);
  if (st.ok()) st = CheckRange("invalid_percent", c.invalid_percent, 0, 100);
  if (st.ok()) st = CheckRange("late_percent", c.late_percent, 0, 100);
  if (st.ok()) st = CheckRange("missing_percent", c.missing_percent, 0, 100);
  if (st.ok()) st = CheckRange("amend_percent", c.amend_percent, 0, 100);
  if (st.ok()) st = CheckRange("void_percent", c.void_percent, 0, 100);
  if (st.ok()) st = CheckRange("time_scale", c.time_scale, 0, 1e7, false);
  if (st.ok()) st = CheckRange("senders", c.senders, 1, 64);
  if (st.ok()) st = CheckRange("document_share", c.document_share, 0, 1);
  if (!st.ok()) return st;
  if (c.duration.count() < 0) return Bad("duration", "must not be negative");
  if (c.silent_after.count() < 0) return Bad("silent_after", "must not be negative");
  if (c.manifest_interval.count() < 1000) return Bad("manifest_interval", "must be >= 1s");
  if (c.progress_interval.count() < 100) return Bad("progress_interval", "must be >= 100ms");
  if (c.call_timeout.count() < 100) return Bad("call_timeout", "must be >= 100ms");
  return absl::OkStatus();
}

absl::StatusOr<std::string> LocalDialAddress(const std::string& listen, std::string_view key) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(key), ": \"", listen, "\" has no fixed port; the simulator needs one to call the service"));
  }
  std::string host = listen.substr(0, colon);
  if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") host = "127.0.0.1";
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<SimulateConfig> ForLocalServices(SimulateConfig config,
                                                const std::string& gateway_listen,
                                                const std::string& registry_listen,
                                                const std::string& reconcile_listen) {
  auto gateway = LocalDialAddress(gateway_listen, "gateway.listen");
  if (!gateway.ok()) return gateway.status();
  auto registry = LocalDialAddress(registry_listen, "registry.listen");
  if (!registry.ok()) return registry.status();
  auto reconcile = LocalDialAddress(reconcile_listen, "reconcile.listen");
  if (!reconcile.ok()) return reconcile.status();
  config.gateway_address = *gateway;
  config.registry_address = *registry;
  config.reconcile_address = *reconcile;
  return config;
}

Counts Totals::all() const {
  Counts sum;
  for (const Counts& c : by_channel) {
    sum.sent += c.sent;
    sum.accepted += c.accepted;
    sum.rejected += c.rejected;
    sum.failed += c.failed;
    sum.planted += c.planted;
  }
  return sum;
}

std::string FormatTotals(const Totals& totals) {
  const Counts all = totals.all();
  std::string out = absl::StrCat("sent=", all.sent, " accepted=", all.accepted,
                                 " rejected=", all.rejected, " (planted ", all.planted,
                                 ") failed=", all.failed, " documents=", totals.documents_sent,
                                 " (refused ", totals.documents_refused, ") |");
  for (int i = 0; i < kChannelCount; ++i) {
    const Counts& c = totals.by_channel[static_cast<size_t>(i)];
    absl::StrAppend(&out, " ", ChannelName(static_cast<Channel>(i)), " ", c.sent, "/", c.accepted,
                    "/", c.rejected, "/", c.failed);
  }
  absl::StrAppend(&out, " (sent/accepted/rejected/failed)");
  return out;
}

Simulator::Simulator(const SimulateConfig& config, absl::Time start)
    : config_(config),
      plan_(PlanOptions::From(config), start),
      silent_facility_(plan_.silent_facility()) {}

absl::StatusOr<std::unique_ptr<Simulator>> Simulator::Start(
    const SimulateConfig& config, const validation::ReferenceData& reference, absl::Time start) {
  if (absl::Status valid = ValidateConfig(config); !valid.ok()) return valid;
  for (const Place& p : Places()) {
    if (!reference.IsIdPrefix(p.id_prefix) || !reference.IsProvinceCode(p.province_code)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "simulate: the reference data lacks province ", p.province_code, " / ID prefix ",
          p.id_prefix, " (", p.province_name, ") that simulated people carry"));
    }
  }
  std::unique_ptr<Simulator> sim(new Simulator(config, start));
  // Always plaintext: the simulator speaks as many facilities, courts and registry offices in
  // turn (crvs-principal metadata), which one client certificate cannot do. Under mutual TLS
  // the services refuse these connections.
  const auth::TlsConfig no_tls;
  CRVS_ASSIGN_OR_RETURN(auto gateway, MakeChannel(config.gateway_address, no_tls, true));
  CRVS_ASSIGN_OR_RETURN(auto registry, MakeChannel(config.registry_address, no_tls, true));
  CRVS_ASSIGN_OR_RETURN(auto reconcile, MakeChannel(config.reconcile_address, no_tls, true));
  sim->health_ = ingest::v1::HealthIngest::NewStub(gateway);
  sim->court_ = ingest::v1::CourtIngest::NewStub(gateway);
  sim->registry_ = registry::v1::Registry::NewStub(registry);
  sim->reconcile_ = reconcile::v1::Reconciliation::NewStub(reconcile);

  // The facilities that send signed XML documents, each with its own RSA identity.
  const std::vector<const Source*> speakers =
      DocumentFacilities(sim->plan_.facilities(), config.document_share, config.seed);
  if (!speakers.empty()) {
    if (absl::Status xmlsec = documents::InitXmlSecurity(); !xmlsec.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("simulate.document_share: cannot sign documents: ", xmlsec.message()));
    }
  }
  for (const Source* f : speakers) {
    documents::SigningIdentity id = documents::MakeSigningIdentity(f->name);
    if (id.key_pem.empty() || id.certificate_pem.empty()) {
      return absl::InternalError(
          absl::StrCat("simulate: cannot make a signing key for ", f->principal));
    }
    sim->document_signers_.emplace(f->principal, std::move(id));
  }

  {
    platform::MutexLock lock(&sim->mu_);
    sim->live_senders_ = config.senders;
  }
  for (int i = 0; i < config.senders; ++i) sim->senders_.push_back(std::make_unique<Sender>());
  for (auto& sender : sim->senders_) {
    Sender* s = sender.get();
    s->thread = std::thread([raw = sim.get(), s] { raw->Send(*s); });
  }
  sim->dispatcher_ = std::thread([raw = sim.get()] { raw->Dispatch(); });
  sim->reporter_ = std::thread([raw = sim.get()] { raw->Report(); });

  logging::Get("simulate")
      ->info("simulating run={} facilities={} courts={} rate={}/s time_scale={} (1 simulated "
             "day = {}) invalid={}% late={}% missing={}% silent_facility={} quiet_after={} "
             "document_facilities={} gateway={} registry={} reconcile={}",
             sim->plan_.run_id(), config.facilities, config.courts, config.rate,
             config.time_scale, absl::FormatDuration(sim->plan_.RealDelay(absl::Hours(24))),
             config.invalid_percent, config.late_percent, config.missing_percent,
             sim->silent_facility_.empty() ? "none" : sim->silent_facility_,
             config::FormatDuration(config.silent_after), sim->document_signers_.size(),
             config.gateway_address,
             config.registry_address, config.reconcile_address);
  return sim;
}

Simulator::~Simulator() { Stop(); }

void Simulator::Stop() {
  std::call_once(stopped_, [this] {
    {
      platform::MutexLock lock(&mu_);
      stop_ = true;
    }
    cv_.SignalAll();
    for (auto& s : senders_) {
      platform::MutexLock lock(&s->mu);
      if (s->active != nullptr) s->active->TryCancel();
      s->cv.SignalAll();
    }
    if (dispatcher_.joinable()) dispatcher_.join();
    for (auto& s : senders_) {
      if (s->thread.joinable()) s->thread.join();
    }
    if (reporter_.joinable()) reporter_.join();
    logging::Get("simulate")->info("simulation stopped: {}", FormatTotals(totals()));
  });
}

bool Simulator::WaitFinished(absl::Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + Chrono(timeout);
  platform::MutexLock lock(&mu_);
  while (!(dispatch_done_ && live_senders_ == 0)) {
    if (!cv_.WaitUntil(&mu_, deadline)) return dispatch_done_ && live_senders_ == 0;
  }
  return true;
}

Totals Simulator::totals() const {
  Totals t;
  for (size_t i = 0; i < counts_.size(); ++i) {
    t.by_channel[i] = {counts_[i].sent.load(), counts_[i].accepted.load(),
                       counts_[i].rejected.load(), counts_[i].failed.load(),
                       counts_[i].planted.load()};
  }
  t.documents_sent = documents_sent_.load();
  t.documents_refused = documents_refused_.load();
  return t;
}

bool Simulator::DispatchDone() {
  platform::MutexLock lock(&mu_);
  return dispatch_done_;
}

bool Simulator::SleepFor(absl::Duration d) {
  const auto deadline = std::chrono::steady_clock::now() + Chrono(d);
  platform::MutexLock lock(&mu_);
  while (!stop_ && cv_.WaitUntil(&mu_, deadline)) {
  }
  return !stop_;
}

void Simulator::Dispatch() {
  auto log = logging::Get("simulate");
  const absl::Duration duration = absl::Milliseconds(config_.duration.count());
  bool announced_silence = silent_facility_.empty();
  while (!stop_) {
    Step step = plan_.Next();
    if (duration > absl::ZeroDuration() && step.at >= duration) break;
    if (!SleepFor(plan_.start() + step.at - absl::Now())) break;
    if (!announced_silence && step.at >= absl::Milliseconds(config_.silent_after.count())) {
      announced_silence = true;
      log->info("facility {} goes quiet now (no records, no manifests)", silent_facility_);
    }
    Sender& sender = *senders_[std::hash<std::string>{}(step.principal) % senders_.size()];
    platform::MutexLock lock(&sender.mu);
    // Back-pressure: when the services fall behind, the plan waits (its timestamps stay in
    // the past, so late steps remain valid).
    while (!stop_ && sender.queue.size() >= kMaxQueuedPerSender) sender.cv.Wait(&sender.mu);
    if (stop_) break;
    sender.queue.push_back(std::move(step));
    sender.cv.SignalAll();
  }
  {
    platform::MutexLock lock(&mu_);
    dispatch_done_ = true;
  }
  cv_.SignalAll();
  for (auto& s : senders_) {
    platform::MutexLock lock(&s->mu);
    s->cv.SignalAll();
  }
  if (!stop_) log->info("simulation reached its duration; sending what is queued");
}

void Simulator::Send(Sender& sender) {
  for (;;) {
    Step step;
    {
      platform::MutexLock lock(&sender.mu);
      while (!stop_ && sender.queue.empty() && !DispatchDone()) sender.cv.Wait(&sender.mu);
      if (stop_ || sender.queue.empty()) break;
      step = std::move(sender.queue.front());
      sender.queue.pop_front();
      sender.cv.SignalAll();  // room for the dispatcher
    }
    const std::optional<std::string> document = DocumentFor(step);
    const grpc::Status status = Call(sender, step, document ? &*document : nullptr);
    if (status.error_code() == grpc::StatusCode::CANCELLED && stop_) break;
    Count(step, status, document.has_value());
  }
  {
    platform::MutexLock lock(&mu_);
    --live_senders_;
  }
  cv_.SignalAll();
}

std::optional<std::string> Simulator::DocumentFor(const Step& step) const {
  const auto* r = std::get_if<ingest::v1::IngestRequest>(&step.request);
  if (r == nullptr || r->action() == records::v1::ACTION_VOID) return std::nullopt;
  auto signer = document_signers_.find(step.principal);
  if (signer == document_signers_.end()) return std::nullopt;
  documents::WriteOptions options;
  options.reissue = r->action() == records::v1::ACTION_AMEND;
  std::string xml;
  if (r->has_death_notice()) {
    xml = documents::WriteDeathNoticeDocument(r->death_notice(), options);
  } else if (r->has_birth_certificate()) {
    xml = documents::WriteBirthCertificateDocument(r->birth_certificate(), options);
  } else {
    return std::nullopt;
  }
  if (!step.planted_field.empty()) {
    // The document keeps dates, not issue times: an error it cannot carry would be accepted,
    // so that copy goes natively (the clerk typed it into the native form).
    documents::ReadOptions read;
    read.facility_code = step.principal.substr(step.principal.find(':') + 1);
    if (documents::ReadHospitalDocument(xml, read).ok()) return std::nullopt;
  }
  absl::StatusOr<std::string> signed_xml =
      documents::SignDocument(xml, signer->second.key_pem, signer->second.certificate_pem);
  if (!signed_xml.ok()) {
    logging::Get("simulate")->warn("cannot sign a document source={}: {}; sending natively",
                                   step.principal, signed_xml.status().ToString());
    return std::nullopt;
  }
  return *std::move(signed_xml);
}

grpc::Status Simulator::Call(Sender& sender, const Step& step, const std::string* document) {
  absl::Duration backoff = absl::Milliseconds(200);
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext context;
    context.AddMetadata("crvs-principal", step.principal);
    context.set_wait_for_ready(true);
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(config_.call_timeout.count()));
    {
      platform::MutexLock lock(&sender.mu);
      if (stop_) return grpc::Status(grpc::StatusCode::CANCELLED, "simulator stopping");
      sender.active = &context;
    }
    grpc::Status status = CallOnce(context, step, document);
    {
      platform::MutexLock lock(&sender.mu);
      sender.active = nullptr;
    }
    if (status.ok() || !Retryable(status.error_code()) || attempt == kMaxAttempts) return status;
    if (!SleepFor(backoff)) return grpc::Status(grpc::StatusCode::CANCELLED, "simulator stopping");
    backoff = std::min(backoff * 2, absl::Seconds(3));
  }
}

grpc::Status Simulator::CallOnce(grpc::ClientContext& context, const Step& step,
                                 const std::string* document) {
  if (document != nullptr) {
    ingest::v1::SubmitDocumentRequest request;
    request.set_document(*document);
    request.set_document_type(
        std::get<ingest::v1::IngestRequest>(step.request).has_death_notice() ? "60" : "61");
    ingest::v1::SubmitDocumentResponse response;
    grpc::Status status = health_->SubmitDocument(&context, request, &response);
    if (!status.ok()) return status;
    if (response.receipts_size() == 0) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "SubmitDocument answered no receipt");
    }
    for (const ingest::v1::Receipt& receipt : response.receipts()) {
      grpc::Status st = ReceiptStatus(receipt);
      if (!st.ok()) return st;
    }
    return grpc::Status::OK;
  }
  if (const auto* r = std::get_if<ingest::v1::IngestRequest>(&step.request)) {
    ingest::v1::Receipt receipt;
    return health_->Submit(&context, *r, &receipt);
  }
  if (const auto* r = std::get_if<ingest::v1::CourtIngestRequest>(&step.request)) {
    ingest::v1::Receipt receipt;
    return court_->Submit(&context, *r, &receipt);
  }
  if (const auto* r = std::get_if<registry::v1::RecordRegistrationRequest>(&step.request)) {
    registry::v1::RecordRegistrationResponse response;
    return registry_->RecordRegistration(&context, *r, &response);
  }
  const auto& manifest = std::get<reconcile::v1::Manifest>(step.request);
  reconcile::v1::ManifestAck ack;
  if (manifest.entries_size() <= kUnaryManifestEntries) {
    return reconcile_->DeclareManifest(&context, manifest, &ack);
  }
  auto writer = reconcile_->DeclareManifestStream(&context, &ack);
  reconcile::v1::ManifestChunk chunk;
  *chunk.mutable_header() = manifest;
  chunk.mutable_header()->clear_entries();
  for (int i = 0; i < manifest.entries_size(); ++i) {
    *chunk.add_entries() = manifest.entries(i);
    if (chunk.entries_size() == kManifestChunkEntries || i + 1 == manifest.entries_size()) {
      if (!writer->Write(chunk)) break;
      chunk.Clear();
    }
  }
  writer->WritesDone();
  return writer->Finish();
}

void Simulator::Count(const Step& step, const grpc::Status& status, bool document) {
  AtomicCounts& c = counts_[static_cast<size_t>(step.channel)];
  ++c.sent;
  if (document) {
    ++documents_sent_;
    if (!status.ok()) ++documents_refused_;
  }
  const bool planted = !step.planted_field.empty();
  if (planted) ++c.planted;
  const bool rejected = status.error_code() == grpc::StatusCode::INVALID_ARGUMENT;
  if (status.ok()) {
    ++c.accepted;
  } else if (rejected) {
    ++c.rejected;
  } else {
    ++c.failed;
  }
  const bool expected = planted ? rejected : status.ok();
  if (expected) return;
  const int64_t n = ++warnings_;
  if (n > kWarningsInFull && n % 1000 != 0) return;
  auto log = logging::Get("simulate");
  if (planted && status.ok()) {
    log->warn("planted error accepted channel={} source={} field={}", ChannelName(step.channel),
              step.principal, step.planted_field);
  } else {
    log->warn("{} channel={} source={} code={}: {}", rejected ? "unplanted rejection" : "failed",
              ChannelName(step.channel), step.principal, CodeName(status.error_code()),
              status.error_message());
  }
}

void Simulator::Report() {
  auto log = logging::Get("simulate");
  const absl::Time started = plan_.start();
  while (SleepFor(absl::Milliseconds(config_.progress_interval.count()))) {
    log->info("progress elapsed={} {}", absl::FormatDuration(absl::Trunc(absl::Now() - started,
                                                                          absl::Seconds(1))),
              FormatTotals(totals()));
  }
}

}  // namespace crvs::simulate
