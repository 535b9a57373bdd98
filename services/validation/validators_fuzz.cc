// libFuzzer target: the record validators (validators.h) on arbitrary input, and the sink's
// view of a Kafka value (a RecordEnvelope's bytes → the validator of the record it carries).
//
// Byte 0 picks what the rest of the input is:
//   0-6 (mod 8): the protobuf wire bytes of one message, parsed with ParseFromArray and
//        validated: IngestRequest, CourtIngestRequest, RecordRegistrationRequest,
//        GetRecordRequest, GetPersonStatusRequest, ListRecordsRequest, RecordEnvelope;
//   7:   an edit script applied to a valid fixture request (tests/support/fixtures.h): the
//        bytes choose fields through reflection and the values to put there, so most of the
//        record stays valid and the fuzzer reaches the relational checks (dates in order,
//        ID digits against sex and year of birth, distinct spouses, linked keys).
//
// Beyond "no crash, no sanitizer report", every run checks the validators' contract: each
// violation names a real field path of the request and quotes no personal ID; a record key
// that validates has a business key (records::KeyOf) that ValidateGetRecordRequest accepts.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/time/civil_time.h>

#include "crvs/ingest/v1/court_ingest.pb.h"
#include "crvs/ingest/v1/health_ingest.pb.h"
#include "crvs/records/v1/envelope.pb.h"
#include "crvs/registry/v1/registry.pb.h"
#include "services/records/records.h"
#include "services/validation/validators.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/support/fixtures.h"

