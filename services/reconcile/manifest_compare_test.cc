// The coverage merge on hand-made inputs: every count of docs/indicators.md "Sync coverage".
#include "services/reconcile/manifest_compare.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crvs::reconcile {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

constexpr int64_t kHour = 3600LL * 1000000;
const std::string kHashA(32, 'a');
const std::string kHashB(32, 'b');

StoredRecord Stored(std::string key, std::string hash, int64_t committed, int32_t day,
                    bool voided = false) {
  StoredRecord s;
  s.business_key = std::move(key);
  s.content_hash = std::move(hash);
  s.first_committed_us = committed;
  s.issued_at_us = 0;
  s.period_day = day;
  s.voided = voided;
  return s;
}

TEST(CompareEntries, CountsEveryCase) {
  // issued at hour 0 (SLA 24 h); manifests cover days 10..20.
  std::vector<DeclaredEntry> declared{
      {"birth/F/1", kHashA, 1, 0},  // present, on time, same hash
      {"birth/F/2", kHashA, 1, 0},  // present, late (committed at 25 h)
      {"birth/F/3", kHashA, 1, 0},  // present, other content → mismatch (on time)
      {"birth/F/4", "", 1, 0},      // present, no hash declared → not compared
      {"birth/F/5", kHashA, 1, 0},  // missing
      {"birth/F/6", kHashA, 1, 0},  // voided in the database → missing + mismatch
      {"birth/F/7", kHashA, 1, 0},  // committed after the as-of cut-off → missing
      {"birth/F/8", kHashA, 0, 1},  // backlog style: no issued_at → on time when present
  };
  std::vector<StoredRecord> stored{
      Stored("birth/F/1", kHashA, 2 * kHour, 12),
      Stored("birth/F/2", kHashA, 25 * kHour + 2, 12),
      Stored("birth/F/3", kHashB, kHour, 12),
      Stored("birth/F/4", kHashB, kHour, 12),
      Stored("birth/F/6", kHashA, kHour, 12, /*voided=*/true),
      Stored("birth/F/7", kHashA, 100 * kHour, 12),
      Stored("birth/F/8", kHashA, 40 * kHour, 12),
      Stored("birth/F/9", kHashA, kHour, 15),                  // extra: undeclared, in days
      Stored("birth/F/10", kHashA, kHour, 25),                 // outside the days: not extra
      Stored("birth/F/11", kHashA, kHour, 15, /*voided=*/true),  // voided: not extra
      Stored("birth/F/12", kHashA, 100 * kHour, 15),           // after cut-off: not extra
  };
  CompareOptions options;
  options.committed_by_us = 50 * kHour;
  options.covered_days = {{10, 20}};
  std::vector<std::pair<std::string, v1::GapKind>> gaps;
  v1::CoverageRow row =
      CompareEntries(declared, stored, options, [&](v1::Gap& g, int32_t manifest) {
        gaps.push_back({g.business_key(), g.kind()});
      });
  // present: 1, 2, 3, 4, 8 (5 of 8); on time: 1, 3, 4, 8; mismatch: 3 and 6.
  EXPECT_EQ(row.declared(), 8);
  EXPECT_EQ(row.present(), 5);
  EXPECT_EQ(row.present_on_time(), 4);
  EXPECT_EQ(row.content_mismatch(), 2);
  EXPECT_EQ(row.missing(), 3);
  EXPECT_EQ(row.extra(), 1);
  EXPECT_DOUBLE_EQ(row.coverage_percent(), 62.5);
  EXPECT_DOUBLE_EQ(row.on_time_percent(), 50.0);
  // Gaps in business-key order.
  EXPECT_THAT(gaps, ElementsAre(Pair("birth/F/2", v1::GAP_KIND_LATE),
                                Pair("birth/F/3", v1::GAP_KIND_CONTENT_MISMATCH),
                                Pair("birth/F/5", v1::GAP_KIND_MISSING),
                                Pair("birth/F/6", v1::GAP_KIND_CONTENT_MISMATCH),
                                Pair("birth/F/7", v1::GAP_KIND_MISSING),
                                Pair("birth/F/9", v1::GAP_KIND_EXTRA)));
}

