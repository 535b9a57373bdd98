// The feeds to the agencies (issue 21), proven as an outsider would: the crvs binary as
// processes (broker, gateway, sink, registry, feeds) on one SQLite database, a simulated day of
// records with a kill -9 of the sink midway, and the agencies reading what they are entitled
// to: the population database by Pull over mutual TLS, social insurance from its own Kafka
// topic sealed with its own keyring, the statistics office without personal data, and
// strangers refused.
//
// The expected events are computed here from what was submitted (services/feeds/events.h
// describes the rules), not by the product's code.
//
// The broker is a real single-node Apache Kafka (scripts/kafka.sh), where `crvs feeds` creates
// its Kafka subscribers' topics. DevBrokerServesAKafkaSubscriber checks the development path
// too: `crvs devbroker` makes the feed topics at its start (its mock cluster cannot create
// topics on request) and `crvs feeds` finds them there.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/topic_follower.h"
#include "crvs/feeds/v1/feeds.grpc.pb.h"
#include "crvs/registry/v1/registry.grpc.pb.h"
#include "services/crypto/payload_cipher.h"
#include "services/platform/mutex.h"
#include "services/records/records.h"
#include "tests/e2e/pipeline_harness.h"
#include "tests/support/fixtures.h"
#include "tests/support/kafka_cluster.h"
#include "tests/support/slowdown.h"
#include "tests/support/subprocess.h"

namespace crvs::e2e {
namespace {

namespace fv1 = feeds::v1;
namespace rv1 = records::v1;
namespace fx = crvs::testing;
using nlohmann::json;

constexpr int kBirths = 20;
constexpr int kDeaths = 20;
constexpr int kBirthRegistrations = 10;
constexpr int kDeathRegistrations = 10;
constexpr char kOffice[] = "registry_office:26734";  // the office of fx::BirthRegistration()

// ---- the day's records ----------------------------------------------------------------------

std::string Two(int i) { return (i < 10 ? "0" : "") + std::to_string(i); }

rv1::BirthCertificate Birth(int i) {
  auto b = fx::BirthCertificate("GCS-E2E-" + Two(i));
  b.mutable_child()->set_full_name("Trần Minh An " + Two(i));
  return b;
}

// Men born 1952 in Hà Nội (001, digit 0, 52), one per notice.
std::string DeceasedId(int i) { return "0010520030" + Two(i); }

rv1::DeathNotice Death(int i) {
  auto d = fx::DeathNotice("GBT-E2E-" + Two(i));
  d.mutable_deceased()->mutable_personal_id()->set_number(DeceasedId(i));
  d.mutable_deceased()->set_full_name("Hoàng Văn Tư " + Two(i));
  return d;
}

// Boys born 2026 in Hồ Chí Minh City (079, digit 2, 26), registered at office 26734.
std::string ChildId(int i) { return "0792260011" + Two(i); }

rv1::Registration BirthRegistration(int i) {
  auto r = fx::BirthRegistration("E2E-B-" + Two(i));
  r.mutable_subject()->mutable_personal_id()->set_number(ChildId(i));
  r.mutable_subject()->set_full_name(Birth(i).child().full_name());
  *r.mutable_birth_certificate() = Birth(i).key();
  return r;
}

rv1::Registration DeathRegistration(int i) {
  rv1::Registration r;
  r.mutable_key()->set_registry_office_code("26734");
  r.mutable_key()->set_book("01/2026");
  r.mutable_key()->set_registration_no("E2E-D-" + Two(i));
  r.set_kind(rv1::REGISTRATION_KIND_DEATH);
  *r.mutable_registration_date() = fx::Date(2026, 10, 28);
  *r.mutable_event_date() = fx::Date(2026, 10, 25);
  *r.mutable_subject() = Death(i).deceased();
  *r.mutable_death_notice() = Death(i).key();
  r.mutable_registrar()->set_full_name("Ngô Thị Hạnh");
  *r.mutable_recorded_at() = fx::At("2026-10-28T03:00:00Z");
  return r;
}

// ---- what the feed must say, from what was sent ---------------------------------------------

// One event as the test identifies it: the record version it comes from, its type, and for a
// status change the person, fact and change. Two equal tuples in a feed are a duplicate.
using EventKey = std::tuple<std::string /*business key*/, int64_t /*version*/,
                            std::string /*type*/, std::string /*personal id*/,
                            std::string /*fact*/, std::string /*change*/>;

std::string Show(const EventKey& e) {
  return std::get<0>(e) + " v" + std::to_string(std::get<1>(e)) + " " + std::get<2>(e) +
         (std::get<3>(e).empty() ? "" : " " + std::get<3>(e) + " " + std::get<4>(e) + " " +
                                            std::get<5>(e));
}

// The events a record version makes (events.h): its own (the record's type for a SUBMIT,
// record.amended / record.voided otherwise), then one status.changed per civil-status fact it
// asserts or withdraws.
struct Version {
  std::string business_key;
  int64_t version = 1;
  std::string base_type;  // the record's own type: birth.notified, death.registered, ...
  std::string action;     // SUBMIT, AMEND, VOID
  std::vector<std::pair<std::string, std::string>> asserted;  // (personal id, fact)
};

struct Subscription {
  std::string name;
  std::set<std::string> events;
  std::vector<std::string> fields;
  std::vector<std::string> delivery;
  std::string keyring_file;
  bool revoked = false;

