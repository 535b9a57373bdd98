// Test-side independent consumer: reads every message of a topic, all partitions, from the
// beginning to the current end, with plain librdkafka (no crvs code on the read path). Values
// sealed with the development key (what components seal with when crypto.keyring_file is
// empty, as in most tests) are given opened too.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "services/crypto/payload_cipher.h"

namespace crvs::testing {

struct ReadMessage {
  std::string key;
  std::string raw_value;  // the bytes on the broker
  std::string value;      // raw_value, opened if it is sealed with the development key
  std::map<std::string, std::string> headers;
  int32_t partition = -1;
  int64_t offset = -1;
};

inline std::vector<ReadMessage> ReadTopic(const std::string& bootstrap, const std::string& topic,
                                          int timeout_ms = 15000) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "test-reader", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == nullptr) throw std::runtime_error(err);
  rd_kafka_poll_set_consumer(rk);

  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("metadata for " + topic);
  }
  int partitions = md->topic_cnt > 0 ? md->topics[0].partition_cnt : 0;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);

  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);

  std::vector<ReadMessage> out;
  int at_end = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (at_end < partitions && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ++at_end;
    } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ReadMessage r;
      r.key.assign(static_cast<const char*>(m->key), m->key_len);
      r.raw_value.assign(static_cast<const char*>(m->payload), m->len);
      static const crypto::PayloadCipher development(crypto::Keyring::Development());
      auto opened = crypto::IsSealed(r.raw_value) ? development.Open(r.raw_value, r.key)
                                                  : absl::StatusOr<std::string>(r.raw_value);
      r.value = opened.ok() ? *opened : r.raw_value;
      r.partition = m->partition;
      r.offset = m->offset;
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); ++i) {
          r.headers[name] = std::string(static_cast<const char*>(value), size);
        }
      }
      out.push_back(std::move(r));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  if (at_end < partitions) throw std::runtime_error("timed out reading " + topic);
  return out;
}

}  // namespace crvs::testing
