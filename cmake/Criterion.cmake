# hvsim_test(NAME SOURCES... LIBS ...): a Criterion test binary registered with ctest.
pkg_check_modules(CRITERION REQUIRED IMPORTED_TARGET criterion)
function(hvsim_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE PkgConfig::CRITERION ${T_LIBS})
  add_test(NAME ${name} COMMAND ${name} --jobs 1 -q)
  set_tests_properties(${name} PROPERTIES TIMEOUT 300)
endfunction()
