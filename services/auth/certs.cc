#include "services/auth/certs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "services/records/records.h"

namespace crvs::auth {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;

// The last OpenSSL error as text (and the queue cleared).
std::string SslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

absl::Status Internal(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", SslError()));
}

absl::StatusOr<Owned<EVP_PKEY>> NewKey() {
  Owned<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (key == nullptr) return Internal("generating an ECDSA P-256 key");
  return key;
}

// Writes `text` to `path`, failing if it exists; `mode` applies to the new file.
absl::Status WriteNew(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(path + ": exists; remove it first to replace it");
    }
    return absl::PermissionDeniedError(path + ": cannot create: " + std::strerror(errno));
  }
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return absl::InternalError(path + ": write failed: " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return absl::InternalError(path + ": write failed: " + std::strerror(errno));
  }
  return absl::OkStatus();
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(bio.get(), cert)) return Internal("encoding a certificate");
  return BioText(bio.get());
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) {
    return Internal("encoding a private key");
  }
  return BioText(bio.get());
}

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the ", what,
                                            " (run `crvs certs init --dir` first?)"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The first PEM object of `path`, parsed by `read` (PEM_read_bio_X509, ..._PrivateKey).
template <class T>
absl::StatusOr<Owned<T>> LoadPem(const std::string& path, const char* what,
                                 T* (*read)(BIO*, T**, pem_password_cb*, void*)) {
  auto pem = ReadFile(path, what);
  if (!pem.ok()) return pem.status();
  Owned<BIO> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  Owned<T> object(read(bio.get(), nullptr, nullptr, nullptr));
  if (object == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a PEM ", what, ": ", SslError()));
  }
  return object;
}

absl::StatusOr<Owned<X509>> LoadCert(const std::string& path, const char* what) {
  return LoadPem<X509>(path, what, &PEM_read_bio_X509);
}

absl::StatusOr<Owned<EVP_PKEY>> LoadKey(const std::string& path) {
  return LoadPem<EVP_PKEY>(path, "CA private key", &PEM_read_bio_PrivateKey);
}

absl::Status AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (ext == nullptr || !X509_add_ext(cert, ext.get(), -1)) {
    return Internal(absl::StrCat("adding extension ", OBJ_nid2sn(nid), "=", value));
  }
  return absl::OkStatus();
}

// A certificate for `key` named `cn`, unsigned, with serial, validity and issuer set
// (self-issued when `issuer` is null).
absl::StatusOr<Owned<X509>> NewCert(EVP_PKEY* key, const std::string& cn, X509* issuer,
                                    int validity_days) {
  Owned<X509> cert(X509_new());
  Owned<BIGNUM> serial(BN_new());
  if (cert == nullptr || serial == nullptr || !X509_set_version(cert.get(), 2) ||
      !BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) ||
      // Five minutes back, so a peer whose clock is a little behind accepts it at once.
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * validity_days) ||
      !X509_set_pubkey(cert.get(), key)) {
    return Internal("building a certificate");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  const auto* o = reinterpret_cast<const unsigned char*>("crvs-sync");
  const auto* c = reinterpret_cast<const unsigned char*>(cn.c_str());
  if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, o, -1, -1, 0) ||
      !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, c, -1, -1, 0) ||
      !X509_set_issuer_name(cert.get(),
                            issuer != nullptr ? X509_get_subject_name(issuer) : name)) {
    return Internal("naming a certificate");
  }
  return cert;
}

// Writes the key (0600) and then the certificate (0644); no key is left without its certificate.
absl::Status WritePair(EVP_PKEY* key, X509* cert, const CertFiles& files) {
  auto key_pem = KeyPem(key);
  if (!key_pem.ok()) return key_pem.status();
  auto cert_pem = CertPem(cert);
  if (!cert_pem.ok()) return cert_pem.status();
  if (absl::Status st = WriteNew(files.key_file, *key_pem, 0600); !st.ok()) return st;
  if (absl::Status st = WriteNew(files.cert_file, *cert_pem, 0644); !st.ok()) {
    std::error_code ec;
    std::filesystem::remove(files.key_file, ec);
    return st;
  }
  return absl::OkStatus();
}

