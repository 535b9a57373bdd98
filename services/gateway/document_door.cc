#include "services/gateway/document_door.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <future>
#include <optional>

#include <absl/strings/escaping.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_split.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "services/auth/caller.h"
#include "services/platform/http_listen.h"
#include "services/platform/logging.h"
#include "services/records/records.h"

namespace crvs::gateway {
namespace {

using nlohmann::json;

constexpr const char* kPath = "/api/documents";

// The insurance gateway's result codes, as hospitals' systems already handle them
// (docs/api-guide.md): 200 received, 205 already received (every record a duplicate), 401 who
// is calling is unknown, 1001 refused (the errors say why), 500 not received (send again).
enum ResultCode { kReceived = 200, kAlreadyReceived = 205, kUnknownCaller = 401,
                  kRefused = 1001, kNotReceived = 500 };

std::string ReceivedAt() {
  static const absl::TimeZone vietnam = absl::FixedTimeZone(7 * 3600);
  return absl::FormatTime("%Y%m%d%H%M%S", absl::Now(), vietnam);
}

json Answer(ResultCode code, const std::string& transaction_id) {
  return json{{"MaGD", transaction_id},
              {"MaKetQua", static_cast<int>(code)},
              {"ThoiGianTiepNhan", ReceivedAt()}};
}

void Reply(httplib::Response& res, int http_status, const json& body) {
  res.status = http_status;
  res.set_content(body.dump(), "application/json; charset=utf-8");
}

// The caller's certificate as PEM, when the TLS handshake verified one.
std::string PeerCertificatePem(const httplib::Request& req) {
  if (req.ssl == nullptr || SSL_get_verify_result(req.ssl) != X509_V_OK) return "";
  X509* cert = SSL_get1_peer_certificate(req.ssl);
  if (cert == nullptr) return "";
  std::string pem;
  if (BIO* bio = BIO_new(BIO_s_mem()); bio != nullptr) {
    if (PEM_write_bio_X509(bio, cert) == 1) {
      char* data = nullptr;
      const long n = BIO_get_mem_data(bio, &data);
      pem.assign(data, static_cast<size_t>(n));
    }
    BIO_free(bio);
  }
  X509_free(cert);
  return pem;
}

// Who is calling: the verified certificate's CN (HTTPS), or the crvs-principal header (plaintext
// development mode only).
std::optional<common::v1::Principal> Caller(const httplib::Request& req, bool plaintext) {
  std::string name;
  if (plaintext) {
    name = req.get_header_value(auth::kPrincipalMetadata);
  } else if (req.ssl != nullptr && SSL_get_verify_result(req.ssl) == X509_V_OK) {
    if (X509* cert = SSL_get1_peer_certificate(req.ssl); cert != nullptr) {
      char cn[256] = {0};
      const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
                                              sizeof cn);
      X509_free(cert);
      if (n > 0) name.assign(cn, static_cast<size_t>(n));
    }
  }
  if (name.empty()) return std::nullopt;
  return records::ParsePrincipal(name);
}

using Form = std::map<std::string, std::string>;

std::string Field(const Form& form, const std::string& name) {
  auto it = form.find(name);
  return it == form.end() ? "" : it->second;
}

// The form's fields, read through the route's content reader: url-encoded or multipart. (The
// library's own form parsing refuses a url-encoded body over 8 KiB, which a document exceeds;
// the server's payload limit still refuses a body over document_max_bytes unread.)
// nullopt when the body could not be read: too large (the reader has set 413) or cut off.
std::optional<Form> ReadForm(const httplib::Request& req, const httplib::ContentReader& content) {
  Form form;
  if (req.is_multipart_form_data()) {
    std::string* field = nullptr;
    const bool read = content(
        [&](const httplib::MultipartFormData& part) {
          field = &form[part.name];
          return true;
        },
        [&](const char* data, size_t n) {
          if (field != nullptr) field->append(data, n);
          return true;
        });
    if (!read) return std::nullopt;
    return form;
  }
  std::string body;
  const bool read = content([&](const char* data, size_t n) {
    body.append(data, n);
    return true;
  });
  if (!read) return std::nullopt;
  httplib::Params params;
  httplib::detail::parse_query_text(body, params);
  for (auto& [name, value] : params) form.emplace(name, std::move(value));
  return form;
}

json ErrorsJson(const std::vector<documents::DocumentError>& errors) {
  json out = json::array();
  for (const auto& e : errors) {
    out.push_back({{"path", e.path}, {"code", e.code}, {"message", e.message_vi},
                   {"message_en", e.message_en}});
  }
  return out;
}

ResultCode CodeOf(const ingest::v1::SubmitDocumentResponse& response) {
  bool all_duplicates = true;
  for (const auto& r : response.receipts()) {
    switch (r.state()) {
      case ingest::v1::RECEIPT_STATE_ACCEPTED:
      case ingest::v1::RECEIPT_STATE_COMMITTED:
      case ingest::v1::RECEIPT_STATE_PENDING:
        all_duplicates = all_duplicates && r.duplicate();
        break;
      case ingest::v1::RECEIPT_STATE_FAILED:
        return kNotReceived;
      default:
        return kRefused;
    }
  }
  return all_duplicates ? kAlreadyReceived : kReceived;
}

void Handle(DocumentIntake* intake, bool plaintext, const httplib::Request& req,
            const Form& form, httplib::Response& res) {
  auto caller = Caller(req, plaintext);
  if (!caller) {
    json body = Answer(kUnknownCaller, "");
    body["errors"] = ErrorsJson({documents::MakeError("", "unauthenticated", "unauthenticated")});
    Reply(res, 401, body);
    return;
  }
  const std::string declared = Field(form, "loaiHs");
  const std::string facility = Field(form, "maCskcb");
  std::string document;
  std::vector<documents::DocumentError> form_errors;
  if (!absl::Base64Unescape(Field(form, "fileBase64Str"), &document) || document.empty()) {
    form_errors.push_back(documents::MakeError("fileBase64Str", "base64", "form_base64"));
  }
  if (!facility.empty() && facility != caller->code()) {
    form_errors.push_back(documents::MakeError("maCskcb", "facility", "facility_mismatch",
                                {{"code", facility}, {"sender", caller->code()}}));
  }
  if (!form_errors.empty()) {
    json body = Answer(kRefused, "");
    body["errors"] = ErrorsJson(form_errors);
    Reply(res, 200, body);
    return;
  }
  std::promise<DocumentOutcome> promise;
  auto answered = promise.get_future();
  intake->Submit(*caller, document, declared, PeerCertificatePem(req),
                 [&promise](DocumentOutcome outcome) { promise.set_value(std::move(outcome)); });
  DocumentOutcome outcome = answered.get();
  const auto& response = outcome.response;
  if (!outcome.status.ok()) {
    json body = Answer(outcome.status.code() == absl::StatusCode::kInvalidArgument ||
                               outcome.status.code() == absl::StatusCode::kPermissionDenied
                           ? kRefused
                           : kNotReceived,
                       "");
    body["errors"] = outcome.errors.empty()
                         ? json::array({{{"path", ""},
                                         {"code", absl::StatusCodeToString(outcome.status.code())},
                                         {"message", std::string(outcome.status.message())},
                                         {"message_en", std::string(outcome.status.message())}}})
                         : ErrorsJson(outcome.errors);
    Reply(res, 200, body);
    return;
  }
  json body = Answer(CodeOf(response), response.transaction_id());
  std::string receipts;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  ingest::v1::SubmitDocumentResponse copy = response;
  (void)google::protobuf::util::MessageToJsonString(copy, &receipts, options);
  json ours = json::parse(receipts, nullptr, /*allow_exceptions=*/false);
  body["loaiHs"] = declared;
  body["document_type"] = response.document_type();
  body["signature"] = {{"state", records::v1::DocumentSignatureState_Name(
                                     response.signature_state())},
                       {"signer", response.signer()}};
  body["receipts"] = ours.is_object() && ours.contains("receipts") ? ours["receipts"]
                                                                   : json::array();
  body["errors"] = json::array();
  Reply(res, 200, body);
}

}  // namespace

