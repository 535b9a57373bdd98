#include "services/documents/signature.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_replace.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <xmlsec/crypto.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmlsec.h>

#include "tests/support/status_matchers.h"

namespace crvs::documents {
namespace {

using ::crvs::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kDeathNotice[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<HSDLGBT><GIAYBAOTU><MA_GBT>12345.GBT.96025.26</MA_GBT><HO_TEN>Nguyễn Văn A</HO_TEN>"
    "<NGAY_TV>202612011030</NGAY_TV><NOI_TV>Bệnh viện Đa khoa tỉnh Hà Giang</NOI_TV>"
    "</GIAYBAOTU></HSDLGBT>\n";

constexpr char kPrettyDeathNotice[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<HSDLGBT>\n"
    "  <GIAYBAOTU>\n"
    "    <MA_GBT>12345.GBT.96025.26</MA_GBT>\n"
    "    <HO_TEN>Nguyễn Văn A</HO_TEN>\n"
    "    <NGAY_TV>202612011030</NGAY_TV>\n"
    "  </GIAYBAOTU>\n"
    "</HSDLGBT>\n";

// ---- keys and certificates made with OpenSSL's C API ------------------------------------------

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

struct Identity {
  PkeyPtr key;
  X509Ptr cert;
  std::string key_pem;
  std::string cert_pem;
};

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for a fresh RSA-2048 key, signed by `issuer` (self-signed when null), valid from
// an hour ago for `valid_days` (negative: expired).
Identity MakeIdentity(const std::string& common_name, const Identity* issuer = nullptr,
                      bool is_ca = false, long valid_days = 365) {
  Identity id;
  id.key.reset(EVP_RSA_gen(2048));
  EXPECT_NE(id.key, nullptr);
  id.cert.reset(X509_new());
  X509* cert = id.cert.get();
  X509_set_version(cert, 2);
  static long serial = 1000;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), ++serial);
  if (valid_days >= 0) {
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), valid_days * 24 * 3600);
  } else {
    X509_gmtime_adj(X509_getm_notBefore(cert), (valid_days - 30) * 24 * 3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), valid_days * 24 * 3600);
  }
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Sở Y tế Hà Giang"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : cert;
  EVP_PKEY* issuer_key = issuer != nullptr ? issuer->key.get() : id.key.get();
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
  X509_set_pubkey(cert, id.key.get());
  AddExtension(cert, issuer_cert, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  AddExtension(cert, issuer_cert, NID_key_usage,
               is_ca ? "critical,keyCertSign,cRLSign,digitalSignature"
                     : "critical,digitalSignature,nonRepudiation");
  AddExtension(cert, issuer_cert, NID_subject_key_identifier, "hash");
  EXPECT_GT(X509_sign(cert, issuer_key, EVP_sha256()), 0);

  std::unique_ptr<BIO, BioFree> key_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(key_bio.get(), id.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  id.key_pem = BioText(key_bio.get());
  std::unique_ptr<BIO, BioFree> cert_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cert_bio.get(), cert);
  id.cert_pem = BioText(cert_bio.get());
  return id;
}

// ---- signatures made with xmlsec directly, for the shapes SignDocument never produces ---------

struct RawSignature {
  std::string uri = "";
  xmlSecTransformId method = nullptr;  // default rsa-sha256
  bool x509_data = true;
  bool key_value = false;
};

