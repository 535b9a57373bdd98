#include "services/bench/document_bench.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <thread>

#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_replace.h>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "connectors/kafka/consumer.h"
#include "connectors/kafka/embedded_broker.h"
#include "services/auth/certs.h"
#include "services/auth/tls_config.h"
#include "services/documents/hospital_document.h"
#include "services/documents/signature.h"
#include "services/documents/signing_identity.h"
#include "services/gateway/gateway.h"
#include "services/platform/elapsed.h"
#include "services/platform/mutex.h"
#include "services/platform/status.h"
#include "services/validation/reference_data.h"

namespace crvs::bench {
namespace {

using Clock = std::chrono::steady_clock;

// docs/documents/samples/death_notice_valid.xml and birth_certificate_valid.xml, with
// placeholders: @NO@ the record number, @NAME@ a person's name, @ID@ the last six digits of a
// personal id. Kept here so that the bench needs no source tree at run time.
constexpr const char* kDeathTemplate = R"(<?xml version="1.0" encoding="UTF-8"?>
<HSDLGBT>
  <GIAYBAOTU>
    <MA_GBT>79001.GBT.@NO@.26</MA_GBT>
    <MA_BN>BN@NO@</MA_BN>
    <MA_HSBA>HSBA2026-@NO@</MA_HSBA>
    <HO_TEN>@NAME@</HO_TEN>
    <NGAY_SINH>19520315</NGAY_SINH>
    <GIOI_TINH>1</GIOI_TINH>
    <MA_THE/>
    <MA_DANTOC>01</MA_DANTOC>
    <MA_QUOCTICH>000</MA_QUOCTICH>
    <DCHI_THUONGTRU>12 Nguyễn Trãi</DCHI_THUONGTRU>
    <MATINH_THUONGTRU>79</MATINH_THUONGTRU>
    <MAHUYEN_THUONGTRU/>
    <MAXA_THUONGTRU>26734</MAXA_THUONGTRU>
    <DCHI_HIENTAI>12 Nguyễn Trãi</DCHI_HIENTAI>
    <MATINH_HIENTAI>79</MATINH_HIENTAI>
    <MAHUYEN_HIENTAI/>
    <MAXA_HIENTAI>26734</MAXA_HIENTAI>
    <LOAI_GIAYTO>1</LOAI_GIAYTO>
    <SO_GIAYTO>001052@ID@</SO_GIAYTO>
    <NGAY_CAP>20210601</NGAY_CAP>
    <NOI_CAP>Cục Cảnh sát QLHC về TTXH</NOI_CAP>
    <NGAYGIO_VV>202611180900</NGAYGIO_VV>
    <NGAY_TV>202611201430</NGAY_TV>
    <TINH_TRANG_TV>Tử vong tại khoa Hồi sức tích cực</TINH_TRANG_TV>
    <NGUYENNHAN_TV>Nhồi máu cơ tim cấp</NGUYENNHAN_TV>
    <NGUOI_GHIGIAY>BS. Lê Thị Hoa</NGUOI_GHIGIAY>
    <NGUOI_THANTHICH>Trần Thị Thu</NGUOI_THANTHICH>
    <TTRUONG_DVI>BS. Phạm Văn Nam</TTRUONG_DVI>
    <SO_BAOTU>125</SO_BAOTU>
    <QUYEN_SO>01/2026</QUYEN_SO>
    <NGAY_CAPGIAYBT>20261120</NGAY_CAPGIAYBT>
    <SO_BAOTU_BD/>
    <QUYEN_SO_BD/>
    <MACSKCB>79001</MACSKCB>
    <DIACHI_CSKCB>Bệnh viện mẫu, TP. Hồ Chí Minh</DIACHI_CSKCB>
    <MA_BHXH/>
    <BENH_ICD10_ID>I21.9</BENH_ICD10_ID>
    <BENH_ICD10_TEN>Nhồi máu cơ tim cấp, không đặc hiệu</BENH_ICD10_TEN>
  </GIAYBAOTU>
  <CHUKYDONVI/>
</HSDLGBT>
)";

constexpr const char* kBirthTemplate = R"(<?xml version="1.0" encoding="UTF-8"?>
<HSDLGCS>
  <GIAYCHUNGSINH>
    <MA_GCS>79001.GCS.@NO@.26</MA_GCS>
    <MA_BN>BN@NO@</MA_BN>
    <MA_CT>CT@NO@</MA_CT>
    <SO_SERI/>
    <MACSKCB>79001</MACSKCB>
    <MA_BHXH_NND/>
    <MA_THE_NND/>
    <HOTEN_NND>@NAME@</HOTEN_NND>
    <NGAYSINH_NND>19940210</NGAYSINH_NND>
    <MA_DANTOC_NND>01</MA_DANTOC_NND>
    <MA_QUOCTICH_NND>000</MA_QUOCTICH_NND>
    <LOAI_GIAYTO_NND>1</LOAI_GIAYTO_NND>
    <SO_CCCD_NND>079194@ID@</SO_CCCD_NND>
    <NGAYCAP_CCCD_NND>20210601</NGAYCAP_CCCD_NND>
    <NOICAP_CCCD_NND>Cục Cảnh sát QLHC về TTXH</NOICAP_CCCD_NND>
    <NOI_CU_TRU_NND>45 Lê Lợi</NOI_CU_TRU_NND>
    <MATINH_CU_TRU>79</MATINH_CU_TRU>
    <MAHUYEN_CU_TRU/>
    <MAXA_CU_TRU>26734</MAXA_CU_TRU>
    <HO_TEN_CHA>Trần Văn Minh</HO_TEN_CHA>
    <MA_THE_TAM/>
    <TEN_CON/>
    <GIOI_TINH_CON>2</GIOI_TINH_CON>
    <SO_CON>1</SO_CON>
    <LAN_SINH>1</LAN_SINH>
    <SO_CON_SONG>1</SO_CON_SONG>
    <CAN_NANG_CON>3200</CAN_NANG_CON>
    <NGAY_SINH_CON>20261115083000</NGAY_SINH_CON>
    <NOI_SINH_CON>Khoa Sản, Bệnh viện mẫu</NOI_SINH_CON>
    <TINH_TRANG_CON>Khỏe mạnh</TINH_TRANG_CON>
    <SINHCON_PHAUTHUAT>0</SINHCON_PHAUTHUAT>
    <SINHCON_DUOI32TUAN>0</SINHCON_DUOI32TUAN>
    <GHI_CHU/>
    <NGUOI_DO_DE>NHS. Võ Thị Mai</NGUOI_DO_DE>
    <NGUOI_GHI_PHIEU>BS. Đỗ Văn Tâm</NGUOI_GHI_PHIEU>
    <MA_TTDV/>
    <THU_TRUONG_DVI>BS. Phạm Văn Nam</THU_TRUONG_DVI>
    <NGAY_CT>20261115</NGAY_CT>
    <SO>123</SO>
    <QUYEN_SO>05/2026</QUYEN_SO>
    <CAP_LAN_DAU>1</CAP_LAN_DAU>
  </GIAYCHUNGSINH>
  <CHUKYDONVI/>
</HSDLGCS>
)";

