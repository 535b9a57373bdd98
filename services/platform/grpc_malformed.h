// Requests whose bytes do not parse as the method's request message (truncated or malformed
// wire format, a proto3 string that is not UTF-8) are answered INVALID_ARGUMENT naming the
// method. Left to gRPC, the callback API answers UNIMPLEMENTED with no message and the sync API
// INTERNAL: both send an integrator looking in the wrong place.
//
// Covers unary and server-streaming methods (their one request is parsed before the handler
// runs). In client and bidi streams a message that does not parse ends the reads the way a
// half-close does, and gRPC does not tell the two apart.
#pragma once

#include <grpcpp/server_builder.h>

namespace crvs {

// Installs the interceptor on `builder`; call once per server, before BuildAndStart.
void AnswerMalformedRequests(grpc::ServerBuilder& builder);

}  // namespace crvs