std::string RawSign(const std::string& xml, const Identity& id, const RawSignature& shape) {
  EXPECT_TRUE(InitXmlSecurity().ok());
  xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr, 0);
  EXPECT_NE(doc, nullptr);
  xmlNode* wrapper = xmlNewChild(xmlDocGetRootElement(doc), nullptr,
                                 reinterpret_cast<const xmlChar*>("CHUKYDONVI"), nullptr);
  xmlNode* signature = xmlSecTmplSignatureCreate(
      doc, xmlSecTransformInclC14NId,
      shape.method != nullptr ? shape.method : xmlSecTransformRsaSha256Id, nullptr);
  xmlAddChild(wrapper, signature);
  xmlNode* reference = xmlSecTmplSignatureAddReference(
      signature, xmlSecTransformSha256Id, nullptr,
      reinterpret_cast<const xmlChar*>(shape.uri.c_str()), nullptr);
  if (shape.uri.empty()) xmlSecTmplReferenceAddTransform(reference, xmlSecTransformEnvelopedId);
  xmlNode* key_info = xmlSecTmplSignatureEnsureKeyInfo(signature, nullptr);
  if (shape.x509_data) xmlSecTmplX509DataAddCertificate(xmlSecTmplKeyInfoAddX509Data(key_info));
  if (shape.key_value) xmlSecTmplKeyInfoAddKeyValue(key_info);

  xmlSecDSigCtx* ctx = xmlSecDSigCtxCreate(nullptr);
  ctx->signKey = xmlSecOpenSSLAppKeyLoadMemory(
      reinterpret_cast<const xmlSecByte*>(id.key_pem.data()), id.key_pem.size(),
      xmlSecKeyDataFormatPem, nullptr, nullptr, nullptr);
  EXPECT_NE(ctx->signKey, nullptr);
  EXPECT_GE(xmlSecOpenSSLAppKeyCertLoadMemory(
                ctx->signKey, reinterpret_cast<const xmlSecByte*>(id.cert_pem.data()),
                id.cert_pem.size(), xmlSecKeyDataFormatPem),
            0);
  EXPECT_GE(xmlSecDSigCtxSign(ctx, signature), 0);
  xmlSecDSigCtxDestroy(ctx);
  xmlChar* buffer = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc, &buffer, &size, "UTF-8");
  std::string out(reinterpret_cast<char*>(buffer), static_cast<std::size_t>(size));
  xmlFree(buffer);
  xmlFreeDoc(doc);
  return out;
}

// xmlsec with its defaults (every URI type and transform): shows that a shape our verifier
// refuses is nevertheless a genuinely valid signature, so the refusal is the policy at work.
bool VerifiesUnrestricted(const std::string& xml, const Identity& trusted) {
  xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr, 0);
  xmlSecKeysMngr* mngr = xmlSecKeysMngrCreate();
  xmlSecOpenSSLAppDefaultKeysMngrInit(mngr);
  xmlSecOpenSSLAppKeysMngrCertLoadMemory(
      mngr, reinterpret_cast<const xmlSecByte*>(trusted.cert_pem.data()), trusted.cert_pem.size(),
      xmlSecKeyDataFormatPem, xmlSecKeyDataTypeTrusted);
  xmlSecDSigCtx* ctx = xmlSecDSigCtxCreate(mngr);
  xmlNode* signature = xmlSecFindNode(xmlDocGetRootElement(doc), xmlSecNodeSignature, xmlSecDSigNs);
  const bool ok = signature != nullptr && xmlSecDSigCtxVerify(ctx, signature) >= 0 &&
                  ctx->status == xmlSecDSigStatusSucceeded;
  xmlSecDSigCtxDestroy(ctx);
  xmlSecKeysMngrDestroy(mngr);
  xmlFreeDoc(doc);
  return ok;
}

// libxml2 parse then serialise; `format` re-indents where libxml2 may (elements without text).
std::string RoundTrip(const std::string& xml, bool format) {
  xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr,
                              XML_PARSE_NONET);
  EXPECT_NE(doc, nullptr);
  xmlChar* buffer = nullptr;
  int size = 0;
  xmlDocDumpFormatMemoryEnc(doc, &buffer, &size, "UTF-8", format ? 1 : 0);
  std::string out(reinterpret_cast<char*>(buffer), static_cast<std::size_t>(size));
  xmlFree(buffer);
  xmlFreeDoc(doc);
  return out;
}

std::string LastChildOfRoot(const std::string& xml) {
  xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr, 0);
  xmlNode* last = xmlLastElementChild(xmlDocGetRootElement(doc));
  std::string name = last != nullptr ? reinterpret_cast<const char*>(last->name) : "";
  xmlFreeDoc(doc);
  return name;
}

