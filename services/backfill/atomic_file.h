// A file that appears complete or not at all: written to "<path>.tmp", then fsync'ed and
// renamed over <path> (and the directory fsync'ed) by Commit. A crash at any moment leaves
// either the previous <path> or the new one, never a torn file; a stale "<path>.tmp" from a
// crash is simply overwritten by the next writer.
//
// Thread-safety: one writer per file; not thread-safe.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

namespace crvs::backfill {

class AtomicFile {
 public:
  static absl::StatusOr<std::unique_ptr<AtomicFile>> Create(const std::string& path);
  ~AtomicFile();  // without Commit: the temporary file is removed, <path> untouched
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  absl::Status Write(std::string_view bytes);
  absl::Status Commit();

  const std::string& path() const { return path_; }

 private:
  AtomicFile() = default;
  std::string path_;
  std::string temp_path_;
  FILE* file_ = nullptr;
  bool failed_ = false;
};

// Writes `content` to `path` atomically (AtomicFile in one go).
absl::Status WriteFileAtomically(const std::string& path, std::string_view content);

}  // namespace crvs::backfill
