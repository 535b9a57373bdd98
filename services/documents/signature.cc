// The facility's enveloped XML-DSig in CHUKYDONVI, verified and made with xmlsec1 (OpenSSL
// backend). See signature.h for the contract; this file keeps xmlsec's C API contained.
#include "services/documents/signature.h"

#include <climits>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keyinfo.h>
#include <xmlsec/keys.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/openssl/x509.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

namespace crvs::documents {
namespace {

// Same order of magnitude as the reader's limit: a signed HSDLGBT/HSDLGCS is a few KiB.
constexpr std::size_t kMaxDocumentBytes = 32u << 20;
constexpr char kSignatureElement[] = "CHUKYDONVI";

// ---- xmlsec's errors, collected per thread instead of printed --------------------------------
//
// xmlSecErrorsSetCallback is process-wide, but xmlsec calls it on the thread that hit the error,
// so a thread_local log keeps concurrent verifications apart.
struct XmlSecErrorLog {
  std::vector<std::string> messages;  // capped; first is usually the root cause
  bool key_not_found = false;         // no key could be found/extracted for the signature
  bool certificate_failed = false;    // X509 chain verification failed (untrusted, expired...)
  bool disallowed = false;            // URI type / transform / key data refused by our policy
};
thread_local XmlSecErrorLog t_errors;

void CollectXmlSecError(const char* /*file*/, int /*line*/, const char* func,
                        const char* error_object, const char* error_subject, int reason,
                        const char* msg) {
  switch (reason) {
    case XMLSEC_ERRORS_R_KEY_NOT_FOUND:
      t_errors.key_not_found = true;
      break;
    case XMLSEC_ERRORS_R_CERT_VERIFY_FAILED:
    case XMLSEC_ERRORS_R_CERT_NOT_FOUND:
    case XMLSEC_ERRORS_R_CERT_REVOKED:
    case XMLSEC_ERRORS_R_CERT_ISSUER_FAILED:
    case XMLSEC_ERRORS_R_CERT_NOT_YET_VALID:
    case XMLSEC_ERRORS_R_CERT_HAS_EXPIRED:
      t_errors.certificate_failed = true;
      break;
    case XMLSEC_ERRORS_R_INVALID_URI_TYPE:
    case XMLSEC_ERRORS_R_TRANSFORM_DISABLED:
    case XMLSEC_ERRORS_R_KEYDATA_DISABLED:
    case XMLSEC_ERRORS_R_DISABLED:
      t_errors.disallowed = true;
      break;
    default:
      break;
  }
  if (t_errors.messages.size() >= 16) return;
  std::string reason_text;
  for (xmlSecSize i = 0; xmlSecErrorsGetCode(i) != 0; ++i) {
    if (xmlSecErrorsGetCode(i) == reason) {
      reason_text = xmlSecErrorsGetMsg(i);
      break;
    }
  }
  std::string text = func != nullptr ? func : "xmlsec";
  if (error_object != nullptr) absl::StrAppend(&text, " object=", error_object);
  if (error_subject != nullptr) absl::StrAppend(&text, " subject=", error_subject);
  if (!reason_text.empty()) absl::StrAppend(&text, ": ", reason_text);
  if (msg != nullptr && *msg != '\0') absl::StrAppend(&text, ": ", msg);
  t_errors.messages.push_back(std::move(text));
}

// The first message: xmlsec reports the root cause first and then one "xmlsec library function
// failed" per caller on the way out, which says nothing more.
std::string XmlSecErrorSummary() {
  return t_errors.messages.empty() ? std::string() : t_errors.messages.front();
}

// ---- RAII for the C objects ------------------------------------------------------------------

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;
struct DSigCtxFree {
  void operator()(xmlSecDSigCtx* ctx) const { xmlSecDSigCtxDestroy(ctx); }
};
struct KeyFree {
  void operator()(xmlSecKey* key) const { xmlSecKeyDestroy(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};

const xmlChar* Xml(const char* text) { return reinterpret_cast<const xmlChar*>(text); }

// Parses like the reader: no network, no entity substitution, no DTD loading, and a document
// carrying a DTD at all is refused (internal or external subset: entity tricks, XXE).
absl::StatusOr<DocPtr> ParseDocument(std::string_view xml) {
  if (xml.size() > kMaxDocumentBytes || xml.size() > static_cast<std::size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(
        absl::StrCat("document is ", xml.size(), " bytes, more than ", kMaxDocumentBytes));
  }
  xmlResetLastError();
  DocPtr doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (doc == nullptr) {
    const xmlError* error = xmlGetLastError();
    std::string message = error != nullptr && error->message != nullptr ? error->message : "";
    absl::StripTrailingAsciiWhitespace(&message);
    return absl::InvalidArgumentError(absl::StrCat("XML does not parse: ", message));
  }
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    return absl::InvalidArgumentError("document carries a DTD (<!DOCTYPE>), which is refused");
  }
  if (xmlDocGetRootElement(doc.get()) == nullptr) {
    return absl::InvalidArgumentError("document has no root element");
  }
  return doc;
}

bool IsDsigSignature(const xmlNode* node) {
  return node->type == XML_ELEMENT_NODE &&
         xmlSecCheckNodeName(const_cast<xmlNode*>(node), xmlSecNodeSignature, xmlSecDSigNs);
}

xmlNode* SignatureChild(xmlNode* parent) {
  for (xmlNode* child = parent->children; child != nullptr; child = child->next) {
    if (IsDsigSignature(child)) return child;
  }
  return nullptr;
}

// Where we look: the last CHUKYDONVI element (by local name, any depth under the root, in
// document order) that has a ds:Signature child — the last, because a re-signed document gets
// its newest signature appended at the end of the root and only that one covers everything.
// Failing that, a ds:Signature directly under the root (some systems omit the wrapper).
xmlNode* FindSignature(xmlNode* root) {
  xmlNode* found = nullptr;
  xmlNode* node = root;
  while (node != nullptr) {
    if (node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, Xml(kSignatureElement))) {
      if (xmlNode* signature = SignatureChild(node)) found = signature;
    }
    // Depth-first, document order, without recursion.
    if (node->children != nullptr && node->type == XML_ELEMENT_NODE) {
      node = node->children;
      continue;
    }
    while (node != nullptr && node != root && node->next == nullptr) node = node->parent;
    node = (node == nullptr || node == root) ? nullptr : node->next;
  }
  if (found != nullptr) return found;
  return SignatureChild(root);
}

// The PEM blocks of a certificate bundle; xmlsec loads one certificate per call.
std::vector<std::string_view> CertificateBlocks(std::string_view pem) {
  static constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  static constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::vector<std::string_view> blocks;
  std::size_t position = 0;
  while (true) {
    const std::size_t begin = pem.find(kBegin, position);
    if (begin == std::string_view::npos) break;
    const std::size_t end = pem.find(kEnd, begin);
    if (end == std::string_view::npos) {
      blocks.push_back(pem.substr(begin));  // truncated: let the loader report it
      break;
    }
    blocks.push_back(pem.substr(begin, end + kEnd.size() - begin));
    position = end + kEnd.size();
  }
  return blocks;
}

// RFC 2253 order and escaping, but UTF-8 kept as is (facility names are Vietnamese).
std::string SubjectOf(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return "";
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0,
                     XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

SignatureCheck Check(SignatureState state, std::string detail) {
  SignatureCheck check;
  check.state = state;
  check.detail = std::move(detail);
  return check;
}

// Every reference that covers the whole document (URI "" or no URI); the header promises that
// the signature covers the document, not a fragment that could be moved around (wrapping).
bool CoversWholeDocument(xmlSecDSigCtx* ctx) {
  const xmlSecSize count = xmlSecPtrListGetSize(&ctx->signedInfoReferences);
  for (xmlSecSize i = 0; i < count; ++i) {
    auto* reference =
        static_cast<xmlSecDSigReferenceCtx*>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, i));
    if (reference != nullptr && reference->status == xmlSecDSigStatusSucceeded &&
        (reference->uri == nullptr || reference->uri[0] == '\0')) {
      return true;
    }
  }
  return false;
}

// What a verification may use. Anything not listed is refused by xmlsec (TRANSFORM_DISABLED):
// no XPath/XSLT/base64 transforms, no rsa-sha1/md5 or HMAC signature methods.
absl::Status RestrictContext(xmlSecDSigCtx* ctx) {
  // Only the document itself: never a local file or a remote URL (no I/O during verification).
  ctx->enabledReferenceUris = static_cast<xmlSecTransformUriType>(
      xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument);
  const xmlSecTransformId c14n[] = {xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId,
                                    xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId};
  for (xmlSecTransformId id : c14n) {
    if (xmlSecDSigCtxEnableReferenceTransform(ctx, id) < 0 ||
        xmlSecDSigCtxEnableSignatureTransform(ctx, id) < 0) {
      return absl::InternalError("cannot enable a C14N transform");
    }
  }
  if (xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId) < 0 ||
      xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha256Id) < 0 ||
      xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha256Id) < 0) {
    return absl::InternalError("cannot enable the rsa-sha256 transforms");
  }
  // The verifying key is always preset (VerifyWithKeyOf); should xmlsec look at KeyInfo anyway,
  // only X509Data is enabled: a bare KeyValue, RetrievalMethod, EncryptedKey... is ignored.
  if (xmlSecPtrListAdd(&ctx->keyInfoReadCtx.enabledKeyData,
                       const_cast<void*>(static_cast<const void*>(xmlSecOpenSSLKeyDataX509Id))) <
      0) {
    return absl::InternalError("cannot restrict KeyInfo to X509Data");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status InitXmlSecurity() {
  static std::once_flag once;
  static absl::Status* result = nullptr;  // leaked on purpose: no teardown order issues
  std::call_once(once, [] {
    result = new absl::Status();
    xmlInitParser();
    if (xmlSecInit() < 0) {
      *result = absl::InternalError("xmlSecInit failed");
      return;
    }
    if (xmlSecCheckVersion() != 1) {
      *result = absl::InternalError("loaded xmlsec library version is not compatible");
      return;
    }
    if (xmlSecOpenSSLAppInit(nullptr) < 0) {
      *result = absl::InternalError("xmlSecOpenSSLAppInit failed");
      return;
    }
    if (xmlSecOpenSSLInit() < 0) {
      *result = absl::InternalError("xmlSecOpenSSLInit failed");
      return;
    }
    // Last: set right after xmlSecInit it was back to xmlsec's stderr printer by the end (seen
    // with 1.2.37), so the crypto initialisation evidently reinstalls the default.
    xmlSecErrorsSetCallback(CollectXmlSecError);
  });
  return *result;
}

absl::StatusOr<SignaturePolicy> ParseSignaturePolicy(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(std::string(text));
  if (lower == "require") return SignaturePolicy::kRequire;
  if (lower == "record") return SignaturePolicy::kRecord;
  if (lower == "off") return SignaturePolicy::kOff;
  return absl::InvalidArgumentError(
      absl::StrCat("signature policy \"", std::string(text), "\" is not require, record or off"));
}

std::string SignaturePolicyName(SignaturePolicy policy) {
  switch (policy) {
    case SignaturePolicy::kRequire:
      return "require";
    case SignaturePolicy::kRecord:
      return "record";
    case SignaturePolicy::kOff:
      return "off";
  }
  return "unknown";
}

std::string SignatureStateName(SignatureState state) {
  switch (state) {
    case SignatureState::kNotChecked:
      return "NOT_CHECKED";
    case SignatureState::kValid:
      return "VALID";
    case SignatureState::kInvalid:
      return "INVALID";
    case SignatureState::kMissing:
      return "MISSING";
    case SignatureState::kUntrusted:
      return "UNTRUSTED";
  }
  return "UNKNOWN";
}

namespace {

// What checking the signature with one given key found.
struct KeyCheck {
  bool verified = false;  // the digests and the signature value match, covering the document
  bool refused = false;   // something the policy refuses (URI, transform) or a malformed one
  std::string detail;
};

// Verifies the document's signature with `cert`'s public key, preset: KeyInfo is never read for
// a key, no keys manager and so no trust store is involved (xmlsec's would load the system's
// CA bundle: slow, and a public CA's certificate must not count as a facility's).
KeyCheck VerifyWithKeyOf(std::string_view xml, X509* cert) {
  KeyCheck out;
  t_errors = XmlSecErrorLog();
  absl::StatusOr<DocPtr> doc = ParseDocument(xml);
  if (!doc.ok()) return {false, true, std::string(doc.status().message())};
  xmlNode* signature = FindSignature(xmlDocGetRootElement(doc->get()));
  if (signature == nullptr) return {false, true, "no signature"};
  std::unique_ptr<xmlSecDSigCtx, DSigCtxFree> ctx(xmlSecDSigCtxCreate(nullptr));
  if (ctx == nullptr) return {false, true, "cannot create the xmlsec context"};
  if (absl::Status restricted = RestrictContext(ctx.get()); !restricted.ok()) {
    return {false, true, std::string(restricted.message())};
  }
  std::unique_ptr<BIO, BioFree> pem(BIO_new(BIO_s_mem()));
  char* data = nullptr;
  const long size = pem != nullptr && PEM_write_bio_X509(pem.get(), cert) == 1
                        ? BIO_get_mem_data(pem.get(), &data)
                        : 0;
  if (size <= 0) return {false, true, "cannot encode the certificate"};
  ctx->signKey = xmlSecOpenSSLAppKeyLoadMemory(reinterpret_cast<const xmlSecByte*>(data),
                                               static_cast<xmlSecSize>(size),
                                               xmlSecKeyDataFormatCertPem, nullptr, nullptr,
                                               nullptr);
  if (ctx->signKey == nullptr) return {false, true, "the certificate's key cannot be used"};
  if (xmlSecDSigCtxVerify(ctx.get(), signature) < 0) {
    return {false, true,
            absl::StrCat(t_errors.disallowed ? "signature uses something not allowed: "
                                             : "signature cannot be processed: ",
                         XmlSecErrorSummary())};
  }
  if (ctx->status != xmlSecDSigStatusSucceeded) {
    std::string detail =
        "the digest or the signature value does not match: document changed after signing";
    if (std::string errors = XmlSecErrorSummary(); !errors.empty()) {
      absl::StrAppend(&detail, " (", errors, ")");
    }
    return {false, false, std::move(detail)};
  }
  if (!CoversWholeDocument(ctx.get())) {
    return {false, true,
            "no reference with URI \"\": the signature does not cover the whole document"};
  }
  out.verified = true;
  return out;
}

std::unique_ptr<X509, X509Free> ReadCertificate(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return std::unique_ptr<X509, X509Free>(
      bio != nullptr ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

// The certificate the signer put in KeyInfo/X509Data/X509Certificate (base64 DER), if any.
std::unique_ptr<X509, X509Free> EmbeddedCertificate(std::string_view xml) {
  absl::StatusOr<DocPtr> doc = ParseDocument(xml);
  if (!doc.ok()) return nullptr;
  xmlNode* signature = FindSignature(xmlDocGetRootElement(doc->get()));
  xmlNode* info = signature != nullptr
                      ? xmlSecFindChild(signature, Xml("KeyInfo"), xmlSecDSigNs)
                      : nullptr;
  xmlNode* data = info != nullptr ? xmlSecFindChild(info, Xml("X509Data"), xmlSecDSigNs)
                                  : nullptr;
  xmlNode* node = data != nullptr
                      ? xmlSecFindChild(data, Xml("X509Certificate"), xmlSecDSigNs)
                      : nullptr;
  if (node == nullptr) return nullptr;
  struct XmlFree {
    void operator()(xmlChar* text) const { xmlFree(text); }
  };
  std::unique_ptr<xmlChar, XmlFree> text(xmlNodeGetContent(node));
  if (text == nullptr) return nullptr;
  std::string base64;
  for (const xmlChar* c = text.get(); *c != 0; ++c) {
    if (!absl::ascii_isspace(*c)) base64.push_back(static_cast<char>(*c));
  }
  std::string der;
  if (!absl::Base64Unescape(base64, &der)) return nullptr;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  return std::unique_ptr<X509, X509Free>(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

bool CurrentlyValid(X509* cert) {
  return X509_cmp_current_time(X509_get0_notBefore(cert)) < 0 &&
         X509_cmp_current_time(X509_get0_notAfter(cert)) > 0;
}

// Whether `leaf` chains to one of `registered` (each a trust anchor, self-signed or not:
// X509_V_FLAG_PARTIAL_CHAIN), with nothing else trusted — no system CA bundle.
bool ChainsToRegistered(X509* leaf, const std::vector<std::unique_ptr<X509, X509Free>>& registered) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(),
                                                                X509_STORE_free);
  if (store == nullptr) return false;
  for (const auto& cert : registered) X509_STORE_add_cert(store.get(), cert.get());
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      X509_STORE_CTX_free);
  if (ctx == nullptr || X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr) != 1) {
    return false;
  }
  return X509_verify_cert(ctx.get()) == 1;
}

}  // namespace

// Trust is decided here, with OpenSSL, against the registered certificates alone; xmlsec only
// checks the signature with a key it is given:
// 1. each registered certificate in date: its own key (the facility signs with the very
//    certificate it registered) — VALID, signer = that certificate;
// 2. the certificate in the document's KeyInfo, if it chains to a registered one (a registered
//    CA or intermediate) and is in date: its key — VALID, signer = that certificate;
// 3. otherwise the document's own certificate tells INVALID (its key does not verify: changed
//    after signing, or malformed) from UNTRUSTED (it verifies, but with a key the facility did
//    not register, or none is registered, or out of date).
SignatureCheck VerifyDocumentSignature(std::string_view xml,
                                       std::string_view trusted_certificates_pem) {
  if (absl::Status init = InitXmlSecurity(); !init.ok()) {
    return Check(SignatureState::kInvalid, absl::StrCat("cannot verify: ", init.message()));
  }
  {
    absl::StatusOr<DocPtr> doc = ParseDocument(xml);
    if (!doc.ok()) return Check(SignatureState::kInvalid, std::string(doc.status().message()));
    if (FindSignature(xmlDocGetRootElement(doc->get())) == nullptr) {
      return Check(SignatureState::kMissing,
                   "no ds:Signature in a CHUKYDONVI element or directly under the root");
    }
  }
  std::vector<std::unique_ptr<X509, X509Free>> registered;
  for (std::string_view block : CertificateBlocks(trusted_certificates_pem)) {
    if (auto cert = ReadCertificate(block); cert != nullptr) registered.push_back(std::move(cert));
  }
  std::string refused;
  for (const auto& cert : registered) {
    if (!CurrentlyValid(cert.get())) continue;
    KeyCheck with = VerifyWithKeyOf(xml, cert.get());
    if (with.verified) {
      SignatureCheck valid;
      valid.state = SignatureState::kValid;
      valid.signer = SubjectOf(cert.get());
      return valid;
    }
    if (with.refused) refused = with.detail;  // the same refusal whatever the key
  }
  if (!refused.empty()) return Check(SignatureState::kInvalid, refused);
  std::unique_ptr<X509, X509Free> embedded = EmbeddedCertificate(xml);
  if (embedded == nullptr) {
    return Check(registered.empty() ? SignatureState::kUntrusted : SignatureState::kInvalid,
                 registered.empty()
                     ? "no certificate is registered for the facility, and the signature carries "
                       "none"
                     : "the signature does not verify with the facility's registered certificate "
                       "and carries no certificate of its own");
  }
  KeyCheck with = VerifyWithKeyOf(xml, embedded.get());
  if (!with.verified) return Check(SignatureState::kInvalid, with.detail);
  if (registered.empty()) {
    return Check(SignatureState::kUntrusted, "no certificate is registered for the facility (" +
                                                 SubjectOf(embedded.get()) + " signed it)");
  }
  if (!CurrentlyValid(embedded.get())) {
    return Check(SignatureState::kUntrusted,
                 "the signing certificate " + SubjectOf(embedded.get()) +
                     " is outside its validity period");
  }
  if (ChainsToRegistered(embedded.get(), registered)) {
    SignatureCheck valid;
    valid.state = SignatureState::kValid;
    valid.signer = SubjectOf(embedded.get());
    return valid;
  }
  return Check(SignatureState::kUntrusted,
               "signed by " + SubjectOf(embedded.get()) +
                   ", which is not the facility's registered certificate and not issued by it");
}

absl::StatusOr<std::string> SignDocument(std::string_view xml, std::string_view private_key_pem,
                                         std::string_view certificate_pem) {
  if (absl::Status init = InitXmlSecurity(); !init.ok()) return init;
  t_errors = XmlSecErrorLog();

  absl::StatusOr<DocPtr> doc = ParseDocument(xml);
  if (!doc.ok()) return doc.status();
  xmlNode* root = xmlDocGetRootElement(doc->get());

  std::unique_ptr<xmlSecKey, KeyFree> key(xmlSecOpenSSLAppKeyLoadMemory(
      reinterpret_cast<const xmlSecByte*>(private_key_pem.data()), private_key_pem.size(),
      xmlSecKeyDataFormatPem, nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("private key cannot be read: ", XmlSecErrorSummary()));
  }
  if (xmlSecOpenSSLAppKeyCertLoadMemory(
          key.get(), reinterpret_cast<const xmlSecByte*>(certificate_pem.data()),
          certificate_pem.size(), xmlSecKeyDataFormatPem) < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate cannot be read: ", XmlSecErrorSummary()));
  }
  // xmlsec would happily put a certificate for another key in KeyInfo; the result would then
  // never verify. Say so here instead.
  {
    std::unique_ptr<BIO, BioFree> bio(
        BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())));
    std::unique_ptr<X509, X509Free> cert(
        bio != nullptr ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    EVP_PKEY* private_key = xmlSecOpenSSLEvpKeyDataGetEvp(xmlSecKeyGetValue(key.get()));
    if (cert == nullptr || private_key == nullptr ||
        X509_check_private_key(cert.get(), private_key) != 1) {
      return absl::InvalidArgumentError("the certificate is not for this private key");
    }
  }

  // The CHUKYDONVI wrapper exists before signing, so it is part of the signed content (the
  // enveloped transform removes only the ds:Signature); verification sees the same bytes.
  xmlNode* wrapper = xmlNewChild(root, nullptr, Xml(kSignatureElement), nullptr);
  xmlNode* signature =
      xmlSecTmplSignatureCreate(doc->get(), xmlSecTransformInclC14NId, xmlSecTransformRsaSha256Id,
                                nullptr);
  if (wrapper == nullptr || signature == nullptr) {
    if (signature != nullptr) xmlFreeNode(signature);
    return absl::InternalError("cannot create the signature template");
  }
  xmlAddChild(wrapper, signature);
  xmlNode* reference = xmlSecTmplSignatureAddReference(signature, xmlSecTransformSha256Id,
                                                       nullptr, Xml(""), nullptr);
  xmlNode* key_info = xmlSecTmplSignatureEnsureKeyInfo(signature, nullptr);
  xmlNode* x509_data = key_info != nullptr ? xmlSecTmplKeyInfoAddX509Data(key_info) : nullptr;
  if (reference == nullptr ||
      xmlSecTmplReferenceAddTransform(reference, xmlSecTransformEnvelopedId) == nullptr ||
      x509_data == nullptr || xmlSecTmplX509DataAddCertificate(x509_data) == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot fill the signature template: ", XmlSecErrorSummary()));
  }

  std::unique_ptr<xmlSecDSigCtx, DSigCtxFree> ctx(xmlSecDSigCtxCreate(nullptr));
  if (ctx == nullptr) return absl::InternalError("cannot create the xmlsec context");
  ctx->signKey = key.release();  // the context owns and destroys it
  if (xmlSecDSigCtxSign(ctx.get(), signature) < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing failed (is the key RSA?): ", XmlSecErrorSummary()));
  }

  xmlChar* buffer = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc->get(), &buffer, &size, "UTF-8");
  if (buffer == nullptr) return absl::InternalError("cannot serialise the signed document");
  std::string out(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(size));
  xmlFree(buffer);
  return out;
}

}  // namespace crvs::documents
