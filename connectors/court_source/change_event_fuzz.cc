// libFuzzer target: the court change-event mapper — a Kafka message value of the court's change
// stream (Debezium JSON, with or without schema) through debezium.cc, decision_mapping.cc and
// translate.cc to an envelope, a dead letter or a skip; and the same bytes as a row of the
// court's export (the re-send path).
//
// The input is the message value itself, so the seeds (tests/fuzz/corpus/change_event_fuzz) are
// plain Debezium events and change_event_fuzz.dict gives the fuzzer the envelope's and the
// default mapping's names. Every input goes through two mappings: the default one (court code
// column, ISO or Debezium dates, commit time as issued_at) and a single-court one with numeric
// and boolean value maps and an issued-at column.
//
// Beyond "no crash, no sanitizer report", every run checks the translator's contract: what it
// produces passes the gateway's own CourtIngestRequest validation (so the connector never puts
// on the topic what a court could not submit), comes from court:<key.court_code> with a
// position > 0, and gets the same message id when read again; a dead letter has a known error
// class and a message that quotes no personal ID of the row.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <absl/time/civil_time.h>

#include "connectors/court_source/translate.h"
#include "crvs/ingest/v1/court_ingest.pb.h"
#include "services/validation/validators.h"
#include "tests/fuzz/fuzz_input.h"

namespace crvs::court_source {
namespace {

using fuzz::FuzzFail;
using Json = nlohmann::json;
namespace v1 = records::v1;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 1, 10, 0, 0), absl::UTCTimeZone());

std::unique_ptr<ChangeTranslator> Make(const DecisionMappingConfig& config) {
  auto mapping = DecisionMapping::Compile(config);
  if (!mapping.ok()) FuzzFail("mapping does not compile: " + mapping.status().ToString());
  return std::make_unique<ChangeTranslator>(*std::move(mapping),
                                            &validation::ReferenceData::Default());
}

DecisionMappingConfig SingleCourtMapping() {
  DecisionMappingConfig c;
  c.column_court_code = "";
  c.court_code = "TA01001";
  c.kind_values = {"1=JUDGMENT", "2=CONSENSUAL_RECOGNITION", "3=ANNULMENT"};
  c.sex_values = {"true=MALE", "false=FEMALE", "0=UNDETERMINED"};
  c.column_issued_at = "updated_at";
  return c;
}

// The 12-digit personal IDs in the spouse ID columns of `row` that appear in no other column
// of it (a value the row repeats elsewhere may legitimately be quoted, e.g. as an unknown kind).
void CollectRowIds(const Json& row, const DecisionMappingConfig& c, std::vector<std::string>* out) {
  if (!row.is_object()) return;
  for (const std::string* column : {&c.column_spouse_a_personal_id, &c.column_spouse_b_personal_id}) {
    auto it = row.find(*column);
    if (it == row.end() || !it->is_string()) continue;
    const std::string id = it->get<std::string>();
    bool digits = id.size() == 12;
    for (char ch : id) digits = digits && ch >= '0' && ch <= '9';
    if (!digits) continue;
    bool elsewhere = false;
    for (const auto& [name, value] : row.items()) {
      std::string text;
      if (name == c.column_spouse_a_personal_id || name == c.column_spouse_b_personal_id) continue;
      elsewhere = elsewhere || name.find(id) != std::string::npos ||
                  (ScalarText(value, &text) && text.find(id) != std::string::npos);
    }
    if (!elsewhere) out->push_back(id);
  }
}

void CheckProduced(const Produced& p, std::string_view id_prefix) {
  const v1::RecordEnvelope& e = p.envelope;
  if (e.record_case() != v1::RecordEnvelope::kDivorceDecision) FuzzFail("produced no decision");
  const v1::DivorceDecisionKey& key = e.divorce_decision().key();
  if (e.source().kind() != common::v1::PRINCIPAL_KIND_COURT || e.source().code() != key.court_code()) {
    FuzzFail("produced from source '" + e.source().code() + "' for court '" + key.court_code() + "'");
  }
  if (e.source_sequence() == 0 || e.source_sequence() > static_cast<uint64_t>(INT64_MAX)) {
    FuzzFail("produced with source_sequence " + std::to_string(e.source_sequence()));
  }
  if (e.message_id().rfind(id_prefix, 0) != 0) FuzzFail("message id " + e.message_id());
  if ((e.action() == v1::ACTION_VOID) != (p.state == DecisionState::kDeleted)) {
    FuzzFail("action and state disagree");
  }
  // What the connector produces, a court could have submitted through the gateway.
  ingest::v1::CourtIngestRequest request;
  request.set_message_id(e.message_id());
  request.set_action(e.action());
  request.set_reason(e.reason());
  request.set_trace_id(e.trace_id());
  *request.mutable_decision() = e.divorce_decision();
  validation::Context ctx;
  ctx.now = kNow;
  const auto violations = validation::ValidateCourtIngestRequest(request, ctx);
  if (!violations.empty()) {
    FuzzFail("produced an envelope the gateway would reject: " + violations.front().field + ": " +
             violations.front().description);
  }
}

