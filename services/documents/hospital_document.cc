// Reading hospital documents (hospital_document.h): libxml2 under limits, then one mapper per
// record element, then the validators of native submissions. Every element → field choice is
// written down in README.md ("Mapping"); keep the two in step.
#include "services/documents/hospital_document.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include <absl/strings/ascii.h>
#include <absl/strings/escaping.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/time/civil_time.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>

#include "services/platform/i18n.h"
#include "services/records/records.h"
#include "services/validation/validators.h"

namespace crvs::documents {
namespace {

namespace v1 = ::crvs::records::v1;
namespace common = ::crvs::common::v1;
using ingest::v1::IngestRequest;

constexpr int kVietnamOffsetMinutes = 420;  // UTC+07:00, no daylight saving

// --- errors ---------------------------------------------------------------------------------

// --- libxml2 --------------------------------------------------------------------------------

void IgnoreGenericError(void*, const char*, ...) {}
void IgnoreStructuredError(void*, xmlErrorPtr) {}

// Nothing outside the bytes given is ever loaded: no DTD, no external entity, no XInclude.
xmlParserInputPtr RefuseExternalEntity(const char*, const char*, xmlParserCtxtPtr) {
  return nullptr;
}

// The first error of a parse (libxml2 reports follow-on errors after it; the first is the
// one a person can act on).
struct FirstError {
  bool set = false;
  int line = 0;
  std::string message;
};
void KeepFirstError(void* data, xmlErrorPtr error) {
  auto* first = static_cast<FirstError*>(data);
  if (first->set || error == nullptr || error->level < XML_ERR_ERROR) return;
  first->set = true;
  first->line = error->line;
  first->message = error->message != nullptr ? error->message : "";
}

// libxml2's error handlers are per thread: set them on every thread that parses.
void SilenceThisThread() {
  xmlSetGenericErrorFunc(nullptr, IgnoreGenericError);
  xmlSetStructuredErrorFunc(nullptr, IgnoreStructuredError);
}

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;
struct CtxtFree {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};

std::string NameOf(const xmlNode* node) { return reinterpret_cast<const char*>(node->name); }

// Deepest element nesting below `node` (1 for a leaf), stopping once past `limit`.
int Depth(const xmlNode* node, int limit, int depth = 1) {
  if (depth > limit) return depth;
  int deepest = depth;
  for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    deepest = std::max(deepest, Depth(c, limit, depth + 1));
    if (deepest > limit) break;
  }
  return deepest;
}

// Parses `xml` (the outer document, or a decoded NOIDUNGFILE) under `limits`. `where` is the
// path errors about the whole text go on ("" for the outer document). Null on any error.
DocPtr ParseXml(std::string_view xml, const DocumentLimits& limits, const std::string& where,
                std::vector<DocumentError>* errors) {
  if (xml.size() > limits.max_bytes || xml.size() > static_cast<size_t>(INT_MAX)) {
    errors->push_back(MakeError(where, "too_large", "too_large",
                                {{"size", absl::StrCat(xml.size())},
                                 {"limit", absl::StrCat(limits.max_bytes)}}));
    return nullptr;
  }
  // A DTD is never needed by these documents and is where entity expansion (billion laughs)
  // and external entities (XXE) live: refuse it before libxml2 sees a byte of it.
  if (absl::StrContains(absl::string_view(xml.data(), xml.size()), "<!DOCTYPE")) {
    errors->push_back(MakeError(where, "xml_dtd", "xml_dtd"));
    return nullptr;
  }
  InitXmlLibrary();
  SilenceThisThread();
  std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(xmlNewParserCtxt());
  if (ctxt == nullptr) {
    errors->push_back(MakeError(where, "xml_malformed", "xml_malformed",
                                {{"line", "0"}, {"detail", "no memory"}}));
    return nullptr;
  }
  // No XML_PARSE_NOENT / DTDLOAD / DTDATTR / HUGE / XINCLUDE: entities stay unexpanded, no
  // DTD is loaded, libxml2's own size and depth safeguards stay on.
  const int flags = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOWARNING | XML_PARSE_NOERROR;
  FirstError first;
  xmlSetStructuredErrorFunc(&first, KeepFirstError);
  DocPtr doc(xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()), nullptr,
                               nullptr, flags));
  xmlSetStructuredErrorFunc(nullptr, IgnoreStructuredError);
  if (doc == nullptr || !ctxt->wellFormed) {
    if (!first.set) {
      const xmlError* err = xmlCtxtGetLastError(ctxt.get());
      first.line = err != nullptr ? err->line : 0;
      first.message = err != nullptr && err->message != nullptr ? err->message : "not XML";
    }
    errors->push_back(
        MakeError(where, "xml_malformed", "xml_malformed",
                  {{"line", absl::StrCat(first.line)},
                   {"detail", std::string(absl::StripAsciiWhitespace(first.message))}}));
    return nullptr;
  }
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    errors->push_back(MakeError(where, "xml_dtd", "xml_dtd"));
    return nullptr;
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr) {
    errors->push_back(MakeError(where, "xml_malformed", "xml_malformed",
                                {{"line", "1"}, {"detail", "no root element"}}));
    return nullptr;
  }
  if (Depth(root, limits.max_depth) > limits.max_depth) {
    errors->push_back(
        MakeError(where, "too_deep", "too_deep", {{"limit", absl::StrCat(limits.max_depth)}}));
    return nullptr;
  }
  return doc;
}

