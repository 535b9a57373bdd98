// Settings of `crvs feeds` ([feeds] section).
#pragma once

#include <string>

#include "services/platform/config.h"

namespace crvs::feeds {

struct FeedsConfig {
  std::string listen = "127.0.0.1:50055";
  std::string metrics_listen = "127.0.0.1:9470";
  bool plaintext = false;
  int max_threads = 16;
  std::string subscribers_file;
  std::string topic_prefix = "crvs.feed.";
  int replication_factor = 3;
  config::Duration poll_interval{500};
  int small_cell_threshold = 5;

  template <class V>
  void Visit(V& v) {
    v("listen", listen, "host:port of the gRPC feed service agencies pull from (port 0 picks one)");
    v("metrics_listen", metrics_listen,
      "host:port serving /metrics, /healthz and /readyz when the feeds run alone");
    v("plaintext", plaintext,
      "true: plaintext gRPC trusting the crvs-principal metadata as identity, local development "
      "only; false: mutual TLS, the caller's certificate CN agency:<subscriber> says who reads");
    v("max_threads", max_threads,
      "threads serving calls at most; beyond, calls fail with RESOURCE_EXHAUSTED");
    v("subscribers_file", subscribers_file,
      "JSON file naming each subscriber, its events, its fields and how it receives them "
      "(services/feeds/README.md); empty uses the built-in example of "
      "deploy/feeds/subscribers.json");
    v("topic_prefix", topic_prefix,
      "a Kafka subscriber's topic is this prefix and its name (one partition, values sealed "
      "with its own keyring)");
    v("replication_factor", replication_factor,
      "replicas of a subscriber's topic when the feeds create it");
    v("poll_interval", poll_interval,
      "how often a Kafka relay looks for new events when it has caught up");
    v("small_cell_threshold", small_cell_threshold,
      "the statistics office's counts below this (and above 0) are suppressed, with "
      "complementary cells so that none can be recovered from totals");
  }
};

}  // namespace crvs::feeds
