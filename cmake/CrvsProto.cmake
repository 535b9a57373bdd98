# crvs_proto_library(name PROTOS a.proto ... DEPS other_proto_lib ... [GRPC])
#
# Generates C++ (and, with GRPC, gRPC stubs) into the build tree and wraps the result
# in one static library per proto package. Generated code compiles without our
# warning flags. Paths in PROTOS are relative to ${CRVS_PROTO_ROOT}.

function(crvs_proto_library name)
  cmake_parse_arguments(ARG "GRPC" "ROOT" "PROTOS;DEPS" ${ARGN})
  if(NOT ARG_ROOT)
    set(ARG_ROOT ${CRVS_PROTO_ROOT})
  endif()
  set(out ${CMAKE_BINARY_DIR}/gen)
  set(srcs)
  set(hdrs)
  foreach(proto ${ARG_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    set(gen ${out}/${base}.pb.cc ${out}/${base}.pb.h)
    set(args --cpp_out=${out})
    if(ARG_GRPC)
      list(APPEND gen ${out}/${base}.grpc.pb.cc ${out}/${base}.grpc.pb.h)
      list(APPEND args --grpc_out=${out} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN})
    endif()
    add_custom_command(
      OUTPUT ${gen}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
      COMMAND protobuf::protoc
        -I ${CRVS_PROTO_ROOT} -I ${GOOGLEAPIS_PROTO_DIR} -I ${Protobuf_INCLUDE_DIRS}
        ${args} ${ARG_ROOT}/${proto}
      DEPENDS ${ARG_ROOT}/${proto} protobuf::protoc
      COMMENT "protoc ${proto}"
      VERBATIM)
    list(APPEND srcs ${gen})
  endforeach()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} SYSTEM PUBLIC ${out})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  if(ARG_GRPC)
    target_link_libraries(${name} PUBLIC gRPC::grpc++)
  endif()
endfunction()
