#include "services/records/records.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/time_util.h>

namespace crvs::records {
namespace {

BusinessKey Join(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (std::string_view p : parts) {
    if (!first) out.push_back('/');
    // The first part is the kind prefix, never escaped.
    out += first ? std::string(p) : EscapeKeyComponent(p);
    first = false;
  }
  return {out};
}

// When the source issued this version; a VOID carries only the key, so its time is receipt.
google::protobuf::Timestamp IssuedAt(const v1::RecordEnvelope& e) {
  switch (e.record_case()) {
    case v1::RecordEnvelope::kBirthCertificate:
      if (e.birth_certificate().has_issued_at()) return e.birth_certificate().issued_at();
      break;
    case v1::RecordEnvelope::kDeathNotice:
      if (e.death_notice().has_issued_at()) return e.death_notice().issued_at();
      break;
    case v1::RecordEnvelope::kDivorceDecision:
      if (e.divorce_decision().has_issued_at()) return e.divorce_decision().issued_at();
      break;
    case v1::RecordEnvelope::kRegistration:
      if (e.registration().has_recorded_at()) return e.registration().recorded_at();
      break;
    case v1::RecordEnvelope::RECORD_NOT_SET:
      break;
  }
  return e.received_at();
}

}  // namespace

std::string EscapeKeyComponent(std::string_view component) {
  std::string out;
  out.reserve(component.size());
  for (char c : component) {
    if (c == '%') out += "%25";
    else if (c == '/') out += "%2F";
    else out.push_back(c);
  }
  return out;
}

BusinessKey KeyOf(const v1::BirthCertificateKey& k) {
  return Join({"birth", k.facility_code(), k.certificate_no()});
}
BusinessKey KeyOf(const v1::DeathNoticeKey& k) {
  return Join({"death", k.facility_code(), k.notice_no()});
}
BusinessKey KeyOf(const v1::DivorceDecisionKey& k) {
  return Join({"divorce", k.court_code(), k.decision_no()});
}
BusinessKey KeyOf(const v1::RegistrationKey& k) {
  return Join({"registration", k.registry_office_code(), k.book(), k.registration_no()});
}

BusinessKey KeyOf(const v1::RecordEnvelope& e) {
  switch (e.record_case()) {
    case v1::RecordEnvelope::kBirthCertificate: return KeyOf(e.birth_certificate().key());
    case v1::RecordEnvelope::kDeathNotice: return KeyOf(e.death_notice().key());
    case v1::RecordEnvelope::kDivorceDecision: return KeyOf(e.divorce_decision().key());
    case v1::RecordEnvelope::kRegistration: return KeyOf(e.registration().key());
    case v1::RecordEnvelope::RECORD_NOT_SET: break;
  }
  return {};
}

v1::RecordKind KindOf(const v1::RecordEnvelope& e) {
  switch (e.record_case()) {
    case v1::RecordEnvelope::kBirthCertificate: return v1::RECORD_KIND_BIRTH_CERTIFICATE;
    case v1::RecordEnvelope::kDeathNotice: return v1::RECORD_KIND_DEATH_NOTICE;
    case v1::RecordEnvelope::kDivorceDecision: return v1::RECORD_KIND_DIVORCE_DECISION;
    case v1::RecordEnvelope::kRegistration: return v1::RECORD_KIND_REGISTRATION;
    case v1::RecordEnvelope::RECORD_NOT_SET: break;
  }
  return v1::RECORD_KIND_UNSPECIFIED;
}

std::string KindLabel(v1::RecordKind kind) {
  std::string name = v1::RecordKind_Name(kind);
  constexpr std::string_view prefix = "RECORD_KIND_";
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

const google::protobuf::Message* RecordOf(const v1::RecordEnvelope& e) {
  switch (e.record_case()) {
    case v1::RecordEnvelope::kBirthCertificate: return &e.birth_certificate();
    case v1::RecordEnvelope::kDeathNotice: return &e.death_notice();
    case v1::RecordEnvelope::kDivorceDecision: return &e.divorce_decision();
    case v1::RecordEnvelope::kRegistration: return &e.registration();
    case v1::RecordEnvelope::RECORD_NOT_SET: break;
  }
  return nullptr;
}

std::string ContentHash(const google::protobuf::Message& record) {
  const google::protobuf::Message* m = &record;
  std::unique_ptr<google::protobuf::Message> stripped;
  if (record.GetReflection()->GetUnknownFields(record).field_count() > 0) {
    stripped.reset(record.New());
    stripped->CopyFrom(record);
    stripped->DiscardUnknownFields();
    m = stripped.get();
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m->SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string FormatPrincipal(const common::v1::Principal& p) {
  std::string kind = common::v1::PrincipalKind_Name(p.kind());
  constexpr std::string_view prefix = "PRINCIPAL_KIND_";
  if (kind.rfind(prefix, 0) == 0) kind = kind.substr(prefix.size());
  for (char& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return kind + ":" + p.code();
}

std::optional<common::v1::Principal> ParsePrincipal(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return std::nullopt;
  std::string kind = "PRINCIPAL_KIND_";
  for (char c : text.substr(0, colon)) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return std::nullopt;  // lower case, as formatted
    kind += c == '_' ? '_' : static_cast<char>(c - 'a' + 'A');
  }
  common::v1::Principal p;
  common::v1::PrincipalKind parsed;
  if (!common::v1::PrincipalKind_Parse(kind, &parsed) ||
      parsed == common::v1::PRINCIPAL_KIND_UNSPECIFIED) {
    return std::nullopt;
  }
  p.set_kind(parsed);
  p.set_code(std::string(text.substr(colon + 1)));
  return p;
}

std::string FormatTimestamp(const google::protobuf::Timestamp& t) {
  // TimeUtil prints 0, 3, 6 or 9 fractional digits; we always want milliseconds.
  time_t secs = static_cast<time_t>(t.seconds());
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%03dZ", t.nanos() / 1000000);
  return buf;
}

std::vector<std::pair<std::string, std::string>> HeadersOf(const v1::RecordEnvelope& e) {
  return {{"crvs-schema", kSchemaHeaderValue},
          {"crvs-source", FormatPrincipal(e.source())},
          {"crvs-message-id", e.message_id()},
          {"crvs-trace-id", e.trace_id()},
          {"crvs-issued-at", FormatTimestamp(e.issued_at())},
          {"crvs-received-at", FormatTimestamp(e.received_at())}};
}

void CompleteEnvelope(v1::RecordEnvelope* e, const google::protobuf::Timestamp& now) {
  e->set_kind(KindOf(*e));
  e->set_business_key(KeyOf(*e).value);
  if (const auto* record = RecordOf(*e)) e->set_content_hash(ContentHash(*record));
  e->set_schema_version(kSchemaVersion);
  *e->mutable_received_at() = now;
  *e->mutable_issued_at() = IssuedAt(*e);
  if (e->trace_id().empty()) e->set_trace_id(NewTraceId());
}

std::string NewTraceId() {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof bytes);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

}  // namespace crvs::records
