#include "services/store/audit.h"

#include <absl/strings/ascii.h>
#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <openssl/sha.h>

#include <algorithm>

#include "services/platform/status.h"

namespace crvs::store {
namespace {

using sql::Value;

void PutBigEndian(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutField(std::string& out, std::string_view field) {
  PutBigEndian(out, field.size(), 4);
  out.append(field.data(), field.size());
}

const std::string& ZeroHash() {
  static const std::string zero(kAuditHashSize, '\0');
  return zero;
}

std::string Hex(std::string_view bytes) {
  return absl::BytesToHexString(absl::string_view(bytes.data(), bytes.size()));
}

// "row 4", or "the start of the chain" before row 1.
std::string RowName(int64_t seq) {
  return seq == 0 ? "the start of the chain" : absl::StrCat("row ", seq);
}

std::string Missing(int64_t from, int64_t to) {
  return from == to ? absl::StrCat("row ", from, " is missing")
                    : absl::StrCat("rows ", from, "..", to, " are missing");
}

}  // namespace

std::string AuditHash(std::string_view prev_hash, int64_t seq, int64_t at_us,
                      std::string_view actor, std::string_view action, std::string_view subject,
                      std::string_view detail) {
  std::string input;
  input.reserve(prev_hash.size() + 32 + actor.size() + action.size() + subject.size() +
                detail.size());
  input.append(prev_hash.data(), prev_hash.size());
  PutBigEndian(input, static_cast<uint64_t>(seq), 8);
  PutBigEndian(input, static_cast<uint64_t>(at_us), 8);
  for (std::string_view field : {actor, action, subject, detail}) PutField(input, field);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

void VersionsDigest::Add(const DigestedVersion& v) {
  std::string out;
  PutField(out, v.business_key);
  PutBigEndian(out, static_cast<uint64_t>(v.version), 8);
  for (std::string_view field : {v.action, v.content_hash, v.message_id, v.source, v.topic}) {
    PutField(out, field);
  }
  PutBigEndian(out, static_cast<uint64_t>(v.partition), 8);
  PutBigEndian(out, static_cast<uint64_t>(v.offset), 8);
  versions_.emplace_back(std::make_tuple(std::string(v.topic), v.partition, v.offset),
                         std::move(out));
  ++count_;
}

std::string VersionsDigest::Hex() const {
  std::vector<const std::pair<std::tuple<std::string, int64_t, int64_t>, std::string>*> order;
  order.reserve(versions_.size());
  for (const auto& v : versions_) order.push_back(&v);
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  std::string input;
  for (const auto* v : order) input += v->second;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::optional<std::string> HashFromHex(std::string_view hex) {
  if (hex.size() != 2 * kAuditHashSize) return std::nullopt;
  for (char ch : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(ch))) return std::nullopt;
  }
  return absl::HexStringToBytes(absl::string_view(hex.data(), hex.size()));
}

absl::Status AppendAudit(sql::Connection& c, const std::vector<AuditEntry>& entries, absl::Time at,
                         int bulk_rows) {
  if (entries.empty()) return absl::OkStatus();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].actor.empty() || entries[i].action.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("audit entry ", i, ": actor and action are required"));
    }
  }
  // The head row serializes appenders: on PostgreSQL the row lock is held until commit; on
  // SQLite the transaction already holds the database's write lock (BEGIN IMMEDIATE).
  CRVS_ASSIGN_OR_RETURN(sql::Rows head,
                        c.Execute(c.dialect() == sql::Dialect::kPostgres
                                      ? "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
                                      : "SELECT seq, hash FROM audit_head WHERE id = 1",
                                  {}));
  if (head.empty()) {
    return absl::DataLossError(
        "audit_head row 1 is missing: the audit chain's head was deleted; nothing more can be "
        "appended (run `crvs audit verify`)");
  }
  int64_t seq = head[0][0].AsInt();
  std::string hash = head[0][1].AsString();
  const int64_t at_us = absl::ToUnixMicros(at);
  // The txn column (migration 13) only when a row carries one: migrations before it append too.
  const bool with_txn = std::any_of(entries.begin(), entries.end(),
                                    [](const AuditEntry& e) { return e.txn != 0; });
  std::vector<Value> rows;
  rows.reserve(entries.size() * 9);
  for (const AuditEntry& e : entries) {
    ++seq;
    std::string next = AuditHash(hash, seq, at_us, e.actor, e.action, e.subject, e.detail);
    sql::AppendRow(rows, Value::Int(seq), Value::Int(at_us), Value::TextRef(e.actor),
                   Value::TextRef(e.action), Value::TextRef(e.subject), Value::TextRef(e.detail),
                   Value::Blob(std::move(hash)), Value::Blob(next));
    if (with_txn) rows.push_back(e.txn != 0 ? Value::Int(e.txn) : Value::Null());
    hash = std::move(next);
  }
  CRVS_RETURN_IF_ERROR(
      sql::ExecuteBulk(c,
                       {with_txn ? "INSERT INTO audit_log (seq, at_us, actor, action, subject, "
                                   "detail, prev_hash, hash, txn) VALUES "
                                 : "INSERT INTO audit_log (seq, at_us, actor, action, subject, "
                                   "detail, prev_hash, hash) VALUES ",
                        with_txn ? 9 : 8, ""},
                       rows, bulk_rows)
          .status());
  return c
      .Execute("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
               {Value::Int(seq), Value::Blob(hash)})
      .status();
}