absl::StatusOr<std::unique_ptr<DocumentDoor>> DocumentDoor::Start(const std::string& listen,
                                                                  bool plaintext,
                                                                  const auth::TlsConfig& tls,
                                                                  DocumentIntake* intake) {
  std::unique_ptr<DocumentDoor> door(new DocumentDoor());
  if (plaintext) {
    door->server_ = std::make_unique<httplib::Server>();
  } else {
    auto ssl = std::make_unique<httplib::SSLServer>(tls.cert_file.c_str(), tls.key_file.c_str(),
                                                    tls.ca_file.c_str());
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError(
          "gateway: cannot serve the document door over HTTPS with tls.cert_file=" +
          tls.cert_file + ", tls.key_file=" + tls.key_file + " and tls.ca_file=" + tls.ca_file);
    }
    // Verified clients resume sessions (as the console's server does): name the context.
    static const unsigned char kSessionContext[] = "crvs-documents";
    SSL_CTX_set_session_id_context(ssl->ssl_context(), kSessionContext,
                                   sizeof kSessionContext - 1);
    door->server_ = std::move(ssl);
    door->https_ = true;
  }
  httplib::Server& server = *door->server_;
  ListenExclusively(server);
  // base64 grows a document by a third; the form's other fields are small.
  server.set_payload_max_length(intake->config().max_bytes / 3 * 4 + 64 * 1024);
  // The answer goes out as two writes (headers, then the JSON): without TCP_NODELAY the second
  // waits for the client's delayed ACK, ~40 ms per document (crvs bench documents found it).
  server.set_tcp_nodelay(true);
  // A hospital's system sends document after document: keep its connection (and its TLS
  // session) instead of a new handshake every 5 requests, httplib's default.
  server.set_keep_alive_max_count(1000);
  server.set_default_headers({{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-store"}});
  server.Post(kPath, [intake, plaintext](const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& content) {
    std::optional<Form> form = ReadForm(req, content);
    if (!form) {
      const bool too_large = res.status == 413;
      json body = Answer(kRefused, "");
      body["errors"] = ErrorsJson({too_large
                                       ? documents::MakeError("", "too_large", "too_large_form",
                                               {{"limit", std::to_string(
                                                             intake->config().max_bytes)}})
                                       : documents::MakeError("", "unreadable", "form_unreadable")});
      Reply(res, too_large ? 413 : 400, body);
      return;
    }
    Handle(intake, plaintext, req, *form, res);
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  std::string host = listen.substr(0, listen.rfind(':'));
  int port = 0;
  if (listen.rfind(':') == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(listen.rfind(':') + 1), &port)) {
    return absl::InvalidArgumentError("gateway.documents_listen: expected host:port, got '" +
                                      listen + "'");
  }
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  door->port_ = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port)
                                                                 ? port
                                                                 : -1);
  if (door->port_ <= 0) {
    return absl::UnavailableError("gateway: cannot listen on " + listen +
                                  " (gateway.documents_listen)");
  }
  door->thread_ = std::thread([&server] { server.listen_after_bind(); });
  logging::Get("gateway")->info("document door listening address={} port={} {}", listen,
                                door->port_, door->https_ ? "https, client certificates" : "http");
  return door;
}

void DocumentDoor::Stop() {
  if (server_ == nullptr) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

DocumentDoor::~DocumentDoor() { Stop(); }

}  // namespace crvs::gateway
