// `crvs certs`: a development certificate authority and the certificates mutual TLS needs,
// made with OpenSSL's EVP/X509 APIs (no `openssl` program). ECDSA P-256 keys, SHA-256
// signatures, private keys written mode 0600.
//
//   InitCa(dir)                    dir/ca.crt, dir/ca.key: a CA valid 10 years
//   Issue(dir, "facility:BV79001")  dir/facility-BV79001.crt/.key, CN "facility:BV79001",
//                                  extended key usage clientAuth, valid 1 year
//   Issue(dir, "server:gateway", server, dns "gw.example")
//                                  CN "server:gateway", clientAuth + serverAuth, subject
//                                  alternative names DNS:localhost, IP:127.0.0.1 and the given
//
// The CN is what services read as the caller (auth::CallerFromContext). For production, a
// real PKI issues certificates with the same subject rule; this CA is for development and tests.
#pragma once

#include <string>
#include <vector>

#include <absl/status/statusor.h>

namespace crvs::auth {

struct CertFiles {
  std::string cert_file;
  std::string key_file;
};

inline constexpr int kCaValidityDays = 3650;
inline constexpr int kLeafValidityDays = 365;

// Creates `dir` if needed and writes ca.crt and ca.key there. ALREADY_EXISTS naming the file
// when dir/ca.key exists (a CA is never overwritten: every certificate it signed would die).
absl::StatusOr<CertFiles> InitCa(const std::string& dir, int validity_days = kCaValidityDays);

struct IssueOptions {
  std::string dir;        // holds ca.crt and ca.key; the new files go here too
  std::string principal;  // "<facility|court|registry_office|operator>:<code>" or "server:<name>"
  bool server = false;    // a server certificate: serverAuth, localhost SANs (+ dns, ips)
  std::vector<std::string> dns;  // extra DNS subject alternative names (server only)
  std::vector<std::string> ips;  // extra IP subject alternative names (server only)
  int validity_days = kLeafValidityDays;
  std::string out;  // base name of the files in dir; empty: <kind>-<code>
};

// Writes dir/<out or kind-code>.crt and .key signed by dir's CA. INVALID_ARGUMENT naming the
// flag (principal, dns, ip, out, days) when one is malformed; NOT_FOUND when the CA files are missing;
// ALREADY_EXISTS naming the file when the certificate already exists.
absl::StatusOr<CertFiles> Issue(const IssueOptions& options);

// Verifies `cert_file` against `ca_file` as a TLS client certificate (or a server one with
// `server`) and returns its subject CN. (Tests use it; so can an operator checking a file.)
absl::StatusOr<std::string> VerifiedCommonName(const std::string& ca_file,
                                               const std::string& cert_file, bool server = false);

}  // namespace crvs::auth
