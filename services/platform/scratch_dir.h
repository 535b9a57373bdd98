// A scratch directory: created fresh under the system temp dir ($TMPDIR, else /tmp) and
// removed with everything in it when the ScratchDir goes. For work files that must not
// outlive a run (`crvs bench backfill`'s generated export) and for tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace crvs::platform {

class ScratchDir {
 public:
  // Creates <temp dir>/<prefix>-XXXXXX (mkdtemp). When that fails, ok() is false and path()
  // is empty.
  explicit ScratchDir(const std::string& prefix = "crvs-scratch") {
    std::error_code ec;
    std::filesystem::path temp = std::filesystem::temp_directory_path(ec);
    if (ec) temp = "/tmp";
    std::string tmpl = (temp / (prefix + "-XXXXXX")).string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~ScratchDir() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  // `name` inside the directory.
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace crvs::platform
