// Hospital documents through the gateway (issue 19): the signed XML a facility's system already
// produces (services/documents) becomes the same records, receipts and outcomes as a native
// Submit. Both doors use it: the SubmitDocument RPC and the HTTPS form door (document_door.h).
//
// One document: the caller must be a facility; the document is read and mapped
// (documents::ReadHospitalDocument, every problem named by element path), it must be the
// caller's own (MACSKCB), its signature is checked per gateway.document_signature against the
// certificate registered for the facility (<document_certificates_dir>/<MACSKCB>.crt) or, when
// none is registered, the facility's own mTLS client certificate; then each record goes
// through HealthIngestService::Process with the document noted in its envelope
// (RecordEnvelope.source_document), and the answer holds one receipt per record, in order.
//
// Thread-safety: Submit may be called from any thread; `done` runs once, on the thread of the
// last record's outcome (or the caller's, when the document is refused before any record).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <absl/status/status.h>

#include "crvs/common/v1/types.pb.h"
#include "crvs/ingest/v1/health_ingest.pb.h"
#include "services/documents/hospital_document.h"
#include "services/documents/signature.h"
#include "services/platform/config.h"
#include "services/validation/reference_data.h"

namespace crvs::gateway {

class HealthIngestService;

struct DocumentIntakeConfig {
  documents::SignaturePolicy signature = documents::SignaturePolicy::kRecord;
  std::string certificates_dir;  // "<MACSKCB>.crt" per facility; "" = mTLS certificates only
  size_t max_bytes = 10 * 1024 * 1024;
};

struct DocumentOutcome {
  // OK (then `response`); INVALID_ARGUMENT with field violations named by element path (then
  // `errors` too); PERMISSION_DENIED (not a facility, or another facility's document).
  absl::Status status;
  ingest::v1::SubmitDocumentResponse response;
  std::vector<documents::DocumentError> errors;
};

class DocumentIntake {
 public:
  using Done = std::function<void(DocumentOutcome)>;

  // `health` and `reference` must outlive the intake.
  DocumentIntake(DocumentIntakeConfig config, HealthIngestService* health,
                 const validation::ReferenceData* reference)
      : config_(std::move(config)), health_(health), reference_(reference) {}

  // `declared_type`: loaiHs ("60", "61", "9") or "". `peer_certificate_pem`: the caller's
  // verified client certificate, "" in plaintext mode.
  void Submit(const common::v1::Principal& caller, const std::string& document,
              const std::string& declared_type, const std::string& peer_certificate_pem,
              Done done);

  const DocumentIntakeConfig& config() const { return config_; }

 private:
  // The certificate(s) a facility's signature must verify against; "" when none is known.
  std::string TrustedCertificates(const std::string& facility,
                                  const std::string& peer_certificate_pem) const;

  DocumentIntakeConfig config_;
  HealthIngestService* health_;
  const validation::ReferenceData* reference_;
};

// The document errors as the gRPC status (BadRequest field violations: element path, and
// "Vietnamese | English").
absl::Status DocumentErrorsStatus(const std::vector<documents::DocumentError>& errors);

}  // namespace crvs::gateway