  bool Wants(const std::string& type, const std::string& base) const {
    if (!events.count(type)) return false;
    if (type == "record.amended" || type == "record.voided") return events.count(base) > 0;
    return true;
  }
  json ToJson() const {
    json o = {{"name", name},   {"description", "feeds e2e: " + name},
              {"events", events}, {"fields", fields}, {"delivery", delivery}};
    if (!keyring_file.empty()) o["keyring_file"] = keyring_file;
    if (revoked) o["revoked"] = true;
    return o;
  }
};

std::multiset<EventKey> Expected(const std::vector<Version>& versions, const Subscription& s) {
  std::multiset<EventKey> out;
  for (const Version& v : versions) {
    std::string own = v.action == "SUBMIT"  ? v.base_type
                      : v.action == "AMEND" ? "record.amended"
                                            : "record.voided";
    if (s.Wants(own, v.base_type)) out.insert({v.business_key, v.version, own, "", "", ""});
    for (const auto& [person, fact] : v.asserted) {
      if (s.Wants("status.changed", v.base_type)) {
        out.insert({v.business_key, v.version, "status.changed", person, fact, "ASSERTED"});
      }
    }
  }
  return out;
}

// ---- what arrived -----------------------------------------------------------------------------

struct Received {
  std::string id;  // the feed position: Pull's Event.id, Kafka's crvs-feed-position header
  std::string type;
  std::string payload_json;
  json payload;
};

EventKey KeyOf(const Received& r) {
  const json& rec = r.payload.value("record", json::object());
  const json& st = r.payload.value("status", json::object());
  return {rec.value("business_key", ""), rec.value("version", int64_t{0}), r.type,
          st.value("personal_id", ""), st.value("fact", ""), st.value("change", "")};
}

// Every leaf path of a JSON value: "a.b", arrays as "c[].d".
void Leaves(const json& value, const std::string& path, std::set<std::string>& out) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      Leaves(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
    }
  } else if (value.is_array()) {
    for (const auto& element : value) Leaves(element, path + "[]", out);
  } else {
    out.insert(path);
  }
}

// (seq, ordinal) of "<seq>.<ordinal>" ("0": before everything).
std::pair<int64_t, int64_t> Position(const std::string& id) {
  const auto dot = id.find('.');
  if (dot == std::string::npos) return {std::stoll(id), -1};
  return {std::stoll(id.substr(0, dot)), std::stoll(id.substr(dot + 1))};
}

