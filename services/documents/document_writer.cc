#include "services/documents/document_writer.h"

#include <libxml/tree.h>
#include <libxml/xmlstring.h>

#include <memory>
#include <utility>
#include <vector>

#include <absl/strings/str_format.h>
#include <absl/strings/str_join.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

namespace crvs::documents {
namespace {

namespace v1 = records::v1;
namespace common = common::v1;

constexpr int kVietnamOffsetSeconds = 7 * 3600;

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

// Elements of one record element, in order: name → text ("" = written empty, as vendors do).
using Fields = std::vector<std::pair<const char*, std::string>>;

// <root><record>…fields…</record></root>, serialised as UTF-8. Text goes through
// xmlNewTextChild, which escapes it: no user text is ever spliced into markup.
std::string Document(const char* root_name, const char* record_name, const Fields& fields) {
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(xmlNewDoc(X("1.0")), xmlFreeDoc);
  xmlNodePtr root = xmlNewNode(nullptr, X(root_name));
  xmlDocSetRootElement(doc.get(), root);
  xmlNodePtr record = xmlNewChild(root, nullptr, X(record_name), nullptr);
  for (const auto& [name, text] : fields) {
    xmlNewTextChild(record, nullptr, X(name), text.empty() ? nullptr : X(text.c_str()));
  }
  xmlChar* out = nullptr;
  int size = 0;
  xmlDocDumpFormatMemoryEnc(doc.get(), &out, &size, "UTF-8", 1);
  std::string xml(reinterpret_cast<const char*>(out), static_cast<size_t>(size));
  xmlFree(out);
  return xml;
}

absl::CivilSecond VietnamLocal(int64_t unix_seconds) {
  return absl::ToCivilSecond(absl::FromUnixSeconds(unix_seconds),
                             absl::FixedTimeZone(kVietnamOffsetSeconds));
}

// yyyyMMdd, yyyyMMddHHmm or yyyyMMddHHmmss (`digits` 8, 12, 14) of an instant, Vietnam time;
// "" for an unset instant.
std::string Compact(const google::protobuf::Timestamp& t, bool has, int digits) {
  if (!has) return "";
  const absl::CivilSecond cs = VietnamLocal(t.seconds());
  std::string s = absl::StrFormat("%04d%02d%02d", cs.year(), cs.month(), cs.day());
  if (digits >= 12) absl::StrAppendFormat(&s, "%02d%02d", cs.hour(), cs.minute());
  if (digits >= 14) absl::StrAppendFormat(&s, "%02d", cs.second());
  return s;
}

// yyyyMMdd; `year_only_ok`: the year alone for a year-level date (month 0).
std::string CompactDate(const common::LocalDate& d, bool has, bool year_only_ok) {
  if (!has || d.year() == 0) return "";
  if (year_only_ok && d.month() == 0) return absl::StrFormat("%04d", d.year());
  return absl::StrFormat("%04d%02d%02d", d.year(), d.month(), d.day());
}

// The claims-XML convention: 1 male, 2 female, 3 undetermined.
std::string SexCode(common::Sex sex) {
  switch (sex) {
    case common::SEX_MALE: return "1";
    case common::SEX_FEMALE: return "2";
    case common::SEX_UNDETERMINED: return "3";
    default: return "";
  }
}

std::string PersonalId(const common::Person& p) {
  return p.has_personal_id() ? p.personal_id().number() : "";
}

// LOAI_GIAYTO(_NND): "1" (a personal ID) when there is a number; the reader does not read it.
std::string IdKind(const std::string& number) { return number.empty() ? "" : "1"; }

}  // namespace

std::string WriteDeathNoticeDocument(const v1::DeathNotice& d, const WriteOptions& options) {
  const common::Person& p = d.deceased();
  const std::string residence_commune = p.residence().commune_code();
  const std::string place_commune = d.place_of_death().commune_code();
  // The current residence (MAXA_HIENTAI) is where the reader takes the place of death's commune
  // from; its province is known only when it is the usual residence's commune.
  const std::string place_province =
      place_commune == residence_commune ? p.residence().province_code() : "";

  // The underlying cause is the document's one line; every code goes to BENH_ICD10_ID, the
  // underlying one first (the reader takes the first).
  const v1::CauseLine* underlying = nullptr;
  for (const v1::CauseLine& line : d.cause_of_death().chain()) {
    if (line.role() == v1::CAUSE_ROLE_UNDERLYING) underlying = &line;
  }
  if (underlying == nullptr && d.cause_of_death().chain_size() > 0) {
    underlying = &d.cause_of_death().chain(d.cause_of_death().chain_size() - 1);
  }
  std::vector<std::string> codes;
  if (underlying != nullptr && !underlying->icd10_code().empty()) {
    codes.push_back(underlying->icd10_code());
  }
  for (const v1::CauseLine& line : d.cause_of_death().chain()) {
    if (&line != underlying && !line.icd10_code().empty()) codes.push_back(line.icd10_code());
  }

  std::string replaced_no, replaced_book;
  if (options.reissue) {
    replaced_no = options.replaced_notice_no;
    replaced_book = options.replaced_book;
    if (replaced_no.empty() && replaced_book.empty()) replaced_no = d.key().notice_no();
  }
  const std::string id = PersonalId(p);
  const Fields fields = {
      {"MA_GBT", d.key().notice_no()},
      {"HO_TEN", p.full_name()},
      {"NGAY_SINH", CompactDate(p.date_of_birth(), p.has_date_of_birth(), true)},
      {"GIOI_TINH", SexCode(p.sex())},
      {"MA_DANTOC", p.ethnicity()},
      {"MATINH_THUONGTRU", residence_commune.empty() ? "" : p.residence().province_code()},
      {"MAXA_THUONGTRU", residence_commune},
      {"MATINH_HIENTAI", place_province},
      {"MAXA_HIENTAI", place_commune},
      {"LOAI_GIAYTO", IdKind(id)},
      {"SO_GIAYTO", id},
      {"NGAY_TV", Compact(d.died_at().instant(), d.died_at().has_instant(), 12)},
      {"NGUYENNHAN_TV", underlying != nullptr ? underlying->description() : ""},
      {"NGUOI_GHIGIAY", d.certifier().full_name()},
      {"NGAY_CAPGIAYBT", Compact(d.issued_at(), d.has_issued_at(), 8)},
      {"SO_BAOTU_BD", replaced_no},
      {"QUYEN_SO_BD", replaced_book},
      {"MACSKCB", d.key().facility_code()},
      {"BENH_ICD10_ID", absl::StrJoin(codes, ";")},
  };
  return Document("HSDLGBT", "GIAYBAOTU", fields);
}

std::string WriteBirthCertificateDocument(const v1::BirthCertificate& b,
                                          const WriteOptions& options) {
  const common::Person& m = b.mother();
  const v1::Child& c = b.child();
  const std::string id = PersonalId(m);
  const Fields fields = {
      {"MA_GCS", b.key().certificate_no()},
      {"MACSKCB", b.key().facility_code()},
      {"HOTEN_NND", m.full_name()},
      {"NGAYSINH_NND", CompactDate(m.date_of_birth(), m.has_date_of_birth(), false)},
      {"MA_DANTOC_NND", m.ethnicity()},
      {"LOAI_GIAYTO_NND", IdKind(id)},
      {"SO_CCCD_NND", id},
      {"MATINH_CU_TRU", m.residence().province_code()},
      {"MAXA_CU_TRU", m.residence().commune_code()},
      {"HO_TEN_CHA", b.has_father() ? b.father().full_name() : ""},
      {"TEN_CON", c.full_name()},
      {"GIOI_TINH_CON", SexCode(c.sex())},
      {"SO_CON", c.plurality() > 0 ? absl::StrFormat("%d", c.plurality()) : ""},
      {"CAN_NANG_CON", c.weight_grams() > 0 ? absl::StrFormat("%d", c.weight_grams()) : ""},
      {"NGAY_SINH_CON", Compact(c.born_at().instant(), c.born_at().has_instant(), 14)},
      {"NGUOI_DO_DE", b.attendant().full_name()},
      {"NGUOI_GHI_PHIEU", b.issuing_officer().full_name()},
      {"NGAY_CT", Compact(b.issued_at(), b.has_issued_at(), 8)},
      {"CAP_LAN_DAU", options.reissue ? "0" : "1"},
  };
  return Document("HSDLGCS", "GIAYCHUNGSINH", fields);
}

}  // namespace crvs::documents