std::vector<xmlNode*> ChildElements(const xmlNode* parent, std::string_view name) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && NameOf(c) == name) out.push_back(c);
  }
  return out;
}

xmlNode* FirstChild(const xmlNode* parent, std::string_view name) {
  for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && NameOf(c) == name) return c;
  }
  return nullptr;
}

// The element's text with surrounding whitespace removed ("" for an empty element).
std::string TextOf(const xmlNode* node) {
  xmlChar* content = xmlNodeGetContent(node);
  if (content == nullptr) return "";
  std::string text(reinterpret_cast<const char*>(content));
  xmlFree(content);
  return std::string(absl::StripAsciiWhitespace(text));
}

// "NAME" alone, or "NAME[i]" (1-based) when there are several siblings of that name.
std::string Indexed(const std::string& name, size_t index, size_t count) {
  return count > 1 ? absl::StrCat(name, "[", index + 1, "]") : name;
}

std::string JoinPath(const std::string& a, const std::string& b) {
  return a.empty() ? b : absl::StrCat(a, "/", b);
}

// --- values ---------------------------------------------------------------------------------

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int Number(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}

// yyyyMMdd[HHmm[ss]] of exactly `length` digits, a real calendar date and time.
std::optional<absl::CivilSecond> ParseCompact(std::string_view s, size_t length) {
  if (s.size() != length || !AllDigits(s)) return std::nullopt;
  const int year = Number(s.substr(0, 4));
  if (length == 4) return year >= 1 ? std::optional(absl::CivilSecond(year, 1, 1)) : std::nullopt;
  const int month = Number(s.substr(4, 2));
  const int day = Number(s.substr(6, 2));
  const int hour = length >= 12 ? Number(s.substr(8, 2)) : 0;
  const int minute = length >= 12 ? Number(s.substr(10, 2)) : 0;
  const int second = length >= 14 ? Number(s.substr(12, 2)) : 0;
  const absl::CivilSecond cs(year, month, day, hour, minute, second);
  // CivilSecond normalises (20250230 → 2025-03-02): a real date is one that stays put.
  if (year < 1 || cs.year() != year || cs.month() != month || cs.day() != day ||
      cs.hour() != hour || cs.minute() != minute || cs.second() != second) {
    return std::nullopt;
  }
  return cs;
}

absl::Time VietnamInstant(const absl::CivilSecond& cs) {
  return absl::FromCivil(cs, absl::FixedTimeZone(kVietnamOffsetMinutes * 60));
}

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
  out->set_nanos(0);
}

void SetLocalDate(const absl::CivilSecond& cs, common::LocalDate* out) {
  out->set_year(static_cast<int32_t>(cs.year()));
  out->set_month(cs.month());
  out->set_day(cs.day());
}

// --- one record element ---------------------------------------------------------------------

// Reads the leaf children of one record element (GIAYBAOTU, GIAYCHUNGSINH,
// DU_LIEU_GIAY_CHUNG_SINH), collecting format errors, and remembers which element each proto
// field came from so validator violations can be named by element path.
class RecordReader {
 public:
  RecordReader(const xmlNode* element, std::string path, std::string proto_root)
      : path_(std::move(path)), proto_root_(std::move(proto_root)) {
    for (const xmlNode* c = element->children; c != nullptr; c = c->next) {
      if (c->type == XML_ELEMENT_NODE) values_.emplace(NameOf(c), TextOf(c));  // first wins
    }
  }

  const std::string& path() const { return path_; }
  std::string PathOf(const std::string& name) const { return JoinPath(path_, name); }
  std::vector<DocumentError>& errors() { return errors_; }

  // The element's text, "" when absent or empty.
  std::string Get(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? "" : it->second;
  }
  // The first non-empty of `names`; "" when all are empty. Maps `field` to the one used (or the
  // first name when none is).
  std::string GetFirst(std::initializer_list<const char*> names, const std::string& field) {
    for (const char* name : names) {
      std::string v = Get(name);
      if (!v.empty()) {
        Map(field, name);
        return v;
      }
    }
    Map(field, *names.begin());
    return "";
  }

  // Records that proto field `field` (relative to the record: "mother.full_name") came from
  // element `name`.
  void Map(const std::string& field, const std::string& name) {
    fields_[field.empty() ? proto_root_ : absl::StrCat(proto_root_, ".", field)] = PathOf(name);
  }

  void Error(const std::string& name, const std::string& code, const std::string& key,
             const std::map<std::string, std::string>& params = {}) {
    errors_.push_back(MakeError(PathOf(name), code, key, params));
  }

  // Text of `name` mapped to `field`; a "required" error when `required` and it is empty.
  std::string Text(const std::string& name, const std::string& field, bool required) {
    Map(field, name);
    std::string v = Get(name);
    if (v.empty() && required) Error(name, "required", "required");
    return v;
  }