// Names: family, middle and given names combined (2,304 distinct per sex).
constexpr const char* kFamily[] = {"Nguyễn", "Trần", "Lê",  "Phạm", "Hoàng", "Huỳnh",
                                   "Phan",   "Vũ",   "Võ",  "Đặng", "Bùi",   "Đỗ"};
constexpr const char* kMiddleMale[] = {"Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành", "Công", "Gia"};
constexpr const char* kMiddleFemale[] = {"Thị", "Ngọc", "Thu", "Thanh", "Kim", "Bảo", "Mỹ", "Phương"};
constexpr const char* kGiven[] = {"An",   "Bình", "Châu", "Dũng", "Giang", "Hà",   "Hải", "Hạnh",
                                  "Hiếu", "Hoa",  "Hùng", "Khánh", "Lan",  "Linh", "Long", "Mai",
                                  "Nam",  "Ngân", "Phúc", "Quân", "Sơn",  "Tâm",  "Trang", "Vy"};

template <size_t N>
const char* Pick(const char* const (&list)[N], int64_t i) {
  return list[static_cast<size_t>(i) % N];
}

std::string Name(int64_t i, bool female) {
  return absl::StrCat(Pick(kFamily, i), " ", female ? Pick(kMiddleFemale, i / 12) : Pick(kMiddleMale, i / 12),
                      " ", Pick(kGiven, i / 96));
}

