# Read by ctest, not by CMake: threadleak_gate_tests() (threadleakTesting.cmake) makes each gated
# directory's CTestTestfile.cmake include a file that includes this one and calls
# threadleak_gate_directory. The add_test below then wraps the commands of that directory's tests,
# except those added before the call and those that already run under threadleak.

# Defined once, however many directories are gated: a second definition of add_test would make
# _add_test this one, and it would call itself.
if(COMMAND threadleak_gate_directory)
  return()
endif()
# ctest reads test files with no policy set; the functions below keep these (IN_LIST), and
# include() scopes them to this file.
cmake_policy(VERSION 3.25)

# One call of threadleak_gate_tests() in a directory, whose CTestTestfile.cmake is testfile: the
# tests that ctest then reads from it, other than those named in skip (the tests added before the
# call), run as cli run_args (ending in "--") COMMAND ARGS. ctest reads the top directory's
# testfile by a relative name and the others' by absolute ones, and CMAKE_CURRENT_LIST_FILE
# names it the same way in add_test below (CMAKE_CURRENT_LIST_DIR is empty for the top one).
function(threadleak_gate_directory testfile cli run_args skip)
  string(MD5 key "${testfile}")
  get_property(calls GLOBAL PROPERTY threadleak_gate_${key})
  math(EXPR calls "${calls} + 0")
  set_property(GLOBAL PROPERTY threadleak_gate_${key}_${calls}_cli "${cli}")
  set_property(GLOBAL PROPERTY threadleak_gate_${key}_${calls}_args "${run_args}")
  set_property(GLOBAL PROPERTY threadleak_gate_${key}_${calls}_skip "${skip}")
  math(EXPR calls "${calls} + 1")
  set_property(GLOBAL PROPERTY threadleak_gate_${key} ${calls})
endfunction()

# CMAKE_CURRENT_LIST_FILE is the CTestTestfile.cmake that calls add_test. The latest call that
# the test came after decides; a test whose command is threadleak already (threadleak_add_test)
# is not wrapped again.
function(add_test name command)
  string(MD5 key "${CMAKE_CURRENT_LIST_FILE}")
  get_property(calls GLOBAL PROPERTY threadleak_gate_${key})
  if(calls)
    math(EXPR last "${calls} - 1")
    foreach(call RANGE ${last} 0 -1)
      get_property(skip GLOBAL PROPERTY threadleak_gate_${key}_${call}_skip)
      if(NOT name IN_LIST skip)
        get_property(cli GLOBAL PROPERTY threadleak_gate_${key}_${call}_cli)
        get_property(run_args GLOBAL PROPERTY threadleak_gate_${key}_${call}_args)
        if(NOT command STREQUAL cli)
          _add_test(${name} ${cli} ${run_args} ${command} ${ARGN})
          return()
        endif()
        break()
      endif()
    endforeach()
  endif()
  _add_test(${ARGV})
endfunction()
