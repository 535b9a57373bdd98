// The documents hospital systems already produce for the social-insurance gateway, read as they
// are (issue 19; ../README.md "Formats"): the standalone electronic death notice (HSDLGBT /
// GIAYBAOTU, document type 60), the standalone electronic birth certificate (HSDLGCS /
// GIAYCHUNGSINH, type 61), and table 9 (DU_LIEU_GIAY_CHUNG_SINH, one or many children) inside
// the GIAMDINHHS claims envelope (base64 NOIDUNGFILE of the FILEHOSO whose LOAIHOSO is XML9).
//
// ReadHospitalDocument parses the bytes with libxml2 under limits (size, depth, no DTD, no
// external entities, no network), maps each document onto the records the gRPC API takes
// (IngestRequest: a BirthCertificate or a DeathNotice, action and message id), and runs the
// same validation as a native submission. Every problem names the XML element path
// ("GIAYBAOTU/NGAY_TV", "GIAMDINHHS/.../DU_LIEU_GIAY_CHUNG_SINH[2]/SO_CCCD_NND"), in Vietnamese
// and English. A document with any problem yields no records: a hospital fixes and re-sends
// the whole document, as with the social-insurance gateway.
//
// Keys and actions: MA_GBT / MA_GCS (with MACSKCB) become the business key (facility_code =
// MACSKCB, notice_no / certificate_no = MA_GBT / MA_GCS). A re-issued document (GIAYCHUNGSINH
// CAP_LAN_DAU = 0, or GIAYBAOTU with SO_BAOTU_BD / QUYEN_SO_BD) is an AMEND, otherwise a
// SUBMIT. The message id is derived from the record's content ("doc:" + action + content
// hash), so the same document sent again is a duplicate of the first and changed content is a
// new message.
//
// The signature (CHUKYDONVI) is not checked here: signature.h does that, on the same bytes.
//
// Thread-safety: pure functions; libxml2 is initialised once (InitXmlLibrary, idempotent).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "crvs/ingest/v1/health_ingest.pb.h"
#include "services/validation/reference_data.h"

namespace crvs::documents {

// Document types, as the social-insurance gateway numbers them (form field loaiHs).
enum class DocumentType {
  kUnknown = 0,
  kDeathNotice = 60,       // HSDLGBT / GIAYBAOTU
  kBirthCertificate = 61,  // HSDLGCS / GIAYCHUNGSINH
  kClaimsTable9 = 9,       // GIAMDINHHS envelope, table 9 (XML9): births only
};

// "60", "61", "9" (also "XML9"); kUnknown otherwise.
DocumentType ParseDocumentType(std::string_view loai_hs);
std::string DocumentTypeName(DocumentType type);  // "HSDLGBT", "HSDLGCS", "GIAMDINHHS"

// One problem, named by element path. `code` is a stable machine name (e.g.
// "date_format", "required", "personal_id_digits", "rule"); the messages are for people.
struct DocumentError {
  std::string path;        // "GIAYBAOTU/NGAY_TV"; "" for the document as a whole
  std::string code;
  std::string message_vi;  // Vietnamese, first
  std::string message_en;
};

// One record found in the document, ready for the ingest path.
struct DocumentRecord {
  std::string path;  // the element it came from: "GIAYBAOTU", ".../DU_LIEU_GIAY_CHUNG_SINH[2]"
  ingest::v1::IngestRequest request;  // message_id, action and the record are set
};

struct DocumentLimits {
  size_t max_bytes = 10 * 1024 * 1024;  // a document larger than this is refused unread
  int max_depth = 32;                   // element nesting
  int max_records = 1000;               // children in one table 9
};

struct ReadOptions {
  DocumentLimits limits;
  // The type the sender declared (loaiHs); kUnknown = take it from the root element. A
  // declared type that disagrees with the root is an error on the root.
  DocumentType declared = DocumentType::kUnknown;
  // Commune and province codes are checked against it when set (else syntax only).
  const validation::ReferenceData* reference = nullptr;
  // "Now" for the not-in-the-future rules; tests fix it. Zero = the clock.
  int64_t now_unix_seconds = 0;
  // The sender's facility (form field maCskcb, or the client certificate's facility). Used as
  // facility_code when the document has no MACSKCB; a MACSKCB that differs is an error on it.
  // Empty = not known (then MACSKCB is required).
  std::string facility_code;
};

struct DocumentResult {
  DocumentType type = DocumentType::kUnknown;
  std::string facility_code;  // MACSKCB as written ("" when absent)
  std::vector<DocumentRecord> records;  // empty when `errors` is not
  std::vector<DocumentError> errors;
  bool ok() const { return errors.empty(); }
};

DocumentResult ReadHospitalDocument(std::string_view xml, const ReadOptions& options = {});

// A problem with its texts from i18n/ (key "document.<key>", both languages, `params`
// substituted): how the reader and the gateway's doors word every error.
DocumentError MakeError(std::string path, std::string code, const std::string& key,
                        const std::map<std::string, std::string>& params = {});

// Sets up libxml2 for untrusted input once per process (no network, no external entities,
// generic error handler silenced). Called by ReadHospitalDocument; safe to call again.
void InitXmlLibrary();

}  // namespace crvs::documents
