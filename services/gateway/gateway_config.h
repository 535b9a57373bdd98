// Settings of `crvs gateway` ([gateway] section).
#pragma once

#include <string>

#include "services/platform/config.h"

namespace crvs::gateway {

struct GatewayConfig {
  std::string listen = "127.0.0.1:50051";
  std::string metrics_listen = "127.0.0.1:9464";
  // Mutual TLS with the [tls] identity unless set: plaintext gRPC then trusts the
  // `crvs-principal` metadata as the caller's identity, for local development only
  // (`crvs dev` and the tests set it).
  bool plaintext = false;
  int max_message_bytes = 256 * 1024;
  int stream_max_in_flight = 5000;
  int receipt_cache_entries = 200000;
  // Per-principal token bucket on submitted records (Submit and stream records alike); 0 = off.
  double rate_limit_per_second = 0;
  int rate_limit_burst = 0;  // 0: one second's worth
  std::string receipt_after = "auto";
  config::Duration commit_wait{30000};
  config::Duration outcome_poll{5};
  // Hospital documents (issue 19): services/documents, document_intake.h, document_door.h.
  std::string documents_listen;  // "" = the HTTPS door is closed (SubmitDocument still answers)
  std::string document_signature = "record";
  std::string document_certificates_dir;
  int document_max_bytes = 10 * 1024 * 1024;

  template <class V>
  void Visit(V& v) {
    v("listen", listen, "host:port of the gRPC ingest server (port 0 picks a free port)");
    v("metrics_listen", metrics_listen, "host:port serving /metrics, /healthz and /readyz");
    v("plaintext", plaintext,
      "true: plaintext gRPC trusting the crvs-principal metadata as identity, local development "
      "only; false: mutual TLS with the [tls] certificate, callers identified by theirs");
    v("max_message_bytes", max_message_bytes, "largest accepted request, in bytes");
    v("stream_max_in_flight", stream_max_in_flight,
      "records of one stream awaiting their receipt at most; beyond, reading pauses "
      "(back-pressure)");
    v("receipt_cache_entries", receipt_cache_entries,
      "recent receipts kept for idempotent re-sends and GetReceipt (about 0.9 KB each: the "
      "default holds about 200 s of 1,000 records/s in ~180 MB; older re-sends are produced "
      "again and de-duplicated by the sink)");
    v("rate_limit_per_second", rate_limit_per_second,
      "records per second one principal (facility, court) may submit, unary and stream alike; "
      "beyond, RESOURCE_EXHAUSTED with reason RATE_LIMITED and nothing produced (0 = no limit)");
    v("rate_limit_burst", rate_limit_burst,
      "records one principal may submit at once above its rate (0 = one second's worth)");
    v("receipt_after", receipt_after,
      "when a source gets its success receipt: `kafka` (ACCEPTED once the Kafka cluster holds "
      "the record with acks=all: durable where Kafka is replicated), `database` (COMMITTED once "
      "the record is in the civil-status database, CONFLICT / DEAD_LETTERED if the database "
      "refused it: the gateway reads database.url), or `auto` (database with the embedded "
      "in-memory broker, which a crash empties; kafka with a real cluster)");
    v("commit_wait", commit_wait,
      "receipt_after = database: longest a receipt waits for the database; then the source is "
      "told DEADLINE_EXCEEDED and re-sends with the same message_id (never applied twice)");
    v("outcome_poll", outcome_poll,
      "receipt_after = database: how often waiting receipts look for their records in the "
      "database (one statement for all of them)");
    v("documents_listen", documents_listen,
      "host:port of the door for the signed XML documents hospitals already produce (form POST "
      "/api/documents with maCskcb, loaiHs, fileBase64Str, like the social-insurance gateway): "
      "HTTPS with the [tls] certificate and facility client certificates, or HTTP trusting a "
      "crvs-principal header when plaintext; empty = closed (the SubmitDocument RPC answers "
      "either way)");
    v("document_signature", document_signature,
      "the facility's XML signature (CHUKYDONVI) on a document: `require` (refuse a document "
      "whose signature is missing or does not verify against the facility's certificate), "
      "`record` (accept it and keep the result with each record, shown to operators) or `off` "
      "(do not check)");
    v("document_certificates_dir", document_certificates_dir,
      "directory of the facilities' registered signing certificates, <MACSKCB>.crt (PEM); a "
      "facility without one is checked against its own mutual-TLS client certificate");
    v("document_max_bytes", document_max_bytes,
      "largest hospital document the HTTPS door accepts, in bytes (before base64); larger ones "
      "are refused unread (HTTP 413). SubmitDocument is bounded by max_message_bytes");
  }
};

}  // namespace crvs::gateway
