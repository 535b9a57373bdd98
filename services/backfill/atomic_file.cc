#include "services/backfill/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace crvs::backfill {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::InternalError(path + ": " + what + ": " + std::strerror(errno));
}

std::string DirectoryOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AtomicFile>> AtomicFile::Create(const std::string& path) {
  std::unique_ptr<AtomicFile> f(new AtomicFile());
  f->path_ = path;
  f->temp_path_ = path + ".tmp";
  f->file_ = std::fopen(f->temp_path_.c_str(), "we");
  if (f->file_ == nullptr) return Errno("cannot create", f->temp_path_);
  std::setvbuf(f->file_, nullptr, _IOFBF, kBufferBytes);
  return f;
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) {
    std::fclose(file_);
    ::unlink(temp_path_.c_str());
  }
}

absl::Status AtomicFile::Write(std::string_view bytes) {
  if (file_ == nullptr) return absl::FailedPreconditionError(path_ + ": already committed");
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    failed_ = true;
    return Errno("cannot write", temp_path_);
  }
  return absl::OkStatus();
}

absl::Status AtomicFile::Commit() {
  if (file_ == nullptr) return absl::FailedPreconditionError(path_ + ": already committed");
  if (failed_) return absl::InternalError(temp_path_ + ": an earlier write failed");
  if (std::fflush(file_) != 0) return Errno("cannot write", temp_path_);
  if (::fsync(fileno(file_)) != 0) return Errno("cannot fsync", temp_path_);
  FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) {
    ::unlink(temp_path_.c_str());
    return Errno("cannot close", temp_path_);
  }
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    absl::Status st = Errno("cannot rename " + temp_path_ + " to", path_);
    ::unlink(temp_path_.c_str());
    return st;
  }
  // The rename itself must survive a power cut, not only the data.
  int dir = ::open(DirectoryOf(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view content) {
  auto file = AtomicFile::Create(path);
  if (!file.ok()) return file.status();
  absl::Status st = (*file)->Write(content);
  if (!st.ok()) return st;
  return (*file)->Commit();
}

}  // namespace crvs::backfill
