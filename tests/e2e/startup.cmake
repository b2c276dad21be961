# Issue 14, item 3: start-up at the cost of an empty preload (docs/startup.md). Instruction
# counts under callgrind (skipped without valgrind) and what the shim maps before it is needed.
add_executable(startup_lazy_prog startup_lazy_prog.c)
target_link_libraries(startup_lazy_prog PRIVATE Threads::Threads)
set_target_properties(startup_lazy_prog PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/programs)
add_test(NAME startup_lazy COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/startup_lazy.sh
  $<TARGET_FILE:threadleak> $<TARGET_FILE:startup_lazy_prog>)
set_tests_properties(startup_lazy PROPERTIES LABELS e2e TIMEOUT 60)
# Not in a sanitizer build: its shim loads the sanitizer's runtime, which is not the cost measured.
if(NOT THREADLEAK_SANITIZE)
  add_test(NAME startup_cost COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/startup_cost.sh
    $<TARGET_FILE:threadleak> 1.3)
  set_tests_properties(startup_cost PROPERTIES LABELS "e2e;lint" TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