  // A date (length 8), date-time (12 or 14); `year_only_ok` also takes yyyy → 1 January.
  std::optional<absl::CivilSecond> Date(const std::string& name, const std::string& field,
                                        size_t length, bool required, bool year_only_ok = false) {
    Map(field, name);
    const std::string v = Get(name);
    if (v.empty()) {
      if (required) Error(name, "required", "required");
      return std::nullopt;
    }
    auto cs = ParseCompact(v, length);
    if (!cs && year_only_ok) cs = ParseCompact(v, 4);
    if (cs) return cs;
    if (year_only_ok) {
      Error(name, "date_format", "date_format_or_year");
    } else {
      const char* form = length == 8    ? "yyyyMMdd"
                         : length == 12 ? "yyyyMMddHHmm"
                                        : "yyyyMMddHHmmss";
      Error(name, "date_format", "date_format",
            {{"form", form}, {"digits", absl::StrCat(length)}});
    }
    return std::nullopt;
  }

  common::Sex Sex(const std::string& name, const std::string& field, bool required) {
    Map(field, name);
    const std::string v = Get(name);
    if (v == "1") return common::SEX_MALE;
    if (v == "2") return common::SEX_FEMALE;
    if (v == "3") return common::SEX_UNDETERMINED;
    if (!v.empty()) {
      Error(name, "sex_code", "sex_code");
    } else if (required) {
      Error(name, "required", "required");
    }
    return common::SEX_UNSPECIFIED;
  }

  // 12 ASCII digits ("" when absent, or after an error).
  std::string PersonalId(const std::string& name, const std::string& person, bool required) {
    const std::string v = Text(name, person + ".personal_id", required);
    if (v.empty()) return "";
    if (v.size() != 12 || !AllDigits(v)) {
      Error(name, "personal_id_digits", "personal_id_digits");
      return "";
    }
    return v;
  }

  std::string Commune(const std::string& name, const std::string& field, bool required) {
    const std::string v = Text(name, field, required);
    if (!v.empty() && !validation::IsCommuneCode(v)) {
      Error(name, "commune_code", "commune_code");
      return "";
    }
    return v;
  }

  std::string Province(const std::string& name, const std::string& field) {
    const std::string v = Text(name, field, false);
    if (!v.empty() && (v.size() != 2 || !AllDigits(v))) {
      Error(name, "province_code", "province_code");
      return "";
    }
    return v;
  }

  // A whole number 0..999999; nullopt (with an error) otherwise.
  std::optional<int> Integer(const std::string& name, const std::string& field, bool required) {
    const std::string v = Text(name, field, required);
    if (v.empty()) return std::nullopt;
    if (!AllDigits(v) || v.size() > 6) {
      Error(name, "number", "number");
      return std::nullopt;
    }
    return Number(v);
  }

  // The element path a validator's field path came from: the longest mapped prefix, else the
  // record element itself.
  std::string ElementFor(const std::string& field) const {
    std::string best;
    size_t best_len = 0;
    for (const auto& [prefix, element] : fields_) {
      const bool match = field == prefix || (absl::StartsWith(field, prefix) &&
                                             (field[prefix.size()] == '.' ||
                                              field[prefix.size()] == '['));
      if (match && prefix.size() >= best_len) {
        best = element;
        best_len = prefix.size();
      }
    }
    return best_len > 0 ? best : path_;
  }

 private:
  std::string path_;
  std::string proto_root_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> fields_;  // proto path → element path
  std::vector<DocumentError> errors_;
};

// What every mapper needs besides the element.
struct MapContext {
  const ReadOptions* options;
  absl::Time now;
  validation::Context validation;
};

// facility_code: MACSKCB as written, else the sender's; a MACSKCB that differs from the sender's
// is an error on it.
std::string Facility(RecordReader& r, const std::string& element, const std::string& written,
                     const MapContext& ctx, const std::string& field) {
  r.Map(field, element);
  const std::string& sender = ctx.options->facility_code;
  if (written.empty()) {
    if (sender.empty()) r.Error(element, "required", "required");
    return sender;
  }
  if (!sender.empty() && written != sender) {
    r.Error(element, "facility_mismatch", "facility_mismatch",
            {{"code", written}, {"sender", sender}});
  }
  return written;
}

// A date-only issue stamp (NGAY_CT, NGAY_CAPGIAYBT) as an instant: the end of that local day,
// but not later than now (a document issued today) unless the event itself is later.
absl::Time IssueInstant(const absl::CivilSecond& day, std::optional<absl::Time> event,
                        absl::Time now) {
  const absl::Time end_of_day =
      VietnamInstant(absl::CivilSecond(absl::CivilDay(day) + 1)) - absl::Seconds(1);
  absl::Time ceiling = now;
  if (event && *event > ceiling) ceiling = *event;
  return std::min(end_of_day, ceiling);
}

// The ingest request's message id: the same document sent again is the same message.
std::string MessageId(const IngestRequest& request, const google::protobuf::Message& record) {
  const std::string hash = records::ContentHash(record);
  const char* action = request.action() == v1::ACTION_AMEND ? "amend" : "submit";
  return absl::StrCat("doc:", action, ":", absl::BytesToHexString(hash.substr(0, 16)));
}

