# The test-framework helpers against an installed threadleak (label `install`): install the build
# tree into a fresh prefix, then configure, build and run each examples/<framework> project against
# it with the framework's own runner, and check that its clean test passes and its leaking tests
# fail, each with its own test name, start routine and creation site (file:line). One framework
# per run, so that ctest can run them side by side. A framework
# whose package is missing on this machine has no test. Run with cmake -P and:
#   FRAMEWORK (gtest, catch2, ...) BUILD_DIR SOURCE_DIR WORK_DIR CTEST C_COMPILER CXX_COMPILER
foreach(var FRAMEWORK BUILD_DIR SOURCE_DIR WORK_DIR CTEST C_COMPILER CXX_COMPILER)
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
if(FRAMEWORK STREQUAL "gtest")
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

# --- Catch2 v2: CATCH_REGISTER_LISTENER, run by Catch2 itself and by ctest -j2 ---
elseif(FRAMEWORK STREQUAL "catch2")
  build_example(catch2)
  set(bin ${WORK_DIR}/catch2/pool_test)
  run(0 ${env} ${bin} "pool stops its workers")
  expect("All tests passed")
  expect_not("threadleak")
  # The compact reporter does not wrap lines.
  run(fail ${env} ${bin} -r compact "pool forgets to stop")
  expect("pool\\.h:${pool_line}: failed: explicitly with 1 message: 'threadleak: test pool forgets to stop ${pool_leak}")
  expect("Failed 1 test case, failed 1 assertion")
  # A test case runs once per leaf section, each run checked on its own: only the second leaks.
  run(fail ${env} ${bin} -r compact "pool in sections")
  expect("threadleak: test pool in sections ${pool_leak}")
  expect("in scope pool in sections \\(run 2\\)")
  expect_not("in scope pool in sections\n")
  expect("Failed 1 test case, failed 1 assertion")
  # The JUnit reporter: the message and the report in the <failure>.
  run(fail ${env} ${bin} -r junit "watchdog never stopped")
  expect("<failure type=\"FAIL_CHECK\">\nFAILED:\nthreadleak: test watchdog never stopped ${watchdog_leak}")
  expect("threadleak: 1 leaked thread in 1 group")
  # ctest -j2: a process per test case; each blamed for its own threads only.
  run(fail ${env} ${CTEST} --test-dir ${WORK_DIR}/catch2 -j2 --output-on-failure)
  expect("pool stops its workers [.]+ +Passed")
  expect("pool forgets to stop [.]+[*]+Failed")
  expect("watchdog never stopped [.]+[*]+Failed")
  expect("threadleak: test pool forgets to stop leaked 2 threads: start routine")
  expect("threadleak: test watchdog never stopped leaked 1 thread: start routine")
  expect_not("test pool forgets to stop leaked [^\n]*watchdog_loop")
  expect_not("test watchdog never stopped leaked [^\n]*pool_worker")
  message(STATUS "catch2: checked")

# --- doctest: REGISTER_LISTENER, run by doctest itself and by ctest -j2 ---
elseif(FRAMEWORK STREQUAL "doctest")
  build_example(doctest)
  set(bin ${WORK_DIR}/doctest/pool_test)
  run(0 ${env} ${bin} "-tc=pool stops its workers")
  expect("test cases: 1 \\| 1 passed \\| 0 failed")
  expect_not("threadleak")
  run(fail ${env} ${bin} "-tc=pool forgets to stop")
  expect("pool\\.h:${pool_line}: ERROR: CHECK\\( no leaked threads \\) is NOT correct!\n  values: CHECK\\( threadleak: test pool forgets to stop ${pool_leak}")
  expect("test cases: 1 \\| 0 passed \\| 1 failed")
  # A test case runs once per leaf subcase, each run checked on its own: only the second leaks.
  run(fail ${env} ${bin} "-tc=pool in subcases")
  expect("threadleak: test pool in subcases ${pool_leak}")
  expect("in scope pool in subcases \\(run 2\\)")
  expect_not("in scope pool in subcases\n")
  expect("test cases: 1 \\| 0 passed \\| 1 failed")
  # The JUnit reporter: the message and the report in the <failure>.
  run(fail ${env} ${bin} -r=junit "-tc=watchdog never stopped")
  expect("<failure message=\"threadleak: test watchdog never stopped ${watchdog_leak}")
  # ctest -j2: a process per test case; each blamed for its own threads only.
  run(fail ${env} ${CTEST} --test-dir ${WORK_DIR}/doctest -j2 --output-on-failure)
  expect("pool stops its workers [.]+ +Passed")
  expect("pool forgets to stop [.]+[*]+Failed")
  expect("watchdog never stopped [.]+[*]+Failed")
  expect("threadleak: test pool forgets to stop leaked 2 threads: start routine")
  expect("threadleak: test watchdog never stopped leaked 1 thread: start routine")
  expect_not("test pool forgets to stop leaked [^\n]*watchdog_loop")
  expect_not("test watchdog never stopped leaked [^\n]*pool_worker")
  message(STATUS "doctest: checked")

# --- Boost.Test: BOOST_TEST_GLOBAL_FIXTURE, run by Boost.Test itself and by ctest -j2 ---
elseif(FRAMEWORK STREQUAL "boost_test")
  build_example(boost_test)
  set(bin ${WORK_DIR}/boost_test/pool_test)
  run(0 ${env} ${bin} --color_output=no --run_test=pool_stops_its_workers)
  expect("No errors detected")
  expect_not("threadleak")
  run(fail ${env} ${bin} --color_output=no --run_test=pool_forgets_to_stop)
  expect("pool\\.h\\(${pool_line}\\): error: in \"pool_forgets_to_stop\": threadleak: test pool_forgets_to_stop ${pool_leak}")
  expect("1 failure is detected")
  # The JUnit log: the message and the report in the <failure>.
  set(xml ${WORK_DIR}/boost_test/junit.xml)
  run(fail ${env} ${bin} --run_test=watchdog_never_stopped --log_format=JUNIT --log_sink=${xml})
  file(READ ${xml} out)
  expect("<failure message=\"failure\" type=\"assertion error\"><!\\[CDATA\\[\nASSERTION FAILURE:\n- file   : pool\\.h\n- line   : ${watchdog_line}\n- message: threadleak: test watchdog_never_stopped ${watchdog_leak}")
  # ctest -j2: a process per test case; each blamed for its own threads only.
  run(fail ${env} ${CTEST} --test-dir ${WORK_DIR}/boost_test -j2 --output-on-failure)
  expect("pool_stops_its_workers [.]+ +Passed")
  expect("pool_forgets_to_stop [.]+[*]+Failed")
  expect("watchdog_never_stopped [.]+[*]+Failed")
  expect("threadleak: test pool_forgets_to_stop leaked 2 threads: start routine")
  expect("threadleak: test watchdog_never_stopped leaked 1 thread: start routine")
  expect_not("test pool_forgets_to_stop leaked [^\n]*watchdog_loop")
  expect_not("test watchdog_never_stopped leaked [^\n]*pool_worker")
  message(STATUS "boost_test: checked")
else()
  message(FATAL_ERROR "unknown framework ${FRAMEWORK}")
endif()
