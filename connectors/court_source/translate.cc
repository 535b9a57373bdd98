#include "connectors/court_source/translate.h"

#include <openssl/sha.h>

#include <absl/strings/str_cat.h>
#include <google/protobuf/util/time_util.h>

#include "services/records/records.h"
#include "services/validation/validators.h"

namespace crvs::court_source {
namespace {

namespace v1 = records::v1;
constexpr const char* kRecordPath = "divorce_decision";

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t seconds = absl::ToUnixSeconds(t);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
  return out;
}

// 40 lower-case hex digits of SHA-256 over the parts, each followed by a NUL.
std::string DigestHex(std::initializer_list<std::string_view> parts) {
  std::string input;
  for (std::string_view p : parts) {
    input.append(p);
    input.push_back('\0');
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 20; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

DecisionState StateOf(const v1::RecordEnvelope& e) {
  if (e.action() == v1::ACTION_VOID) return DecisionState::kDeleted;
  const v1::DivorceDecision& d = e.divorce_decision();
  if (d.has_set_aside()) return DecisionState::kSetAside;
  if (d.has_legal_effect_date()) return DecisionState::kEffective;
  return DecisionState::kPending;
}

std::string CourtSource(const std::string& court_code) {
  return validation::IsFacilityOrCourtCode(court_code) ? "court:" + court_code : "";
}

}  // namespace

std::string_view DecisionStateName(DecisionState state) {
  switch (state) {
    case DecisionState::kPending:
      return "pending";
    case DecisionState::kEffective:
      return "effective";
    case DecisionState::kSetAside:
      return "set_aside";
    case DecisionState::kDeleted:
      return "deleted";
  }
  return "";
}

ChangeTranslator::ChangeTranslator(DecisionMapping mapping,
                                   const validation::ReferenceData* reference)
    : mapping_(std::move(mapping)),
      reference_(reference != nullptr ? reference : &validation::ReferenceData::Default()) {}

Translation ChangeTranslator::FromChangeEvent(const std::optional<std::string>& value,
                                              absl::Time now) const {
  if (!value.has_value()) return Skipped{"tombstone"};
  absl::StatusOr<ChangeEvent> event = ParseChangeEvent(*value);
  if (event.status().code() == absl::StatusCode::kNotFound) return Skipped{"tombstone"};
  if (!event.ok()) {
    return Rejected{ParseFailureIsDecode(event.status()) ? kErrorDecode : kErrorMapping,
                    std::string(event.status().message()), "", ""};
  }
  const bool deleted = event->op == "d";
  return Build(*event, event->op, "cdc-",
               deleted ? "deleted in the court database"
                       : absl::StrCat("court change stream: op=", event->op),
               event->committed_at, now);
}

Translation ChangeTranslator::FromExportRow(const nlohmann::json& row, uint64_t position,
                                            absl::Time committed_at, absl::Time now) const {
  ChangeEvent event;
  event.op = "r";
  event.after = row;
  event.position = position;
  event.committed_at = committed_at;
  return Build(event, "resend", "resend-", "re-sent on request from the court's export", now,
               now);
}

Translation ChangeTranslator::Build(const ChangeEvent& event, std::string_view op_label,
                                    std::string_view id_prefix, std::string_view reason,
                                    absl::Time received_at, absl::Time now) const {
  const std::string op(op_label);
  v1::RecordEnvelope e;
  const bool deleted = event.op == "d";
  std::vector<FieldViolation> violations;
  const std::string path(kRecordPath);
  validation::Context ctx;
  ctx.reference = reference_;
  ctx.now = now;
  if (deleted) {
    auto key = mapping_.MapKey(event.row());
    if (!key.ok()) {
      return Rejected{kErrorMapping, std::string(key.status().message()), op, ""};
    }
    *e.mutable_divorce_decision()->mutable_key() = *key;
    e.set_action(v1::ACTION_VOID);
    violations = validation::ValidateKeyOnly(e.divorce_decision(), path);
  } else {
    auto decision = mapping_.MapRow(event.row(), event.column_types, event.committed_at);
    if (!decision.ok()) {
      auto key = mapping_.MapKey(event.row());
      return Rejected{kErrorMapping, std::string(decision.status().message()), op,
                      key.ok() ? CourtSource(key->court_code()) : ""};
    }
    *e.mutable_divorce_decision() = std::move(*decision);
    e.set_action(v1::ACTION_AMEND);
    violations = validation::ValidateDivorceDecision(e.divorce_decision(), ctx, path);
  }
  const v1::DivorceDecisionKey& key = e.divorce_decision().key();
  if (!violations.empty()) {
    return Rejected{kErrorValidation, Describe(violations), op, CourtSource(key.court_code())};
  }

  e.set_reason(std::string(reason));
  e.mutable_source()->set_kind(common::v1::PRINCIPAL_KIND_COURT);
  e.mutable_source()->set_code(key.court_code());
  e.set_source_sequence(event.position);
  records::CompleteEnvelope(&e, ToTimestamp(received_at));
  e.set_message_id(absl::StrCat(
      std::string(id_prefix), DigestHex({key.court_code(), key.decision_no(), std::to_string(event.position),
                            event.op, e.content_hash()})));
  Produced out;
  out.state = StateOf(e);
  if (out.state == DecisionState::kEffective && (op == "c" || op == "u")) {
    const std::string& column = mapping_.config().column_legal_effect_date;
    const auto it = event.before.is_object() ? event.before.find(column) : event.before.end();
    out.became_effective =
        op == "c" || !event.before.is_object() || it == event.before.end() || it->is_null();
  }
  out.envelope = std::move(e);
  out.op = op;
  return out;
}

std::string ChangeTranslator::Describe(const std::vector<FieldViolation>& violations) const {
  std::string out;
  const std::string prefix = absl::StrCat(kRecordPath, ".");
  for (const FieldViolation& v : violations) {
    if (!out.empty()) out.append("; ");
    std::string relative = v.field.compare(0, prefix.size(), prefix) == 0
                               ? v.field.substr(prefix.size())
                               : v.field;
    std::string column = mapping_.ColumnFor(relative);
    absl::StrAppend(&out, v.field, column.empty() ? "" : absl::StrCat(" (column ", column, ")"),
                    ": ", v.description);
  }
  return out;
}

}  // namespace crvs::court_source
