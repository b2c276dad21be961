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

# The key of the build directory whose tests the calling file adds: the directory of the file,
# where CTestTestfile.cmake and the files it includes (gtest_discover_tests' lists) live, or "top"
# for the top directory's CTestTestfile.cmake, which ctest reads by a relative name (its
# CMAKE_CURRENT_LIST_DIR is empty).
macro(_threadleak_gate_key out file)
  get_filename_component(_threadleak_gate_dir "${file}" DIRECTORY)
  if(_threadleak_gate_dir)
    string(MD5 ${out} "${_threadleak_gate_dir}")
  else()
    set(${out} top)
  endif()
endmacro()

# One call of threadleak_gate_tests() in the build directory binary_dir, whose CTestTestfile.cmake
# is testfile: the tests that ctest then reads for it, other than those named in skip (the tests
# added before the call), run as cli run_args (ending in "--") COMMAND ARGS.
function(threadleak_gate_directory testfile binary_dir cli run_args skip)
  _threadleak_gate_key(key "${testfile}")
  if(key STREQUAL "top")
    # The top directory's own lines come by the relative name, the files it includes by
    # absolute ones: register under both.
    threadleak_gate_directory("${binary_dir}/CTestTestfile.cmake" "${binary_dir}" "${cli}"
      "${run_args}" "${skip}")
  endif()
  get_property(calls GLOBAL PROPERTY threadleak_gate_${key})
  math(EXPR calls "${calls} + 0")
  set_property(GLOBAL PROPERTY threadleak_gate_${key}_${calls}_cli "${cli}")
  set_property(GLOBAL PROPERTY threadleak_gate_${key}_${calls}_args "${run_args}")
  set_property(GLOBAL PROPERTY threadleak_gate_${key}_${calls}_skip "${skip}")
  math(EXPR calls "${calls} + 1")
  set_property(GLOBAL PROPERTY threadleak_gate_${key} ${calls})
endfunction()

# CMAKE_CURRENT_LIST_FILE is the file that calls add_test: CTestTestfile.cmake, or a file it
# included. The latest call that the test came after decides; a test whose command is threadleak
# already (threadleak_add_test) is not wrapped again.
function(add_test name command)
  _threadleak_gate_key(key "${CMAKE_CURRENT_LIST_FILE}")
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