absl::StatusOr<int64_t> NextFeedTxn(sql::Connection& c) {
  CRVS_ASSIGN_OR_RETURN(
      sql::Rows rows,
      c.Execute(c.dialect() == sql::Dialect::kPostgres
                    ? "SELECT nextval('feed_txn')"
                    : "SELECT COALESCE(MAX(txn), 0) + 1 FROM audit_log WHERE txn IS NOT NULL",
                {}));
  return rows.at(0)[0].AsInt();
}

namespace {

constexpr const char* kRowColumns =
    "seq, at_us, actor, action, subject, detail, prev_hash, hash";

AuditRow RowFrom(const sql::Row& r) {
  AuditRow row;
  row.seq = r[0].AsInt();
  row.at_us = r[1].AsInt();
  row.actor = r[2].AsString();
  row.action = r[3].AsString();
  row.subject = r[4].AsString();
  row.detail = r[5].AsString();
  row.prev_hash = r[6].AsString();
  row.hash = r[7].AsString();
  return row;
}

absl::StatusOr<std::vector<AuditRow>> Page(sql::Connection& c, int64_t after_seq, int limit) {
  CRVS_ASSIGN_OR_RETURN(
      sql::Rows rows,
      c.Execute(absl::StrCat("SELECT ", kRowColumns,
                             " FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"),
                {Value::Int(after_seq), Value::Int(limit)}));
  std::vector<AuditRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(RowFrom(r));
  return out;
}

// Checks the rows in seq order; the first problem ends the walk.
class ChainWalker {
 public:
  explicit ChainWalker(const AuditVerifyOptions& options) : options_(options) {}

  // False once a problem was found.
  bool Check(const AuditRow& row, AuditVerifyResult& r) {
    const int64_t expected = r.last_seq + 1;
    if (row.seq != expected) {
      return Fail(r, expected,
                  absl::StrCat(Missing(expected, row.seq - 1), ": row ", row.seq, " follows ",
                               RowName(r.last_seq), " (deleted rows)"));
    }
    if (row.prev_hash != last_hash_) {
      return Fail(r, row.seq,
                  absl::StrCat("row ", row.seq, " does not follow ", RowName(r.last_seq),
                               ": its prev_hash is not the hash of ", RowName(r.last_seq),
                               " (", RowName(r.last_seq),
                               " was rewritten with a new hash, or rows were reordered or "
                               "replaced)"));
    }
    if (AuditHash(row.prev_hash, row.seq, row.at_us, row.actor, row.action, row.subject,
                  row.detail) != row.hash) {
      return Fail(r, row.seq,
                  absl::StrCat("row ", row.seq,
                               " was edited: its contents do not match its hash (action ",
                               row.action, ", subject ", row.subject, ")"));
    }
    if (options_.expect && options_.expect->first == row.seq &&
        options_.expect->second != row.hash) {
      return Fail(r, row.seq,
                  absl::StrCat("row ", row.seq, " has hash ", Hex(row.hash), ", not the expected ",
                               Hex(options_.expect->second),
                               ": the chain up to it was rewritten"));
    }
    ++r.rows;
    r.last_seq = row.seq;
    last_hash_ = row.hash;
    if (options_.progress && options_.progress_every > 0 && r.rows % options_.progress_every == 0) {
      options_.progress(r.rows, r.last_seq);
    }
    return true;
  }