std::size_t Count(const std::string& haystack, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

class SignatureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(InitXmlSecurity().ok());
    facility_ = new Identity(MakeIdentity("Bệnh viện Đa khoa tỉnh Hà Giang"));
    stranger_ = new Identity(MakeIdentity("Bệnh viện Khác"));
    ca_ = new Identity(MakeIdentity("CA Bộ Y tế", nullptr, /*is_ca=*/true));
    leaf_ = new Identity(MakeIdentity("Bệnh viện Nhi", ca_));
  }
  static void TearDownTestSuite() {
    delete facility_;
    delete stranger_;
    delete ca_;
    delete leaf_;
  }

  static std::string Signed(const Identity& id, const std::string& xml = kDeathNotice) {
    absl::StatusOr<std::string> out = SignDocument(xml, id.key_pem, id.cert_pem);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : std::string();
  }

  static Identity* facility_;
  static Identity* stranger_;
  static Identity* ca_;
  static Identity* leaf_;
};
Identity* SignatureTest::facility_ = nullptr;
Identity* SignatureTest::stranger_ = nullptr;
Identity* SignatureTest::ca_ = nullptr;
Identity* SignatureTest::leaf_ = nullptr;

TEST_F(SignatureTest, SelfSignedFacilityCertificateVerifiesWithSignerSubject) {
  const std::string xml = Signed(*facility_);
  EXPECT_THAT(xml, HasSubstr("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
  EXPECT_THAT(xml, HasSubstr("Nguyễn Văn A"));
  EXPECT_THAT(xml, HasSubstr("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"));
  EXPECT_THAT(xml, HasSubstr("http://www.w3.org/TR/2001/REC-xml-c14n-20010315"));
  EXPECT_THAT(xml, HasSubstr("<X509Certificate>"));
  EXPECT_EQ(LastChildOfRoot(xml), "CHUKYDONVI");

  const SignatureCheck check = VerifyDocumentSignature(xml, facility_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kValid) << check.detail;
  EXPECT_THAT(check.signer, HasSubstr("CN=Bệnh viện Đa khoa tỉnh Hà Giang"));
  EXPECT_THAT(check.signer, HasSubstr("O=Sở Y tế Hà Giang"));
  EXPECT_THAT(check.detail, IsEmpty());
}

TEST_F(SignatureTest, ChangedTextAfterSigningIsInvalid) {
  const std::string xml = Signed(*facility_);
  const std::string tampered = absl::StrReplaceAll(xml, {{"Nguyễn Văn A", "Nguyễn Văn B"}});
  ASSERT_NE(tampered, xml);
  const SignatureCheck check = VerifyDocumentSignature(tampered, facility_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kInvalid);
  EXPECT_THAT(check.detail, HasSubstr("does not match"));
  EXPECT_THAT(check.signer, IsEmpty());
}

TEST_F(SignatureTest, ChangedSignatureValueIsInvalid) {
  const std::string xml = Signed(*facility_);
  const std::size_t at = xml.find("<SignatureValue>");
  ASSERT_NE(at, std::string::npos);
  std::string tampered = xml;
  const std::size_t pos = at + std::string("<SignatureValue>").size() + 5;
  tampered[pos] = tampered[pos] == 'A' ? 'B' : 'A';
  const SignatureCheck check = VerifyDocumentSignature(tampered, facility_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kInvalid) << check.detail;
}

TEST_F(SignatureTest, RemovedSignatureIsMissing) {
  const std::string xml = Signed(*facility_);
  const std::size_t begin = xml.find("<CHUKYDONVI>");
  const std::size_t end = xml.find("</CHUKYDONVI>");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::string stripped = xml;
  stripped.erase(begin, end + std::string("</CHUKYDONVI>").size() - begin);
  const SignatureCheck check = VerifyDocumentSignature(stripped, facility_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kMissing);
  EXPECT_THAT(check.detail, HasSubstr("no ds:Signature"));

  EXPECT_EQ(VerifyDocumentSignature(kDeathNotice, facility_->cert_pem).state,
            SignatureState::kMissing);
  EXPECT_EQ(VerifyDocumentSignature("<HSDLGBT><CHUKYDONVI/></HSDLGBT>", facility_->cert_pem).state,
            SignatureState::kMissing);
}

TEST_F(SignatureTest, SignatureDirectlyUnderRootIsFound) {
  const std::string xml = Signed(*facility_);
  const std::string unwrapped =
      absl::StrReplaceAll(xml, {{"<CHUKYDONVI>", ""}, {"</CHUKYDONVI>", ""}});
  // Found, but the wrapper was signed content: removing it is a change.
  const SignatureCheck check = VerifyDocumentSignature(unwrapped, facility_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kInvalid) << check.detail;
}

TEST_F(SignatureTest, UnrelatedCertificateIsUntrusted) {
  const std::string xml = Signed(*facility_);
  const SignatureCheck check = VerifyDocumentSignature(xml, stranger_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kUntrusted) << check.detail;
  EXPECT_THAT(check.detail, HasSubstr("not the facility's registered certificate"));
  EXPECT_THAT(check.signer, IsEmpty());
}

TEST_F(SignatureTest, NoRegisteredCertificateIsUntrusted) {
  const std::string xml = Signed(*facility_);
  EXPECT_EQ(VerifyDocumentSignature(xml, "").state, SignatureState::kUntrusted);
  EXPECT_EQ(VerifyDocumentSignature(xml, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .state,
            SignatureState::kUntrusted);
}

TEST_F(SignatureTest, LeafSignedByTrustedCaIsValid) {
  const std::string xml = Signed(*leaf_);
  const SignatureCheck check = VerifyDocumentSignature(xml, ca_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kValid) << check.detail;
  EXPECT_THAT(check.signer, HasSubstr("CN=Bệnh viện Nhi"));
}

TEST_F(SignatureTest, LeafRegisteredWithoutItsCaIsValid) {
  // The facility's own (CA-issued) certificate registered as the trust anchor.
  const std::string xml = Signed(*leaf_);
  const SignatureCheck check = VerifyDocumentSignature(xml, leaf_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kValid) << check.detail;
}

TEST_F(SignatureTest, TamperedAndUntrustedIsInvalid) {
  // Changed after signing, whoever signed it: the document's own certificate does not verify it.
  const std::string xml = absl::StrReplaceAll(Signed(*stranger_), {{"Nguyễn", "Trần"}});
  EXPECT_EQ(VerifyDocumentSignature(xml, facility_->cert_pem).state, SignatureState::kInvalid);
}

TEST_F(SignatureTest, OneOfSeveralRegisteredCertificatesSuffices) {
  const std::string xml = Signed(*facility_);
  const SignatureCheck check =
      VerifyDocumentSignature(xml, stranger_->cert_pem + ca_->cert_pem + facility_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kValid) << check.detail;
}

TEST_F(SignatureTest, CaSignedLeafIsUntrustedUnderAnotherRoot) {
  const std::string xml = Signed(*leaf_);
  EXPECT_EQ(VerifyDocumentSignature(xml, facility_->cert_pem).state, SignatureState::kUntrusted);
}

// The system's CA bundle is never a source of trust: a certificate issued by a CA the machine
// trusts (here, through SSL_CERT_FILE, which OpenSSL's default paths honour) is not a
// facility's. xmlsec's keys manager loads the default paths; the check does not use it.
TEST_F(SignatureTest, ACaTheSystemTrustsIsNotTheFacilitys) {
  char path[] = "/tmp/crvs-system-ca-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << ca_->cert_pem;
  const char* before = std::getenv("SSL_CERT_FILE");
  const std::string saved = before != nullptr ? before : "";
  setenv("SSL_CERT_FILE", path, 1);
  const std::string xml = Signed(*leaf_);  // issued by ca_
  const SignatureCheck check = VerifyDocumentSignature(xml, facility_->cert_pem);
  if (before != nullptr) {
    setenv("SSL_CERT_FILE", saved.c_str(), 1);
  } else {
    unsetenv("SSL_CERT_FILE");
  }
  std::remove(path);
  EXPECT_EQ(check.state, SignatureState::kUntrusted) << check.detail;
  EXPECT_THAT(check.signer, IsEmpty());
}

TEST_F(SignatureTest, ExpiredCertificateIsUntrusted) {
  const Identity expired = MakeIdentity("Bệnh viện Hết hạn", nullptr, false, -1);
  const std::string xml = Signed(expired);
  const SignatureCheck check = VerifyDocumentSignature(xml, expired.cert_pem);
  EXPECT_EQ(check.state, SignatureState::kUntrusted) << check.detail;
}

TEST_F(SignatureTest, KeyValueWithoutCertificateIsNotTrusted) {
  // An attacker's bare RSAKeyValue must not become the verification key.
  RawSignature shape;
  shape.x509_data = false;
  shape.key_value = true;
  const std::string xml = RawSign(kDeathNotice, *stranger_, shape);
  ASSERT_THAT(xml, HasSubstr("RSAKeyValue"));
  const SignatureCheck check = VerifyDocumentSignature(xml, facility_->cert_pem);
  // It does not verify with the facility's key, and carries no certificate to tell more by.
  EXPECT_EQ(check.state, SignatureState::kInvalid) << check.detail;
  EXPECT_THAT(check.signer, IsEmpty());
}

TEST_F(SignatureTest, SignatureWithoutCertificateVerifiesWithTheRegisteredKey) {
  RawSignature shape;
  shape.x509_data = false;
  shape.key_value = true;
  const std::string xml = RawSign(kDeathNotice, *facility_, shape);
  const SignatureCheck check = VerifyDocumentSignature(xml, facility_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kValid) << check.detail;
  EXPECT_THAT(check.signer, HasSubstr("CN=Bệnh viện Đa khoa tỉnh Hà Giang"));
}

TEST_F(SignatureTest, ExpiredCaIssuedCertificateRegisteredDirectlyIsUntrusted) {
  const Identity expired = MakeIdentity("Bệnh viện Hết hạn", ca_, false, -1);
  const std::string xml = Signed(expired);
  EXPECT_EQ(VerifyDocumentSignature(xml, expired.cert_pem).state, SignatureState::kUntrusted);
  EXPECT_EQ(VerifyDocumentSignature(xml, ca_->cert_pem).state, SignatureState::kUntrusted);
}

TEST_F(SignatureTest, FileReferenceIsNeitherFollowedNorValid) {
  // A signature over a real local file, correct if the file were read.
  const std::string path = ::testing::TempDir() + "/crvs_signature_reference.txt";
  { std::ofstream(path) << "not the document"; }
  RawSignature shape;
  shape.uri = "file://" + path;
  const std::string xml = RawSign(kDeathNotice, *facility_, shape);
  ASSERT_TRUE(VerifiesUnrestricted(xml, *facility_));

  const SignatureCheck check = VerifyDocumentSignature(xml, facility_->cert_pem);
  EXPECT_NE(check.state, SignatureState::kValid);
  EXPECT_EQ(check.state, SignatureState::kInvalid);
  EXPECT_THAT(check.detail, HasSubstr("not allowed"));
  std::remove(path.c_str());

  const std::string passwd = absl::StrReplaceAll(xml, {{shape.uri, "file:///etc/passwd"}});
  const SignatureCheck passwd_check = VerifyDocumentSignature(passwd, facility_->cert_pem);
  EXPECT_EQ(passwd_check.state, SignatureState::kInvalid);
  EXPECT_THAT(passwd_check.detail, Not(IsEmpty()));
}

TEST_F(SignatureTest, HttpReferenceMakesNoConnection) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  fcntl(listener, F_SETFL, O_NONBLOCK);
  const std::string url = absl::StrCat("http://127.0.0.1:", ntohs(address.sin_port), "/doc.xml");

  const std::string path = ::testing::TempDir() + "/crvs_signature_http.txt";
  { std::ofstream(path) << "remote"; }
  RawSignature shape;
  shape.uri = "file://" + path;
  const std::string xml =
      absl::StrReplaceAll(RawSign(kDeathNotice, *facility_, shape), {{shape.uri, url}});
  std::remove(path.c_str());

  const SignatureCheck check = VerifyDocumentSignature(xml, facility_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kInvalid);
  EXPECT_THAT(check.detail, HasSubstr("not allowed"));
  EXPECT_LT(accept(listener, nullptr, nullptr), 0) << "the verifier connected to " << url;
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
  close(listener);
}

TEST_F(SignatureTest, RsaSha1IsRefused) {
  RawSignature shape;
  shape.method = xmlSecTransformRsaSha1Id;
  const std::string xml = RawSign(kDeathNotice, *facility_, shape);
  ASSERT_THAT(xml, HasSubstr("xmldsig#rsa-sha1"));
  ASSERT_TRUE(VerifiesUnrestricted(xml, *facility_));
  const SignatureCheck check = VerifyDocumentSignature(xml, facility_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kInvalid);
  EXPECT_THAT(check.detail, HasSubstr("not allowed"));
}

TEST_F(SignatureTest, ParseSerializeRoundTripKeepsValid) {
  const std::string xml = Signed(*facility_);
  const std::string again = RoundTrip(xml, /*format=*/false);
  EXPECT_EQ(VerifyDocumentSignature(again, facility_->cert_pem).state, SignatureState::kValid);
  EXPECT_EQ(VerifyDocumentSignature(RoundTrip(again, false), facility_->cert_pem).state,
            SignatureState::kValid);
}

TEST_F(SignatureTest, PrettyPrintedDocumentSurvivesReformatting) {
  // Whitespace is signed content. A document indented before signing keeps its text nodes, so
  // libxml2's formatting serialiser has nothing to add and the signature holds.
  const std::string xml = Signed(*facility_, kPrettyDeathNotice);
  EXPECT_EQ(VerifyDocumentSignature(xml, facility_->cert_pem).state, SignatureState::kValid);
  const std::string formatted = RoundTrip(xml, /*format=*/true);
  const SignatureCheck check = VerifyDocumentSignature(formatted, facility_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kValid) << check.detail << "\n" << formatted;
}

TEST_F(SignatureTest, IndentingACompactDocumentAfterSigningIsInvalid) {
  const std::string xml = Signed(*facility_);
  const std::string formatted = RoundTrip(xml, /*format=*/true);
  ASSERT_NE(formatted, RoundTrip(xml, /*format=*/false));
  EXPECT_EQ(VerifyDocumentSignature(formatted, facility_->cert_pem).state,
            SignatureState::kInvalid);
}

TEST_F(SignatureTest, DocumentWithDtdIsRefused) {
  const std::string xml = Signed(*facility_);
  const std::string with_dtd = absl::StrReplaceAll(
      xml, {{"?>\n<HSDLGBT>", "?>\n<!DOCTYPE HSDLGBT [<!ENTITY x \"y\">]>\n<HSDLGBT>"}});
  ASSERT_NE(with_dtd, xml);
  const SignatureCheck check = VerifyDocumentSignature(with_dtd, facility_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kInvalid);
  EXPECT_THAT(check.detail, HasSubstr("DTD"));

  const std::string external = absl::StrReplaceAll(
      xml, {{"?>\n<HSDLGBT>", "?>\n<!DOCTYPE HSDLGBT SYSTEM \"file:///etc/passwd\">\n<HSDLGBT>"}});
  EXPECT_EQ(VerifyDocumentSignature(external, facility_->cert_pem).state,
            SignatureState::kInvalid);
  EXPECT_THAT(SignDocument(with_dtd, facility_->key_pem, facility_->cert_pem),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DTD")));
}

TEST_F(SignatureTest, MalformedXmlIsInvalid) {
  const SignatureCheck check = VerifyDocumentSignature("<HSDLGBT><GIAYBAOTU>", facility_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kInvalid);
  EXPECT_THAT(check.detail, HasSubstr("does not parse"));
}

TEST_F(SignatureTest, SigningTwiceVerifiesBothTimes) {
  const std::string first = Signed(*facility_);
  const std::string second = Signed(*facility_);
  EXPECT_EQ(VerifyDocumentSignature(first, facility_->cert_pem).state, SignatureState::kValid);
  EXPECT_EQ(VerifyDocumentSignature(second, facility_->cert_pem).state, SignatureState::kValid);

  // Re-signing a signed document: the newest CHUKYDONVI is last and covers the older one.
  const std::string resigned = Signed(*leaf_, first);
  EXPECT_EQ(Count(resigned, "<CHUKYDONVI>"), 2u);
  EXPECT_EQ(LastChildOfRoot(resigned), "CHUKYDONVI");
  const SignatureCheck check = VerifyDocumentSignature(resigned, ca_->cert_pem);
  EXPECT_EQ(check.state, SignatureState::kValid) << check.detail;
  EXPECT_THAT(check.signer, HasSubstr("CN=Bệnh viện Nhi"));
}

TEST_F(SignatureTest, SignRejectsBadKeysAndXml) {
  EXPECT_THAT(SignDocument(kDeathNotice, "not a key", facility_->cert_pem),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("private key")));
  EXPECT_THAT(SignDocument(kDeathNotice, facility_->key_pem, "not a certificate"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("certificate")));
  EXPECT_THAT(SignDocument(kDeathNotice, facility_->key_pem, stranger_->cert_pem),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not for this private key")));
  EXPECT_THAT(SignDocument("<HSDLGBT>", facility_->key_pem, facility_->cert_pem),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not parse")));
}

TEST_F(SignatureTest, VerifiesConcurrently) {
  const std::string good = Signed(*facility_);
  const std::string bad = absl::StrReplaceAll(good, {{"Nguyễn", "Trần"}});
  std::vector<std::thread> threads;
  std::vector<SignatureState> states(8);
  for (std::size_t i = 0; i < states.size(); ++i) {
    threads.emplace_back([&, i] {
      states[i] = VerifyDocumentSignature(i % 2 == 0 ? good : bad, facility_->cert_pem).state;
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (std::size_t i = 0; i < states.size(); ++i) {
    EXPECT_EQ(states[i], i % 2 == 0 ? SignatureState::kValid : SignatureState::kInvalid) << i;
  }
}

TEST(SignaturePolicyTest, ParsesAndNames) {
  for (SignaturePolicy policy :
       {SignaturePolicy::kRequire, SignaturePolicy::kRecord, SignaturePolicy::kOff}) {
    absl::StatusOr<SignaturePolicy> parsed = ParseSignaturePolicy(SignaturePolicyName(policy));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, policy);
  }
  EXPECT_EQ(*ParseSignaturePolicy("REQUIRE"), SignaturePolicy::kRequire);
  EXPECT_THAT(ParseSignaturePolicy("maybe"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("maybe")));
  EXPECT_THAT(ParseSignaturePolicy(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SignatureStateTest, Names) {
  EXPECT_EQ(SignatureStateName(SignatureState::kNotChecked), "NOT_CHECKED");
  EXPECT_EQ(SignatureStateName(SignatureState::kValid), "VALID");
  EXPECT_EQ(SignatureStateName(SignatureState::kInvalid), "INVALID");
  EXPECT_EQ(SignatureStateName(SignatureState::kMissing), "MISSING");
  EXPECT_EQ(SignatureStateName(SignatureState::kUntrusted), "UNTRUSTED");
}

}  // namespace
}  // namespace crvs::documents