namespace crvs::validation {
namespace {

namespace pb = ::google::protobuf;
namespace v1 = ::crvs::records::v1;
namespace ingest = ::crvs::ingest::v1;
namespace registry = ::crvs::registry::v1;
using fuzz::FuzzFail;
using fuzz::FuzzInput;

// The fixtures are valid as of 2026-11-01; a fixed clock keeps runs reproducible.
Context FixedContext() {
  Context ctx;
  ctx.now = absl::FromCivil(absl::CivilSecond(2026, 11, 1, 10, 0, 0), absl::UTCTimeZone());
  return ctx;
}

// A record key that passes ValidateKeyOnly must round-trip as a canonical business key.
template <class Record>
void CheckBusinessKey(const Record& record) {
  if (!record.has_key() || !ValidateKeyOnly(record, "r").empty()) return;
  registry::GetRecordRequest get;
  get.set_business_key(records::KeyOf(record.key()).value);
  const auto violations = ValidateGetRecordRequest(get);
  if (!violations.empty()) {
    FuzzFail("valid key gives business key '" + get.business_key() +
             "' that GetRecord rejects: " + violations.front().description);
  }
}

void CheckRecordKeys(const pb::Message& m) {
  if (auto* b = dynamic_cast<const v1::BirthCertificate*>(&m)) CheckBusinessKey(*b);
  if (auto* d = dynamic_cast<const v1::DeathNotice*>(&m)) CheckBusinessKey(*d);
  if (auto* v = dynamic_cast<const v1::DivorceDecision*>(&m)) CheckBusinessKey(*v);
  if (auto* r = dynamic_cast<const v1::Registration*>(&m)) CheckBusinessKey(*r);
}

// One record of an envelope: only its key for a VOID, else the whole record.
template <class Record, class Validate>
std::vector<FieldViolation> ValidateRecord(const Record& r, bool key_only, const char* path,
                                           const Context& ctx, Validate validate) {
  CheckBusinessKey(r);
  return key_only ? ValidateKeyOnly(r, path) : validate(r, ctx, path);
}

// What the registry sink checks on a decoded envelope (connectors/registry_sink/decode.cc).
std::vector<FieldViolation> ValidateEnvelope(const v1::RecordEnvelope& e, const Context& ctx) {
  const bool void_ = e.action() == v1::ACTION_VOID;
  switch (e.record_case()) {
    case v1::RecordEnvelope::kBirthCertificate:
      return ValidateRecord(e.birth_certificate(), void_, "birth_certificate", ctx,
                            ValidateBirthCertificate);
    case v1::RecordEnvelope::kDeathNotice:
      return ValidateRecord(e.death_notice(), void_, "death_notice", ctx, ValidateDeathNotice);
    case v1::RecordEnvelope::kDivorceDecision:
      return ValidateRecord(e.divorce_decision(), void_, "divorce_decision", ctx,
                            ValidateDivorceDecision);
    case v1::RecordEnvelope::kRegistration:
      return ValidateRecord(e.registration(), void_, "registration", ctx, ValidateRegistration);
    case v1::RecordEnvelope::RECORD_NOT_SET:
      break;
  }
  return {};
}

// Validates `m` with the validator of its type and checks the contract on the result.
void ValidateAndCheck(const pb::Message& m, const Context& ctx) {
  std::vector<FieldViolation> violations;
  if (auto* r = dynamic_cast<const ingest::IngestRequest*>(&m)) {
    violations = ValidateIngestRequest(*r, ctx);
    CheckRecordKeys(r->birth_certificate());
    CheckRecordKeys(r->death_notice());
  } else if (auto* c = dynamic_cast<const ingest::CourtIngestRequest*>(&m)) {
    violations = ValidateCourtIngestRequest(*c, ctx);
    CheckRecordKeys(c->decision());
  } else if (auto* g = dynamic_cast<const registry::RecordRegistrationRequest*>(&m)) {
    violations = ValidateRecordRegistrationRequest(*g, ctx);
    CheckRecordKeys(g->registration());
  } else if (auto* k = dynamic_cast<const registry::GetRecordRequest*>(&m)) {
    violations = ValidateGetRecordRequest(*k);
  } else if (auto* p = dynamic_cast<const registry::GetPersonStatusRequest*>(&m)) {
    violations = ValidateGetPersonStatusRequest(*p, ctx);
  } else if (auto* l = dynamic_cast<const registry::ListRecordsRequest*>(&m)) {
    violations = ValidateListRecordsRequest(*l);
  } else if (auto* e = dynamic_cast<const v1::RecordEnvelope*>(&m)) {
    violations = ValidateEnvelope(*e, ctx);
  } else {
    FuzzFail("no validator for " + m.GetDescriptor()->full_name());
  }
  fuzz::CheckViolations(m, violations);
}

// --- edit mode -----------------------------------------------------------------------------

// Values at and around the limits the validators test.
constexpr int64_t kInterestingInts[] = {
    0, 1, -1, 2, 3, 9, 10, 12, 19, 20, 28, 29, 30, 31, 32, 46, 47, 199, 200, 420, 840, 841,
    -720, -721, 1000, 1001, 1899, 1900, 1990, 2000, 2025, 2026, 2027, 9000, 9001, 9999, 10000,
    INT32_MAX, INT32_MIN, -62135596800LL, -62135596801LL, 253402300799LL, 253402300800LL,
    1790000000LL, 1793527200LL, 999999999, 1000000000, INT64_MAX, INT64_MIN};
const char* const kInterestingTexts[] = {
    "", " ", "079194001234", "001090005678", "079226001111", "001052003456", "079294001234",
    "999194001234", "07919400123", "0791940012345", "079694001234", "BV79001", "TA79001",
    "bv79001", "A", "26734", "2673", "00004", "79", "01", "99", "I21.9", "R57.0", "C34",
    "U07.1", "i21.9", "I21.", "I21.999", "%", "%25", "%2F", "%2f", "/", "a/b", "12/2026/QĐST",
    "m-1", "0123456789abcdef0123456789abcdef", "00000000000000000000000000000000",
    "\x01", "\x7f", " x", "x ", "Nguyễn Thị Lan"};

int64_t InterestingInt(FuzzInput& in) {
  const uint8_t how = in.Byte() % 4;
  if (how == 0) return static_cast<int64_t>(in.U64());
  if (how == 1) return static_cast<int32_t>(in.U32());
  constexpr size_t n = sizeof(kInterestingInts) / sizeof(kInterestingInts[0]);
  return kInterestingInts[in.Below(n)];
}

std::string InterestingText(FuzzInput& in, const std::string& current) {
  constexpr size_t n = sizeof(kInterestingTexts) / sizeof(kInterestingTexts[0]);
  switch (in.Byte() % 5) {
    case 0:
      return kInterestingTexts[in.Below(n)];
    case 1:
      return in.Text(80);
    case 2: {  // one byte of the current value changed
      std::string s = current;
      if (!s.empty()) s[in.Below(static_cast<uint32_t>(s.size()))] = static_cast<char>(in.Byte());
      return s;
    }
    case 3:  // longer than the limits (64, 100, 200, 1000 bytes)
      return std::string(in.Below(1100), static_cast<char>('0' + in.Byte() % 10));
    default:
      return current + in.Text(8);
  }
}

void SetScalar(pb::Message* m, const pb::FieldDescriptor* f, FuzzInput& in) {
  const pb::Reflection* r = m->GetReflection();
  using F = pb::FieldDescriptor;
  const int64_t v = InterestingInt(in);
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case F::CPPTYPE_INT32:
      return rep ? r->AddInt32(m, f, static_cast<int32_t>(v))
                 : r->SetInt32(m, f, static_cast<int32_t>(v));
    case F::CPPTYPE_INT64:
      return rep ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
    case F::CPPTYPE_UINT32:
      return rep ? r->AddUInt32(m, f, static_cast<uint32_t>(v))
                 : r->SetUInt32(m, f, static_cast<uint32_t>(v));
    case F::CPPTYPE_UINT64:
      return rep ? r->AddUInt64(m, f, static_cast<uint64_t>(v))
                 : r->SetUInt64(m, f, static_cast<uint64_t>(v));
    case F::CPPTYPE_BOOL:
      return rep ? r->AddBool(m, f, v & 1) : r->SetBool(m, f, v & 1);
    case F::CPPTYPE_ENUM: {
      // Mostly a defined value; sometimes a number the contract does not define (proto3 keeps it).
      const pb::EnumDescriptor* e = f->enum_type();
      const int number = in.Byte() % 4 == 0 ? static_cast<int>(v)
                                            : e->value(in.Below(e->value_count()))->number();
      return rep ? r->AddEnumValue(m, f, number) : r->SetEnumValue(m, f, number);
    }
    case F::CPPTYPE_STRING: {
      const std::string current = rep ? "" : r->GetString(*m, f);
      std::string s = InterestingText(in, current);
      return rep ? r->AddString(m, f, std::move(s)) : r->SetString(m, f, std::move(s));
    }
    case F::CPPTYPE_FLOAT:
    case F::CPPTYPE_DOUBLE:
    case F::CPPTYPE_MESSAGE:
      return;  // no float fields in the records; messages are handled by the caller
  }
}

// One edit: walk down from `m` choosing fields until one is cleared, added to or set.
void Edit(pb::Message* m, FuzzInput& in) {
  for (int depth = 0; depth < 8; ++depth) {
    const pb::Descriptor* d = m->GetDescriptor();
    if (d->field_count() == 0) return;
    const pb::FieldDescriptor* f = d->field(in.Below(d->field_count()));
    const pb::Reflection* r = m->GetReflection();
    const uint8_t op = in.Byte() % 8;
    if (op == 0) return r->ClearField(m, f);
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) return SetScalar(m, f, in);
    if (!f->is_repeated()) {
      m = r->MutableMessage(m, f);
      continue;
    }
    const int size = r->FieldSize(*m, f);
    if (op == 1 && size > 0) return r->RemoveLast(m, f);
    if (op == 2 || size == 0) {
      if (size >= 12) return;
      m = r->AddMessage(m, f);
      if (in.Byte() % 2 == 0) return;  // an empty element
      continue;
    }
    m = r->MutableRepeatedMessage(m, f, in.Below(size));
  }
}

