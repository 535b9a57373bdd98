// `crvs bench documents`: hospital documents per second through the gateway's HTTPS form door
// (POST /api/documents, issue 19), the facility's XML signature verified on each one.
//
// Method: a scratch directory gets a development CA (auth::InitCa), a server certificate and a
// client certificate of facility 79001 (auth::Issue), and the facility's RSA signing
// certificate registered as 79001.crt. Before any clock runs, N distinct documents are made
// from the death-notice / birth-certificate templates of docs/documents/samples/ (each its own
// MA_GBT / MA_GCS, name and personal id), signed with documents::SignDocument (timed apart:
// that is the hospital's cost) and form-encoded. Each measured run ("phase") then starts its
// own embedded broker and an in-process Gateway under mutual TLS with
// gateway.document_signature = the phase's policy, and C threads post the documents, each
// over one keep-alive httplib::SSLClient holding the facility's certificate. The same
// documents go to every phase (a fresh broker and gateway each, so none is a duplicate), which
// makes the phases' ratio the cost of the policy.
//
// Correctness is part of the figure: every answer must be MaKetQua 200, and after the phase
// the topics must hold exactly one message per document, keyed by its record's business key
// (read back with an independent consumer). Anything else is counted and reported, never
// taken as speed.
//
// Also measured, single-threaded on the first documents: reading + mapping a document
// (documents::ReadHospitalDocument) and verifying its signature
// (documents::VerifyDocumentSignature), to show where the door's time goes.
//
// Everything runs in this process on the machine's cores: CPU is of gateway, broker and
// clients (TLS on both ends) together.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "services/bench/gateway_bench.h"
#include "services/gateway/gateway_config.h"

namespace crvs::bench {

// The facility of the bench documents: MACSKCB of the samples.
inline constexpr const char* kDocumentBenchFacility = "79001";

struct DocumentBenchInputs {
  kafka::KafkaConfig kafka;  // topics, partitions of the embedded brokers; bootstrap unused
  kafka::ProducerConfig producer;
  gateway::GatewayConfig gateway;  // the door's settings; listen addresses and TLS are set here
  int64_t documents = 2000;
  int connections = 8;
  // gateway.document_signature of each measured phase, in order ("require", "record", "off").
  std::vector<std::string> policies = {"require", "off"};
  std::string type = "60";  // loaiHs: 60 death notices, 61 birth certificates, mix: half each
  int signing_threads = 2;
  int breakdown_documents = 200;  // parse / verify alone on this many (0: skip)
};

// Refusals of the inputs, naming the flag (INVALID_ARGUMENT); OK when runnable.
absl::Status ValidateDocumentBenchInputs(const DocumentBenchInputs& inputs);

struct DocumentPhase {
  std::string signature;  // the policy
  int64_t posted = 0;
  int64_t received = 0;   // MaKetQua 200
  int64_t other = 0;      // any other MaKetQua, HTTP status or transport error
  int64_t on_topic = 0;   // messages on the record topics after the phase
  int64_t keys_missing = 0;  // documents whose business key is not among them
  double seconds = 0;     // first POST → last answer
  double received_per_s = 0;
  Percentiles latency;    // per POST, request sent → JSON answer read
  double cpu_cores = 0;   // process CPU seconds / wall seconds over the posting
  int64_t rss_peak_kb = 0;
  int64_t connections_opened = 0;  // TLS connections the clients opened (handshakes)
  std::string first_error;
  bool ok() const { return other == 0 && received == posted && keys_missing == 0 &&
                           on_topic == posted; }
};

struct DocumentBenchReport {
  int64_t documents = 0;
  int64_t births = 0;               // of which birth certificates
  double mean_document_bytes = 0;   // signed XML, before base64
  double signing_seconds = 0;       // wall, over `signing_threads`
  double signing_ms_per_document = 0;  // mean time of one SignDocument call
  double read_ms_per_document = 0;     // ReadHospitalDocument alone, one thread (0: skipped)
  double verify_ms_per_document = 0;   // VerifyDocumentSignature alone, one thread
  std::vector<DocumentPhase> phases;
  bool ok() const {
    for (const auto& p : phases) {
      if (!p.ok()) return false;
    }
    return !phases.empty();
  }
};

// The i-th bench document of `type` ("60" or "61"): the sample's XML with its own record
// number, name and personal id; unsigned. Valid for documents::ReadHospitalDocument.
std::string BenchDocumentXml(const std::string& type, int64_t i);
// The business key its record gets ("death/79001/79001.GBT.000007.26").
std::string BenchDocumentBusinessKey(const std::string& type, int64_t i);
// The loaiHs of document i under --type ("60", "61", or "mix": births at odd i).
std::string BenchDocumentType(const std::string& type_flag, int64_t i);

// `progress` receives human lines (phases, signing).
absl::StatusOr<DocumentBenchReport> RunDocumentBench(
    const DocumentBenchInputs& inputs, const std::function<void(const std::string&)>& progress);

}  // namespace crvs::bench
