// The inverse of hospital_document.h's reading of the standalone documents: a DeathNotice as an
// electronic death notice (HSDLGBT / GIAYBAOTU, type 60), a BirthCertificate as an electronic
// birth certificate (HSDLGCS / GIAYCHUNGSINH, type 61), the way a hospital system writes them
// (README.md "Mapping", read backwards; elements in the samples' order). For the simulator, tests
// and vendors' conformance runs; sign the result with signature.h's SignDocument.
//
// Round trip: ReadHospitalDocument(Write…(record)) gives back the record (document_writer_test)
// except what the documents cannot carry:
// - both: times are written in Vietnam local time (read back with utc_offset_minutes 420);
//   issued_at becomes its local date (read back as the end of that day, not after "now");
//   place_of_*.in_facility is always true and the facility is MACSKCB = key.facility_code,
//   without its name; officers' titles;
// - death notice: only the underlying cause line (description and ICD-10 code; the other
//   lines' codes follow it in BENH_ICD10_ID but are not read back; no interval);
//   manner_of_death (UNSPECIFIED); died_at to the minute; the place of death's commune travels
//   as the current residence (MAXA_HIENTAI): without a usual residence it becomes the
//   deceased's residence too, and without a place commune the residence's stands in;
// - birth certificate: child.gestational_weeks (0); child.birth_order (1: one child per
//   standalone certificate); place_of_birth.commune_code (the mother's residence commune);
//   the father beyond his name (sex male; no personal ID, date of birth, ethnicity,
//   residence); mother.sex (female); born_at to the second.
//
// Thread-safety: pure functions (libxml2's tree API only, no parser state).
#pragma once

#include <string>

#include "crvs/records/v1/birth_certificate.pb.h"
#include "crvs/records/v1/death_notice.pb.h"

namespace crvs::documents {

struct WriteOptions {
  // Write a re-issued document, which the reader takes as an ACTION_AMEND of the same key:
  // GIAYCHUNGSINH CAP_LAN_DAU = 0; GIAYBAOTU with SO_BAOTU_BD / QUYEN_SO_BD naming the notice
  // it replaces. Otherwise a first issue (CAP_LAN_DAU = 1, no *_BD): ACTION_SUBMIT.
  bool reissue = false;
  // SO_BAOTU_BD / QUYEN_SO_BD of a re-issued death notice: the replaced notice's number and
  // book as printed. When both are empty the notice's own key.notice_no stands in as
  // SO_BAOTU_BD (the reader needs either one non-empty).
  std::string replaced_notice_no;
  std::string replaced_book;
};

// UTF-8 XML documents (with the XML declaration), not signed. Any record can be written; one
// that breaks the reader's rules (a missing mother, a 4-digit commune) reads back as the errors
// those rules give, as a hospital's broken document would.
std::string WriteDeathNoticeDocument(const records::v1::DeathNotice& notice,
                                     const WriteOptions& options = {});
std::string WriteBirthCertificateDocument(const records::v1::BirthCertificate& certificate,
                                          const WriteOptions& options = {});

}  // namespace crvs::documents