  // After the last row: the head and the expected row.
  void Finish(bool head_present, AuditVerifyResult& r) {
    if (!head_present) {
      Fail(r, r.last_seq, "audit_head is missing (the chain's head row was deleted)");
    } else if (r.head_seq > r.last_seq) {
      Fail(r, r.last_seq + 1,
           absl::StrCat(Missing(r.last_seq + 1, r.head_seq), ": audit_head says the chain ends at row ",
                        r.head_seq, " but the last row is ", r.last_seq,
                        " (the tail was deleted)"));
    } else if (r.head_seq < r.last_seq) {
      Fail(r, r.head_seq + 1,
           absl::StrCat("row ", r.head_seq + 1, " is past the chain's head: audit_head says the "
                        "chain ends at row ", r.head_seq, " but rows go to ", r.last_seq,
                        " (rows added outside the audit trail, or the head was rolled back)"));
    } else if (r.head_hash != last_hash_) {
      Fail(r, r.last_seq,
           absl::StrCat("audit_head's hash is not the hash of ", RowName(r.last_seq),
                        " (the head or row ", r.last_seq, " was edited)"));
    } else if (options_.expect && options_.expect->first > r.last_seq) {
      Fail(r, options_.expect->first,
           absl::StrCat("row ", options_.expect->first, " (hash ", Hex(options_.expect->second),
                        ") was expected but the chain ends at ", RowName(r.last_seq),
                        " (rows were deleted and the head rewritten)"));
    } else {
      r.intact = true;
    }
  }

 private:
  static bool Fail(AuditVerifyResult& r, int64_t seq, std::string problem) {
    r.intact = false;
    r.bad_seq = seq;
    r.problem = std::move(problem);
    return false;
  }

  const AuditVerifyOptions& options_;
  std::string last_hash_ = ZeroHash();
};

}  // namespace

absl::StatusOr<std::vector<AuditRow>> ListAudit(sql::Connection& c, int64_t after_seq,
                                                int limit) {
  if (limit < 1 || limit > 10000) {
    return absl::InvalidArgumentError(absl::StrCat("limit: ", limit, " is not in 1..10000"));
  }
  return Page(c, after_seq, limit);
}

absl::StatusOr<AuditVerifyResult> VerifyAudit(sql::Connection& c,
                                              const AuditVerifyOptions& options) {
  // One snapshot for the head and every page, so rows appended meanwhile are not seen.
  CRVS_RETURN_IF_ERROR(c.ExecScript(c.dialect() == sql::Dialect::kPostgres
                                        ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                        : "BEGIN DEFERRED"));
  auto walk = [&]() -> absl::StatusOr<AuditVerifyResult> {
    AuditVerifyResult r;
    CRVS_ASSIGN_OR_RETURN(sql::Rows head,
                          c.Execute("SELECT seq, hash FROM audit_head WHERE id = 1", {}));
    if (!head.empty()) {
      r.head_seq = head[0][0].AsInt();
      r.head_hash = head[0][1].AsString();
    }
    ChainWalker walker(options);
    const int page_rows = std::max(options.page_rows, 1);
    for (;;) {
      CRVS_ASSIGN_OR_RETURN(std::vector<AuditRow> page, Page(c, r.last_seq, page_rows));
      for (const AuditRow& row : page) {
        if (!walker.Check(row, r)) return r;
      }
      if (static_cast<int>(page.size()) < page_rows) break;
    }
    walker.Finish(!head.empty(), r);
    return r;
  };
  auto result = walk();
  c.Rollback();  // read only: nothing to keep
  return result;
}

}  // namespace crvs::store
