#include "services/auth/credentials.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

namespace crvs::auth {
namespace {

absl::StatusOr<std::string> ReadPem(const char* key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("tls.", key, ": cannot read '", path, "'"));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls.", key, ": '", path, "' holds no PEM block"));
  }
  return text.str();
}

// The tls.* keys a TLS endpoint needs that are empty.
std::vector<std::string> Missing(const TlsConfig& tls, bool need_identity) {
  std::vector<std::string> missing;
  if (tls.ca_file.empty()) missing.push_back("tls.ca_file");
  if (need_identity && tls.cert_file.empty()) missing.push_back("tls.cert_file");
  if (need_identity && tls.key_file.empty()) missing.push_back("tls.key_file");
  return missing;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    std::string_view section, bool plaintext, const TlsConfig& tls) {
  if (plaintext) return grpc::InsecureServerCredentials();
  const std::string name(section);
  std::vector<std::string> missing = Missing(tls, true);
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, ".plaintext=false (mutual TLS) needs ", absl::StrJoin(missing, ", "),
        ": `crvs certs init` and `crvs certs issue --server` make a development CA and a server "
        "certificate; or set ",
        name, ".plaintext=true for local development"));
  }
  auto ca = ReadPem("ca_file", tls.ca_file);
  if (!ca.ok()) return ca.status();
  auto cert = ReadPem("cert_file", tls.cert_file);
  if (!cert.ok()) return cert.status();
  auto key = ReadPem("key_file", tls.key_file);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = *ca;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    bool plaintext, const TlsConfig& tls) {
  if (plaintext) return grpc::InsecureChannelCredentials();
  if (tls.ca_file.empty()) {
    return absl::FailedPreconditionError(
        "tls.ca_file: is empty; a TLS client needs the CA that signed the server's certificate "
        "(`crvs certs init` makes a development CA)");
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        tls.cert_file.empty() ? "tls.cert_file" : "tls.key_file",
        ": is empty while its pair is set; give both a client certificate and its key "
        "(`crvs certs issue`)"));
  }
  grpc::SslCredentialsOptions options;
  auto ca = ReadPem("ca_file", tls.ca_file);
  if (!ca.ok()) return ca.status();
  options.pem_root_certs = *ca;
  if (!tls.cert_file.empty()) {
    auto cert = ReadPem("cert_file", tls.cert_file);
    if (!cert.ok()) return cert.status();
    auto key = ReadPem("key_file", tls.key_file);
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *cert;
    options.pem_private_key = *key;
  }
  return grpc::SslCredentials(options);
}

}  // namespace crvs::auth