std::string RecordNo(int64_t i) { return absl::StrFormat("%07d", i); }


// A directory under $TMPDIR (or /tmp), removed with the object.
class ScratchDir {
 public:
  static absl::StatusOr<std::unique_ptr<ScratchDir>> Make() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != 0 ? tmp : "/tmp") +
                          "/crvs-bench-documents-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::UnavailableError("bench: cannot make a scratch directory " + pattern);
    }
    return std::unique_ptr<ScratchDir>(new ScratchDir(pattern));
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// One prepared document: the form body posted (url-encoded), and what must land.
struct Prepared {
  std::string type;  // loaiHs
  std::string body;
  std::string business_key;
};

// Records every document's record key read back from the record topics of `bootstrap`, and
// the number of messages there. Waits up to `wait` for `expected` messages.
absl::Status ReadBack(const kafka::KafkaConfig& kafka, const std::string& bootstrap,
                      int64_t expected, std::chrono::seconds wait, std::set<std::string>* keys,
                      int64_t* messages) {
  CRVS_ASSIGN_OR_RETURN(
      auto consumer,
      kafka::KafkaConsumer::Create(kafka, bootstrap,
                                   {{"group.id", "crvs-bench-documents-check"},
                                    {"enable.auto.commit", "false"},
                                    {"auto.offset.reset", "earliest"}}));
  kafka::StartOffsets starts;
  for (const std::string& topic : {kafka.topic_deaths, kafka.topic_births}) {
    for (int p = 0; p < kafka.embedded_partitions; ++p) {
      starts[model::TopicPartition{model::Topic(topic), model::Partition(p)}] = kafka::kLogStart;
    }
  }
  CRVS_RETURN_IF_ERROR(consumer->Assign(starts));
  const auto deadline = Clock::now() + wait;
  auto quiet_until = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < deadline) {
    auto m = consumer->Poll(std::chrono::milliseconds(100));
    if (!m) {
      // Everything expected has arrived and nothing more came for a while: done.
      if (*messages >= expected && Clock::now() > quiet_until) break;
      continue;
    }
    if (!m->ok()) continue;
    ++*messages;
    keys->insert(m->key);
    quiet_until = Clock::now() + std::chrono::seconds(1);
  }
  consumer->Close();
  return absl::OkStatus();
}

struct PhaseSetup {
  std::string ca_file;
  auth::TlsConfig server_tls;
  auth::TlsConfig client_tls;
  std::string certificates_dir;
};

