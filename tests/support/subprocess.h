// Runs real programs from tests (the crvs binary, kcat, initdb/postgres): either to completion
// with their output captured, or in the background with stdout readable line by line and a
// SIGTERM on destruction. POSIX only.
//
// Thread-safety: a Subprocess belongs to one test thread.
#pragma once

#include <string>
#include <vector>

namespace crvs::testing {

struct RunResult {
  int exit_code = -1;  // 128+signal when killed by a signal
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs argv[0] (searched in PATH) to completion; `input` is written to its stdin.
RunResult RunProgram(const std::vector<std::string>& argv, const std::string& input = "");

class Subprocess {
 public:
  explicit Subprocess(const std::vector<std::string>& argv);
  ~Subprocess();  // SIGTERM, then SIGKILL after 5 s, then reap
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Next line of stdout (without the newline); empty with *eof = true at end of output
  // or after `timeout_ms`.
  std::string ReadLine(int timeout_ms, bool* eof = nullptr);
  // Sends `signal` and waits up to `grace_ms` for exit, then SIGKILL; returns the exit code
  // (128+signal when killed by a signal).
  int Stop(int signal, int grace_ms = 5000);
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
  int exit_code_ = -1;
};

}  // namespace crvs::testing
