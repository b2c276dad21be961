# The install test (label `install`): install the build tree into a fresh prefix, then use it as
# a user would: examples/consumer and examples/cmocka through find_package(threadleak),
# examples/ctest's tests under threadleak_add_test() and threadleak_gate_tests() (each one's
# verdict checked), and a one-file program through pkg-config, run without LD_LIBRARY_PATH.
# Run with cmake -P and these -D variables:
#   BUILD_DIR SOURCE_DIR WORK_DIR CTEST PKG_CONFIG C_COMPILER
cmake_policy(VERSION 3.25) # IN_LIST, under cmake -P
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR CTEST PKG_CONFIG C_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_test.cmake: -D${var}=... is missing")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "$ ${ARGN}\n${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
  set(last_output "${out}${err}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(installed include/threadleak.h include/threadleak_cmocka.h include/threadleak_version.h
    share/man/man1/threadleak.1)
  if(NOT EXISTS ${prefix}/${installed})
    message(FATAL_ERROR "not installed: ${installed}")
  endif()
endforeach()
file(GLOB_RECURSE pc_files ${prefix}/*/threadleak.pc)
file(GLOB_RECURSE libs ${prefix}/*/libthreadleak.so)
if(NOT pc_files OR NOT libs)
  message(FATAL_ERROR "threadleak.pc or libthreadleak.so missing under ${prefix}")
endif()
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir ${pc_file} DIRECTORY)

# find_package users: the consumer app and the cmocka example.
foreach(example consumer cmocka)
  set(build ${WORK_DIR}/${example})
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/${example} -B ${build}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${C_COMPILER})
  run(${CMAKE_COMMAND} --build ${build})
  run(${CTEST} --test-dir ${build} --output-on-failure)
endforeach()

# threadleak_add_test and threadleak_gate_tests: each test of examples/ctest, alone, with the
# verdict ctest must give it. A leaking test must fail, and only because of the leak: the same
# program passes where it does not leak, and where the gate does not reach.
set(build ${WORK_DIR}/ctest)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/ctest -B ${build}
  -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${C_COMPILER})
run(${CMAKE_COMMAND} --build ${build})
set(must_pass version_matches one_clean one_leak_mode_tsan one_inversion_without_locks
  one_leak_baselined
  before_gate_leak_passes gated_clean gated_one_clean)
set(must_fail one_leak one_inversion one_script_leak gated_leak gated_script_leak)
# GoogleTest's cases, discovered when ctest runs, where GoogleTest is installed.
execute_process(COMMAND ${CTEST} --test-dir ${build} -N -R "^gtest[.]" OUTPUT_VARIABLE listed)
if(listed MATCHES "gtest[.]Clean[.]Joins")
  list(APPEND must_pass gtest.Clean.Joins)
  list(APPEND must_fail gtest.Leaky.LeavesAThreadRunning)
else()
  message(STATUS "GoogleTest is not installed: the discovered tests are not checked")
endif()
foreach(test ${must_pass} ${must_fail})
  execute_process(COMMAND ${CTEST} --test-dir ${build} -R "^${test}$" --output-on-failure
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT out MATCHES "tests passed, [01] tests failed out of 1\n")
    message(FATAL_ERROR "ctest did not run exactly one test named ${test}:\n${out}${err}")
  endif()
  if(test IN_LIST must_pass AND NOT rc EQUAL 0)
    message(FATAL_ERROR "${test} should pass under threadleak:\n${out}${err}")
  elseif(test IN_LIST must_fail AND rc EQUAL 0)
    message(FATAL_ERROR "${test} should fail under threadleak:\n${out}${err}")
  endif()
  message(STATUS "${test}: as expected (ctest exit ${rc})")
endforeach()
# What a failing gated test printed: threadleak's report, through the gate.
execute_process(COMMAND ${CTEST} --test-dir ${build} -R "^gated_leak$" --output-on-failure -V
  OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT out MATCHES "threadleak" OR NOT out MATCHES "wait_forever")
  message(FATAL_ERROR "gated_leak's output does not show the leak report:\n${out}${err}")
endif()

# The installed CLI with a program that also links the library: still one registry, clean.
if(EXISTS ${prefix}/bin/threadleak)
  run(${prefix}/bin/threadleak run -- ${WORK_DIR}/consumer/app)
  if(NOT last_output MATCHES "app: status 0")
    message(FATAL_ERROR "the consumer app under the installed threadleak run did not pass")
  endif()
endif()

# pkg-config users: one file, one command line, run against the installed library.
execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pc_dir}
  ${PKG_CONFIG} --cflags --libs threadleak
  RESULT_VARIABLE rc OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config --cflags --libs threadleak failed")
endif()
message(STATUS "pkg-config --cflags --libs threadleak: ${flags}")
separate_arguments(flags UNIX_COMMAND "${flags}")
run(${C_COMPILER} ${SOURCE_DIR}/examples/pkgconfig/hello.c ${flags} -o ${WORK_DIR}/hello)
get_filename_component(lib_dir ${libs} DIRECTORY)
# It runs as built: the .pc's Libs carry an rpath to the library directory, as docs/test-api.md
# says, so no LD_LIBRARY_PATH (which every child of the test would inherit) is needed.
run(${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH ${WORK_DIR}/hello)
if(NOT last_output MATCHES "clean")
  message(FATAL_ERROR "hello did not report a clean run")
endif()
# The program must use the installed library, not the build tree's.
run(${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH LD_TRACE_LOADED_OBJECTS=1 ${WORK_DIR}/hello)
# (The rpath is spelled from the .pc's directory, ${prefix}/lib/pkgconfig/../../lib: compare real
# paths.)
if(NOT last_output MATCHES "libthreadleak.so => ([^ ]+)")
  message(FATAL_ERROR "hello does not load libthreadleak.so")
endif()
get_filename_component(loaded ${CMAKE_MATCH_1} REALPATH)
get_filename_component(installed ${lib_dir}/libthreadleak.so REALPATH)
if(NOT loaded STREQUAL installed)
  message(FATAL_ERROR "hello loads ${loaded}, not ${installed}")
endif()
# The .pc names no URL that is not the project's.
file(STRINGS ${pc_file} url_lines REGEX "^URL:")
if(url_lines)
  message(FATAL_ERROR "threadleak.pc has a URL line: ${url_lines}")
endif()
