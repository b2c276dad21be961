# The live endpoint and thread dumps end to end (docs/endpoint.md), included from
# tests/CMakeLists.txt. The program under test, a small HTTP client, and one cmocka program per
# suite; each runs the real shim (and the CLI) and needs the HTTP module next to it.
set(tl_endpoint_dir ${CMAKE_CURRENT_LIST_DIR})
add_executable(test_endpoint_prog ${tl_endpoint_dir}/test_endpoint_prog.c)
target_link_libraries(test_endpoint_prog PRIVATE Threads::Threads)
set_target_properties(test_endpoint_prog PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/programs)

# tl_endpoint_e2e(NAME TIMEOUT_S): tests/e2e/test_NAME.c, run with the shim, the program, the CLI
# and the artifacts directory (screenshots) as arguments.
function(tl_endpoint_e2e name timeout)
  add_executable(test_${name} ${tl_endpoint_dir}/test_${name}.c
    ${tl_endpoint_dir}/test_endpoint_http.c ${tl_endpoint_dir}/test_endpoint_target.c)
  target_link_libraries(test_${name} PRIVATE tl_reports tl_detector tl_cli_json PkgConfig::CMOCKA
    ${CMAKE_DL_LIBS} Threads::Threads)
  target_include_directories(test_${name} PRIVATE ${PROJECT_SOURCE_DIR}/reports
    ${PROJECT_SOURCE_DIR}/detector ${tl_endpoint_dir})
  target_compile_definitions(test_${name} PRIVATE _GNU_SOURCE)
  set_target_properties(test_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_dependencies(test_${name} threadleak threadleak_http threadleak_cli test_endpoint_prog)
  add_test(NAME ${name} COMMAND test_${name} $<TARGET_FILE:threadleak>
    $<TARGET_FILE:test_endpoint_prog> ${CMAKE_BINARY_DIR}/artifacts $<TARGET_FILE:threadleak_cli>)
  set_tests_properties(${name} PROPERTIES LABELS e2e TIMEOUT ${timeout})
endfunction()

tl_endpoint_e2e(endpoint 600)
tl_endpoint_e2e(endpoint_hostile 600)
tl_endpoint_e2e(endpoint_dump 300)
# Slow clients, long queries and bad Host headers against the endpoint while a normal client's
# requests are timed (docs/reliability.md, "An endpoint no client can starve"): about 15 s.
tl_endpoint_e2e(endpoint_starve 120)
set_tests_properties(endpoint_starve PROPERTIES LABELS "e2e;reliability")

# /debug/threads/growth: a program leaking a thread per request comes out growing; its pool and a
# load that scales up and down do not (the sampler at 50 ms; the test polls, asserts no timing).
add_executable(growth_prog ${tl_endpoint_dir}/growth_prog.c)
target_link_libraries(growth_prog PRIVATE Threads::Threads)
target_compile_options(growth_prog PRIVATE -g -O0) # the leak's line, as the test reads it
set_target_properties(growth_prog PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/programs)
add_executable(test_endpoint_growth ${tl_endpoint_dir}/test_endpoint_growth.c
  ${tl_endpoint_dir}/test_endpoint_http.c ${tl_endpoint_dir}/test_endpoint_target.c)
target_link_libraries(test_endpoint_growth PRIVATE tl_reports tl_detector tl_cli_json
  PkgConfig::CMOCKA ${CMAKE_DL_LIBS} Threads::Threads)
target_include_directories(test_endpoint_growth PRIVATE ${PROJECT_SOURCE_DIR}/reports
  ${PROJECT_SOURCE_DIR}/detector ${tl_endpoint_dir})
target_compile_definitions(test_endpoint_growth PRIVATE _GNU_SOURCE)
set_target_properties(test_endpoint_growth PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_dependencies(test_endpoint_growth threadleak threadleak_http growth_prog)
add_test(NAME endpoint_growth COMMAND test_endpoint_growth $<TARGET_FILE:threadleak>
  $<TARGET_FILE:growth_prog>)
set_tests_properties(endpoint_growth PROPERTIES LABELS e2e TIMEOUT 300)

# The growth metrics as Prometheus users wire them: promtool checks and tests
# docs/prometheus/threadleak-rules.yml, lints a live scrape of /metrics, and a real Prometheus
# server on loopback scrapes growth_prog until its API names the leak's site. Both skip (77) where
# Debian's prometheus package is missing.
set(tl_prometheus_dir ${PROJECT_SOURCE_DIR}/tests/prometheus)
add_test(NAME prometheus_rules COMMAND sh ${tl_prometheus_dir}/prometheus_growth.sh rules
  ${PROJECT_SOURCE_DIR}/docs/prometheus/threadleak-rules.yml
  ${tl_prometheus_dir}/threadleak-rules.test.yml)
set_tests_properties(prometheus_rules PROPERTIES LABELS lint TIMEOUT 60 SKIP_RETURN_CODE 77)
add_test(NAME prometheus_growth_e2e COMMAND sh ${tl_prometheus_dir}/prometheus_growth.sh e2e
  $<TARGET_FILE:threadleak> $<TARGET_FILE:growth_prog>
  ${PROJECT_SOURCE_DIR}/docs/prometheus/threadleak-rules.yml)
set_tests_properties(prometheus_growth_e2e PROPERTIES LABELS e2e TIMEOUT 300 SKIP_RETURN_CODE 77)
