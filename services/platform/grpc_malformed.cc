#include "services/platform/grpc_malformed.h"

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/support/server_interceptor.h>

namespace crvs {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

// One per call. POST_RECV_MESSAGE with no message is a request that failed to parse (for
// unary and server-streaming calls it is always the one request); the status gRPC then sends
// is replaced before it leaves.
class MalformedRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MalformedRequestInterceptor(ServerRpcInfo* info) : info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      malformed_ = true;
    }
    if (malformed_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      std::string method = info_->method();  // "/package.Service/Method"
      if (!method.empty() && method[0] == '/') method.erase(0, 1);
      methods->ModifySendStatus(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          "the bytes received are not a valid " + method +
              " request: truncated or malformed protobuf, or a string field that is not UTF-8"));
    }
    methods->Proceed();
  }

 private:
  ServerRpcInfo* const info_;
  bool malformed_ = false;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    if (info->type() != ServerRpcInfo::Type::UNARY &&
        info->type() != ServerRpcInfo::Type::SERVER_STREAMING) {
      return nullptr;
    }
    return new MalformedRequestInterceptor(info);
  }
};

}  // namespace

void AnswerMalformedRequests(grpc::ServerBuilder& builder) {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<Factory>());
  builder.experimental().SetInterceptorCreators(std::move(factories));
}

}  // namespace crvs
