// The composition root's stop list: each component registers how to stop it right after it
// starts, and Stop() runs those in reverse order (last started, first stopped), so a sink stops
// consuming before the database it writes to closes.
//
// Thread-safety: OnStop and Stop from the main thread; WaitForSignal blocks the calling thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace crvs {

class Lifecycle {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread (and threads started after it), so that
  // WaitForSignal can take them. Call first thing in main, before any thread starts.
  static void BlockShutdownSignals();
  // Waits for SIGINT or SIGTERM; returns the signal number.
  static int WaitForSignal();
  // Takes a pending SIGINT or SIGTERM without waiting: for work that ends on its own and checks
  // between steps whether it was asked to stop.
  static bool ShutdownSignalPending();

  void OnStop(std::string name, std::function<void()> stop);
  // Runs every registered stop, newest first, once. Also run by the destructor.
  void Stop();
  ~Lifecycle();

 private:
  std::vector<std::pair<std::string, std::function<void()>>> stops_;
};

}  // namespace crvs