// --- death notice (GIAYBAOTU) ---------------------------------------------------------------

void MapDeathNotice(RecordReader& r, const MapContext& ctx, IngestRequest* request) {
  v1::DeathNotice* d = request->mutable_death_notice();
  d->mutable_key()->set_facility_code(
      Facility(r, "MACSKCB", r.Get("MACSKCB"), ctx, "key.facility_code"));
  d->mutable_key()->set_notice_no(r.Text("MA_GBT", "key.notice_no", true));

  common::Person* p = d->mutable_deceased();
  p->set_full_name(r.Text("HO_TEN", "deceased.full_name", false));
  p->set_sex(r.Sex("GIOI_TINH", "deceased.sex", true));
  if (auto dob = r.Date("NGAY_SINH", "deceased.date_of_birth", 8, true, true)) {
    SetLocalDate(*dob, p->mutable_date_of_birth());
  }
  if (std::string id = r.PersonalId("SO_GIAYTO", "deceased", false); !id.empty()) {
    p->mutable_personal_id()->set_number(id);
  }
  p->set_ethnicity(r.Text("MA_DANTOC", "deceased.ethnicity", false));
  // Usual residence: the permanent one (thường trú), else the current one (hiện tại).
  const bool permanent = !r.Get("MAXA_THUONGTRU").empty();
  const std::string suffix = permanent ? "THUONGTRU" : "HIENTAI";
  if (!r.Get("MAXA_THUONGTRU").empty() || !r.Get("MAXA_HIENTAI").empty()) {
    const std::string commune =
        r.Commune("MAXA_" + suffix, "deceased.residence.commune_code", false);
    const std::string province = r.Province("MATINH_" + suffix, "deceased.residence.province_code");
    if (!commune.empty()) {
      p->mutable_residence()->set_commune_code(commune);
      p->mutable_residence()->set_province_code(province);
    }
    r.Map("deceased.residence", "MAXA_" + suffix);
  }
  // With a permanent residence, the current one is still checked: MAXA_HIENTAI is the place of
  // death's commune (below); MATINH_HIENTAI is not mapped but must be well-formed.
  if (permanent) {
    if (!r.Get("MAXA_HIENTAI").empty()) r.Commune("MAXA_HIENTAI", "place_of_death", false);
    r.Province("MATINH_HIENTAI", "place_of_death");
  }

  std::optional<absl::Time> died;
  if (auto t = r.Date("NGAY_TV", "died_at", 12, true)) {
    died = VietnamInstant(*t);
    SetTimestamp(*died, d->mutable_died_at()->mutable_instant());
    d->mutable_died_at()->set_utc_offset_minutes(kVietnamOffsetMinutes);
  }

  // Place of death: in the facility; its commune is the deceased's current residence (the
  // document has no commune for the facility), else the permanent one.
  v1::PlaceOfDeath* place = d->mutable_place_of_death();
  place->set_in_facility(true);
  place->mutable_facility()->set_facility_code(d->key().facility_code());
  r.Map("place_of_death.facility", "MACSKCB");
  const std::string place_element =
      !r.Get("MAXA_HIENTAI").empty() ? "MAXA_HIENTAI" : "MAXA_THUONGTRU";
  const std::string place_commune = r.Get(place_element);
  r.Map("place_of_death", place_element);
  r.Map("place_of_death.commune_code", place_element);
  if (validation::IsCommuneCode(place_commune)) place->set_commune_code(place_commune);

  // Cause: one UNDERLYING line. BENH_ICD10_ID may list several codes separated by ';': the
  // first is the underlying cause, every one must be well-formed.
  v1::CauseLine* line = d->mutable_cause_of_death()->add_chain();
  line->set_role(v1::CAUSE_ROLE_UNDERLYING);
  r.Map("cause_of_death", "NGUYENNHAN_TV");
  line->set_description(r.GetFirst({"NGUYENNHAN_TV", "BENH_ICD10_TEN"},
                                    "cause_of_death.chain[0].description"));
  if (line->description().empty()) r.Error("NGUYENNHAN_TV", "required", "required");
  r.Map("cause_of_death.chain[0].icd10_code", "BENH_ICD10_ID");
  const std::string codes = r.Get("BENH_ICD10_ID");
  if (!codes.empty()) {
    std::vector<std::string> parts = absl::StrSplit(codes, ';', absl::SkipWhitespace());
    bool ok = !parts.empty();
    for (std::string& code : parts) {
      code = std::string(absl::StripAsciiWhitespace(code));
      ok = ok && validation::IsIcd10Code(code);
    }
    if (ok) {
      line->set_icd10_code(parts.front());
    } else {
      r.Error("BENH_ICD10_ID", "icd10_syntax", "icd10_syntax");
    }
  }

  d->mutable_certifier()->set_full_name(
      r.GetFirst({"NGUOI_GHIGIAY", "TTRUONG_DVI"}, "certifier"));
  if (d->certifier().full_name().empty()) r.Error("NGUOI_GHIGIAY", "required", "required");

  if (auto day = r.Date("NGAY_CAPGIAYBT", "issued_at", 8, true)) {
    SetTimestamp(IssueInstant(*day, died, ctx.now), d->mutable_issued_at());
  }

  // Re-issued (a notice replacing an earlier one names it): an AMEND.
  const std::string old_no = r.Get("SO_BAOTU_BD");
  const std::string old_book = r.Get("QUYEN_SO_BD");
  if (!old_no.empty() || !old_book.empty()) {
    request->set_action(v1::ACTION_AMEND);
    request->set_reason(absl::StrCat("re-issued death notice (replaces SO_BAOTU_BD=", old_no,
                                     ", QUYEN_SO_BD=", old_book, ")"));
  } else {
    request->set_action(v1::ACTION_SUBMIT);
  }
}

