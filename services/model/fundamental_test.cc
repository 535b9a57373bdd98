#include "services/model/fundamental.h"

#include <gtest/gtest.h>

#include <map>
#include <type_traits>

namespace crvs::model {
namespace {

// Positions do not mix with each other nor with their plain values.
static_assert(!std::is_convertible_v<int64_t, Offset>);
static_assert(!std::is_convertible_v<Offset, int64_t>);
static_assert(!std::is_convertible_v<int32_t, Partition>);
static_assert(!std::is_convertible_v<Partition, Offset>);
static_assert(!std::is_convertible_v<Offset, Partition>);
static_assert(!std::is_convertible_v<std::string, Topic>);
static_assert(!std::is_same_v<Topic, ConsumerGroup>);
static_assert(!std::is_convertible_v<Topic, ConsumerGroup>);

TEST(FundamentalTest, ValuesCompareAndOrderByTheirValue) {
  EXPECT_EQ(Offset(41), Offset(41));
  EXPECT_NE(Offset(41), Offset(42));
  EXPECT_LT(Offset(41), Offset(42));
  EXPECT_EQ(Offset().value(), 0);
  EXPECT_EQ(Partition(3).value(), 3);
  EXPECT_EQ(Topic("crvs.death-notices.v1").value(), "crvs.death-notices.v1");
}

TEST(FundamentalTest, TopicPartitionsOrderByTopicThenPartition) {
  const TopicPartition a{Topic("a"), Partition(2)};
  const TopicPartition b{Topic("b"), Partition(0)};
  const TopicPartition a1{Topic("a"), Partition(1)};
  EXPECT_LT(a1, a);
  EXPECT_LT(a, b);
  EXPECT_EQ(a, (TopicPartition{Topic("a"), Partition(2)}));
  EXPECT_NE(a, a1);
  std::map<TopicPartition, Offset> next{{b, Offset(7)}, {a, Offset(5)}};
  EXPECT_EQ(next.begin()->first, a);
}

}  // namespace
}  // namespace crvs::model
