// libFuzzer target: ReadHospitalDocument (hospital_document.h) on arbitrary bytes, as a
// hospital would send them.
//
// Byte 0 picks the declared type (0: none, 1: 60, 2: 61, 3: 9) and whether the sender's facility
// is known; the rest is the document. Beyond "no crash, no sanitizer report", every run checks
// the reader's contract: a result with errors has no records; every record passes the ingest
// validation again and has a message id; every error has a code and both messages; reading the
// same bytes again gives the same message ids (they are derived from the content).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "services/documents/hospital_document.h"
#include "services/validation/validators.h"
#include "tests/fuzz/fuzz_input.h"

namespace crvs::documents {
namespace {

using fuzz::FuzzFail;

void RunOne(const uint8_t* data, size_t size) {
  if (size == 0) return;
  ReadOptions options;
  options.limits.max_bytes = 64 * 1024;
  options.limits.max_records = 50;
  options.now_unix_seconds = absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(2026, 12, 1, 0, 0, 0), absl::UTCTimeZone()));
  const uint8_t control = data[0];
  switch (control % 4) {
    case 1: options.declared = DocumentType::kDeathNotice; break;
    case 2: options.declared = DocumentType::kBirthCertificate; break;
    case 3: options.declared = DocumentType::kClaimsTable9; break;
    default: break;
  }
  if (control & 4) options.facility_code = "79001";
  const std::string_view xml(reinterpret_cast<const char*>(data) + 1, size - 1);

  const DocumentResult result = ReadHospitalDocument(xml, options);
  if (!result.errors.empty() && !result.records.empty()) FuzzFail("errors and records together");
  for (const DocumentError& e : result.errors) {
    if (e.code.empty() || e.message_vi.empty() || e.message_en.empty()) {
      FuzzFail("error without code or message at '" + e.path + "'");
    }
  }
  validation::Context ctx;
  ctx.now = absl::FromUnixSeconds(options.now_unix_seconds);
  for (const DocumentRecord& r : result.records) {
    if (r.request.message_id().empty()) FuzzFail("record without message id: " + r.path);
    const auto violations = validation::ValidateIngestRequest(r.request, ctx);
    if (!violations.empty()) FuzzFail("record fails validation: " + violations.front().field);
  }
  const DocumentResult again = ReadHospitalDocument(xml, options);
  if (again.records.size() != result.records.size()) FuzzFail("second read differs");
  for (size_t i = 0; i < again.records.size(); ++i) {
    if (again.records[i].request.message_id() != result.records[i].request.message_id()) {
      FuzzFail("message id not derived from the content");
    }
  }
}

}  // namespace
}  // namespace crvs::documents

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  crvs::documents::RunOne(data, size);
  return 0;
}
