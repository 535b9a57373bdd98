// A development CA in a scratch directory (auth::InitCa, the code behind `crvs certs init`),
// with a server certificate for the services under test and client certificates issued on
// demand, as the mutual-TLS tests need them. Link crvs_certs.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "services/auth/certs.h"
#include "services/auth/tls_config.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/status_matchers.h"

namespace crvs::testing {

class TestPki {
 public:
  // Makes the CA and a server certificate ("server:crvs", localhost names); a failure fails
  // the test (check ok()).
  explicit TestPki(const std::string& name) : dir_(name) {
    ok_ = auth::InitCa(dir_.path()).ok();
    EXPECT_TRUE(ok_) << "crvs certs init in " << dir_.path();
    if (!ok_) return;
    auth::IssueOptions server;
    server.dir = dir_.path();
    server.principal = "server:crvs";
    server.server = true;
    auto files = auth::Issue(server);
    EXPECT_THAT(files, IsOk());
    ok_ = files.ok();
    if (ok_) server_ = {ca_file(), files->cert_file, files->key_file};
  }

  bool ok() const { return ok_; }
  std::string ca_file() const { return dir_.File("ca.crt"); }
  std::string File(const std::string& name) const { return dir_.File(name); }
  // The [tls] section of the services under test.
  const auth::TlsConfig& server() const { return server_; }

  // A client certificate of this CA for `principal`, trusting `server_ca` (default: this CA) to
  // identify the server.
  auth::TlsConfig Client(const std::string& principal, const std::string& server_ca = "") {
    auth::IssueOptions o;
    o.dir = dir_.path();
    o.principal = principal;
    auto files = auth::Issue(o);
    EXPECT_THAT(files, IsOk());
    return {server_ca.empty() ? ca_file() : server_ca, files.ok() ? files->cert_file : "",
            files.ok() ? files->key_file : ""};
  }

 private:
  ScratchDir dir_;
  bool ok_ = false;
  auth::TlsConfig server_;
};

}  // namespace crvs::testing
