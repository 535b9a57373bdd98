# Finds every external dependency, each the way Debian ships it:
# gRPC and abseil through their CMake configs, protobuf in module mode,
# librdkafka through pkg-config.

find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)            # module mode: Debian ships no protobuf CMake config
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(CLI11 CONFIG QUIET)           # header-only; Debian ships a config in some releases
find_package(nlohmann_json CONFIG REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(RDKAFKAXX REQUIRED IMPORTED_TARGET rdkafka++)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)  # argon2id (services/operators)
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)  # hospital documents (services/documents)
pkg_check_modules(XMLSEC REQUIRED IMPORTED_TARGET xmlsec1-openssl)  # their XML signatures

if(NOT TARGET CLI11::CLI11)
  find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  target_include_directories(CLI11::CLI11 INTERFACE ${CLI11_INCLUDE_DIR})
endif()

pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)  # Debian builds it as a library

# google/rpc/{status,error_details}.proto for the rich error model, from Debian's
# golang-github-gogo-googleapis-dev (plain googleapis protos, no gogo options).
find_path(GOOGLEAPIS_PROTO_DIR google/rpc/status.proto
  PATHS /usr/share/gocode/src/github.com/gogo/googleapis
  REQUIRED)

find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
