// HTTP servers of crvs listen on their port alone. cpp-httplib sets SO_REUSEPORT by default:
// a second process started on the same port (a second `crvs dev`, a mistyped unit file) would
// then bind too and the kernel would split connections between two pipelines, silently. Only
// SO_REUSEADDR is kept, so a restarted process can bind while old connections sit in TIME_WAIT.
#pragma once

#include <httplib.h>
#include <sys/socket.h>

namespace crvs {

inline void ListenExclusively(httplib::Server& server) {
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<void*>(&yes), sizeof(yes));
  });
}

}  // namespace crvs
