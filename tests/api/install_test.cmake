# The install test (label `install`): install the build tree into a fresh prefix, then use it as
# a user would: examples/consumer and examples/cmocka through find_package(threadleak), and a
# one-file program through pkg-config. Run with cmake -P and these -D variables:
#   BUILD_DIR SOURCE_DIR WORK_DIR CTEST PKG_CONFIG C_COMPILER
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
foreach(installed include/threadleak.h include/threadleak_cmocka.h)
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
run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${lib_dir} ${WORK_DIR}/hello)
if(NOT last_output MATCHES "clean")
  message(FATAL_ERROR "hello did not report a clean run")
endif()
# The program must use the installed library, not the build tree's.
run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${lib_dir} LD_TRACE_LOADED_OBJECTS=1 ${WORK_DIR}/hello)
if(NOT last_output MATCHES "${lib_dir}/libthreadleak.so")
  message(FATAL_ERROR "hello does not load ${lib_dir}/libthreadleak.so")
endif()
