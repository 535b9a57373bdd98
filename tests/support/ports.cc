#include "tests/support/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <random>

namespace crvs::testing {
namespace {

// The first port of the ephemeral range (32768 when it cannot be read).
int EphemeralStart() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0, high = 0;
  if (range >> low >> high && low > 2048) return low;
  return 32768;
}

bool Bindable(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

int FreeLoopbackPort() {
  static std::mutex mu;
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(getpid()));
  std::lock_guard<std::mutex> lock(mu);
  const int high = EphemeralStart() - 1;
  const int low = high > 12000 ? high - 12000 : 1024;
  std::uniform_int_distribution<int> pick(low, high);
  for (int attempt = 0; attempt < 2000; ++attempt) {
    const int port = pick(rng);
    if (Bindable(port)) return port;
  }
  return -1;
}

}  // namespace crvs::testing