// The checks every subscriber's feed must pass: exactly the expected events, each once, ids
// unique and increasing per person and per record, payloads holding only event.*, record.* and
// the subscriber's fields.
void ExpectFeed(const std::string& who, const std::vector<Received>& got,
                const std::multiset<EventKey>& expected, const Subscription& s) {
  SCOPED_TRACE(who);
  std::multiset<EventKey> keys;
  std::set<std::string> ids;
  std::map<std::string, std::pair<int64_t, int64_t>> last_by_person, last_by_record;
  std::map<std::string, int64_t> version_by_record;
  const std::set<std::string> allowed(s.fields.begin(), s.fields.end());
  int out_of_order = 0, outside_fields = 0, inconsistent = 0;
  for (const Received& r : got) {
    EventKey k = KeyOf(r);
    keys.insert(k);
    EXPECT_TRUE(ids.insert(r.id).second) << "event id " << r.id << " delivered twice";
    const auto pos = Position(r.id);
    const json& ev = r.payload.value("event", json::object());
    if (ev.value("id", "") != r.id || ev.value("type", "") != r.type) {
      ++inconsistent;
      ADD_FAILURE() << "payload event.* " << ev.dump() << " is not the event " << r.id << " "
                    << r.type;
    }
    const std::string& person = std::get<3>(k);
    if (!person.empty()) {
      auto it = last_by_person.find(person);
      if (it != last_by_person.end() && !(it->second < pos)) {
        ++out_of_order;
        ADD_FAILURE() << "events of person " << person << " out of order at " << r.id;
      }
      last_by_person[person] = pos;
    }
    const std::string& record = std::get<0>(k);
    auto it = last_by_record.find(record);
    if (it != last_by_record.end() &&
        (!(it->second < pos) || version_by_record[record] > std::get<1>(k))) {
      ++out_of_order;
      ADD_FAILURE() << "events of record " << record << " out of order at " << r.id;
    }
    last_by_record[record] = pos;
    version_by_record[record] = std::get<1>(k);
    std::set<std::string> paths;
    Leaves(r.payload, "", paths);
    for (const std::string& p : paths) {
      if (p.rfind("event.", 0) == 0 || p.rfind("record.", 0) == 0 || allowed.count(p)) continue;
      ++outside_fields;
      ADD_FAILURE() << "event " << r.id << " (" << r.type << ") carries " << p
                    << ", which is not in the fields of " << s.name;
    }
  }
  for (const EventKey& k : expected) {
    if (keys.count(k) < expected.count(k)) ADD_FAILURE() << "missing: " << Show(k);
  }
  for (const EventKey& k : keys) {
    if (expected.count(k) < keys.count(k)) {
      ADD_FAILURE() << (expected.count(k) ? "duplicate: " : "not entitled: ") << Show(k);
    }
  }
  EXPECT_EQ(keys.size(), expected.size());
  EXPECT_TRUE(keys == expected);
  EXPECT_EQ(out_of_order, 0);
  EXPECT_EQ(outside_fields, 0);
  EXPECT_EQ(inconsistent, 0);
}

// ---- the agencies' side ---------------------------------------------------------------------

struct Pki {
  std::string dir;
  std::string File(const std::string& base, const char* ext) const {
    return dir + "/" + base + ext;
  }
};

void RunCrvs(const std::vector<std::string>& argv) {
  auto r = testing::RunProgram(argv);
  if (r.exit_code != 0) {
    throw std::runtime_error(argv[1] + " " + argv[2] + " failed: " + r.err);
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// An agency's client of the feed service, with its certificate (`crvs certs issue`).
std::unique_ptr<fv1::FeedService::Stub> AgencyStub(const Pki& pki, const std::string& cert,
                                                    int port) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadFile(pki.File("ca", ".crt"));
  tls.pem_cert_chain = ReadFile(pki.File(cert, ".crt"));
  tls.pem_private_key = ReadFile(pki.File(cert, ".key"));
  return fv1::FeedService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::SslCredentials(tls)));
}

grpc::Status Pull(fv1::FeedService::Stub& stub, const fv1::PullRequest& request,
                  fv1::PullResponse* response) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return stub.Pull(&ctx, request, response);
}

