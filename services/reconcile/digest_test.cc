// The digest protocol: bucket arithmetic, request checks, and a whole comparison finding
// exactly the planted differences with a number of calls that follows the differences.
#include "services/reconcile/digest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace crvs::reconcile {
namespace {

using ::crvs::testing::ViolatedFields;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

v1::ManifestEntry Entry(const std::string& key, char hash) {
  v1::ManifestEntry e;
  e.set_business_key(key);
  e.set_content_hash(std::string(32, hash));
  return e;
}

std::vector<v1::ManifestEntry> Inventory(int n) {
  std::vector<v1::ManifestEntry> out;
  for (int i = 0; i < n; ++i) out.push_back(Entry("birth/BV01/" + std::to_string(i), 'a'));
  return out;
}

TEST(DigestIndex, BucketsPartitionTheInventory) {
  DigestIndex index(Inventory(5000), false);
  uint64_t total = 0;
  DigestIndex::Hash all{};
  for (const auto& b : index.Buckets("", 2)) {
    EXPECT_EQ(b.bucket().size(), 2u);
    total += b.count();
    for (int i = 0; i < 32; ++i) all[i] ^= static_cast<uint8_t>(b.digest()[i]);
    // A bucket's digest equals the combination of its sub-buckets.
    auto [count, digest] = index.Bucket(b.bucket());
    EXPECT_EQ(count, b.count());
    EXPECT_EQ(std::string(digest.begin(), digest.end()), b.digest());
  }
  EXPECT_EQ(total, 5000u);
  EXPECT_EQ(all, index.Bucket("").second);
}

TEST(DigestIndex, OrderDoesNotMatter) {
  auto forward = Inventory(300);
  auto backward = forward;
  std::reverse(backward.begin(), backward.end());
  EXPECT_EQ(DigestIndex(forward, false).Bucket("").second,
            DigestIndex(backward, false).Bucket("").second);
}

TEST(AnswerDigest, RejectsBadDepthAndBuckets) {
  DigestIndex index(Inventory(10), false);
  v1::DigestRequest r;
  r.set_depth(6);
  auto bad_depth = AnswerDigest(index, r);
  EXPECT_THAT(ViolatedFields(bad_depth.status()), ElementsAre("depth"));
  r.set_depth(2);
  auto* b = r.add_buckets();
  b->set_bucket("ABC");
  b->set_digest("short");
  auto bad_bucket = AnswerDigest(index, r);
  EXPECT_THAT(ViolatedFields(bad_bucket.status()),
              ElementsAre("buckets[0].bucket", "buckets[0].digest"));
}

TEST(CompareWithServer, FindsExactlyThePlantedDifferences) {
  auto source = Inventory(20000);
  auto server = source;
  server[17] = Entry(server[17].business_key(), 'b');  // content differs
  server.erase(server.begin() + 999);                  // only at the source
  server.push_back(Entry("birth/BV01/extra", 'a'));    // only at the server
  DigestIndex mine(source, false), theirs(server, false);
  v1::DigestRequest base;
  auto diff = CompareWithServer(mine, base, [&](const v1::DigestRequest& r) {
    return AnswerDigest(theirs, r);
  });
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_THAT(diff->only_here, ElementsAre("birth/BV01/999"));
  EXPECT_THAT(diff->only_there, ElementsAre("birth/BV01/extra"));
  EXPECT_THAT(diff->hash_differs, ElementsAre("birth/BV01/17"));
  // Three differences: the first call plus one expansion per differing bucket.
  EXPECT_LE(diff->calls, 4);

  // Keys only: the content difference disappears.
  DigestIndex mine_keys(source, true), theirs_keys(server, true);
  base.set_keys_only(true);
  auto keys = CompareWithServer(mine_keys, base, [&](const v1::DigestRequest& r) {
    return AnswerDigest(theirs_keys, r);
  });
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(keys->hash_differs, IsEmpty());
  EXPECT_EQ(keys->only_here.size(), 1u);
}

TEST(CompareWithServer, IdenticalInventoriesTakeOneCall) {
  DigestIndex mine(Inventory(50000), false), theirs(Inventory(50000), false);
  auto diff = CompareWithServer(mine, v1::DigestRequest(), [&](const v1::DigestRequest& r) {
    return AnswerDigest(theirs, r);
  });
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ(diff->calls, 1);
  EXPECT_THAT(diff->only_here, IsEmpty());
}

TEST(CompareWithServer, ServerWithManyMoreRecordsRecursesInsteadOfExpanding) {
  // The source has 10 records, the server 30,000: expansion is refused (> 10,000 keys) and the
  // protocol goes deeper until the differing buckets are small.
  DigestIndex mine(Inventory(10), false), theirs(Inventory(30000), false);
  auto diff = CompareWithServer(mine, v1::DigestRequest(), [&](const v1::DigestRequest& r) {
    return AnswerDigest(theirs, r);
  });
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_EQ(diff->only_there.size(), 29990u);
  EXPECT_THAT(diff->only_here, IsEmpty());
}

}  // namespace
}  // namespace crvs::reconcile
