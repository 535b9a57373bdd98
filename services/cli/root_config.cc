#include "services/cli/root_config.h"

#include <cstdlib>

#include "services/platform/status.h"

namespace crvs::cli {

absl::Status LoadConfig(const ConfigSources& sources, const char* const* envp, RootConfig* root,
                        config::Config* config) {
  root->BindTo(*config);
  std::string file = sources.file;
  if (file.empty()) {
    if (const char* env = std::getenv(std::string(config::Config::kConfigFileEnv).c_str())) {
      file = env;
    }
  }
  if (!file.empty()) CRVS_RETURN_IF_ERROR(config->LoadFile(file));
  CRVS_RETURN_IF_ERROR(config->LoadEnvironment(envp));
  for (const auto& s : sources.sets) CRVS_RETURN_IF_ERROR(config->Set(s));
  std::string err = logging::Configure(root->log);
  if (!err.empty()) return absl::InvalidArgumentError(err);
  return absl::OkStatus();
}

}  // namespace crvs::cli