std::vector<Received> ToReceived(const fv1::PullResponse& response) {
  std::vector<Received> out;
  for (const fv1::Event& e : response.events()) {
    json payload = json::parse(e.payload_json(), nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(payload.is_object()) << e.id() << ": payload is not a JSON object";
    out.push_back({e.id(), e.type(), e.payload_json(), payload});
  }
  return out;
}

// Pull + Acknowledge from the acknowledged cursor until end_of_feed, as an agency runs.
std::vector<Received> PullAndAcknowledge(fv1::FeedService::Stub& stub, int max_events) {
  std::vector<Received> out;
  for (int page = 0; page < 1000; ++page) {
    fv1::PullRequest request;
    request.set_max_events(max_events);
    fv1::PullResponse response;
    grpc::Status st = Pull(stub, request, &response);
    if (!st.ok()) {
      ADD_FAILURE() << "Pull: " << st.error_code() << " " << st.error_message();
      break;
    }
    auto events = ToReceived(response);
    out.insert(out.end(), events.begin(), events.end());
    grpc::ClientContext ctx;
    fv1::AcknowledgeRequest ack;
    ack.set_cursor(response.next_cursor());
    fv1::AcknowledgeResponse acked;
    st = stub.Acknowledge(&ctx, ack, &acked);
    if (!st.ok()) {
      ADD_FAILURE() << "Acknowledge " << response.next_cursor() << ": " << st.error_message();
      break;
    }
    EXPECT_EQ(acked.acknowledged_cursor(), response.next_cursor());
    if (response.end_of_feed()) break;
  }
  return out;
}

// Pull from `cursor` on (no acknowledgement) until end_of_feed: a replay.
std::vector<Received> Replay(fv1::FeedService::Stub& stub, std::string cursor, int max_events) {
  std::vector<Received> out;
  for (int page = 0; page < 1000; ++page) {
    fv1::PullRequest request;
    request.set_cursor(cursor);
    request.set_max_events(max_events);
    fv1::PullResponse response;
    grpc::Status st = Pull(stub, request, &response);
    if (!st.ok()) {
      ADD_FAILURE() << "Pull from " << cursor << ": " << st.error_message();
      break;
    }
    auto events = ToReceived(response);
    out.insert(out.end(), events.begin(), events.end());
    cursor = response.next_cursor();
    if (response.end_of_feed()) break;
  }
  return out;
}

// A replay gives the same events, with the same ids and payloads, in the same order.
void ExpectSameEvents(const std::string& what, const std::vector<Received>& replayed,
                      const std::vector<Received>& original) {
  EXPECT_EQ(replayed.size(), original.size()) << what;
  for (size_t i = 0; i < std::min(replayed.size(), original.size()); ++i) {
    if (replayed[i].id != original[i].id || replayed[i].payload_json != original[i].payload_json) {
      ADD_FAILURE() << what << ": event " << i << " is " << replayed[i].id << " "
                    << replayed[i].payload_json << "\nfirst delivered as " << original[i].id
                    << " " << original[i].payload_json;
      return;
    }
  }
}

// Every message of `topic` (partition 0 and any other), opened with `cipher` bound to its key.
std::vector<Received> ReadSealedTopic(const std::string& bootstrap, const std::string& topic,
                                      const crypto::PayloadCipher& cipher) {
  platform::Mutex mu;
  std::vector<kafka::FollowedMessage> messages;
  auto follower = kafka::TopicFollower::Start(
      kafka::KafkaConfig{}, bootstrap, topic, [&](const kafka::FollowedMessage& m) {
        platform::MutexLock lock(&mu);
        messages.push_back(m);
      });
  if (!follower.ok()) {
    ADD_FAILURE() << "following " << topic << ": " << follower.status();
    return {};
  }
  EXPECT_TRUE((*follower)->WaitCaughtUp(std::chrono::seconds(60)));
  follower->reset();
  std::vector<Received> out;
  for (const auto& m : messages) {
    auto header = [&](const char* name) {
      auto it = m.headers.find(name);
      return it == m.headers.end() ? std::string() : it->second;
    };
    auto opened = cipher.Open(m.value, m.key);
    if (!opened.ok()) {
      ADD_FAILURE() << "message " << header("crvs-feed-position") << " key " << m.key
                    << " does not open with the subscriber's keyring: " << opened.status();
      continue;
    }
    EXPECT_EQ(header(crypto::kKeyIdHeader), cipher.keyring().active_id());
    json payload = json::parse(*opened, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(payload.is_object()) << *opened;
    if (!payload.is_object()) continue;
    EXPECT_EQ(payload["record"].value("business_key", ""), m.key)
        << "a message's key is its record's business key";
    out.push_back({header("crvs-feed-position"), header("crvs-event-type"), *opened, payload});
  }
  return out;
}

template <class F>
bool WaitUntil(F condition, int timeout_s) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s * testing::kSlowdown);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return condition();
}

// ---- the day --------------------------------------------------------------------------------

