#include "services/reconcile/indicators/report_format.h"

#include "services/platform/csv.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_join.h>
#include <absl/strings/strip.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "services/platform/status.h"
#include "services/records/records.h"

namespace crvs::reconcile::indicators {
namespace {

namespace rv1 = ::crvs::reconcile::v1;
using nlohmann::ordered_json;

constexpr char kSource[] = "crvs-sync";
constexpr const char* kCsvColumns[] = {
    "id",      "area",        "breakdown_key", "numerator", "denominator", "open_not_mature",
    "percent", "target_2028", "target_2030",   "met_2028",  "met_2030"};

std::string Day(const common::v1::LocalDate& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

// For people (the table): two decimals.
std::string Percent(const rv1::IndicatorValue& v) {
  return v.has_percent() ? absl::StrFormat("%.2f", v.percent()) : "";
}

// For publication and machines (CSV; JSON carries the number itself): the value the API
// returns, in the shortest text that reads back to the same double (as JSON writes numbers),
// so that figures computed from the file match the API's to the last digit.
std::string ExactPercent(const rv1::IndicatorValue& v) {
  return v.has_percent() ? ordered_json(v.percent()).dump() : "";
}

// 95 → "95", 98.5 → "98.5"; "" when absent.
std::string Target(bool present, double target) { return present ? absl::StrCat(target) : ""; }

std::string Area(const rv1::IndicatorReport& r) {
  return r.values().empty() ? "VN" : r.values(0).area();
}

// The first value of every id, in report order.
std::vector<const rv1::IndicatorValue*> FirstOfEachId(const rv1::IndicatorReport& r) {
  std::vector<const rv1::IndicatorValue*> out;
  for (const auto& v : r.values()) {
    if (out.empty() || out.back()->id() != v.id()) out.push_back(&v);
  }
  return out;
}

ordered_json Optional(bool present, double value) {
  return present ? ordered_json(value) : ordered_json(nullptr);
}
ordered_json Optional(bool present, bool value) {
  return present ? ordered_json(value) : ordered_json(nullptr);
}

using i18n::Language;
using i18n::Text;

ordered_json Metadata(const rv1::IndicatorReport& r, Language language) {
  ordered_json names = ordered_json::object();
  ordered_json definitions = ordered_json::object();
  ordered_json targets = ordered_json::object();
  for (const rv1::IndicatorValue* v : FirstOfEachId(r)) {
    const std::string name_key = "indicator." + v->id();
    names[v->id()] = i18n::Has(language, name_key) ? Text(language, name_key) : v->definition();
    definitions[v->id()] = v->definition();
    targets[v->id()] = {{"2028", Optional(v->has_target_2028(), v->target_2028())},
                        {"2030", Optional(v->has_target_2030(), v->target_2030())}};
  }
  return {{"source", kSource},
          {"language", i18n::LanguageCode(language)},
          {"note", Text(language, "report.note")},
          {"period", r.period()},
          {"as_of", Day(r.as_of())},
          {"known", Text(language, r.knowledge() == rv1::KNOWLEDGE_EVERYTHING_KNOWN_NOW
                                       ? "report.known.now"
                                       : "report.known.as_of")},
          {"computed_at", records::FormatTimestamp(r.computed_at())},
          {"area", Area(r)},
          {"names", names},
          {"definitions", definitions},
          {"targets", targets}};
}

ordered_json ValueJson(const rv1::IndicatorValue& v) {
  return {{"id", v.id()},
          {"area", v.area()},
          {"breakdown_key", v.breakdown_key()},
          {"numerator", v.numerator()},
          {"denominator", v.denominator()},
          {"open_not_mature", v.open_not_mature()},
          {"percent", Optional(v.has_percent(), v.percent())},
          {"target_2028", Optional(v.has_target_2028(), v.target_2028())},
          {"target_2030", Optional(v.has_target_2030(), v.target_2030())},
          {"met_2028", Optional(v.has_met_2028(), v.met_2028())},
          {"met_2030", Optional(v.has_met_2030(), v.met_2030())}};
}

std::string Met(bool present, bool met) {
  if (!present) return "-";
  return met ? "✓" : "✗";
}

// Terminal columns taken by UTF-8 `s` (one per code point: no wide characters here).
size_t DisplayWidth(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Aligned columns two spaces apart; `right[i]` right-aligns column i.
std::string Columns(const std::vector<std::vector<std::string>>& rows,
                    const std::vector<bool>& right) {
  std::vector<size_t> width(right.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], DisplayWidth(row[i]));
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      std::string pad(width[i] - DisplayWidth(row[i]), ' ');
      absl::StrAppend(&line, i == 0 ? "" : "  ", right[i] ? pad + row[i] : row[i] + pad);
    }
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  return out;
}

std::vector<std::string> TableRow(const rv1::IndicatorValue& v, Language language) {
  auto dash = [](std::string s) { return s.empty() ? std::string("-") : s; };
  return {v.id(),
          v.breakdown_key().empty() ? Text(language, "report.total") : v.breakdown_key(),
          absl::StrCat(v.numerator()),
          absl::StrCat(v.denominator()),
          absl::StrCat(v.open_not_mature()),
          dash(Percent(v)),
          dash(Target(v.has_target_2028(), v.target_2028())),
          dash(Target(v.has_target_2030(), v.target_2030())),
          Met(v.has_met_2028(), v.met_2028()),
          Met(v.has_met_2030(), v.met_2030())};
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::ErrnoToStatus(errno, absl::StrCat(path, ": cannot create ", temp));
    out << text;
    out.flush();
    if (!out) return absl::ErrnoToStatus(errno, absl::StrCat(path, ": cannot write ", temp));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat(path, ": cannot rename ", temp, " to it"));
  }
  return absl::OkStatus();
}