// --- birth certificate (GIAYCHUNGSINH, DU_LIEU_GIAY_CHUNG_SINH) -----------------------------

struct BirthLayout {
  bool standalone;          // GIAYCHUNGSINH (else table 9)
  const char* child_name;   // TEN_CON / HO_TEN_CON
  const char* mother_name;  // HOTEN_NND / HO_TEN_NND
};
constexpr BirthLayout kStandaloneBirth{true, "TEN_CON", "HOTEN_NND"};
constexpr BirthLayout kTable9Birth{false, "HO_TEN_CON", "HO_TEN_NND"};

// `facility_written`: MACSKCB as found for this record ("" when none). `birth_order`: the
// child's position among the document's children of the same delivery (1 when alone).
void MapBirthCertificate(RecordReader& r, const BirthLayout& layout,
                         const std::string& facility_element, const std::string& facility_written,
                         int birth_order, const MapContext& ctx, IngestRequest* request) {
  v1::BirthCertificate* b = request->mutable_birth_certificate();
  const std::string facility =
      Facility(r, facility_element, facility_written, ctx, "key.facility_code");
  b->mutable_key()->set_facility_code(facility);
  if (layout.standalone) {
    b->mutable_key()->set_certificate_no(r.Text("MA_GCS", "key.certificate_no", true));
  } else {
    // Table 9 has no MA_GCS: the book and number printed on the certificate.
    const std::string book = r.Get("QUYEN_SO");
    const std::string no = r.Text("SO", "key.certificate_no", true);
    if (!no.empty()) {
      b->mutable_key()->set_certificate_no(book.empty() ? no : absl::StrCat(book, "/", no));
    }
  }

  v1::Child* child = b->mutable_child();
  child->set_full_name(r.Text(layout.child_name, "child.full_name", false));
  child->set_sex(r.Sex("GIOI_TINH_CON", "child.sex", true));
  std::optional<absl::Time> born;
  if (auto t = r.Date("NGAY_SINH_CON", "child.born_at", 14, true)) {
    born = VietnamInstant(*t);
    SetTimestamp(*born, child->mutable_born_at()->mutable_instant());
    child->mutable_born_at()->set_utc_offset_minutes(kVietnamOffsetMinutes);
  }
  if (auto grams = r.Integer("CAN_NANG_CON", "child.weight_grams", true)) {
    child->set_weight_grams(*grams);
  }
  if (auto plurality = r.Integer("SO_CON", "child.plurality", true)) {
    child->set_plurality(*plurality);
  }
  child->set_birth_order(birth_order);
  r.Map("child.birth_order", "SO_CON");
  r.Map("child", "NGAY_SINH_CON");

  common::Person* mother = b->mutable_mother();
  mother->set_sex(common::SEX_FEMALE);
  r.Map("mother", layout.mother_name);
  mother->set_full_name(r.Text(layout.mother_name, "mother.full_name", true));
  if (auto dob = r.Date("NGAYSINH_NND", "mother.date_of_birth", 8, true)) {
    SetLocalDate(*dob, mother->mutable_date_of_birth());
  }
  if (std::string id = r.PersonalId("SO_CCCD_NND", "mother", true); !id.empty()) {
    mother->mutable_personal_id()->set_number(id);
  }
  mother->set_ethnicity(r.Text("MA_DANTOC_NND", "mother.ethnicity", false));
  r.Map("mother.residence", "MAXA_CU_TRU");
  const std::string commune = r.Commune("MAXA_CU_TRU", "mother.residence.commune_code", true);
  const std::string province = r.Province("MATINH_CU_TRU", "mother.residence.province_code");
  if (!commune.empty()) {
    mother->mutable_residence()->set_commune_code(commune);
    mother->mutable_residence()->set_province_code(province);
  }

  if (std::string father = r.Text("HO_TEN_CHA", "father", false); !father.empty()) {
    b->mutable_father()->set_full_name(father);
    b->mutable_father()->set_sex(common::SEX_MALE);
  }
  if (std::string attendant = r.Text("NGUOI_DO_DE", "attendant", false); !attendant.empty()) {
    b->mutable_attendant()->set_full_name(attendant);
  }
  b->mutable_issuing_officer()->set_full_name(
      r.GetFirst({"NGUOI_GHI_PHIEU", "THU_TRUONG_DVI"}, "issuing_officer"));
  if (b->issuing_officer().full_name().empty()) r.Error("NGUOI_GHI_PHIEU", "required", "required");

  // Place of birth: in the issuing facility; the document has no commune for it, so the
  // mother's residence commune stands in.
  v1::PlaceOfBirth* place = b->mutable_place_of_birth();
  place->set_in_facility(true);
  place->mutable_facility()->set_facility_code(facility);
  place->set_commune_code(commune);
  r.Map("place_of_birth", "MAXA_CU_TRU");
  r.Map("place_of_birth.facility", facility_element);

  if (auto day = r.Date("NGAY_CT", "issued_at", 8, true)) {
    SetTimestamp(IssueInstant(*day, born, ctx.now), b->mutable_issued_at());
  }

  request->set_action(v1::ACTION_SUBMIT);
  if (layout.standalone) {
    // CAP_LAN_DAU: 1 (or absent) = first issue, 0 = re-issue (same MA_GCS): an AMEND.
    const std::string first = r.Get("CAP_LAN_DAU");
    if (first == "0") {
      request->set_action(v1::ACTION_AMEND);
      request->set_reason("re-issued birth certificate (CAP_LAN_DAU=0)");
    } else if (!first.empty() && first != "1") {
      r.Error("CAP_LAN_DAU", "issue_code", "issue_code");
    }
  }
}

