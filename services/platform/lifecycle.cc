#include "services/platform/lifecycle.h"

#include <csignal>

#include "services/platform/logging.h"

namespace crvs {
namespace {
sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

void Lifecycle::BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int Lifecycle::WaitForSignal() {
  sigset_t set = ShutdownSignals();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

bool Lifecycle::ShutdownSignalPending() {
  sigset_t set = ShutdownSignals();
  const timespec no_wait{0, 0};
  return sigtimedwait(&set, nullptr, &no_wait) > 0;
}

void Lifecycle::OnStop(std::string name, std::function<void()> stop) {
  stops_.emplace_back(std::move(name), std::move(stop));
}

void Lifecycle::Stop() {
  auto log = logging::Get("lifecycle");
  while (!stops_.empty()) {
    auto [name, stop] = std::move(stops_.back());
    stops_.pop_back();
    log->info("stopping component={}", name);
    stop();
  }
}

Lifecycle::~Lifecycle() { Stop(); }

}  // namespace crvs