TEST(CompareEntries, SlaBoundaryIsInclusive) {
  std::vector<DeclaredEntry> declared{{"k/1", "", kHour, 0}, {"k/2", "", kHour, 0}};
  std::vector<StoredRecord> stored{Stored("k/1", kHashA, 25 * kHour, 0),
                                   Stored("k/2", kHashA, 25 * kHour + 1, 0)};
  v1::CoverageRow row = CompareEntries(declared, stored, CompareOptions{});
  EXPECT_EQ(row.present(), 2);
  EXPECT_EQ(row.present_on_time(), 1);  // exactly 24 h is on time, a microsecond more is late
}

TEST(CompareEntries, EmptyManifestIsZeroPercent) {
  std::vector<DeclaredEntry> declared;
  std::vector<StoredRecord> stored{Stored("k/1", kHashA, kHour, 3)};
  CompareOptions options;
  options.covered_days = {{0, 5}};
  v1::CoverageRow row = CompareEntries(declared, stored, options);
  EXPECT_EQ(row.declared(), 0);
  EXPECT_EQ(row.extra(), 1);
  EXPECT_EQ(row.coverage_percent(), 0.0);
}

TEST(DeduplicateDeclared, KeepsTheLastDeclaration) {
  std::vector<DeclaredEntry> declared{
      {"k/1", kHashA, 1, 0}, {"k/2", kHashA, 1, 0}, {"k/1", kHashB, 2, 1}, {"k/1", kHashB, 3, 2}};
  EXPECT_EQ(DeduplicateDeclared(declared), 2);
  ASSERT_EQ(declared.size(), 2u);
  EXPECT_EQ(declared[0].business_key, "k/2");
  EXPECT_EQ(declared[1].business_key, "k/1");
  EXPECT_EQ(declared[1].issued_at_us, 3);
  EXPECT_EQ(declared[1].manifest, 2);
}

TEST(DeduplicateDeclared, KeepsEntriesBeforeTheFirstDuplicateIntact) {
  std::vector<DeclaredEntry> declared{
      {"k/1", kHashA, 1, 0}, {"k/2", kHashA, 1, 0}, {"k/3", kHashA, 1, 0}, {"k/2", kHashB, 2, 0}};
  EXPECT_EQ(DeduplicateDeclared(declared), 1);
  ASSERT_EQ(declared.size(), 3u);
  EXPECT_EQ(declared[0].business_key, "k/1");
  EXPECT_EQ(declared[0].content_hash, kHashA);
  EXPECT_EQ(declared[1].business_key, "k/3");
  EXPECT_EQ(declared[2].business_key, "k/2");
  EXPECT_EQ(declared[2].content_hash, kHashB);
}

TEST(CompareEntries, ManyKeysMatchExactly) {
  // 200,000 keys, every 1000th missing from the database and every 500th extra.
  std::vector<DeclaredEntry> declared;
  std::vector<StoredRecord> stored;
  for (int i = 0; i < 200000; ++i) {
    std::string key = "death/BV01/" + std::to_string(i);
    declared.push_back({key, kHashA, kHour, 0});
    if (i % 1000 != 0) stored.push_back(Stored(key, kHashA, 2 * kHour, 1));
    if (i % 500 == 0) stored.push_back(Stored(key + "x", kHashA, 2 * kHour, 1));
  }
  CompareOptions options;
  options.covered_days = {{0, 1}};
  v1::CoverageRow row = CompareEntries(declared, stored, options);
  EXPECT_EQ(row.declared(), 200000);
  EXPECT_EQ(row.missing(), 200);
  EXPECT_EQ(row.present_on_time(), 199800);
  EXPECT_EQ(row.extra(), 400);
}

}  // namespace
}  // namespace crvs::reconcile
