// Ports for the servers a test starts.
#pragma once

namespace crvs::testing {

// A loopback TCP port that nothing listens on right now, picked below the kernel's ephemeral
// range (net.ipv4.ip_local_port_range, 32768-60999 by default). A port the kernel hands out
// for port 0 comes from that range, and between the pick and the server's own bind any outgoing
// connection of any process (a Kafka client, a gRPC channel) can take it as its source port —
// "cannot bind" in a test running beside others. Below the range only a bind takes a port.
// Random, so that tests running at once rarely pick the same one; -1 when none is found.
int FreeLoopbackPort();

}  // namespace crvs::testing
