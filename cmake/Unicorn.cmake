# Finds Unicorn >= 2.1.2: a system install when new enough, else the copy that
# tools/fetch-unicorn.sh unpacked from Debian unstable into third_party/unicorn.
# Debian 12's 2.0.1 cannot run real kernels (ARCHITECTURE.md).
# The unpacked copy is linked as a shared library with an RPATH into third_party:
# Debian's static libunicorn.a holds every architecture's objects, and linking it
# statically resolves some shared helper names to another architecture's code
# (measured on 2.1.4: any 8-byte load that misses the TLB recurses until the host
# stack overflows). The shared library keeps each architecture's symbols apart.
set(HVSIM_UNICORN_MIN 2.1.2)
pkg_check_modules(SYS_UNICORN QUIET unicorn>=${HVSIM_UNICORN_MIN})
set(_uc_local ${CMAKE_SOURCE_DIR}/third_party/unicorn/usr)
if(SYS_UNICORN_FOUND)
  message(STATUS "Unicorn: system ${SYS_UNICORN_VERSION}")
  add_library(unicorn_dep INTERFACE)
  target_include_directories(unicorn_dep INTERFACE ${SYS_UNICORN_INCLUDE_DIRS})
  target_link_libraries(unicorn_dep INTERFACE ${SYS_UNICORN_LINK_LIBRARIES})
elseif(EXISTS ${_uc_local}/lib/x86_64-linux-gnu/libunicorn.so.2)
  file(READ ${_uc_local}/lib/x86_64-linux-gnu/pkgconfig/unicorn.pc _uc_pc)
  string(REGEX MATCH "Version: ([0-9.]+)" _ ${_uc_pc})
  set(_uc_ver ${CMAKE_MATCH_1})
  if(_uc_ver VERSION_LESS HVSIM_UNICORN_MIN)
    message(FATAL_ERROR "third_party/unicorn holds Unicorn ${_uc_ver}; hvsim needs >= ${HVSIM_UNICORN_MIN}. "
                        "Remove third_party/unicorn and run tools/fetch-unicorn.sh third_party/unicorn")
  endif()
  message(STATUS "Unicorn: ${_uc_ver} from third_party/unicorn (shared, RPATH)")
  add_library(unicorn_dep INTERFACE)
  target_include_directories(unicorn_dep INTERFACE ${_uc_local}/include)
  target_link_libraries(unicorn_dep INTERFACE ${_uc_local}/lib/x86_64-linux-gnu/libunicorn.so.2 pthread m)
  target_link_options(unicorn_dep INTERFACE -Wl,-rpath,${_uc_local}/lib/x86_64-linux-gnu)
else()
  pkg_check_modules(OLD_UNICORN QUIET unicorn)
  if(OLD_UNICORN_FOUND)
    set(_why "the system has Unicorn ${OLD_UNICORN_VERSION}, too old to run real kernels")
  else()
    set(_why "no Unicorn was found")
  endif()
  message(FATAL_ERROR "hvsim needs Unicorn >= ${HVSIM_UNICORN_MIN}: ${_why}. "
                      "Run `make build` (it calls tools/fetch-unicorn.sh third_party/unicorn), "
                      "or install libunicorn-dev >= ${HVSIM_UNICORN_MIN}.")
endif()
pkg_check_modules(CAPSTONE REQUIRED IMPORTED_TARGET capstone)
