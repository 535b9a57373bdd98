# Helpers that keep every CMakeLists.txt short and the same shape.
#
#   crvs_library(name SOURCES ... DEPS ...)        a static library of our code
#   crvs_test(name LABEL unit SOURCES ... DEPS ...) a GoogleTest binary registered with CTest
#
# Our code compiles with warnings as errors; generated and third-party code does not
# (it is built by its own targets, see CrvsProto.cmake).

set(CRVS_WARNINGS -Wall -Wextra -Wpedantic -Werror -Wno-unused-parameter)

function(crvs_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${CRVS_WARNINGS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

function(crvs_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    message(FATAL_ERROR "crvs_test(${name}): LABEL unit|integration|e2e|faults is required")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${CRVS_WARNINGS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} crvs_testing GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT})
endfunction()
