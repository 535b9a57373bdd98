// Pausing a consumer's fetching for an operator (crvs.admin.v1 PauseConnector): one helper for
// every connector, so the sink and court-source pause the same way.
#pragma once

#include <librdkafka/rdkafka.h>

namespace crvs::kafka {

// Pauses (or resumes) every partition currently assigned to `consumer`; partitions assigned
// later must be paused by the rebalance callback. False when the assignment could not be read
// (try again on the next loop).
inline bool SetFetchPaused(rd_kafka_t* consumer, bool paused) {
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(consumer, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  if (paused) {
    rd_kafka_pause_partitions(consumer, assigned);
  } else {
    rd_kafka_resume_partitions(consumer, assigned);
  }
  rd_kafka_topic_partition_list_destroy(assigned);
  return true;
}

}  // namespace crvs::kafka
