# The test-framework helpers against an installed threadleak (label `install`): install the build
# tree into a fresh prefix, then configure, build and run each examples/<framework> project against
# it with the framework's own runner, and check that its clean test passes and its leaking tests
# fail, each with its own test name, start routine and creation site (file:line). A framework
# whose package is missing on this machine is skipped, and said so. Run with cmake -P and:
#   FRAMEWORKS (",gtest,catch2,...": those found at configure time)
#   BUILD_DIR SOURCE_DIR WORK_DIR CTEST C_COMPILER CXX_COMPILER
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR CTEST C_COMPILER CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "frameworks_test.cmake: -D${var}=... is missing")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# run(EXPECT COMMAND...): EXPECT is a status, or `fail` for any status but 0. Sets `out`.
function(run expect)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  message(STATUS "$ ${ARGN}\n${o}${e}")
  if(expect STREQUAL "fail")
    if(rc EQUAL 0)
      message(FATAL_ERROR "expected a failure: ${ARGN}")
    endif()
  elseif(NOT rc EQUAL expect)
    message(FATAL_ERROR "status ${rc}, expected ${expect}: ${ARGN}")
  endif()
  set(out "${o}${e}" PARENT_SCOPE)
endfunction()

function(expect pattern)
  if(NOT out MATCHES "${pattern}")
    message(FATAL_ERROR "not in the output: ${pattern}")
  endif()
endfunction()

function(expect_not pattern)
  if(out MATCHES "${pattern}")
    message(FATAL_ERROR "in the output, and must not be: ${pattern}")
  endif()
endfunction()

# The line in examples/pool/pool.h that creates the threads of start routine `routine`.
function(pool_site routine var)
  file(STRINGS ${SOURCE_DIR}/examples/pool/pool.h lines)
  set(n 0)
  foreach(line IN LISTS lines)
    math(EXPR n "${n} + 1")
    if(line MATCHES "pthread_create\\(.*, ${routine}, ")
      set(${var} ${n} PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "no pthread_create of ${routine} in pool.h")
endfunction()
pool_site(pool_worker pool_line)
pool_site(watchdog_loop watchdog_line)
# The one-line message every helper prints (threadleak_frameworks.h, tl_fw_message).
set(pool_leak "leaked 2 threads: start routine pool_worker[^,\n]*, created at [^\n]*pool\\.h:${pool_line} in pool_start")
set(watchdog_leak "leaked 1 thread: start routine watchdog_loop[^,\n]*, created at [^\n]*pool\\.h:${watchdog_line} in watchdog_start")

# Configures and builds examples/NAME against the prefix.
function(build_example name)
  set(build ${WORK_DIR}/${name})
  run(0 ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/${name} -B ${build}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${C_COMPILER}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Debug)
  run(0 ${CMAKE_COMMAND} --build ${build})
endfunction()

run(0 ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
set(env ${CMAKE_COMMAND} -E env THREADLEAK_OPTIONS=exitcode=0)

# --- GoogleTest: threadleak::gtest_main, run by GoogleTest itself and by ctest -j2 ---
if(FRAMEWORKS MATCHES ",gtest")
  if(NOT EXISTS ${prefix}/include/threadleak_gtest.hpp)
    message(FATAL_ERROR "not installed: include/threadleak_gtest.hpp")
  endif()
  build_example(gtest)
  set(bin ${WORK_DIR}/gtest/pool_test)
  run(0 ${env} ${bin} --gtest_filter=Pool.StopsItsWorkers)
  expect("\\[       OK \\] Pool.StopsItsWorkers")
  expect_not("threadleak")
  run(fail ${env} ${bin} --gtest_filter=Pool.ForgetsToStop)
  expect("pool\\.h:${pool_line}: Failure\nFailed\nthreadleak: test Pool\\.ForgetsToStop ${pool_leak}")
  expect("\\[  FAILED  \\] Pool.ForgetsToStop")
  # ctest -j2 runs each GoogleTest test in a process of its own (gtest_discover_tests): the two
  # leaking tests run at the same time, and each is blamed for its own threads only.
  run(fail ${env} ${CTEST} --test-dir ${WORK_DIR}/gtest -j2 --output-on-failure)
  expect("Pool.StopsItsWorkers [.]+ +Passed")
  expect("Pool.ForgetsToStop [.]+[*]+Failed")
  expect("Watchdog.NeverStopped [.]+[*]+Failed")
  expect("threadleak: test Pool\\.ForgetsToStop ${pool_leak}")
  expect("threadleak: test Watchdog\\.NeverStopped ${watchdog_leak}")
  expect_not("test Pool\\.ForgetsToStop leaked [^\n]*watchdog_loop")
  expect_not("test Watchdog\\.NeverStopped leaked [^\n]*pool_worker")
  message(STATUS "gtest: checked")
else()
  message(STATUS "gtest: GoogleTest not found, skipped")
endif()