void CheckRejected(const Rejected& r, const std::vector<std::string>& ids) {
  if (r.error_class != kErrorDecode && r.error_class != kErrorMapping &&
      r.error_class != kErrorValidation) {
    FuzzFail("unknown error class " + r.error_class);
  }
  if (r.error_message.empty()) FuzzFail("dead letter without a message");
  if (fuzz::ContainsAny(r.error_message, ids)) {
    FuzzFail("dead-letter message quotes a personal ID: " + r.error_message);
  }
  if (!r.source.empty() && r.source.rfind("court:", 0) != 0) FuzzFail("source " + r.source);
}

// CRVS_FUZZ_VERBOSE=1 prints what each input became (for writing seeds; see README).
void Describe(const Translation& t) {
  static const bool verbose = std::getenv("CRVS_FUZZ_VERBOSE") != nullptr;
  if (!verbose) return;
  if (const auto* p = std::get_if<Produced>(&t)) {
    std::fprintf(stderr, "  produced %s op=%s state=%s\n", p->envelope.business_key().c_str(),
                 p->op.c_str(), std::string(DecisionStateName(p->state)).c_str());
  } else if (const auto* r = std::get_if<Rejected>(&t)) {
    std::fprintf(stderr, "  rejected %s: %s\n", r->error_class.c_str(), r->error_message.c_str());
  } else {
    std::fprintf(stderr, "  skipped: %s\n", std::get<Skipped>(t).reason.c_str());
  }
}

void Check(const Translation& t, const Translation& again, const std::vector<std::string>& ids,
           std::string_view id_prefix) {
  Describe(t);
  if (t.index() != again.index()) FuzzFail("the same input translated two ways");
  if (const auto* p = std::get_if<Produced>(&t)) {
    CheckProduced(*p, id_prefix);
    if (std::get<Produced>(again).envelope.message_id() != p->envelope.message_id()) {
      FuzzFail("reading the same change again gave another message id");
    }
  } else if (const auto* r = std::get_if<Rejected>(&t)) {
    CheckRejected(*r, ids);
  }
}

void RunOne(const uint8_t* data, size_t size) {
  static const ChangeTranslator* const kTranslators[] = {
      Make(DecisionMappingConfig()).release(), Make(SingleCourtMapping()).release()};
  const std::optional<std::string> value(std::in_place, reinterpret_cast<const char*>(data), size);
  const Json doc = Json::parse(value->begin(), value->end(), nullptr, /*allow_exceptions=*/false);

  for (const ChangeTranslator* translator : kTranslators) {
    const DecisionMappingConfig& config = translator->mapping().config();
    std::vector<std::string> ids;
    if (doc.is_object()) {
      // Rows may sit in the event itself (an export row) or in its (schema-wrapped) payload.
      CollectRowIds(doc, config, &ids);
      const Json* payload = &doc;
      if (auto it = doc.find("payload"); it != doc.end() && it->is_object()) payload = &*it;
      for (const char* side : {"before", "after"}) {
        if (auto it = payload->find(side); it != payload->end()) CollectRowIds(*it, config, &ids);
      }
    }
    Check(translator->FromChangeEvent(value, kNow), translator->FromChangeEvent(value, kNow), ids,
          "cdc-");
    if (doc.is_object()) {
      Check(translator->FromExportRow(doc, 4711, kNow - absl::Hours(1), kNow),
            translator->FromExportRow(doc, 4711, kNow - absl::Hours(1), kNow), ids, "resend-");
    }
  }
}

}  // namespace
}  // namespace crvs::court_source

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  crvs::court_source::RunOne(data, size);
  return 0;
}