std::string BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

absl::StatusOr<ReportFormat> ParseReportFormat(std::string_view name) {
  if (name == "table") return ReportFormat::kTable;
  if (name == "json") return ReportFormat::kJson;
  if (name == "csv") return ReportFormat::kCsv;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format \"", std::string(name), "\"; expected table, json or csv"));
}

std::string FormatTable(const rv1::IndicatorReport& report, Language language) {
  std::string out = absl::StrCat(
      Text(language, "report.title",
           {{"period", report.period()},
            {"area", Area(report)},
            {"as_of", Day(report.as_of())},
            {"known", report.knowledge() == rv1::KNOWLEDGE_EVERYTHING_KNOWN_NOW
                          ? Text(language, "report.known_now")
                          : ""},
            {"computed", records::FormatTimestamp(report.computed_at())}}),
      "\n\n");
  std::vector<std::string> header;
  for (const char* column : {"id", "breakdown_key", "numerator", "denominator", "open_not_mature",
                             "percent", "target_2028", "target_2030", "met_2028", "met_2030"}) {
    header.push_back(Text(language, absl::StrCat("report.col.", column)));
  }
  std::vector<std::vector<std::string>> rows = {header};
  for (const auto& v : report.values()) rows.push_back(TableRow(v, language));
  absl::StrAppend(&out, Columns(rows, {false, false, true, true, true, true, true, true, false,
                                       false}));
  out += "\n";
  for (const rv1::IndicatorValue* v : FirstOfEachId(report)) {
    const std::string name_key = "indicator." + v->id();
    if (i18n::Has(language, name_key)) {
      absl::StrAppend(&out, v->id(), "  ", Text(language, name_key), "\n");
      absl::StrAppend(&out, std::string(v->id().size() + 2, ' '), v->definition(), "\n");
    } else {
      absl::StrAppend(&out, v->id(), "  ", v->definition(), "\n");
    }
  }
  return out;
}

std::string FormatJson(const rv1::IndicatorReport& report, Language language) {
  ordered_json json = Metadata(report, language);
  json["values"] = ordered_json::array();
  for (const auto& v : report.values()) json["values"].push_back(ValueJson(v));
  return json.dump(2) + "\n";
}

std::string FormatCsv(const rv1::IndicatorReport& report) {
  std::string out = absl::StrCat(absl::StrJoin(kCsvColumns, ","), "\r\n");
  for (const auto& v : report.values()) {
    std::vector<std::string> fields = {
        v.id(),
        v.area(),
        v.breakdown_key(),
        absl::StrCat(v.numerator()),
        absl::StrCat(v.denominator()),
        absl::StrCat(v.open_not_mature()),
        ExactPercent(v),
        Target(v.has_target_2028(), v.target_2028()),
        Target(v.has_target_2030(), v.target_2030()),
        v.has_met_2028() ? (v.met_2028() ? "true" : "false") : "",
        v.has_met_2030() ? (v.met_2030() ? "true" : "false") : ""};
    for (auto& f : fields) f = CsvField(f);
    absl::StrAppend(&out, absl::StrJoin(fields, ","), "\r\n");
  }
  return out;
}

std::string FormatCsvMetadata(const rv1::IndicatorReport& report, std::string_view data_file,
                              Language language) {
  ordered_json json = Metadata(report, language);
  json["data_file"] = BaseName(data_file);
  json["columns"] = kCsvColumns;
  ordered_json labels = ordered_json::object();
  for (const char* column : kCsvColumns) {
    labels[column] = Text(language, absl::StrCat("report.col.", column));
  }
  json["column_labels"] = labels;
  return json.dump(2) + "\n";
}

std::string MetadataPath(std::string_view csv_path) {
  return std::string(csv_path) + ".meta.json";
}

std::string FormatReport(const rv1::IndicatorReport& report, ReportFormat format,
                         Language language) {
  switch (format) {
    case ReportFormat::kTable:
      return FormatTable(report, language);
    case ReportFormat::kJson:
      return FormatJson(report, language);
    case ReportFormat::kCsv:
      return FormatCsv(report);
  }
  return "";
}

absl::Status WriteReport(const rv1::IndicatorReport& report, ReportFormat format,
                         const std::string& path, Language language) {
  if (format == ReportFormat::kCsv) {
    CRVS_RETURN_IF_ERROR(
        WriteFile(MetadataPath(path), FormatCsvMetadata(report, path, language)));
  }
  return WriteFile(path, FormatReport(report, format, language));
}

}  // namespace crvs::reconcile::indicators