bool IsCodeChar(char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
         ch == '-' || ch == '_' || ch == '.';
}

// "facility:BV79001" → "facility-BV79001" (the files' base name), or why the name is bad.
absl::StatusOr<std::string> BaseName(const IssueOptions& o) {
  const std::string usage =
      "must be <facility|court|registry_office|operator|agency>:<code> (e.g. facility:BV79001), or "
      "server:<name> with --server; codes use letters, digits, '-', '_' and '.'";
  const size_t colon = o.principal.find(':');
  const std::string kind = o.principal.substr(0, colon);
  const std::string code = colon == std::string::npos ? "" : o.principal.substr(colon + 1);
  bool ok = colon != std::string::npos && !code.empty() && code.size() <= 64;
  for (char ch : code) ok = ok && IsCodeChar(ch);
  if (ok && kind == "server" && !o.server) {
    return absl::InvalidArgumentError("--principal '" + o.principal +
                                      "': a server certificate needs --server");
  }
  if (ok && o.server && kind != "server") {
    // A server certificate also authenticates as a client: with a caller's CN it would let
    // a service host act as that facility, court, office or operator.
    return absl::InvalidArgumentError("--principal '" + o.principal +
                                      "': a --server certificate must name a host, "
                                      "server:<name>");
  }
  ok = ok && (kind == "server" || records::ParsePrincipal(o.principal).has_value());
  if (!ok) return absl::InvalidArgumentError("--principal '" + o.principal + "': " + usage);
  if (o.out.empty()) return kind + "-" + code;
  bool good_out = o.out.size() <= 128 && o.out.front() != '.';
  for (char ch : o.out) good_out = good_out && IsCodeChar(ch);
  if (!good_out) {
    return absl::InvalidArgumentError("--out '" + o.out +
                                      "': a file base name of letters, digits, '-', '_' and '.'");
  }
  return o.out;
}

// "DNS:localhost,IP:127.0.0.1,..." or why a name is bad.
absl::StatusOr<std::string> AltNames(const IssueOptions& o) {
  std::vector<std::string> names = {"DNS:localhost", "IP:127.0.0.1"};
  for (const std::string& d : o.dns) {
    bool ok = !d.empty() && d.size() <= 253;
    for (char ch : d) ok = ok && (IsCodeChar(ch) || ch == '*');
    if (!ok) return absl::InvalidArgumentError("--dns '" + d + "': not a host name");
    names.push_back("DNS:" + d);
  }
  for (const std::string& ip : o.ips) {
    ASN1_OCTET_STRING* raw = a2i_IPADDRESS(ip.c_str());
    if (raw == nullptr) {
      ERR_clear_error();
      return absl::InvalidArgumentError("--ip '" + ip + "': not an IPv4 or IPv6 address");
    }
    ASN1_OCTET_STRING_free(raw);
    names.push_back("IP:" + ip);
  }
  return absl::StrJoin(names, ",");
}

}  // namespace

absl::StatusOr<CertFiles> InitCa(const std::string& dir, int validity_days) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::PermissionDeniedError(dir + ": cannot create the directory: " + ec.message());
  CertFiles files{dir + "/ca.crt", dir + "/ca.key"};
  if (std::filesystem::exists(files.key_file)) {
    return absl::AlreadyExistsError(files.key_file +
                                    ": a CA exists already; certificates it signed would stop "
                                    "verifying if it were replaced (remove it deliberately)");
  }
  auto key = NewKey();
  if (!key.ok()) return key.status();
  auto cert = NewCert(key->get(), "crvs-sync development CA", nullptr, validity_days);
  if (!cert.ok()) return cert.status();
  X509* c = cert->get();
  for (auto [nid, value] : std::vector<std::pair<int, std::string>>{
           {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
           {NID_key_usage, "critical,keyCertSign,cRLSign"},
           {NID_subject_key_identifier, "hash"},
           {NID_authority_key_identifier, "keyid:always"}}) {
    if (absl::Status st = AddExt(c, c, nid, value); !st.ok()) return st;
  }
  if (!X509_sign(c, key->get(), EVP_sha256())) return Internal("signing the CA certificate");
  if (absl::Status st = WritePair(key->get(), c, files); !st.ok()) return st;
  return files;
}

