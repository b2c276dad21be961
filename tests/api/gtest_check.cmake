# Runs gtest_leak_demo (a GoogleTest program with threadleak's listener whose tests leak on
# purpose) and checks each failure: the tests that leak fail, each once, at the line marked
# "site: <start routine>" in the source, naming that start routine and the test as GoogleTest names
# it; the others pass. Run with cmake -P and -DDEMO=<binary> -DSOURCE=<gtest_leak_demo.cc>.
foreach(var DEMO SOURCE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "gtest_check.cmake: -D${var}=... is missing")
  endif()
endforeach()

# The line of each "// site: NAME" marker.
file(STRINGS ${SOURCE} lines)
set(n 0)
foreach(line IN LISTS lines)
  math(EXPR n "${n} + 1")
  if(line MATCHES "// site: ([a-z_]+)")
    set(site_${CMAKE_MATCH_1} ${n})
  endif()
endforeach()

function(run_demo expect_rc)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env THREADLEAK_OPTIONS=exitcode=0:linger_ms=50 ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "$ ${ARGN}\n${out}${err}")
  if(expect_rc STREQUAL "fail")
    if(rc EQUAL 0)
      message(FATAL_ERROR "expected a failure: ${ARGN}")
    endif()
  elseif(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "status ${rc}, expected ${expect_rc}: ${ARGN}")
  endif()
  set(out "${out}" PARENT_SCOPE)
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

function(expect_count pattern count)
  string(REGEX MATCHALL "${pattern}" found "${out}")
  list(LENGTH found n)
  if(NOT n EQUAL count)
    message(FATAL_ERROR "${n} times in the output, expected ${count}: ${pattern}")
  endif()
endfunction()

# A test's failure: GoogleTest's `FILE:LINE: Failure` at the creation site, then the message.
function(expect_blamed test routine)
  string(REGEX REPLACE "([][.*+?()^$])" "\\\\\\1" test_re "${test}")
  expect("gtest_leak_demo\\.cc:${site_${routine}}: Failure\nFailed\nthreadleak: test ${test_re} leaked 1 thread: start routine ${routine}, created at [^\n]*gtest_leak_demo\\.cc:${site_${routine}} in ")
  expect_count("threadleak: test ${test_re} leaked" 1)
  expect("\\[  FAILED  \\] ${test_re}[ ,]")
endfunction()

# A clean test passes, and says nothing.
run_demo(0 ${CMAKE_COMMAND} -E env DEMO_NO_ENVIRONMENT=1 ${DEMO} --gtest_filter=Demo.Clean)
expect("\\[       OK \\] Demo.Clean")
expect_not("threadleak")

# Everything: each leak blamed on its own test, the environment's on the program.
run_demo(fail ${DEMO})
expect("\\[       OK \\] Demo.Clean")
expect_blamed(Demo.LeaksOne one_worker)
expect_blamed(Demo.OverlapA a_spawner)
expect_blamed(Demo.OverlapB b_worker)
expect_blamed(Sizes/Param.Leaks/1 param_worker)
expect_blamed(Typed/1.Leaks typed_worker)
expect("\\[       OK \\] Sizes/Param.Leaks/0")
expect("\\[       OK \\] Typed/0.Leaks")
expect("\\[  FAILED  \\] Sizes/Param.Leaks/1, where GetParam\\(\\) = 2")
expect("\\[  FAILED  \\] Typed/1.Leaks, where TypeParam = char")
# OverlapA's thread started spawned_child while OverlapB ran: OverlapA's, blamed on nobody else.
expect_not("start routine spawned_child")
expect("gtest_leak_demo\\.cc:${site_env_worker}: Failure\nFailed\nthreadleak: the test program leaked 1 thread: start routine env_worker")
expect_count("threadleak: the test program leaked" 1)
expect(" 5 FAILED TESTS")

# --gtest_repeat and --gtest_shuffle: each iteration blames the thread it leaked, not the older
# ones still running; the environment's thread is reported once.
run_demo(fail ${DEMO} --gtest_filter=Demo.LeaksOne:Demo.Clean:Sizes/* --gtest_repeat=3
  --gtest_shuffle)
expect_count("threadleak: test Demo.LeaksOne leaked 1 thread: start routine one_worker" 3)
expect_count("threadleak: test Sizes/Param.Leaks/1 leaked 1 thread: start routine param_worker" 3)
expect_count("threadleak: test Demo.Clean" 0)
expect_count("threadleak: test Sizes/Param.Leaks/0" 0)
expect_count("threadleak: the test program leaked 1 thread: start routine env_worker" 1)
expect_not("leaked [2-9] threads")

# The report is attached to the failed test in GoogleTest's XML.
get_filename_component(dir ${DEMO} DIRECTORY)
set(xml ${dir}/gtest_leak_demo.xml)
file(REMOVE ${xml})
run_demo(fail ${CMAKE_COMMAND} -E env DEMO_NO_ENVIRONMENT=1 ${DEMO} --gtest_filter=Demo.LeaksOne
  --gtest_output=xml:${xml})
file(READ ${xml} out)
expect("<testcase name=\"LeaksOne\"[^>]*>[^<]*<failure message=\"[^\"]*threadleak: test Demo.LeaksOne leaked 1 thread")
expect("<property name=\"threadleak\" value=\"==[0-9]+== threadleak: 1 leaked thread in 1 group")
expect_not("the test program leaked")
message(STATUS "gtest_check: all checks passed")
