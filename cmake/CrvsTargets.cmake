# Helpers that keep every CMakeLists.txt short and the same shape.
#
#   crvs_library(name SOURCES ... DEPS ...)        a static library of our code
#   crvs_test(name LABEL unit SOURCES ... DEPS ...) a GoogleTest binary registered with CTest
#
# Our code compiles with warnings as errors; generated and third-party code does not
# (it is built by its own targets, see CrvsProto.cmake).

set(CRVS_WARNINGS -Wall -Wextra -Wpedantic -Werror -Wno-unused-parameter)

# Sanitizer builds (clang only; scripts/sanitize.sh configures and runs them: tests/sanitizers).
#
#   CRVS_SANITIZE=address  AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer included)
#   CRVS_SANITIZE=thread   ThreadSanitizer
#   CRVS_FUZZ=ON           libFuzzer targets (tests/fuzz/README.md); implies address
#
# Our libraries and tests are instrumented; generated and third-party code is not: the flags ride
# on CRVS_WARNINGS, the option list every target of our code compiles with. Every clang build
# also runs clang's thread-safety analysis (-Wthread-safety: ABSL_GUARDED_BY and friends on our
# shared state, services/platform/mutex.h) and fails on its findings; clang's other warnings
# differ from g++'s and do not fail the build (the g++ build is where warnings are policed).
option(CRVS_FUZZ "Build libFuzzer targets with ASan+UBSan (needs clang)" OFF)
set(CRVS_SANITIZE "" CACHE STRING "Sanitizer build: address (ASan+UBSan) or thread (TSan); clang only")
if(CRVS_FUZZ)
  set(CRVS_SANITIZE address)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  list(REMOVE_ITEM CRVS_WARNINGS -Werror)
  list(APPEND CRVS_WARNINGS -Wthread-safety -Werror=thread-safety)
endif()
if(CRVS_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CRVS_SANITIZE / CRVS_FUZZ need clang: configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(CRVS_SANITIZE STREQUAL "address")
    set(sanitize -fsanitize=address,undefined -fno-sanitize-recover=undefined)
  elseif(CRVS_SANITIZE STREQUAL "thread")
    set(sanitize -fsanitize=thread)
  else()
    message(FATAL_ERROR "CRVS_SANITIZE=${CRVS_SANITIZE}: expected address or thread")
  endif()
  list(APPEND sanitize -fno-omit-frame-pointer)
  list(APPEND CRVS_WARNINGS ${sanitize})
  if(CRVS_FUZZ)
    list(APPEND CRVS_WARNINGS -fsanitize=fuzzer-no-link)
  endif()
  add_link_options(${sanitize})  # every executable links the sanitizer runtimes
  if(CRVS_SANITIZE STREQUAL "thread")
    # C11 threads through TSan's pthread interceptors (librdkafka's threads and locks): the
    # file says why. Every executable gets the objects (crvs_executable).
    add_library(crvs_tsan_c11_threads OBJECT ${PROJECT_SOURCE_DIR}/tests/sanitizers/c11_threads_tsan.c)
    target_compile_options(crvs_tsan_c11_threads PRIVATE ${sanitize})
  endif()
endif()

# What every executable of ours gets besides its sources: today, in a TSan build, the C11
# threads shim above.
function(crvs_executable target)
  if(TARGET crvs_tsan_c11_threads)
    target_sources(${target} PRIVATE $<TARGET_OBJECTS:crvs_tsan_c11_threads>)
  endif()
endfunction()

# crvs_embed_text(OUT FILE NAMESPACE FUNCTION)  data compiled in, from a file kept as data
#
# Generates into the build tree a .cc defining `std::string_view NAMESPACE::FUNCTION()`, which
# returns FILE's text as it was at build time, and sets OUT to that .cc (add it to a library's
# SOURCES). Editing FILE re-runs CMake (CMAKE_CONFIGURE_DEPENDS); nothing generated goes into
# git. Used for the reference data under deploy/reference, which a configuration can replace.
function(crvs_embed_text out file namespace function)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${file})
  file(READ ${file} CRVS_EMBED_TEXT)
  string(FIND "${CRVS_EMBED_TEXT}" ")crvs_text\"" delimiter_at)
  if(NOT delimiter_at EQUAL -1)
    message(FATAL_ERROR "${file} contains the raw-string delimiter )crvs_text\"")
  endif()
  file(RELATIVE_PATH CRVS_EMBED_SOURCE ${PROJECT_SOURCE_DIR} ${file})
  set(CRVS_EMBED_NAMESPACE ${namespace})
  set(CRVS_EMBED_FUNCTION ${function})
  set(generated ${CMAKE_CURRENT_BINARY_DIR}/embedded_${function}.cc)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/embedded_text.cc.in ${generated} @ONLY)
  set(${out} ${generated} PARENT_SCOPE)
endfunction()

function(crvs_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${CRVS_WARNINGS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

function(crvs_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "LABEL;SOURCES;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    message(FATAL_ERROR "crvs_test(${name}): LABEL unit|integration|e2e|faults is required")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  crvs_executable(${name})
  target_compile_options(${name} PRIVATE ${CRVS_WARNINGS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} crvs_testing GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABEL}" TIMEOUT ${ARG_TIMEOUT})
endfunction()

# crvs_fuzzer(name SOURCES ... DEPS ...)  a libFuzzer target (LLVMFuzzerTestOneInput)
#
# With CRVS_FUZZ it is a libFuzzer binary `name` (tests/fuzz/run_fuzz.sh runs it). Without, the
# normal build still compiles it, as `name`_replay with a main that feeds it every file of
# tests/fuzz/corpus/`name`, registered as the unit test `name`_corpus: the target keeps
# compiling under -Werror and the committed corpus (seeds and past crash reproducers) keeps
# passing in every build.
function(crvs_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(CRVS_FUZZ)
    set(target ${name})
    add_executable(${target} ${ARG_SOURCES})
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
    set_property(GLOBAL APPEND PROPERTY CRVS_FUZZERS ${target})
  else()
    set(target ${name}_replay)
    add_executable(${target} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cc)
    add_test(NAME ${name}_corpus
      COMMAND ${target} ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
    set_tests_properties(${name}_corpus PROPERTIES LABELS unit TIMEOUT 120)
  endif()
  crvs_executable(${target})
  target_compile_options(${target} PRIVATE ${CRVS_WARNINGS})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${target} PRIVATE ${ARG_DEPS})
endfunction()