absl::StatusOr<CertFiles> Issue(const IssueOptions& o) {
  auto base = BaseName(o);
  if (!base.ok()) return base.status();
  if (!o.server && (!o.dns.empty() || !o.ips.empty())) {
    return absl::InvalidArgumentError("--dns / --ip: only a --server certificate has host names");
  }
  auto alt = AltNames(o);
  if (!alt.ok()) return alt.status();
  if (o.validity_days < 1) {
    return absl::InvalidArgumentError("--days: must be at least 1");
  }
  auto ca = LoadCert(o.dir + "/ca.crt", "CA certificate");
  if (!ca.ok()) return ca.status();
  auto ca_key = LoadKey(o.dir + "/ca.key");
  if (!ca_key.ok()) return ca_key.status();
  if (X509_check_private_key(ca->get(), ca_key->get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(o.dir + "/ca.key: does not belong to " + o.dir + "/ca.crt");
  }
  CertFiles files{o.dir + "/" + *base + ".crt", o.dir + "/" + *base + ".key"};
  for (const std::string& f : {files.cert_file, files.key_file}) {
    if (std::filesystem::exists(f)) {
      return absl::AlreadyExistsError(f + ": exists; remove it first to issue a new one");
    }
  }
  auto key = NewKey();
  if (!key.ok()) return key.status();
  auto cert = NewCert(key->get(), o.principal, ca->get(), o.validity_days);
  if (!cert.ok()) return cert.status();
  X509* c = cert->get();
  std::vector<std::pair<int, std::string>> exts = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, o.server ? "serverAuth,clientAuth" : "clientAuth"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid"}};
  if (o.server) exts.push_back({NID_subject_alt_name, *alt});
  for (const auto& [nid, value] : exts) {
    if (absl::Status st = AddExt(c, ca->get(), nid, value); !st.ok()) return st;
  }
  if (!X509_sign(c, ca_key->get(), EVP_sha256())) return Internal("signing the certificate");
  if (absl::Status st = WritePair(key->get(), c, files); !st.ok()) return st;
  return files;
}

absl::StatusOr<std::string> VerifiedCommonName(const std::string& ca_file,
                                               const std::string& cert_file, bool server) {
  auto ca = LoadCert(ca_file, "CA certificate");
  if (!ca.ok()) return ca.status();
  auto cert = LoadCert(cert_file, "certificate");
  if (!cert.ok()) return cert.status();
  Owned<X509_STORE> store(X509_STORE_new());
  Owned<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (store == nullptr || ctx == nullptr || !X509_STORE_add_cert(store.get(), ca->get()) ||
      !X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), nullptr) ||
      !X509_STORE_CTX_set_purpose(ctx.get(),
                                  server ? X509_PURPOSE_SSL_SERVER : X509_PURPOSE_SSL_CLIENT)) {
    return Internal("setting up verification");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    return absl::UnauthenticatedError(
        absl::StrCat(cert_file, ": does not verify against ", ca_file, ": ",
                     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()))));
  }
  X509_NAME* name = X509_get_subject_name(cert->get());
  int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at < 0) return absl::InvalidArgumentError(cert_file + ": has no subject CN");
  const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                     static_cast<size_t>(ASN1_STRING_length(cn)));
}

}  // namespace crvs::auth
