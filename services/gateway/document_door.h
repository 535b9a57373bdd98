// The HTTPS door for hospital documents (issue 19), shaped like the social-insurance gateway's
// "send electronic documents" call hospital systems already make: a form POST to
// /api/documents with `maCskcb` (facility code), `loaiHs` (60 death notice, 61 birth
// certificate, 9 claims table 9) and `fileBase64Str` (the signed XML, base64), as
// application/x-www-form-urlencoded or multipart/form-data; the insurance gateway's token,
// id_token, username and password fields are accepted and ignored (identity is the client
// certificate). The JSON answer keeps the insurance gateway's three fields — MaGD (transaction
// id), MaKetQua (result code) and ThoiGianTiepNhan (time received) — and adds ours: the
// receipts (one per record, as Submit answers), the signature check and the field errors by
// element path in Vietnamese and English. docs/api-guide.md "Documents hospitals already
// produce" lists the result codes.
//
// Identity: with the gateway under mutual TLS the door serves HTTPS with the [tls] certificate
// and requires a client certificate of tls.ca_file naming a facility (CN facility:<code>); in
// plaintext (development) mode it serves HTTP and, like the gRPC side, trusts a
// `crvs-principal` header.
//
// Lifetime: Start returns a listening door; Stop (or destruction) stops it; the intake must
// outlive it.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include <absl/status/statusor.h>

#include "services/auth/tls_config.h"
#include "services/gateway/document_intake.h"

namespace httplib {
class Server;
}

namespace crvs::gateway {

class DocumentDoor {
 public:
  // UNAVAILABLE when `listen` cannot be bound; INVALID_ARGUMENT when the TLS files are unusable.
  static absl::StatusOr<std::unique_ptr<DocumentDoor>> Start(const std::string& listen,
                                                             bool plaintext,
                                                             const auth::TlsConfig& tls,
                                                             DocumentIntake* intake);
  ~DocumentDoor();
  void Stop();
  int port() const { return port_; }
  bool https() const { return https_; }

 private:
  DocumentDoor() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool https_ = false;
};

}  // namespace crvs::gateway
