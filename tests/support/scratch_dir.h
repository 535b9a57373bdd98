// A fresh directory under the system temp dir, removed with everything in it when the test
// ends.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace crvs::testing {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix = "crvs-test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    path_ = mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace crvs::testing
