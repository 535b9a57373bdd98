// Test support for the indicator tests: a SQLite civil-status database in a temp dir, filled
// through Store::Apply (the registry sink's write path) with each version's commit time set
// afterwards (Apply stamps the wall clock), manifests inserted with SQL, record builders with
// the few fields the indicators read, and a fixed clock.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "crvs/reconcile/v1/reconciliation.pb.h"
#include "services/reconcile/indicators/areas.h"
#include "services/reconcile/indicators/indicators.h"
#include "services/store/store.h"
#include "services/store/store_test_util.h"

namespace crvs::reconcile::indicators::testing {

namespace rv1 = ::crvs::reconcile::v1;
namespace recv1 = ::crvs::records::v1;

// 2026-03-15 as a LocalDate.
common::v1::LocalDate Day(const std::string& yyyy_mm_dd);
absl::Time Utc(const std::string& rfc3339);

// A birth certificate born (local date) on `born`, issued at 05:00 UTC that day.
recv1::BirthCertificate Birth(const std::string& no, const std::string& born,
                              const std::string& commune = "26734",
                              const std::string& facility = "BV79001", bool in_facility = true);
// A death notice: died (local date) on `died`, issued at 05:00 UTC that day; `icd10` is the
// underlying cause ("" for none).
recv1::DeathNotice Death(const std::string& no, const std::string& died,
                         const std::string& commune = "00004",
                         const std::string& facility = "BV01002", bool in_facility = true,
                         const std::string& icd10 = "I21.9");
// A BIRTH / DEATH registration at `office`, recorded at 05:00 UTC on its registration date.
recv1::Registration BirthRegistration(const std::string& no, const std::string& event,
                                      const std::string& registered,
                                      const std::string& office = "26734");
recv1::Registration DeathRegistration(const std::string& no, const std::string& event,
                                      const std::string& registered,
                                      const std::string& office = "00004");
recv1::Registration Linked(recv1::Registration r, const recv1::BirthCertificate& b);
recv1::Registration Linked(recv1::Registration r, const recv1::DeathNotice& d);

// Numerator, denominator and open_not_mature of one row.
struct Counts {
  int64_t numerator = 0;
  int64_t denominator = 0;
  int64_t open = 0;
  friend bool operator==(const Counts& a, const Counts& b) {
    return a.numerator == b.numerator && a.denominator == b.denominator && a.open == b.open;
  }
  friend std::ostream& operator<<(std::ostream& os, const Counts& c) {
    return os << "{" << c.numerator << "/" << c.denominator << ", open " << c.open << "}";
  }
};

// The row (id, breakdown_key) of a report; nullptr if absent.
const rv1::IndicatorValue* Find(const rv1::IndicatorReport& r, const std::string& id,
                                const std::string& key = "");
// Its counts; {-1,-1,-1} when the row is absent.
Counts CountsOf(const rv1::IndicatorReport& r, const std::string& id, const std::string& key = "");
// "id:key" of every row, in order.
std::vector<std::string> RowKeys(const rv1::IndicatorReport& r);

// The database of one test, its files (if any) under `temp_dir`: SQLite in indicators_test,
// a database on a private PostgreSQL server in indicators_postgres_test (one definition per
// test binary: test_backend_sqlite.cc / test_backend_postgres.cc).
store::DatabaseConfig TestDatabase(const std::string& temp_dir);

// The clock of every test: 2027-06-30 12:00 in Vietnam.
inline constexpr char kNow[] = "2027-06-30T05:00:00Z";

class IndicatorsDb : public ::testing::Test {
 protected:
  IndicatorsDb();
  ~IndicatorsDb() override;

  // Applies the record (SUBMIT / AMEND / VOID) and sets the new version's committed_at:
  // `committed`, or one hour after the envelope's issued_at.
  template <class Record>
  void Submit(const Record& r, std::optional<absl::Time> committed = std::nullopt) {
    Apply(store::testing::Envelope(r, recv1::ACTION_SUBMIT, NextMessageId()), committed);
  }
  template <class Record>
  void Amend(const Record& r, std::optional<absl::Time> committed = std::nullopt) {
    Apply(store::testing::Envelope(r, recv1::ACTION_AMEND, NextMessageId()), committed);
  }
  template <class Record>
  void Void(const Record& r, std::optional<absl::Time> committed = std::nullopt) {
    Apply(store::testing::Envelope(r, recv1::ACTION_VOID, NextMessageId()), committed);
  }

  // One manifest entry: business key and declared issued_at.
  struct Entry {
    std::string key;
    std::string issued_at;  // RFC 3339; "" for none (backlog)
  };
  void Declare(const std::string& source, const std::string& manifest_id,
               const std::string& kind, const std::string& start, const std::string& end,
               bool backlog, const std::vector<Entry>& entries);

  // Writes `text` to a file in the test's temp dir and returns its path.
  std::string WriteFile(const std::string& name, const std::string& text);
  // Areas from a communes CSV text (with no pre-2025 mapping, whose targets a small register
  // would lack) and a sources CSV text ("": none); expected to load.
  Areas LoadAreas(const std::string& communes_csv, const std::string& sources_csv = "");

  absl::StatusOr<rv1::IndicatorReport> Compute(const rv1::IndicatorsRequest& request,
                                               const Areas& areas = Areas(),
                                               absl::Duration sla = absl::Hours(24));
  // ComputeIndicators for `ids` over `period` as of `as_of`, expected to succeed.
  rv1::IndicatorReport Report(const std::string& period, const std::string& as_of,
                              const std::vector<std::string>& ids,
                              rv1::Breakdown breakdown = rv1::BREAKDOWN_NONE,
                              const Areas& areas = Areas(), const std::string& province = "",
                              const std::string& commune = "");

  store::Store& store() { return *store_; }

 private:
  std::string NextMessageId();
  void Apply(const recv1::RecordEnvelope& envelope, std::optional<absl::Time> committed);

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  int64_t offset_ = 0;
};

}  // namespace crvs::reconcile::indicators::testing