// --- the whole document ---------------------------------------------------------------------

// Validates the mapped request like a native submission, translates violations to element
// paths, and appends the record (or the errors) to `result`.
void Finish(RecordReader& r, const MapContext& ctx, IngestRequest request,
            DocumentResult* result, std::vector<DocumentError>* errors) {
  const google::protobuf::Message& record =
      request.has_death_notice() ? static_cast<const google::protobuf::Message&>(
                                       request.death_notice())
                                 : request.birth_certificate();
  request.set_message_id(MessageId(request, record));
  std::vector<DocumentError> found = std::move(r.errors());
  const size_t own = found.size();
  for (const FieldViolation& v : validation::ValidateIngestRequest(request, ctx.validation)) {
    const std::string element = r.ElementFor(v.field);
    auto same = std::find_if(found.begin(), found.end(),
                             [&](const DocumentError& e) { return e.path == element; });
    if (same != found.end()) {
      // The element already has an error: its own format error explains it; a second rule
      // on it is added to the first one's message.
      if (static_cast<size_t>(same - found.begin()) >= own) {
        absl::StrAppend(&same->message_en, "; ", v.description);
        absl::StrAppend(&same->message_vi, "; ", v.description);
      }
      continue;
    }
    DocumentError e = MakeError(element, "rule", "rule",
                                {{"field", v.field}, {"detail", v.description}});
    e.message_en = absl::StrCat(v.field, ": ", v.description);
    found.push_back(std::move(e));
  }
  if (found.empty()) {
    result->records.push_back(DocumentRecord{r.path(), std::move(request)});
  } else {
    errors->insert(errors->end(), found.begin(), found.end());
  }
}

void ReadDeathDocument(const xmlNode* root, const MapContext& ctx, DocumentResult* result,
                       std::vector<DocumentError>* errors) {
  const std::vector<xmlNode*> notices = ChildElements(root, "GIAYBAOTU");
  if (notices.empty()) {
    errors->push_back(MakeError("HSDLGBT/GIAYBAOTU", "required", "required"));
    return;
  }
  for (size_t i = 0; i < notices.size(); ++i) {
    RecordReader r(notices[i], Indexed("GIAYBAOTU", i, notices.size()), "death_notice");
    if (i == 0) result->facility_code = r.Get("MACSKCB");
    IngestRequest request;
    MapDeathNotice(r, ctx, &request);
    Finish(r, ctx, std::move(request), result, errors);
  }
}

void ReadBirthDocument(const xmlNode* root, const MapContext& ctx, DocumentResult* result,
                       std::vector<DocumentError>* errors) {
  const std::vector<xmlNode*> certificates = ChildElements(root, "GIAYCHUNGSINH");
  if (certificates.empty()) {
    errors->push_back(MakeError("HSDLGCS/GIAYCHUNGSINH", "required", "required"));
    return;
  }
  // MACSKCB: in GIAYCHUNGSINH when the vendor writes it there, else beside it under HSDLGCS.
  const xmlNode* outer = FirstChild(root, "MACSKCB");
  const std::string outer_facility = outer != nullptr ? TextOf(outer) : "";
  for (size_t i = 0; i < certificates.size(); ++i) {
    RecordReader r(certificates[i], Indexed("GIAYCHUNGSINH", i, certificates.size()),
                   "birth_certificate");
    std::string facility = r.Get("MACSKCB");
    if (facility.empty()) facility = outer_facility;
    if (i == 0) result->facility_code = facility;
    IngestRequest request;
    MapBirthCertificate(r, kStandaloneBirth, "MACSKCB", facility, 1, ctx, &request);
    Finish(r, ctx, std::move(request), result, errors);
  }
}

