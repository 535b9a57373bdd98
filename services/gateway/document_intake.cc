#include "services/gateway/document_intake.h"

#include <openssl/sha.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#include <absl/random/random.h>
#include <absl/strings/escaping.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>

#include "services/gateway/health_ingest_service.h"
#include "services/gateway/ingest_calls.h"
#include "services/platform/logging.h"
#include "services/platform/status.h"
#include "services/records/records.h"
#include "services/validation/validators.h"

namespace crvs::gateway {
namespace {

using documents::DocumentError;
using documents::SignatureState;
using records::v1::DocumentSignatureState;

DocumentSignatureState ToProto(SignatureState state) {
  switch (state) {
    case SignatureState::kNotChecked: return records::v1::DOCUMENT_SIGNATURE_STATE_NOT_CHECKED;
    case SignatureState::kValid: return records::v1::DOCUMENT_SIGNATURE_STATE_VALID;
    case SignatureState::kInvalid: return records::v1::DOCUMENT_SIGNATURE_STATE_INVALID;
    case SignatureState::kMissing: return records::v1::DOCUMENT_SIGNATURE_STATE_MISSING;
    case SignatureState::kUntrusted: return records::v1::DOCUMENT_SIGNATURE_STATE_UNTRUSTED;
  }
  return records::v1::DOCUMENT_SIGNATURE_STATE_UNSPECIFIED;
}

std::string Sha256(const std::string& bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

// A transaction id per submission (MaGD): 16 random bytes, hex.
std::string NewTransactionId() {
  thread_local absl::BitGen gen;
  std::string raw(16, '\0');
  for (char& c : raw) c = static_cast<char>(absl::Uniform<unsigned>(gen, 0u, 256u));
  return absl::BytesToHexString(raw);
}


DocumentOutcome Refused(std::vector<DocumentError> errors) {
  DocumentOutcome outcome;
  outcome.status = DocumentErrorsStatus(errors);
  outcome.errors = std::move(errors);
  return outcome;
}

// Collects the receipts of one document's records; the last one answers.
struct Pending {
  std::mutex mu;
  DocumentOutcome outcome;
  int remaining = 0;
  DocumentIntake::Done done;
};

}  // namespace

absl::Status DocumentErrorsStatus(const std::vector<DocumentError>& errors) {
  std::vector<FieldViolation> violations;
  violations.reserve(errors.size());
  for (const auto& e : errors) {
    violations.push_back({e.path, absl::StrCat(e.message_vi, " | ", e.message_en)});
  }
  return InvalidArgument(violations);
}

std::string DocumentIntake::TrustedCertificates(const std::string& facility,
                                                const std::string& peer_certificate_pem) const {
  if (!config_.certificates_dir.empty() && validation::IsFacilityOrCourtCode(facility)) {
    std::ifstream in(config_.certificates_dir + "/" + facility + ".crt", std::ios::binary);
    if (in) {
      std::ostringstream pem;
      pem << in.rdbuf();
      return pem.str();
    }
  }
  return peer_certificate_pem;
}

void DocumentIntake::Submit(const common::v1::Principal& caller, const std::string& document,
                            const std::string& declared_type,
                            const std::string& peer_certificate_pem, Done done) {
  if (caller.kind() != common::v1::PRINCIPAL_KIND_FACILITY) {
    DocumentOutcome outcome;
    outcome.status = absl::PermissionDeniedError(
        "caller " + records::FormatPrincipal(caller) +
        " may not submit hospital documents (a facility's certificate is required)");
    done(std::move(outcome));
    return;
  }
  if (document.size() > config_.max_bytes) {
    done(Refused({documents::MakeError("", "too_large", "too_large",
                        {{"size", std::to_string(document.size())},
                         {"limit", std::to_string(config_.max_bytes)}})}));
    return;
  }
  documents::ReadOptions options;
  options.limits.max_bytes = config_.max_bytes;
  options.declared = documents::ParseDocumentType(declared_type);
  if (!declared_type.empty() && options.declared == documents::DocumentType::kUnknown) {
    done(Refused({documents::MakeError("loaiHs", "document_type", "declared_type",
                        {{"value", declared_type}})}));
    return;
  }
  options.reference = reference_;
  options.facility_code = caller.code();
  documents::DocumentResult read = documents::ReadHospitalDocument(document, options);
  if (!read.facility_code.empty() && read.facility_code != caller.code()) {
    DocumentOutcome outcome;
    outcome.status = absl::PermissionDeniedError(
        "caller " + records::FormatPrincipal(caller) + " may not submit documents of facility " +
        read.facility_code);
    done(std::move(outcome));
    return;
  }
  const std::string type =
      read.type == documents::DocumentType::kUnknown ? "unknown"
                                                     : documents::DocumentTypeName(read.type);
  GatewayMetrics* metrics = health_->deps().metrics;
  if (!read.ok()) {
    metrics->Document(type, "NOT_CHECKED", "refused");
    done(Refused(std::move(read.errors)));
    return;
  }
  if (read.records.empty()) {  // the reader names an empty table itself; never answer nothing
    done(Refused({documents::MakeError("", "no_records", "no_records")}));
    return;
  }

  documents::SignatureCheck signature;
  if (config_.signature != documents::SignaturePolicy::kOff) {
    signature = documents::VerifyDocumentSignature(
        document, TrustedCertificates(caller.code(), peer_certificate_pem));
    if (config_.signature == documents::SignaturePolicy::kRequire &&
        signature.state != SignatureState::kValid) {
      const std::string state = documents::SignatureStateName(signature.state);
      logging::Get("gateway")->info(
          "event=document_refused facility={} signature={} detail=\"{}\"", caller.code(), state,
          signature.detail);
      metrics->Document(type, state, "refused");
      done(Refused({documents::MakeError("CHUKYDONVI",
                                         "signature_" + absl::AsciiStrToLower(state),
                                         "signature", {{"state", state}})}));
      return;
    }
  }

  metrics->Document(type, documents::SignatureStateName(signature.state), "accepted");
  auto pending = std::make_shared<Pending>();
  pending->done = std::move(done);
  auto& response = pending->outcome.response;
  response.set_transaction_id(NewTransactionId());
  response.set_document_type(documents::DocumentTypeName(read.type));
  response.set_signature_state(ToProto(signature.state));
  response.set_signer(signature.signer);
  for (size_t i = 0; i < read.records.size(); ++i) response.add_receipts();
  pending->remaining = static_cast<int>(read.records.size());

  records::v1::SourceDocument source;
  source.set_type(response.document_type());
  source.set_sha256(Sha256(document));
  source.set_transaction_id(response.transaction_id());
  source.set_signature_state(response.signature_state());
  source.set_signer(signature.signer);
  source.set_signature_detail(signature.detail);
  // Each record's outcome lands in its own slot; the last one answers.
  for (size_t i = 0; i < read.records.size(); ++i) {
    source.set_element(read.records[i].path);
    const std::string message_id = read.records[i].request.message_id();
    health_->Process(
        caller, read.records[i].request,
        [pending, i, message_id](const absl::StatusOr<ingest::v1::Receipt>& outcome) {
          bool last;
          {
            std::lock_guard<std::mutex> lock(pending->mu);
            *pending->outcome.response.mutable_receipts(static_cast<int>(i)) =
                ReceiptOrRefusal(message_id, outcome);
            last = --pending->remaining == 0;
          }
          if (last) pending->done(std::move(pending->outcome));
        },
        &source);
  }
}

}  // namespace crvs::gateway