absl::StatusOr<DocumentPhase> RunPhase(const DocumentBenchInputs& in, const PhaseSetup& setup,
                                       const std::string& policy,
                                       const std::vector<Prepared>& prepared,
                                       const std::function<void(const std::string&)>& progress) {
  DocumentPhase phase;
  phase.signature = policy;
  CRVS_ASSIGN_OR_RETURN(auto broker,
                        kafka::EmbeddedBroker::Start({in.kafka.embedded_brokers,
                                                      in.kafka.embedded_partitions,
                                                      in.kafka.AllTopics()}));
  gateway::GatewayConfig gc = in.gateway;
  gc.listen = "127.0.0.1:0";
  gc.metrics_listen = "";
  gc.plaintext = false;
  gc.documents_listen = "127.0.0.1:0";
  gc.document_signature = policy;
  gc.document_certificates_dir = setup.certificates_dir;
  gc.receipt_after = "kafka";  // no database in this bench: the door's answer waits for acks=all
  prometheus::Registry metrics;
  CRVS_ASSIGN_OR_RETURN(auto gw, gateway::Gateway::Start(gc, in.kafka, in.producer,
                                                         broker->bootstrap_servers(), metrics,
                                                         setup.server_tls));
  const int port = gw->documents_port();

  // One keep-alive client per connection, as a hospital's system keeps its connection. Each
  // TCP (and so TLS) connection a client opens is counted: the server may close a kept-alive
  // connection after some requests, and every reopening is a full handshake.
  std::atomic<int64_t> opened{0};
  std::vector<std::unique_ptr<httplib::SSLClient>> clients;
  for (int c = 0; c < in.connections; ++c) {
    auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", port, setup.client_tls.cert_file,
                                                       setup.client_tls.key_file);
    client->set_ca_cert_path(setup.ca_file.c_str());
    client->enable_server_certificate_verification(true);
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);  // as curl does by default: no Nagle delay on the form
    client->set_read_timeout(60);
    client->set_write_timeout(60);
    client->set_socket_options([&opened](socket_t) { opened++; });
    clients.push_back(std::move(client));
  }

  const size_t n = prepared.size();
  std::vector<double> latency_ms(n, -1);
  std::vector<int64_t> answered_us(n, 0);
  std::atomic<size_t> next{0};
  std::atomic<int64_t> received{0}, other{0};
  platform::Mutex error_mu;
  std::string first_error;
  auto error = [&](const std::string& e) {
    other++;
    platform::MutexLock lock(&error_mu);
    if (first_error.empty()) first_error = e;
  };

  const double cpu0 = CpuSeconds();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < in.connections; ++c) {
    threads.emplace_back([&, c] {
      httplib::SSLClient& client = *clients[static_cast<size_t>(c)];
      for (size_t i; (i = next.fetch_add(1)) < n;) {
        const auto sent = Clock::now();
        auto res = client.Post("/api/documents", prepared[i].body,
                               "application/x-www-form-urlencoded");
        const auto back = Clock::now();
        latency_ms[i] = std::chrono::duration<double, std::milli>(back - sent).count();
        answered_us[i] =
            std::chrono::duration_cast<std::chrono::microseconds>(back - start).count();
        if (!res) {
          error("document " + std::to_string(i) + ": " + httplib::to_string(res.error()));
          continue;
        }
        auto answer = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
        if (res->status != 200 || !answer.is_object() || !answer.contains("MaKetQua") ||
            answer["MaKetQua"] != 200) {
          error("document " + std::to_string(i) + ": HTTP " + std::to_string(res->status) + " " +
                res->body.substr(0, 400));
          continue;
        }
        received++;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double wall = platform::SecondsSince(start);
  phase.cpu_cores = (CpuSeconds() - cpu0) / std::max(1e-9, wall);
  phase.rss_peak_kb = PeakResidentKb();
  clients.clear();
  gw->Stop();

  phase.posted = static_cast<int64_t>(n);
  phase.received = received;
  phase.other = other;
  phase.first_error = first_error;
  phase.connections_opened = opened;
  const int64_t last_us = n == 0 ? 0 : *std::max_element(answered_us.begin(), answered_us.end());
  phase.seconds = static_cast<double>(last_us) / 1e6;
  phase.received_per_s = static_cast<double>(phase.received) / std::max(1e-9, phase.seconds);
  std::vector<double> answered;
  answered.reserve(n);
  for (double l : latency_ms) {
    if (l >= 0) answered.push_back(l);
  }
  phase.latency = PercentilesOf(answered);

  // What landed: one message per document, under its record's key. Every document answered
  // 200 was acknowledged by the broker (acks=all), so waiting for that many is enough; the
  // keys of all of them are checked.
  std::set<std::string> keys;
  CRVS_RETURN_IF_ERROR(ReadBack(in.kafka, broker->bootstrap_servers(), phase.received,
                                std::chrono::seconds(60), &keys, &phase.on_topic));
  for (const auto& d : prepared) {
    if (keys.count(d.business_key) == 0) phase.keys_missing++;
  }
  if (phase.keys_missing > 0 && phase.first_error.empty()) {
    phase.first_error = std::to_string(phase.keys_missing) + " documents' records not on the topics";
  }
  progress("signature=" + policy + ": " + std::to_string(phase.received) + "/" +
           std::to_string(phase.posted) + " received in " + absl::StrFormat("%.1f", phase.seconds) +
           " s, " + std::to_string(phase.on_topic) + " messages on the topics");
  return phase;
}

}  // namespace

std::string BenchDocumentType(const std::string& type_flag, int64_t i) {
  if (type_flag == "mix") return i % 2 == 1 ? "61" : "60";
  return type_flag;
}

std::string BenchDocumentXml(const std::string& type, int64_t i) {
  const bool birth = type == "61";
  return absl::StrReplaceAll(birth ? kBirthTemplate : kDeathTemplate,
                             {{"@NO@", RecordNo(i)},
                              {"@NAME@", Name(i, birth)},
                              {"@ID@", absl::StrFormat("%06d", i % 1000000)}});
}

std::string BenchDocumentBusinessKey(const std::string& type, int64_t i) {
  return type == "61" ? "birth/79001/79001.GCS." + RecordNo(i) + ".26"
                      : "death/79001/79001.GBT." + RecordNo(i) + ".26";
}

absl::Status ValidateDocumentBenchInputs(const DocumentBenchInputs& in) {
  if (in.documents < 1 || in.documents > 1000000) {
    return absl::InvalidArgumentError("--documents must be 1..1000000, not " +
                                      std::to_string(in.documents));
  }
  if (in.connections < 1 || in.connections > 256) {
    return absl::InvalidArgumentError("--connections must be 1..256, not " +
                                      std::to_string(in.connections));
  }
  if (in.type != "60" && in.type != "61" && in.type != "mix") {
    return absl::InvalidArgumentError("--type must be 60 (death notices), 61 (birth certificates) "
                                      "or mix, not '" + in.type + "'");
  }
  if (in.policies.empty()) return absl::InvalidArgumentError("--signature: no policy to measure");
  for (const auto& p : in.policies) {
    if (!documents::ParseSignaturePolicy(p).ok()) {
      return absl::InvalidArgumentError("--signature must be require, record or off, not '" + p +
                                        "'");
    }
  }
  if (in.signing_threads < 1) {
    return absl::InvalidArgumentError("--signing-threads must be at least 1");
  }
  if (in.breakdown_documents < 0) {
    return absl::InvalidArgumentError("--breakdown must be 0 or more");
  }
  if (!in.kafka.bootstrap_servers.empty()) {
    return absl::InvalidArgumentError(
        "crvs bench documents runs its own embedded brokers (one per phase, so the same "
        "documents are new to each); unset kafka.bootstrap_servers");
  }
  return absl::OkStatus();
}

absl::StatusOr<DocumentBenchReport> RunDocumentBench(
    const DocumentBenchInputs& in, const std::function<void(const std::string&)>& progress) {
  CRVS_RETURN_IF_ERROR(ValidateDocumentBenchInputs(in));
  CRVS_RETURN_IF_ERROR(documents::InitXmlSecurity());
  DocumentBenchReport report;
  report.documents = in.documents;

  // 1. Certificates: a development CA, the door's server certificate, the facility's client
  // certificate, and its document-signing certificate registered with the gateway.
  CRVS_ASSIGN_OR_RETURN(auto scratch, ScratchDir::Make());
  const std::string ca_dir = scratch->File("ca");
  CRVS_RETURN_IF_ERROR(auth::InitCa(ca_dir).status());
  PhaseSetup setup;
  setup.ca_file = ca_dir + "/ca.crt";
  auth::IssueOptions server;
  server.dir = ca_dir;
  server.principal = "server:crvs";
  server.server = true;
  CRVS_ASSIGN_OR_RETURN(auto server_files, auth::Issue(server));
  setup.server_tls.ca_file = setup.ca_file;
  setup.server_tls.cert_file = server_files.cert_file;
  setup.server_tls.key_file = server_files.key_file;
  auth::IssueOptions client;
  client.dir = ca_dir;
  client.principal = std::string("facility:") + kDocumentBenchFacility;
  CRVS_ASSIGN_OR_RETURN(auto client_files, auth::Issue(client));
  setup.client_tls.ca_file = setup.ca_file;
  setup.client_tls.cert_file = client_files.cert_file;
  setup.client_tls.key_file = client_files.key_file;
  // The facility's signing identity (hospitals sign with rsa-sha256).
  const documents::SigningIdentity signer = documents::MakeSigningIdentity("Benh vien mau 79001");
  if (signer.key_pem.empty() || signer.certificate_pem.empty()) {
    return absl::InternalError("bench: cannot make an RSA signing key");
  }
  setup.certificates_dir = scratch->File("signing");
  std::filesystem::create_directories(setup.certificates_dir);
  std::ofstream(setup.certificates_dir + "/" + kDocumentBenchFacility + ".crt")
      << signer.certificate_pem;

  // 2. The documents, signed as the hospital's system does: not timed with the door.
  const size_t n = static_cast<size_t>(in.documents);
  std::vector<std::string> signed_xml(n);
  std::vector<Prepared> prepared(n);
  std::vector<double> sign_ms(n, 0);
  std::atomic<size_t> next{0};
  platform::Mutex error_mu;
  absl::Status sign_error = absl::OkStatus();
  progress("signing " + std::to_string(n) + " documents on " +
           std::to_string(in.signing_threads) + " threads");
  const auto sign_start = Clock::now();
  std::vector<std::thread> signers;
  for (int t = 0; t < in.signing_threads; ++t) {
    signers.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < n;) {
        const auto k = static_cast<int64_t>(i);
        const std::string type = BenchDocumentType(in.type, k);
        const std::string xml = BenchDocumentXml(type, k);
        const auto t0 = Clock::now();
        auto signed_document = documents::SignDocument(xml, signer.key_pem, signer.certificate_pem);
        sign_ms[i] = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!signed_document.ok()) {
          platform::MutexLock lock(&error_mu);
          if (sign_error.ok()) sign_error = signed_document.status();
          next = n;
          return;
        }
        signed_xml[i] = std::move(*signed_document);
        Prepared& p = prepared[i];
        p.type = type;
        p.business_key = BenchDocumentBusinessKey(type, k);
        p.body = absl::StrCat("maCskcb=", kDocumentBenchFacility, "&loaiHs=", type,
                              "&fileBase64Str=",
                              httplib::detail::encode_query_param(absl::Base64Escape(signed_xml[i])));
      }
    });
  }
  for (auto& t : signers) t.join();
  if (!sign_error.ok()) return sign_error;
  report.signing_seconds = platform::SecondsSince(sign_start);
  double sign_total = 0, bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    sign_total += sign_ms[i];
    bytes += static_cast<double>(signed_xml[i].size());
    if (prepared[i].type == "61") report.births++;
  }
  report.signing_ms_per_document = sign_total / static_cast<double>(n);
  report.mean_document_bytes = bytes / static_cast<double>(n);
  progress("signed in " + absl::StrFormat("%.1f", report.signing_seconds) + " s");

  // 3. Where the door's time goes, one thread: reading + mapping, and verifying.
  const size_t breakdown = std::min(n, static_cast<size_t>(in.breakdown_documents));
  if (breakdown > 0) {
    documents::ReadOptions options;
    options.reference = &validation::ReferenceData::Default();
    options.facility_code = kDocumentBenchFacility;
    auto t0 = Clock::now();
    for (size_t i = 0; i < breakdown; ++i) {
      auto read = documents::ReadHospitalDocument(signed_xml[i], options);
      if (!read.ok()) {
        return absl::InternalError("bench document " + std::to_string(i) + " does not read: " +
                                   read.errors.front().path + " " + read.errors.front().message_en);
      }
    }
    report.read_ms_per_document = platform::SecondsSince(t0) * 1000 / static_cast<double>(breakdown);
    t0 = Clock::now();
    for (size_t i = 0; i < breakdown; ++i) {
      auto check = documents::VerifyDocumentSignature(signed_xml[i], signer.certificate_pem);
      if (check.state != documents::SignatureState::kValid) {
        return absl::InternalError("bench document " + std::to_string(i) +
                                   " does not verify: " + check.detail);
      }
    }
    report.verify_ms_per_document =
        platform::SecondsSince(t0) * 1000 / static_cast<double>(breakdown);
  }
  signed_xml.clear();
  signed_xml.shrink_to_fit();

  // 4. The door, once per policy.
  for (const auto& policy : in.policies) {
    progress("posting " + std::to_string(n) + " documents over " +
             std::to_string(in.connections) + " connections, signature=" + policy);
    CRVS_ASSIGN_OR_RETURN(DocumentPhase phase, RunPhase(in, setup, policy, prepared, progress));
    if (!phase.first_error.empty()) progress("first error: " + phase.first_error);
    report.phases.push_back(std::move(phase));
  }
  return report;
}

}  // namespace crvs::bench
