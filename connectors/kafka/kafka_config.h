// Kafka settings shared by every producer and consumer of crvs-sync: where the cluster is,
// how to secure the connection (passed straight through to librdkafka), and the topic names.
#pragma once

#include <string>
#include <vector>

#include "crvs/records/v1/envelope.pb.h"
#include "services/crypto/payload_cipher.h"

namespace crvs::kafka {

struct KafkaConfig {
  // Empty: `crvs dev` and the benches run the embedded Kafka-protocol broker (librdkafka's mock
  // cluster) in-process; a standalone service refuses to start.
  std::string bootstrap_servers;
  // librdkafka properties passed through unchanged, "name=value" each: security.protocol,
  // ssl.ca.location, ssl.certificate.location, sasl.mechanism, sasl.username, ...
  std::vector<std::string> properties;

  std::string topic_births = "crvs.birth-certificates.v1";
  std::string topic_deaths = "crvs.death-notices.v1";
  std::string topic_divorces = "crvs.divorce-decisions.v1";
  std::string topic_registrations = "crvs.registrations.v1";
  std::string topic_dead_letters = "crvs.dead-letters.v1";
  std::string topic_resync = "crvs.resync-requests.v1";
  std::string topic_court_positions = "crvs.court-positions.v1";
  std::string topic_indicators = "crvs.indicator-snapshots.v1";
  std::string topic_control = "crvs.connector-control.v1";

  // How personal data is sealed on the topics. Bound as the root's `[crypto]` section (see
  // services/cli/root_config.h), carried here because every producer and consumer is built
  // from a KafkaConfig.
  crypto::CryptoConfig crypto;

  // Embedded broker only.
  int embedded_brokers = 1;
  // The mock cluster keeps only about 5 MB per partition (older batches are dropped). 24
  // partitions hold ~120 MB, about 150,000 records of lag between gateway and sink: more than
  // a full-speed burst of the embedded mode builds up. Production clusters set retention.
  int embedded_partitions = 24;

  // The topic that carries records of `kind` (empty for RECORD_KIND_UNSPECIFIED).
  const std::string& TopicFor(records::v1::RecordKind kind) const {
    static const std::string none;
    switch (kind) {
      case records::v1::RECORD_KIND_BIRTH_CERTIFICATE: return topic_births;
      case records::v1::RECORD_KIND_DEATH_NOTICE: return topic_deaths;
      case records::v1::RECORD_KIND_DIVORCE_DECISION: return topic_divorces;
      case records::v1::RECORD_KIND_REGISTRATION: return topic_registrations;
      default: return none;
    }
  }

  // The topics whose values hold personal data, sealed by the Producer: the record topics and
  // the dead-letter topic.
  std::vector<std::string> SealedTopics() const {
    return {topic_births, topic_deaths, topic_divorces, topic_registrations, topic_dead_letters};
  }

  std::vector<std::string> AllTopics() const {
    return {topic_births,  topic_deaths,       topic_divorces,        topic_registrations,
            topic_dead_letters, topic_resync, topic_court_positions, topic_indicators, topic_control};
  }

  template <class V>
  void Visit(V& v) {
    v("bootstrap_servers", bootstrap_servers,
      "host:port list of the Kafka cluster; every standalone service needs it (empty: `crvs "
      "dev` and `crvs bench` run the embedded broker in-process)");
    v("properties", properties,
      "librdkafka properties passed through, name=value each (TLS/SASL: security.protocol, "
      "ssl.*, sasl.*)");
    v("topic_births", topic_births, "topic of birth certificates");
    v("topic_deaths", topic_deaths, "topic of death notices");
    v("topic_divorces", topic_divorces, "topic of divorce decisions");
    v("topic_registrations", topic_registrations, "topic of registrations");
    v("topic_dead_letters", topic_dead_letters, "dead-letter topic (records that cannot apply)");
    v("topic_resync", topic_resync, "re-send requests published by the reconciler");
    v("topic_indicators", topic_indicators,
      "live feed of indicator snapshots (JSON) published by the reconciler for the operations "
      "centre");
    v("topic_control", topic_control,
      "operators' pause/resume commands to connectors and the connectors' state reports");
    v("topic_court_positions", topic_court_positions,
      "each court's StreamDecisions resume point (key = court code, value = sequence)");
    v("embedded_brokers", embedded_brokers, "embedded broker: number of brokers");
    v("embedded_partitions", embedded_partitions,
      "embedded broker: partitions per topic (each keeps about 5 MB of history; 24 hold about "
      "150,000 records of sink lag)");
  }
};

}  // namespace crvs::kafka