// The children of one table 9: birth order is the position among the children of the same
// delivery (same MA_LK, mother and SO_CON), in document order.
void ReadTable9(const xmlNode* table, const std::string& path, const std::string& facility,
                const MapContext& ctx, DocumentResult* result, std::vector<DocumentError>* errors) {
  const std::string list_path = JoinPath(path, "DSACH_GIAYCHUNGSINH");
  const xmlNode* list = FirstChild(table, "DSACH_GIAYCHUNGSINH");
  const std::vector<xmlNode*> children =
      list != nullptr ? ChildElements(list, "DU_LIEU_GIAY_CHUNG_SINH") : std::vector<xmlNode*>{};
  if (children.empty()) {
    errors->push_back(
        MakeError(JoinPath(list_path, "DU_LIEU_GIAY_CHUNG_SINH"), "required", "required"));
    return;
  }
  const int limit = ctx.options->limits.max_records;
  if (static_cast<int64_t>(children.size()) + static_cast<int64_t>(result->records.size()) >
      limit) {
    errors->push_back(MakeError(list_path, "too_many_records", "too_many_records",
                                {{"count", absl::StrCat(children.size())},
                                 {"limit", absl::StrCat(limit)}}));
    return;
  }
  std::map<std::string, int> deliveries;
  for (size_t i = 0; i < children.size(); ++i) {
    RecordReader r(children[i],
                   JoinPath(list_path, Indexed("DU_LIEU_GIAY_CHUNG_SINH", i, children.size())),
                   "birth_certificate");
    const std::string delivery =
        absl::StrCat(r.Get("MA_LK"), "|", r.Get("SO_CCCD_NND"), "|", r.Get("HO_TEN_NND"), "|",
                     r.Get("NGAYSINH_NND"), "|", r.Get("SO_CON"));
    const int order = ++deliveries[delivery];
    IngestRequest request;
    // MACSKCB lives in the envelope, not in the table: FixTable9FacilityPaths names it there.
    MapBirthCertificate(r, kTable9Birth, "MACSKCB", facility, order, ctx, &request);
    Finish(r, ctx, std::move(request), result, errors);
  }
}

void ReadClaimsEnvelope(const xmlNode* root, const MapContext& ctx, DocumentResult* result,
                        std::vector<DocumentError>* errors) {
  const xmlNode* unit = FirstChild(root, "THONGTINDONVI");
  const xmlNode* code = unit != nullptr ? FirstChild(unit, "MACSKCB") : nullptr;
  const std::string facility = code != nullptr ? TextOf(code) : "";
  result->facility_code = facility;
  const std::string facility_path = "GIAMDINHHS/THONGTINDONVI/MACSKCB";
  if (facility.empty() && ctx.options->facility_code.empty()) {
    errors->push_back(MakeError(facility_path, "required", "required"));
  } else if (!facility.empty() && !ctx.options->facility_code.empty() &&
             facility != ctx.options->facility_code) {
    errors->push_back(MakeError(facility_path, "facility_mismatch", "facility_mismatch",
                                {{"code", facility}, {"sender", ctx.options->facility_code}}));
  }
  const std::string used = facility.empty() ? ctx.options->facility_code : facility;

  // DANHSACHHOSO sits in THONGTINHOSO (decision 130); some senders put it under the root.
  std::string list_path = "GIAMDINHHS/THONGTINHOSO/DANHSACHHOSO";
  const xmlNode* info = FirstChild(root, "THONGTINHOSO");
  const xmlNode* list = info != nullptr ? FirstChild(info, "DANHSACHHOSO") : nullptr;
  if (list == nullptr) {
    list = FirstChild(root, "DANHSACHHOSO");
    if (list != nullptr) list_path = "GIAMDINHHS/DANHSACHHOSO";
  }
  const std::vector<xmlNode*> files =
      list != nullptr ? ChildElements(list, "HOSO") : std::vector<xmlNode*>{};
  bool found = false;
  for (size_t h = 0; h < files.size(); ++h) {
    const std::string hoso = JoinPath(list_path, Indexed("HOSO", h, files.size()));
    for (const xmlNode* file : ChildElements(files[h], "FILEHOSO")) {
      const xmlNode* kind = FirstChild(file, "LOAIHOSO");
      if (kind == nullptr || TextOf(kind) != "XML9") continue;
      found = true;
      const std::string content_path = JoinPath(hoso, "FILEHOSO[XML9]/NOIDUNGFILE");
      const xmlNode* content = FirstChild(file, "NOIDUNGFILE");
      std::string encoded = content != nullptr ? TextOf(content) : "";
      // Senders wrap base64 in lines.
      encoded.erase(std::remove_if(encoded.begin(), encoded.end(),
                                   [](char c) {
                                     return absl::ascii_isspace(static_cast<unsigned char>(c));
                                   }),
                    encoded.end());
      if (encoded.empty()) {
        errors->push_back(MakeError(content_path, "required", "required"));
        continue;
      }
      // Decoded, the table is at most 3/4 of the text: refuse before decoding when too big.
      if (encoded.size() / 4 * 3 > ctx.options->limits.max_bytes + 3) {
        errors->push_back(MakeError(content_path, "too_large", "too_large",
                                    {{"size", absl::StrCat(encoded.size() / 4 * 3)},
                                     {"limit", absl::StrCat(ctx.options->limits.max_bytes)}}));
        continue;
      }
      std::string inner;
      if (!absl::Base64Unescape(encoded, &inner)) {
        errors->push_back(MakeError(content_path, "base64", "base64"));
        continue;
      }
      DocPtr doc = ParseXml(inner, ctx.options->limits, content_path, errors);
      if (doc == nullptr) continue;
      const xmlNode* table = xmlDocGetRootElement(doc.get());
      if (NameOf(table) != "CHI_TIEU_DU_LIEU_GIAY_CHUNG_SINH") {
        errors->push_back(MakeError(JoinPath(content_path, NameOf(table)), "unknown_root",
                                    "table9_root", {{"root", NameOf(table)}}));
        continue;
      }
      ReadTable9(table, JoinPath(content_path, "CHI_TIEU_DU_LIEU_GIAY_CHUNG_SINH"), used, ctx,
                 result, errors);
    }
  }
  if (!found) errors->push_back(MakeError(list_path, "no_table9", "no_table9"));
}