class FeedsE2E : public ::testing::Test {
 protected:
  // Subscribers as the test names them (population-db's fields are those of
  // deploy/feeds/subscribers.json).
  void WriteConfiguration() {
    pki_.dir = dir_.File("pki");
    RunCrvs({CRVS_BINARY, "certs", "init", "--dir", pki_.dir});
    RunCrvs({CRVS_BINARY, "certs", "issue", "--dir", pki_.dir, "--principal", "server:feeds",
         "--server", "--out", "server"});
    for (const char* who : {"agency:population-db", "agency:statistics-office",
                            "agency:former-partner", "agency:nobody", "facility:BV79001"}) {
      std::string out = who;
      out[out.find(':')] = '-';
      RunCrvs({CRVS_BINARY, "certs", "issue", "--dir", pki_.dir, "--principal", who, "--out", out});
    }
    keyring_ = dir_.File("social-insurance.keys");
    RunCrvs({CRVS_BINARY, "keys", "new", "--file", keyring_, "--id", "si-2026"});

    population_ = {"population-db",
                   {"birth.registered", "death.registered", "divorce.recorded", "status.changed",
                    "record.amended", "record.voided"},
                   {"subject.personal_id", "subject.full_name", "subject.sex",
                    "subject.date_of_birth", "subject.ethnicity", "subject.residence_province",
                    "subject.residence_commune", "related[].personal_id", "related[].full_name",
                    "registration.office_code", "registration.book", "registration.number",
                    "registration.kind", "registration.date", "registration.event_date",
                    "decision.court_code", "decision.number", "decision.kind",
                    "decision.decision_date", "decision.legal_effect_date",
                    "decision.set_aside_on", "spouse_a.personal_id", "spouse_a.full_name",
                    "spouse_b.personal_id", "spouse_b.full_name", "status.personal_id",
                    "status.fact", "status.date", "status.change", "void.reason"},
                   {"pull"}, "", false};
    social_ = {"social-insurance",
               {"birth.notified", "death.notified", "death.registered", "status.changed",
                "record.amended", "record.voided"},
               {"child.full_name", "child.sex", "child.born_at", "mother.personal_id",
                "mother.full_name", "father.personal_id", "father.full_name",
                "certificate.facility_code", "certificate.number", "certificate.issued_at",
                "deceased.personal_id", "deceased.full_name", "deceased.sex",
                "deceased.date_of_birth", "death.died_at", "notice.facility_code",
                "notice.number", "subject.personal_id", "subject.full_name",
                "registration.office_code", "registration.number", "registration.kind",
                "registration.date", "registration.event_date", "status.personal_id",
                "status.fact", "status.date", "status.change", "void.reason"},
               {"kafka"},
               keyring_,
               false};
    statistics_ = {"statistics-office", {}, {}, {"statistics"}, "", false};
    former_ = {"former-partner", {"death.registered"}, {"subject.personal_id"}, {"pull"}, "",
               /*revoked=*/true};
    json doc = {{"subscribers", json::array({population_.ToJson(), social_.ToJson(),
                                             statistics_.ToJson(), former_.ToJson()})}};
    subscribers_file_ = dir_.File("subscribers.json");
    std::ofstream(subscribers_file_) << doc.dump(2);
  }

  std::vector<std::string> FeedsSettings() const {
    return {"feeds.subscribers_file=" + subscribers_file_,
            "feeds.replication_factor=1",
            "feeds.poll_interval=200ms",
            "tls.ca_file=" + pki_.File("ca", ".crt"),
            "tls.cert_file=" + pki_.File("server", ".crt"),
            "tls.key_file=" + pki_.File("server", ".key")};
  }

  void Submit(Pipeline& p, const std::string& facility, ingest::v1::IngestRequest r) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("crvs-principal", facility);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    ingest::v1::Receipt receipt;
    grpc::Status st = p.Stub()->Submit(&ctx, r, &receipt);
    ASSERT_TRUE(st.ok()) << r.message_id() << ": " << st.error_message();
    ASSERT_EQ(receipt.state(), ingest::v1::RECEIPT_STATE_ACCEPTED) << receipt.ShortDebugString();
  }

  void SubmitBirth(Pipeline& p, int i) {
    ingest::v1::IngestRequest r;
    r.set_message_id("e2e-birth-" + Two(i));
    r.set_action(rv1::ACTION_SUBMIT);
    *r.mutable_birth_certificate() = Birth(i);
    Submit(p, "facility:BV79001", r);
    versions_.push_back({records::KeyOf(Birth(i).key()).value, 1, "birth.notified", "SUBMIT", {}});
  }

  void SubmitDeath(Pipeline& p, int i) {
    ingest::v1::IngestRequest r;
    r.set_message_id("e2e-death-" + Two(i));
    r.set_action(rv1::ACTION_SUBMIT);
    *r.mutable_death_notice() = Death(i);
    Submit(p, "facility:BV01002", r);
    versions_.push_back({records::KeyOf(Death(i).key()).value, 1, "death.notified", "SUBMIT",
                         {{DeceasedId(i), "DEATH_NOTICE"}}});
  }

  void Register(int registry_port, const registry::v1::RecordRegistrationRequest& r,
                int64_t expected_version) {
    auto stub = registry::v1::Registry::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(registry_port), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.AddMetadata("crvs-principal", kOffice);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    registry::v1::RecordRegistrationResponse response;
    grpc::Status st = stub->RecordRegistration(&ctx, r, &response);
    ASSERT_TRUE(st.ok()) << r.message_id() << ": " << st.error_message();
    ASSERT_EQ(response.version(), expected_version) << r.message_id();
    ASSERT_EQ(response.business_key(), records::KeyOf(r.registration().key()).value);
  }

  registry::v1::RecordRegistrationRequest Registration(const std::string& message_id,
                                                       rv1::Action action,
                                                       const rv1::Registration& reg) {
    registry::v1::RecordRegistrationRequest r;
    r.set_message_id(message_id);
    r.set_action(action);
    if (action != rv1::ACTION_SUBMIT) r.set_reason("sửa sai sót khi ghi sổ");
    *r.mutable_registration() = reg;
    return r;
  }

  testing::ScratchDir dir_{"crvs-feeds-e2e"};
  Pki pki_;
  std::string keyring_;
  std::string subscribers_file_;
  Subscription population_, social_, statistics_, former_;
  std::vector<Version> versions_;  // every version submitted, as the feed must tell it
};