std::vector<std::unique_ptr<pb::Message>> ValidRequests() {
  std::vector<std::unique_ptr<pb::Message>> out;
  auto birth = std::make_unique<ingest::IngestRequest>();
  birth->set_message_id("m-1");
  birth->set_action(v1::ACTION_SUBMIT);
  *birth->mutable_birth_certificate() = testing::BirthCertificate();
  out.push_back(std::move(birth));
  auto death = std::make_unique<ingest::IngestRequest>();
  death->set_message_id("m-2");
  death->set_action(v1::ACTION_AMEND);
  death->set_reason("corrected cause");
  *death->mutable_death_notice() = testing::DeathNotice();
  out.push_back(std::move(death));
  auto divorce = std::make_unique<ingest::CourtIngestRequest>();
  divorce->set_message_id("m-3");
  divorce->set_action(v1::ACTION_SUBMIT);
  *divorce->mutable_decision() = testing::DivorceDecision();
  out.push_back(std::move(divorce));
  auto registration = std::make_unique<registry::RecordRegistrationRequest>();
  registration->set_message_id("m-4");
  registration->set_action(v1::ACTION_SUBMIT);
  *registration->mutable_registration() = testing::BirthRegistration();
  out.push_back(std::move(registration));
  return out;
}

struct Bases {
  std::vector<std::unique_ptr<pb::Message>> requests = ValidRequests();
  Bases() {
    // The edit mode is only meaningful if it starts from requests that pass.
    for (const auto& m : requests) {
      const Context ctx = FixedContext();
      std::vector<FieldViolation> v;
      if (auto* r = dynamic_cast<const ingest::IngestRequest*>(m.get())) {
        v = ValidateIngestRequest(*r, ctx);
      } else if (auto* c = dynamic_cast<const ingest::CourtIngestRequest*>(m.get())) {
        v = ValidateCourtIngestRequest(*c, ctx);
      } else if (auto* g = dynamic_cast<const registry::RecordRegistrationRequest*>(m.get())) {
        v = ValidateRecordRegistrationRequest(*g, ctx);
      }
      if (!v.empty()) FuzzFail("fixture request is invalid: " + v.front().field);
    }
  }
};

