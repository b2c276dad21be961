# Checks the built libthreadleak.so against interceptors.inc, by way of the exports.map generated
# from it. Fails when
#   - an entry of the table is not exported (an entry without its wrapper: the link succeeds, the
#     pointer is resolved, and nothing is interposed);
#   - the library exports something that is neither an entry nor tl_* (the version script drifted);
#   - a shim object defines a default-visibility symbol the library does not export (a wrapper
#     written without TL__WRAPPER and missing from the table: the version script hides it).
# Run by the build (CMakeLists.txt) with LIBRARY, MAP, OBJECTS (;-list), NM, READELF and STAMP.
cmake_minimum_required(VERSION 3.25)

file(STRINGS ${MAP} map_lines REGEX "^[A-Za-z_][A-Za-z0-9_]*;$")
list(TRANSFORM map_lines REPLACE ";$" "")
set(table ${map_lines})

execute_process(COMMAND ${NM} -D --defined-only ${LIBRARY} OUTPUT_VARIABLE nm_out
  COMMAND_ERROR_IS_FATAL ANY)
string(REGEX MATCHALL "[^\n]+" nm_lines "${nm_out}")
set(exported)
foreach(line IN LISTS nm_lines)
  string(REGEX REPLACE "^.* " "" name "${line}")
  list(APPEND exported ${name})
endforeach()

set(problems)
foreach(name IN LISTS table)
  if(NOT name IN_LIST exported)
    list(APPEND problems "${name} is in interceptors.inc but not exported: is its wrapper defined?")
  endif()
endforeach()
foreach(name IN LISTS exported)
  if(NOT name IN_LIST table AND NOT name MATCHES "^tl_")
    list(APPEND problems "${name} is exported but is neither in interceptors.inc nor tl_*")
  endif()
endforeach()

foreach(object IN LISTS OBJECTS)
  execute_process(COMMAND ${READELF} -sW ${object} OUTPUT_VARIABLE syms COMMAND_ERROR_IS_FATAL ANY)
  # Num: Value Size Type Bind Vis Ndx Name -- defined (Ndx not UND), GLOBAL or WEAK, DEFAULT.
  string(REGEX MATCHALL
    "[^\n]* (FUNC|OBJECT) +(GLOBAL|WEAK) +DEFAULT +[0-9]+ [A-Za-z_][A-Za-z0-9_]*" defs "${syms}")
  foreach(def IN LISTS defs)
    string(REGEX REPLACE "^.* " "" name "${def}")
    if(NOT name IN_LIST exported)
      get_filename_component(object_name ${object} NAME)
      list(APPEND problems
        "${name} (${object_name}) has default visibility but is not exported: a wrapper not in "
        "interceptors.inc, or a tl_ function the version script hides?")
    endif()
  endforeach()
endforeach()

if(problems)
  list(JOIN problems "\n  " text)
  message(FATAL_ERROR "libthreadleak.so and interceptors.inc disagree:\n  ${text}")
endif()
file(TOUCH ${STAMP})