// One node: `crvs feeds` creates social-insurance's topic (replication factor 1).
std::unique_ptr<testing::KafkaCluster> StartKafka() {
  testing::KafkaCluster::Options options;
  options.brokers = 1;
  options.partitions = 2;
  auto cluster = testing::KafkaCluster::Start(options);
  if (!cluster.ok()) throw std::runtime_error(std::string(cluster.status().message()));
  return std::move(*cluster);
}

// A real broker refuses sessions shorter than its group.min.session.timeout.ms (6 s).
const std::vector<std::string> kSink = {"sink.session_timeout=6s"};

TEST_F(FeedsE2E, ASimulatedDayReachesEachAgencyOnceWithOnlyItsFields) {
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(dir_.ok());
  WriteConfiguration();
  auto kafka = StartKafka();
  Pipeline p(Backend::kSqlite, ExternalKafka{kafka->bootstrap()});
  p.StartGateway();
  int sink = p.StartSink(kSink);
  const int registry = p.StartRegistry();
  const int feeds = p.StartFeeds(FeedsSettings());
  auto population = AgencyStub(pki_, "agency-population-db", feeds);

  // Morning: the death notices; the sink is killed -9 while they land.
  for (int i = 0; i < kDeaths; ++i) ASSERT_NO_FATAL_FAILURE(SubmitDeath(p, i));
  const int64_t at_kill = p.WaitForCount("SELECT count(*) FROM records", kDeaths / 2, 60);
  p.KillSink(sink);
  ASSERT_GE(at_kill, kDeaths / 2);
  // The births wait on Kafka while no sink runs; the population database pulls meanwhile (the
  // deceased's status changes so far) and acknowledges.
  for (int i = 0; i < kBirths; ++i) ASSERT_NO_FATAL_FAILURE(SubmitBirth(p, i));
  const int64_t while_dead = p.Count("SELECT count(*) FROM records");
  EXPECT_LT(while_dead, kBirths + kDeaths) << "the kill came after everything had landed";
  std::vector<Received> pulled = PullAndAcknowledge(*population, 7);
  EXPECT_EQ(static_cast<int64_t>(pulled.size()), while_dead)
      << "one status.changed per death notice in the database so far";
  p.StartSink(kSink);
  ASSERT_EQ(p.WaitForCount("SELECT count(*) FROM records", kBirths + kDeaths, 120),
            kBirths + kDeaths);

  // Afternoon: the registry offices register some of them, a court's divorce, corrections.
  for (int i = 0; i < kBirthRegistrations; ++i) {
    ASSERT_NO_FATAL_FAILURE(Register(
        registry, Registration("e2e-breg-" + Two(i), rv1::ACTION_SUBMIT, BirthRegistration(i)),
        1));
    versions_.push_back({records::KeyOf(BirthRegistration(i).key()).value, 1,
                         "birth.registered", "SUBMIT", {}});
  }
  for (int i = 0; i < kDeathRegistrations; ++i) {
    ASSERT_NO_FATAL_FAILURE(Register(
        registry, Registration("e2e-dreg-" + Two(i), rv1::ACTION_SUBMIT, DeathRegistration(i)),
        1));
    versions_.push_back({records::KeyOf(DeathRegistration(i).key()).value, 1,
                         "death.registered", "SUBMIT", {{DeceasedId(i), "DEATH_REGISTERED"}}});
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("crvs-principal", "court:TA79001");
    ingest::v1::CourtIngestRequest r;
    r.set_message_id("e2e-divorce-1");
    r.set_action(rv1::ACTION_SUBMIT);
    *r.mutable_decision() = fx::DivorceDecision();
    ingest::v1::Receipt receipt;
    grpc::Status st = p.CourtStub()->Submit(&ctx, r, &receipt);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(receipt.state(), ingest::v1::RECEIPT_STATE_ACCEPTED) << receipt.ShortDebugString();
    // Effective (legal effect date set): both spouses are divorced.
    versions_.push_back({records::KeyOf(fx::DivorceDecision().key()).value, 1,
                         "divorce.recorded", "SUBMIT",
                         {{fx::Father().personal_id().number(), "DIVORCED"},
                          {fx::Mother().personal_id().number(), "DIVORCED"}}});
  }
  const std::string amended_name = "Hoàng Văn Tứ";
  {
    // The hospital corrects a deceased's name: the same death, no status change.
    ingest::v1::IngestRequest r;
    r.set_message_id("e2e-death-03-amend");
    r.set_action(rv1::ACTION_AMEND);
    r.set_reason("sai chính tả họ tên");
    *r.mutable_death_notice() = Death(3);
    r.mutable_death_notice()->mutable_deceased()->set_full_name(amended_name);
    ASSERT_NO_FATAL_FAILURE(Submit(p, "facility:BV01002", r));
    versions_.push_back({records::KeyOf(Death(3).key()).value, 2, "death.notified", "AMEND", {}});
  }
  {
    // A birth certificate issued in error is voided (only its key is sent).
    ingest::v1::IngestRequest r;
    r.set_message_id("e2e-birth-15-void");
    r.set_action(rv1::ACTION_VOID);
    r.set_reason("cấp nhầm");
    *r.mutable_birth_certificate()->mutable_key() = Birth(15).key();
    ASSERT_NO_FATAL_FAILURE(Submit(p, "facility:BV79001", r));
    versions_.push_back({records::KeyOf(Birth(15).key()).value, 2, "birth.notified", "VOID", {}});
  }
  {
    // The registry office corrects a death registration's name.
    auto reg = DeathRegistration(2);
    reg.mutable_subject()->set_full_name("Hoàng Văn Tư (sửa)");
    ASSERT_NO_FATAL_FAILURE(
        Register(registry, Registration("e2e-dreg-02-amend", rv1::ACTION_AMEND, reg), 2));
    versions_.push_back(
        {records::KeyOf(DeathRegistration(2).key()).value, 2, "death.registered", "AMEND", {}});
  }
  const int64_t total_versions = static_cast<int64_t>(versions_.size());
  ASSERT_EQ(p.WaitForCount("SELECT count(*) FROM record_versions", total_versions, 120),
            total_versions);
  EXPECT_EQ(p.Count("SELECT count(*) FROM dead_letters"), 0);

  // --- population-db: everything it is entitled to, once, in order, only its fields.
  const size_t pulled_before_restart = pulled.size();
  auto rest = PullAndAcknowledge(*population, 7);
  pulled.insert(pulled.end(), rest.begin(), rest.end());
  const auto expected_population = Expected(versions_, population_);
  ExpectFeed("population-db", pulled, expected_population, population_);
  int death_registrations_with_id = 0;
  for (const Received& r : pulled) {
    if (r.type == "death.registered" &&
        r.payload["subject"].value("personal_id", "").rfind("0010520030", 0) == 0) {
      ++death_registrations_with_id;
    }
  }
  EXPECT_EQ(death_registrations_with_id, kDeathRegistrations)
      << "the population database sees the subject's personal ID it is entitled to";
  // Acknowledged up to the end: a Pull without a cursor has nothing more.
  {
    fv1::PullResponse response;
    ASSERT_TRUE(Pull(*population, {}, &response).ok());
    EXPECT_EQ(response.events_size(), 0);
    EXPECT_TRUE(response.end_of_feed());
  }

  // --- Replay: from the beginning and from the middle, the same ids and payloads again.
  auto replayed = Replay(*population, "0", 11);
  ExpectSameEvents("replay from cursor 0", replayed, pulled);
  ASSERT_GT(pulled.size(), 4u);
  const size_t middle = pulled.size() / 2;
  auto from_middle = Replay(*population, pulled[middle].id, 5);
  std::vector<Received> tail(pulled.begin() + static_cast<std::ptrdiff_t>(middle) + 1,
                             pulled.end());
  ExpectSameEvents("replay from " + pulled[middle].id, from_middle, tail);

  // --- statistics-office: counts only (GetStatistics), never records.
  auto statistics = AgencyStub(pki_, "agency-statistics-office", feeds);
  {
    fv1::PullResponse response;
    grpc::Status st = Pull(*statistics, {}, &response);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
  }
  fv1::GetStatisticsRequest stats_request;
  stats_request.set_kind("deaths");
  stats_request.set_province("01");  // the notices' commune 00004
  stats_request.set_month("2026-10");
  fv1::StatisticsTable table;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Status st = statistics->GetStatistics(&ctx, stats_request, &table);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  ASSERT_GT(table.cells_size(), 0);
  // Cell 0 is the grand total: every death of the day, in the province, in October.
  ASSERT_FALSE(table.cells(0).suppressed());
  EXPECT_EQ(table.cells(0).count(), kDeaths);
  for (const auto& c : table.cells()) {
    if (!c.suppressed()) {
      EXPECT_TRUE(c.count() == 0 || c.count() >= 5) << c.ShortDebugString();
    }
  }
  const std::string bytes = table.SerializeAsString();
  for (int i = 0; i < kDeaths; ++i) {
    EXPECT_EQ(bytes.find(DeceasedId(i)), std::string::npos) << "a personal ID in the statistics";
  }

  // --- Strangers: revoked, unknown, not an agency.
  for (const char* cert : {"agency-former-partner", "agency-nobody", "facility-BV79001"}) {
    fv1::PullResponse response;
    grpc::Status st = Pull(*AgencyStub(pki_, cert, feeds), {}, &response);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << cert << ": " << st.error_message();
    EXPECT_EQ(response.events_size(), 0) << cert;
  }

  // --- social-insurance: its sealed topic holds each of its events once, in feed order.
  const auto expected_social = Expected(versions_, social_);
  auto ring = crypto::Keyring::LoadFile(keyring_);
  ASSERT_TRUE(ring.ok()) << ring.status();
  const crypto::PayloadCipher cipher(*std::move(ring));
  const std::string topic = "crvs.feed.social-insurance";
  ASSERT_TRUE(WaitUntil(
      [&] { return ReadSealedTopic(p.bootstrap(), topic, cipher).size() >= expected_social.size(); },
      60))
      << "the relay did not publish social-insurance's " << expected_social.size() << " events";
  p.StopFeeds();  // nothing more is written: what the topic holds now is final
  auto sealed = ReadSealedTopic(p.bootstrap(), topic, cipher);
  ExpectFeed("social-insurance (Kafka)", sealed, expected_social, social_);
  int amended_seen = 0;
  for (const Received& r : sealed) {
    if (r.type == "record.amended" && r.payload.contains("deceased")) {
      EXPECT_EQ(r.payload["deceased"].value("full_name", ""), amended_name);
      ++amended_seen;
    }
  }
  EXPECT_EQ(amended_seen, 1) << "the amended death notice reaches social insurance";
  // Feed order is topic order (one partition): positions increase along the topic.
  for (size_t i = 1; i < sealed.size(); ++i) {
    EXPECT_LT(Position(sealed[i - 1].id), Position(sealed[i].id)) << "at offset " << i;
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "[ figures  ] versions=" << total_versions << " records at kill -9=" << at_kill
            << " (" << while_dead << " while the sink was dead)"
            << " population-db events=" << pulled.size() << " (" << pulled_before_restart
            << " before the sink restarted) statistics-office cells=" << table.cells_size()
            << " social-insurance messages=" << sealed.size() << " seconds=" << seconds
            << std::endl;
}

// The development path: `crvs devbroker` (librdkafka's mock cluster, which cannot create topics
// on request) makes the Kafka subscribers' topics at its start from the same configuration, and
// a standalone `crvs feeds` finds them there instead of asking CreateTopics.
TEST_F(FeedsE2E, DevBrokerServesAKafkaSubscriber) {
  ASSERT_TRUE(dir_.ok());
  WriteConfiguration();
  Pipeline p(Backend::kSqlite, /*partitions=*/2, /*in_process_brokers=*/0,
             {"feeds.subscribers_file=" + subscribers_file_});
  p.StartGateway();
  p.StartSink(kSink);
  ASSERT_NO_THROW(p.StartFeeds(FeedsSettings()));
  ASSERT_NO_FATAL_FAILURE(SubmitDeath(p, 0));
  auto ring = crypto::Keyring::LoadFile(keyring_);
  ASSERT_TRUE(ring.ok()) << ring.status();
  const crypto::PayloadCipher cipher(*std::move(ring));
  // The notice and the death it asserts reach social insurance's topic, sealed with its key.
  std::vector<Received> got;
  EXPECT_TRUE(WaitUntil(
      [&] {
        got = ReadSealedTopic(p.bootstrap(), "crvs.feed.social-insurance", cipher);
        return got.size() >= 2;
      },
      60));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].type, "death.notified");
  EXPECT_EQ(got[1].type, "status.changed");
}

}  // namespace
}  // namespace crvs::e2e