void RunOne(const uint8_t* data, size_t size) {
  static const Bases* bases = new Bases();  // built once, never destroyed (no exit-time races)
  const Context ctx = FixedContext();
  FuzzInput in(data, size);
  std::unique_ptr<pb::Message> m;
  switch (in.Byte() % 8) {
    case 0: m = std::make_unique<ingest::IngestRequest>(); break;
    case 1: m = std::make_unique<ingest::CourtIngestRequest>(); break;
    case 2: m = std::make_unique<registry::RecordRegistrationRequest>(); break;
    case 3: m = std::make_unique<registry::GetRecordRequest>(); break;
    case 4: m = std::make_unique<registry::GetPersonStatusRequest>(); break;
    case 5: m = std::make_unique<registry::ListRecordsRequest>(); break;
    case 6: m = std::make_unique<v1::RecordEnvelope>(); break;
    default: {
      const auto& base = bases->requests[in.Below(static_cast<uint32_t>(bases->requests.size()))];
      m.reset(base->New());
      m->CopyFrom(*base);
      for (int edits = 0; edits < 16 && !in.empty(); ++edits) Edit(m.get(), in);
      return ValidateAndCheck(*m, ctx);
    }
  }
  const std::string_view wire = in.Rest();
  if (!m->ParseFromArray(wire.data(), static_cast<int>(wire.size()))) return;
  ValidateAndCheck(*m, ctx);
}

}  // namespace
}  // namespace crvs::validation

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  crvs::validation::RunOne(data, size);
  return 0;
}
