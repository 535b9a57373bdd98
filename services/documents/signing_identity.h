// An RSA key and an X.509 certificate for it, made in process (OpenSSL's EVP and X509 APIs):
// the kind of identity a hospital signs its XML documents with (rsa-sha256, signature.h). The
// simulator gives each of its document-speaking facilities one at start; tests make trust
// chains with it (an issuer, a CA).
//
// Thread-safety: MakeSigningIdentity may be called from any thread.
#pragma once

#include <string>

namespace crvs::documents {

struct SigningIdentity {
  std::string key_pem;          // PKCS#8 private key, unencrypted
  std::string certificate_pem;  // the X.509 certificate
};

// A 2048-bit RSA key and a certificate with subject CN `common_name` (UTF-8), valid from an hour
// ago for a year; signed by `issuer` (its key and certificate) when given, else by itself;
// marked as a CA (basicConstraints critical, CA:TRUE) when `is_ca`. Empty PEMs if OpenSSL fails
// (it does not, short of memory) or `issuer` cannot be read.
SigningIdentity MakeSigningIdentity(const std::string& common_name,
                                    const SigningIdentity* issuer = nullptr, bool is_ca = false);

}  // namespace crvs::documents
