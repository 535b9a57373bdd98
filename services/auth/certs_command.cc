#include "services/auth/certs_command.h"

#include <cstdio>

#include "services/auth/certs.h"

namespace crvs::auth {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "crvs certs: %s\n", std::string(status.message()).c_str());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
      return 2;
    default:
      return 1;
  }
}

}  // namespace

CertsCommand::CertsCommand(CLI::App& app) {
  certs_ = app.add_subcommand(
      "certs",
      "make a development certificate authority and mutual-TLS certificates (OpenSSL; ECDSA "
      "P-256, SHA-256). Every gRPC service runs mutual TLS unless its <section>.plaintext is "
      "true: it presents [tls] cert_file and accepts callers whose certificate [tls] ca_file "
      "signed. A caller is who its certificate's subject CN says: facility:<code>, "
      "court:<code>, registry_office:<commune code>, operator:<name> or agency:<subscriber>; a "
      "facility may only "
      "submit its own records, a court its own decisions, only operators replay, discard or "
      "pause. `crvs certs init --dir D` first, then `crvs certs issue --dir D --principal ...` "
      "per caller and `--server` per service host. Production uses its own PKI with the same CN "
      "rule");
  certs_->require_subcommand(1);
  init_ = certs_->add_subcommand(
      "init",
      "write D/ca.crt and D/ca.key (mode 0600), a CA valid 10 years; refuses to overwrite an "
      "existing CA");
  init_->add_option("--dir", dir_, "directory for the CA (created if missing)")->required();
  issue_ = certs_->add_subcommand(
      "issue",
      "write D/<kind>-<code>.crt and .key (mode 0600; --out names them otherwise) signed by D's "
      "CA, valid 1 year, and print the [tls] lines that use them");
  issue_->add_option("--dir", dir_, "directory holding ca.crt and ca.key (crvs certs init)")
      ->required();
  issue_
      ->add_option("--principal", principal_,
                   "the subject CN: facility:BV79001, court:TAND79, registry_office:26734, "
                   "operator:alice, or server:<name> with --server")
      ->required();
  issue_->add_flag("--server", server_,
                   "a server certificate (serverAuth and clientAuth) for a host running crvs "
                   "services; covers localhost and 127.0.0.1 plus --dns / --ip");
  issue_->add_option("--dns", dns_, "another host name the server is reached by (repeatable)");
  issue_->add_option("--ip", ips_, "another IP address the server is reached by (repeatable)");
  issue_->add_option("--days", days_, "validity in days (default 365)");
  issue_->add_option("--out", out_,
                     "base name of the two files in --dir (default <kind>-<code>, e.g. "
                     "facility-BV79001)");
}

bool CertsCommand::parsed() const { return certs_->parsed(); }

int CertsCommand::Run() const {
  if (init_->parsed()) {
    auto files = InitCa(dir_);
    if (!files.ok()) return Fail(files.status());
    std::printf(
        "wrote %s and %s (private, mode 0600)\n"
        "next: crvs certs issue --dir %s --server --principal server:<name>   (each service "
        "host)\n"
        "      crvs certs issue --dir %s --principal facility:<code>          (each caller)\n",
        files->cert_file.c_str(), files->key_file.c_str(), dir_.c_str(), dir_.c_str());
    return 0;
  }
  IssueOptions options;
  options.dir = dir_;
  options.principal = principal_;
  options.server = server_;
  options.dns = dns_;
  options.ips = ips_;
  options.out = out_;
  if (days_ != 0) options.validity_days = days_;
  auto files = Issue(options);
  if (!files.ok()) return Fail(files.status());
  std::printf(
      "wrote %s and %s (private, mode 0600) for %s\n"
      "configuration of the process that uses it:\n"
      "[tls]\n"
      "ca_file = \"%s/ca.crt\"\n"
      "cert_file = \"%s\"\n"
      "key_file = \"%s\"\n",
      files->cert_file.c_str(), files->key_file.c_str(), principal_.c_str(), dir_.c_str(),
      files->cert_file.c_str(), files->key_file.c_str());
  return 0;
}

}  // namespace crvs::auth
