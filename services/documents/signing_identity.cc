#include "services/documents/signing_identity.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <functional>
#include <memory>

namespace crvs::documents {
namespace {

std::string Pem(const std::function<int(BIO*)>& write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || write(bio.get()) != 1) return "";
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

SigningIdentity MakeSigningIdentity(const std::string& common_name,
                                    const SigningIdentity* issuer, bool is_ca) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) return {};
  X509_set_version(cert.get(), 2);
  // Distinct serials within a process (an issuer must not sign two certificates alike).
  static std::atomic<long> serial{1};
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  EVP_PKEY* signer_key = key.get();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> issuer_key(nullptr, EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> issuer_cert(nullptr, X509_free);
  if (issuer != nullptr) {
    std::unique_ptr<BIO, decltype(&BIO_free)> k(
        BIO_new_mem_buf(issuer->key_pem.data(), static_cast<int>(issuer->key_pem.size())),
        BIO_free);
    issuer_key.reset(PEM_read_bio_PrivateKey(k.get(), nullptr, nullptr, nullptr));
    std::unique_ptr<BIO, decltype(&BIO_free)> c(
        BIO_new_mem_buf(issuer->certificate_pem.data(),
                        static_cast<int>(issuer->certificate_pem.size())),
        BIO_free);
    issuer_cert.reset(PEM_read_bio_X509(c.get(), nullptr, nullptr, nullptr));
    if (!issuer_key || !issuer_cert) return {};
    X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert.get()));
    signer_key = issuer_key.get();
  } else {
    X509_set_issuer_name(cert.get(), name);
  }
  if (is_ca) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer_cert ? issuer_cert.get() : cert.get(), cert.get(), nullptr,
                   nullptr, 0);
    X509_EXTENSION* ext =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), signer_key, EVP_sha256()) <= 0) return {};
  SigningIdentity out;
  out.key_pem = Pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  out.certificate_pem = Pem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
  return out;
}

}  // namespace crvs::documents
