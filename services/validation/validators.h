// Field-level validation of crvs-sync records and ingest requests: the identifier and code
// rules of BRIEF §3 and the REQUIRED / format / limit rules stated in the proto comments.
//
// Every validator returns (or appends) *all* violations it finds, never just the first, each
// naming the full path of the field in the request message with proto field names and
// zero-based indexes, e.g. "birth_certificate.mother.personal_id.number" or
// "death_notice.cause_of_death.chain[1].icd10_code". Descriptions are short English that say
// what is expected; they never contain a personal ID.
//
// Conventions (see README.md): a missing REQUIRED message that holds the record's content
// (child, mother, key, born_at, ...) is reported once on that message and not descended
// into; a missing REQUIRED leaf inside a message (personal_id.number, residence.commune_code,
// issuing_officer.full_name) is reported on the leaf. A rule relating two fields (dates in
// order, distinct spouses) is reported on the field whose proto comment states it, and is
// only checked when both fields are themselves valid, so one mistake yields one violation.
//
// Thread-safety: pure functions; the Context's ReferenceData must outlive the call.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <absl/time/clock.h>
#include <absl/time/time.h>

#include "crvs/common/v1/types.pb.h"
#include "crvs/ingest/v1/court_ingest.pb.h"
#include "crvs/ingest/v1/health_ingest.pb.h"
#include "crvs/records/v1/birth_certificate.pb.h"
#include "crvs/records/v1/death_notice.pb.h"
#include "crvs/records/v1/divorce_decision.pb.h"
#include "crvs/records/v1/registration.pb.h"
#include "crvs/registry/v1/registry.pb.h"
#include "services/platform/status.h"
#include "services/validation/reference_data.h"

namespace crvs::validation {

// Clocks of sources and servers disagree a little; an event up to this far ahead of `now` is
// not "in the future".
inline constexpr absl::Duration kClockSkewAllowance = absl::Minutes(5);

// What a validation is judged against. Cheap to copy.
struct Context {
  const ReferenceData* reference = &ReferenceData::Default();
  absl::Time now = absl::Now();  // "no event in the future" is judged against this
};

// HealthIngest request: message_id syntax, action set, reason required for AMEND/VOID, trace_id
// syntax, exactly one record. For ACTION_VOID only the record's key is validated (the rest is
// ignored, as the contract says); otherwise the whole record.
std::vector<FieldViolation> ValidateIngestRequest(const crvs::ingest::v1::IngestRequest& request,
                                                  const Context& ctx);
// CourtIngest request: as ValidateIngestRequest, the record being `decision`. `sequence` is
// not checked here: whether it is required depends on the RPC (StreamDecisions), which the
// stream handler checks.
std::vector<FieldViolation> ValidateCourtIngestRequest(
    const crvs::ingest::v1::CourtIngestRequest& request, const Context& ctx);

// Registry requests (crvs.registry.v1.Registry), field paths relative to the request.
//
// RecordRegistrationRequest: message_id syntax, action set, reason required for AMEND/VOID,
// registration required; for ACTION_VOID only registration.key is validated (the rest is
// ignored, as the contract says), otherwise the whole registration. Whether the caller may
// record for registration.key.registry_office_code is the service's check, not this one.
std::vector<FieldViolation> ValidateRecordRegistrationRequest(
    const crvs::registry::v1::RecordRegistrationRequest& request, const Context& ctx);
// GetRecordRequest: business_key required and canonical — "<kind>/<components>" with kind
// birth, death, divorce (two components) or registration (three), each component escaped
// ('%' as %25, '/' as %2F, nothing else) and valid for its field of the record key.
std::vector<FieldViolation> ValidateGetRecordRequest(
    const crvs::registry::v1::GetRecordRequest& request);
// GetPersonStatusRequest: personal_id.number required, 12 digits with a known province
// prefix and a century/sex digit 0..5.
std::vector<FieldViolation> ValidateGetPersonStatusRequest(
    const crvs::registry::v1::GetPersonStatusRequest& request, const Context& ctx);
// ListRecordsRequest: source (when set) with a kind and a [A-Za-z0-9._-]{1,64} code, kind a
// defined value, issued_from / issued_to valid timestamps with issued_to after issued_from,
// page_size 0..1000. The page token is opaque here; the store checks it.
std::vector<FieldViolation> ValidateListRecordsRequest(
    const crvs::registry::v1::ListRecordsRequest& request);

// Whole-record validators for SUBMIT / AMEND content. `path` is the record's path in the
// request, e.g. "birth_certificate" (paths of violations start with it; "" for none).
std::vector<FieldViolation> ValidateBirthCertificate(const crvs::records::v1::BirthCertificate&,
                                                     const Context&, const std::string& path);
std::vector<FieldViolation> ValidateDeathNotice(const crvs::records::v1::DeathNotice&,
                                                const Context&, const std::string& path);
std::vector<FieldViolation> ValidateDivorceDecision(const crvs::records::v1::DivorceDecision&,
                                                    const Context&, const std::string& path);
std::vector<FieldViolation> ValidateRegistration(const crvs::records::v1::Registration&,
                                                 const Context&, const std::string& path);

// For ACTION_VOID, where only the record's key is required (other fields are ignored): checks
// just the key. `path` is the record's path as above; an absent key is "<path>.key".
std::vector<FieldViolation> ValidateKeyOnly(const crvs::records::v1::BirthCertificate&,
                                            const std::string& path);
std::vector<FieldViolation> ValidateKeyOnly(const crvs::records::v1::DeathNotice&,
                                            const std::string& path);
std::vector<FieldViolation> ValidateKeyOnly(const crvs::records::v1::DivorceDecision&,
                                            const std::string& path);
std::vector<FieldViolation> ValidateKeyOnly(const crvs::records::v1::Registration&,
                                            const std::string& path);

// Appends violations of `person.personal_id` to `out`, all on "<path>.personal_id.number":
// required when `required`; 12 ASCII digits; digits 1-3 an id_prefix of ctx.reference;
// digit 4 in 0..5 and its sex consistent with person.sex (when SEX_MALE or SEX_FEMALE) and
// its century + digits 5-6 equal to person.date_of_birth.year (when that is a valid date).
// `path` is the Person's path, e.g. "birth_certificate.mother".
void ValidatePersonalId(const crvs::common::v1::Person& person, const Context& ctx,
                        const std::string& path, bool required, std::vector<FieldViolation>* out);

// An uppercase letter, two digits, optionally '.' and 1-2 uppercase letters or digits
// (^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$): "I21.9", "C34", "U07.1".
bool IsIcd10Code(std::string_view code);
// A valid ICD-10 code outside chapter R (symptoms and ill-defined causes), i.e. a cause
// certified to the standard (indicator D5).
bool IsCertifiedCauseCode(std::string_view code);
// Exactly 5 ASCII digits (syntax only: there is no commune register in the reference data).
bool IsCommuneCode(std::string_view code);
// [A-Z0-9]{2,16}: Ministry of Health facility codes and court codes.
bool IsFacilityOrCourtCode(std::string_view code);

}  // namespace crvs::validation