DocumentType TypeOfRoot(const std::string& root) {
  if (root == "HSDLGBT") return DocumentType::kDeathNotice;
  if (root == "HSDLGCS") return DocumentType::kBirthCertificate;
  if (root == "GIAMDINHHS") return DocumentType::kClaimsTable9;
  return DocumentType::kUnknown;
}

// Table 9 errors on MACSKCB name the envelope's element, not one inside the table.
void FixTable9FacilityPaths(std::vector<DocumentError>* errors) {
  for (DocumentError& e : *errors) {
    if (absl::EndsWith(e.path, "DU_LIEU_GIAY_CHUNG_SINH/MACSKCB") ||
        (absl::StrContains(e.path, "DU_LIEU_GIAY_CHUNG_SINH[") &&
         absl::EndsWith(e.path, "]/MACSKCB"))) {
      e.path = "GIAMDINHHS/THONGTINDONVI/MACSKCB";
    }
  }
  // One error per element: the envelope's MACSKCB may now be named once per child.
  std::vector<DocumentError> unique;
  for (DocumentError& e : *errors) {
    const bool seen = std::any_of(unique.begin(), unique.end(), [&](const DocumentError& u) {
      return u.path == e.path && u.code == e.code;
    });
    if (!seen) unique.push_back(std::move(e));
  }
  *errors = std::move(unique);
}

}  // namespace

void InitXmlLibrary() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(RefuseExternalEntity);
  });
  SilenceThisThread();
}

DocumentType ParseDocumentType(std::string_view loai_hs) {
  if (loai_hs == "60") return DocumentType::kDeathNotice;
  if (loai_hs == "61") return DocumentType::kBirthCertificate;
  if (loai_hs == "9" || loai_hs == "XML9") return DocumentType::kClaimsTable9;
  return DocumentType::kUnknown;
}

std::string DocumentTypeName(DocumentType type) {
  switch (type) {
    case DocumentType::kDeathNotice: return "HSDLGBT";
    case DocumentType::kBirthCertificate: return "HSDLGCS";
    case DocumentType::kClaimsTable9: return "GIAMDINHHS";
    case DocumentType::kUnknown: break;
  }
  return "unknown";
}

DocumentResult ReadHospitalDocument(std::string_view xml, const ReadOptions& options) {
  DocumentResult result;
  std::vector<DocumentError> errors;
  DocPtr doc = ParseXml(xml, options.limits, "", &errors);
  if (doc == nullptr) {
    result.errors = std::move(errors);
    return result;
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  const std::string root_name = NameOf(root);
  result.type = TypeOfRoot(root_name);
  if (result.type == DocumentType::kUnknown) {
    result.errors.push_back(
        MakeError(root_name, "unknown_root", "unknown_root", {{"root", root_name}}));
    return result;
  }
  if (options.declared != DocumentType::kUnknown && options.declared != result.type) {
    result.errors.push_back(MakeError(
        root_name, "type_mismatch", "type_mismatch",
        {{"declared", absl::StrCat(static_cast<int>(options.declared), " (",
                                   DocumentTypeName(options.declared), ")")},
         {"root", root_name}}));
    return result;
  }

  MapContext ctx{&options,
                 options.now_unix_seconds != 0 ? absl::FromUnixSeconds(options.now_unix_seconds)
                                               : absl::Now(),
                 {}};
  if (options.reference != nullptr) ctx.validation.reference = options.reference;
  ctx.validation.now = ctx.now;

  switch (result.type) {
    case DocumentType::kDeathNotice: ReadDeathDocument(root, ctx, &result, &errors); break;
    case DocumentType::kBirthCertificate: ReadBirthDocument(root, ctx, &result, &errors); break;
    case DocumentType::kClaimsTable9:
      ReadClaimsEnvelope(root, ctx, &result, &errors);
      FixTable9FacilityPaths(&errors);
      break;
    case DocumentType::kUnknown: break;
  }
  if (!errors.empty()) {
    result.records.clear();  // a document with any problem yields no records
    result.errors = std::move(errors);
  }
  return result;
}

DocumentError MakeError(std::string path, std::string code, const std::string& key,
                        const std::map<std::string, std::string>& params) {
  DocumentError e;
  e.path = std::move(path);
  e.code = std::move(code);
  e.message_vi = i18n::Text(i18n::Language::kVietnamese, "document." + key, params);
  e.message_en = i18n::Text(i18n::Language::kEnglish, "document." + key, params);
  return e;
}

}  // namespace crvs::documents
