#include "services/auth/certs.h"

#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tests/support/scratch_dir.h"
#include "tests/support/status_matchers.h"

namespace crvs::auth {
namespace {

using ::crvs::testing::IsOk;
using ::crvs::testing::ScratchDir;
using ::crvs::testing::StatusIs;
using ::testing::HasSubstr;

int Mode(const std::string& path) {
  struct stat st {};
  stat(path.c_str(), &st);
  return static_cast<int>(st.st_mode & 0777);
}

std::unique_ptr<X509, decltype(&X509_free)> Load(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string pem = text.str();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return {cert, &X509_free};
}

IssueOptions Opts(const std::string& dir, const std::string& principal) {
  IssueOptions o;
  o.dir = dir;
  o.principal = principal;
  return o;
}

TEST(Certs, CaIsWrittenWithAPrivateKeyOnlyTheOwnerReads) {
  ScratchDir dir("crvs-certs");
  auto ca = InitCa(dir.path());
  ASSERT_THAT(ca, IsOk());
  EXPECT_EQ(ca->cert_file, dir.File("ca.crt"));
  EXPECT_EQ(Mode(ca->key_file), 0600);
  auto cert = Load(ca->cert_file);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  // Valid about 10 years.
  int days = 0, secs = 0;
  ASSERT_TRUE(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert.get()),
                             X509_get0_notAfter(cert.get())));
  EXPECT_NEAR(days, 3650, 1);
}

TEST(Certs, AnExistingCaIsNeverOverwritten) {
  ScratchDir dir("crvs-certs");
  ASSERT_THAT(InitCa(dir.path()), IsOk());
  auto again = InitCa(dir.path());
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("ca.key"));
}

TEST(Certs, IssuedClientCertificateVerifiesAgainstItsCaAndNamesThePrincipal) {
  ScratchDir dir("crvs-certs");
  ASSERT_THAT(InitCa(dir.path()), IsOk());
  auto issued = Issue(Opts(dir.path(), "facility:BV79001"));
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(issued->cert_file, dir.File("facility-BV79001.crt"));
  EXPECT_EQ(Mode(issued->key_file), 0600);
  auto cn = VerifiedCommonName(dir.File("ca.crt"), issued->cert_file);
  ASSERT_THAT(cn, IsOk());
  EXPECT_EQ(*cn, "facility:BV79001");
  // A client certificate is not a server certificate (extended key usage clientAuth only).
  EXPECT_THAT(VerifiedCommonName(dir.File("ca.crt"), issued->cert_file, /*server=*/true),
              StatusIs(absl::StatusCode::kUnauthenticated));
  auto cert = Load(issued->cert_file);
  int days = 0, secs = 0;
  ASSERT_TRUE(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert.get()),
                             X509_get0_notAfter(cert.get())));
  EXPECT_NEAR(days, 365, 1);
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
}

TEST(Certs, ServerCertificateCoversLocalhostAndTheGivenNames) {
  ScratchDir dir("crvs-certs");
  ASSERT_THAT(InitCa(dir.path()), IsOk());
  IssueOptions o = Opts(dir.path(), "server:gateway");
  o.server = true;
  o.dns = {"gw.example.vn"};
  o.ips = {"10.0.0.7"};
  auto issued = Issue(o);
  ASSERT_THAT(issued, IsOk());
  auto cn = VerifiedCommonName(dir.File("ca.crt"), issued->cert_file, /*server=*/true);
  ASSERT_THAT(cn, IsOk());
  EXPECT_EQ(*cn, "server:gateway");
  auto cert = Load(issued->cert_file);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "gw.example.vn", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "other.example.vn", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.0.0.7", 0), 1);
}

TEST(Certs, CertificateOfAnotherCaDoesNotVerify) {
  ScratchDir ours("crvs-certs");
  ScratchDir theirs("crvs-certs");
  ASSERT_THAT(InitCa(ours.path()), IsOk());
  ASSERT_THAT(InitCa(theirs.path()), IsOk());
  auto foreign = Issue(Opts(theirs.path(), "operator:mallory"));
  ASSERT_THAT(foreign, IsOk());
  EXPECT_THAT(VerifiedCommonName(ours.File("ca.crt"), foreign->cert_file),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(Certs, MalformedPrincipalIsRefusedByName) {
  ScratchDir dir("crvs-certs");
  ASSERT_THAT(InitCa(dir.path()), IsOk());
  for (const char* bad : {"BV79001", "clinic:BV79001", "facility:", "Facility:BV79001",
                          "facility:BV 79001", "facility:../x"}) {
    auto issued = Issue(Opts(dir.path(), bad));
    EXPECT_THAT(issued, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_THAT(std::string(issued.status().message()),
                HasSubstr(std::string("--principal '") + bad + "'"));
  }
  auto server = Issue(Opts(dir.path(), "server:gateway"));
  EXPECT_THAT(server, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("--server"));
  for (const char* caller : {"operator:lan", "facility:BV79001", "registry_office:26734"}) {
    IssueOptions server_as_caller = Opts(dir.path(), caller);
    server_as_caller.server = true;
    auto refused = Issue(server_as_caller);
    EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument)) << caller;
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr("must name a host"));
  }
  IssueOptions bad_ip = Opts(dir.path(), "server:gateway");
  bad_ip.server = true;
  bad_ip.ips = {"10.0.0"};
  EXPECT_THAT(std::string(Issue(bad_ip).status().message()), HasSubstr("--ip '10.0.0'"));
}

TEST(Certs, OutNamesTheFilesAndMustBeABaseName) {
  ScratchDir dir("crvs-certs");
  ASSERT_THAT(InitCa(dir.path()), IsOk());
  IssueOptions o = Opts(dir.path(), "server:gateway");
  o.server = true;
  o.out = "gateway";
  auto issued = Issue(o);
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(issued->cert_file, dir.File("gateway.crt"));
  EXPECT_EQ(issued->key_file, dir.File("gateway.key"));
  o.out = "../gateway";
  EXPECT_THAT(std::string(Issue(o).status().message()), HasSubstr("--out '../gateway'"));
}

TEST(Certs, IssuingWithoutACaSaysHowToMakeOne) {
  ScratchDir dir("crvs-certs");
  auto issued = Issue(Opts(dir.path(), "court:TAND79"));
  EXPECT_THAT(issued, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(issued.status().message()), HasSubstr("crvs certs init"));
}

TEST(Certs, ReissuingOverAnExistingCertificateIsRefused) {
  ScratchDir dir("crvs-certs");
  ASSERT_THAT(InitCa(dir.path()), IsOk());
  ASSERT_THAT(Issue(Opts(dir.path(), "court:TAND79")), IsOk());
  auto again = Issue(Opts(dir.path(), "court:TAND79"));
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("court-TAND79"));
}

}  // namespace
}  // namespace crvs::auth
