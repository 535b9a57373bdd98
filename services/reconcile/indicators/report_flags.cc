#include "services/reconcile/indicators/report_flags.h"

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>

#include <utility>

#include "services/platform/status.h"
#include "services/reconcile/indicators/period.h"

namespace crvs::reconcile::indicators {
namespace {

namespace rv1 = ::crvs::reconcile::v1;

constexpr std::pair<const char*, rv1::Breakdown> kBreakdowns[] = {
    {"none", rv1::BREAKDOWN_NONE},         {"province", rv1::BREAKDOWN_PROVINCE},
    {"commune", rv1::BREAKDOWN_COMMUNE},   {"facility", rv1::BREAKDOWN_FACILITY},
    {"court", rv1::BREAKDOWN_COURT}};

// Request field (prefix) → the flag that sets it.
constexpr std::pair<const char*, const char*> kFlagOfField[] = {
    {"period", "--period"},        {"as_of", "--as-of"},         {"province_code", "--province"},
    {"commune_code", "--commune"}, {"breakdown", "--breakdown"}, {"indicator_ids", "--indicators"},
    {"knowledge", "--known"}};

void SetBreakdown(const std::string& name, rv1::IndicatorsRequest& request,
                  std::vector<FieldViolation>& bad) {
  for (const auto& [known, value] : kBreakdowns) {
    if (name == known) {
      request.set_breakdown(value);
      return;
    }
  }
  bad.push_back({"--breakdown", absl::StrCat("expected none, province, commune, facility or "
                                             "court, got \"", name, "\"")});
}

void SetAsOf(const std::string& text, rv1::IndicatorsRequest& request,
             std::vector<FieldViolation>& bad) {
  if (text.empty()) return;
  std::optional<absl::CivilDay> day = ParseStoredDate(text);
  if (!day) {
    bad.push_back({"--as-of", absl::StrCat("expected a date YYYY-MM-DD, got \"", text, "\"")});
    return;
  }
  *request.mutable_as_of() = ToLocalDate(*day);
}

std::string FlagOf(const std::string& field) {
  for (const auto& [prefix, flag] : kFlagOfField) {
    if (field == prefix || absl::StartsWith(field, absl::StrCat(prefix, "["))) return flag;
  }
  return field;
}

}  // namespace

absl::StatusOr<ReportJob> ParseReportFlags(const ReportFlags& flags) {
  ReportJob job;
  std::vector<FieldViolation> bad;
  if (flags.period.empty()) {
    bad.push_back({"--period", "required: a year (2026), a quarter (2026-Q1) or a month "
                               "(2026-03)"});
  }
  job.request.set_period(flags.period);
  SetAsOf(flags.as_of, job.request, bad);
  if (flags.known == "as-of") {
    job.request.set_knowledge(rv1::KNOWLEDGE_AS_KNOWN_ON_AS_OF);
  } else if (flags.known == "now") {
    job.request.set_knowledge(rv1::KNOWLEDGE_EVERYTHING_KNOWN_NOW);
  } else {
    bad.push_back({"--known", absl::StrCat("expected as-of (only what was committed by the as-of "
                                           "date) or now (everything known today), got \"",
                                           flags.known, "\"")});
  }
  job.request.set_province_code(flags.province);
  job.request.set_commune_code(flags.commune);
  SetBreakdown(flags.breakdown, job.request, bad);
  for (absl::string_view id : absl::StrSplit(flags.indicators, ',', absl::SkipWhitespace())) {
    job.request.add_indicator_ids(absl::AsciiStrToUpper(absl::StripAsciiWhitespace(id)));
  }
  auto format = ParseReportFormat(flags.format);
  if (format.ok()) {
    job.format = *format;
  } else {
    bad.push_back({"--format", std::string(format.status().message())});
  }
  job.output = flags.output;
  if (auto language = i18n::ParseLanguage(flags.lang)) {
    job.language = *language;
  } else {
    bad.push_back({"--lang", "'" + flags.lang + "' is not vi or en"});
  }
  if (!bad.empty()) return InvalidArgument(bad);
  return job;
}

std::vector<std::string> FlagErrors(const absl::Status& status) {
  std::vector<std::string> lines;
  for (const FieldViolation& v : FieldViolations(status)) {
    lines.push_back(absl::StrCat(FlagOf(v.field), ": ", v.description));
  }
  if (lines.empty()) lines.emplace_back(status.message());
  return lines;
}

}  // namespace crvs::reconcile::indicators
