// Shared pieces of the libFuzzer targets (crvs_fuzzer() in cmake/CrvsTargets.cmake): a reader
// that turns fuzz bytes into choices, and the invariant checks every target makes on top of
// "does not crash". Header-only so each target stays one translation unit.
//
// Failed invariants call FuzzFail, which prints what broke and aborts: libFuzzer (and the
// replay main of the g++ build) reports that as a crash with the input saved.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "services/platform/status.h"

namespace crvs::fuzz {

[[noreturn]] inline void FuzzFail(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant failed: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// Consumes fuzz bytes front to back; past the end every read yields zeros / empty, so any
// input is a complete script.
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | Byte();
    return v;
  }
  uint64_t U64() { return (uint64_t{U32()} << 32) | U32(); }
  // A value in [0, n); n > 0.
  uint32_t Below(uint32_t n) { return n <= 256 ? Byte() % n : U32() % n; }
  // Up to `max` bytes: a length byte, then that many bytes.
  std::string Text(size_t max) {
    size_t n = Byte() % (max + 1);
    std::string out;
    while (n-- > 0 && !empty()) out.push_back(static_cast<char>(Byte()));
    return out;
  }
  // Everything not read yet.
  std::string_view Rest() {
    std::string_view out(reinterpret_cast<const char*>(data_) + pos_, size_ - pos_);
    pos_ = size_;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Whether `path` ("birth_certificate.mother.personal_id.number", "chain[1].role") names a field
// of `type` by proto field names, with an index on repeated fields (a repeated field may end
// the path unindexed, meaning the whole list). A field that does not exist means the error
// points the caller at nothing.
inline bool IsFieldPath(const google::protobuf::Descriptor* type, std::string_view path) {
  if (path.empty()) return false;
  while (true) {
    const size_t dot = path.find('.');
    std::string_view part = path.substr(0, dot);
    bool indexed = false;
    if (const size_t open = part.find('['); open != std::string_view::npos) {
      if (part.back() != ']' || open + 2 > part.size() - 1) return false;
      for (char c : part.substr(open + 1, part.size() - open - 2)) {
        if (c < '0' || c > '9') return false;
      }
      part = part.substr(0, open);
      indexed = true;
    }
    if (type == nullptr) return false;
    const google::protobuf::FieldDescriptor* field = type->FindFieldByName(std::string(part));
    if (field == nullptr) {
      // A oneof that is missing altogether ("record") is named by the oneof's own name.
      return dot == std::string_view::npos && !indexed &&
             type->FindOneofByName(std::string(part)) != nullptr;
    }
    // An index only on a repeated field; a repeated field without one only as the whole list.
    if (indexed && !field->is_repeated()) return false;
    if (!indexed && field->is_repeated() && dot != std::string_view::npos) return false;
    if (dot == std::string_view::npos) return true;
    type = field->message_type();  // nullptr for a scalar: a further part fails
    path = path.substr(dot + 1);
  }
}

// Every 12-digit personal ID number anywhere in `message` (fields named `number` of
// crvs.common.v1.PersonalId), to check that no error text repeats one.
inline void CollectPersonalIds(const google::protobuf::Message& message,
                               std::vector<std::string>* out) {
  const google::protobuf::Reflection* r = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(message, f); ++i) {
          CollectPersonalIds(r->GetRepeatedMessage(message, f, i), out);
        }
      } else {
        CollectPersonalIds(r->GetMessage(message, f), out);
      }
    } else if (f->containing_type()->full_name() == "crvs.common.v1.PersonalId" &&
               f->name() == "number") {
      const std::string number = r->GetString(message, f);
      bool digits = number.size() == 12;
      for (char c : number) digits = digits && c >= '0' && c <= '9';
      if (digits) out->push_back(number);
    }
  }
}

inline bool ContainsAny(std::string_view text, const std::vector<std::string>& needles) {
  for (const std::string& n : needles) {
    if (text.find(n) != std::string_view::npos) return true;
  }
  return false;
}

// The contract of validators.h on violations found in `request` (whose type the paths are
// relative to): every field is a real field path; every description is non-empty and quotes no
// personal ID of the request.
inline void CheckViolations(const google::protobuf::Message& request,
                            const std::vector<FieldViolation>& violations) {
  std::vector<std::string> ids;
  CollectPersonalIds(request, &ids);
  for (const FieldViolation& v : violations) {
    if (!IsFieldPath(request.GetDescriptor(), v.field)) {
      FuzzFail("violation on '" + v.field + "', not a field of " +
               request.GetDescriptor()->full_name() + " (" + v.description + ")");
    }
    if (v.description.empty()) FuzzFail("violation on '" + v.field + "' has no description");
    if (ContainsAny(v.description, ids)) {
      FuzzFail("violation on '" + v.field + "' quotes a personal ID: " + v.description);
    }
  }
}

}  // namespace crvs::fuzz
