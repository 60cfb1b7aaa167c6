# Freestanding x86 binaries (hypervisor, guest and test kernels) built with the
# host gcc and our own linker scripts, loaded by hvsim's multiboot loader.
# hvsim_kernel(NAME BITS 32|64 SOURCES ... [LDSCRIPT file]) -> ${CMAKE_BINARY_DIR}/kernels/NAME.elf
set(HVSIM_KERNEL_DIR ${CMAKE_BINARY_DIR}/kernels)
file(MAKE_DIRECTORY ${HVSIM_KERNEL_DIR})
function(hvsim_kernel name)
  cmake_parse_arguments(K "" "BITS;LDSCRIPT" "SOURCES;INCLUDES" ${ARGN})
  if(NOT K_LDSCRIPT)
    set(K_LDSCRIPT ${CMAKE_SOURCE_DIR}/guests/lib/kernel${K_BITS}.ld)
  endif()
  if(K_BITS STREQUAL "32")
    set(_m -m32)
    set(_ld -m32 -Wl,-m,elf_i386)
  else()
    set(_m -m64 -mcmodel=kernel -mno-red-zone)
    set(_ld -m64)
  endif()
  add_executable(${name} ${K_SOURCES})
  target_compile_options(${name} PRIVATE ${_m} -ffreestanding -fno-pic -fno-pie -fno-stack-protector
                         -nostdlib -fno-builtin -mno-sse -mno-mmx -mno-80387 -O2 -g
                         -fno-asynchronous-unwind-tables -Wall -Wextra)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/guests/lib/include ${K_INCLUDES})
  target_link_options(${name} PRIVATE ${_ld} -nostdlib -static -no-pie -Wl,--build-id=none
                      -Wl,-T,${K_LDSCRIPT} -Wl,-z,max-page-size=0x1000)
  target_link_libraries(${name} PRIVATE gcc)
  set_target_properties(${name} PROPERTIES OUTPUT_NAME ${name}.elf
                        RUNTIME_OUTPUT_DIRECTORY ${HVSIM_KERNEL_DIR} LINK_DEPENDS ${K_LDSCRIPT})
endfunction()
