// The facility's XML signature on a hospital document (issue 19): an enveloped XML-DSig in
// CHUKYDONVI (rsa-sha256, canonical XML), verified with xmlsec1 (Debian's libxmlsec1-openssl)
// against the certificate registered for the facility. Only same-document references are
// followed; no key is taken from the document itself unless it chains to a trusted certificate.
//
// Thread-safety: xmlsec is initialised once per process (InitXmlSecurity, idempotent); after
// that Verify and Sign may run on any thread.
#pragma once

#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

namespace crvs::documents {

// Initialises libxml2's parser, xmlsec and its OpenSSL backend once per process (std::call_once;
// later calls return the first result). Verify and Sign call it themselves; call it early to
// fail fast at startup. Never calls xmlCleanupParser (other code uses libxml2). It replaces
// xmlsec's error printer with a collector: xmlsec no longer writes to stderr.
absl::Status InitXmlSecurity();

// What a deployment does with signatures: refuse a document whose signature is absent or does
// not verify (require), accept it and record the result (record), or not look (off).
enum class SignaturePolicy { kRequire, kRecord, kOff };
absl::StatusOr<SignaturePolicy> ParseSignaturePolicy(std::string_view text);  // require|record|off
std::string SignaturePolicyName(SignaturePolicy policy);

enum class SignatureState {
  kNotChecked,  // policy off
  kValid,       // verified against the facility's registered certificate
  kInvalid,     // present, but the digest or the signature value does not verify (tampered)
  kMissing,     // no CHUKYDONVI / ds:Signature in the document
  kUntrusted,   // verifies with a key that is not the facility's registered certificate, or no
                // certificate is registered for the facility
};
std::string SignatureStateName(SignatureState state);  // "VALID", "INVALID", ...

struct SignatureCheck {
  SignatureState state = SignatureState::kNotChecked;
  std::string signer;  // subject of the certificate that verified, when valid
  std::string detail;  // why not valid, in English (logs); empty when valid
};

// Verifies the document's enveloped signature against `trusted_certificates_pem` (one or more
// PEM certificates: the facility's). Never fails as a call: problems are the check's state.
// The signature looked at: the last CHUKYDONVI (any depth) holding a ds:Signature, else a
// ds:Signature directly under the root. VALID when the KeyInfo/X509Data certificate chains to
// (or is) a registered certificate, or — for a registered certificate that is not self-signed,
// which OpenSSL will not take as a trust anchor — when the document verifies with that
// certificate's own key; either way within the certificate's validity period, and only with
// same-document references, C14N, enveloped-signature and rsa-sha256/sha256. `signer` is the
// subject in RFC 2253 order, UTF-8 kept ("CN=Bệnh viện …,O=…").
SignatureCheck VerifyDocumentSignature(std::string_view xml,
                                       std::string_view trusted_certificates_pem);

// Signs `xml` the way a hospital system does: an enveloped ds:Signature (rsa-sha256, exclusive
// or inclusive C14N, the whole document as reference URI "") placed in a CHUKYDONVI element at
// the end of the root, with the certificate in KeyInfo/X509Data. For tests, samples and the
// simulator. INVALID_ARGUMENT when the XML or the key cannot be read.
absl::StatusOr<std::string> SignDocument(std::string_view xml, std::string_view private_key_pem,
                                         std::string_view certificate_pem);

}  // namespace crvs::documents
