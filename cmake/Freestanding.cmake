# Freestanding x86 binaries (hypervisor, guest and test kernels) built with the
# host gcc and our own linker scripts, loaded by hvsim's multiboot loader.
#   hvsim_kernel_library(NAME BITS 32|64 SOURCES ...)      a static library
#   hvsim_kernel(NAME BITS 32|64 SOURCES ... [LIBS ...] [LDSCRIPT f] [INCLUDES ...])
#     -> ${HVSIM_KERNEL_DIR}/NAME.elf, an ELF32 image that QEMU's -kernel and any
#        multiboot v1 loader accept. A 64-bit kernel is linked as ELF64, kept as
#        NAME.elf64 (for loaders with an ELF64 path, like hvsim's), and converted.
#     LIBS defaults to klib32/klib64, the library of klib/.
set(HVSIM_KERNEL_DIR ${CMAKE_BINARY_DIR}/kernels)
file(MAKE_DIRECTORY ${HVSIM_KERNEL_DIR})
find_program(HVSIM_OBJCOPY NAMES objcopy REQUIRED)

function(_hvsim_freestanding_flags target bits)
  if(bits STREQUAL "32")
    set(_m -m32 -march=i686)
  elseif(bits STREQUAL "64")
    # Linked at 1 MiB, so the default small code model reaches every symbol.
    set(_m -m64 -mno-red-zone)
  else()
    message(FATAL_ERROR "${target}: BITS must be 32 or 64, not '${bits}'")
  endif()
  # -fno-tree-loop-distribute-patterns: keep gcc from turning memset's own
  # loop into a call to memset. min-pagesize=0: kernels do read low addresses
  # (the BIOS data area), which gcc 12 otherwise takes for null pointers.
  target_compile_options(${target} PRIVATE ${_m} -ffreestanding -fno-pic -fno-pie
    -fno-stack-protector -fno-builtin -fno-tree-loop-distribute-patterns
    -mno-sse -mno-mmx -mno-80387 -mgeneral-regs-only -O2 -g --param=min-pagesize=0
    -fno-asynchronous-unwind-tables -Wall -Wextra)
  target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/klib/include)
endfunction()

function(hvsim_kernel_library name)
  cmake_parse_arguments(K "" "BITS" "SOURCES" ${ARGN})
  add_library(${name} STATIC ${K_SOURCES})
  _hvsim_freestanding_flags(${name} ${K_BITS})
endfunction()

function(hvsim_kernel name)
  cmake_parse_arguments(K "" "BITS;LDSCRIPT" "SOURCES;INCLUDES;LIBS" ${ARGN})
  if(NOT K_LDSCRIPT)
    set(K_LDSCRIPT ${CMAKE_SOURCE_DIR}/klib/kernel${K_BITS}.ld)
  endif()
  if(NOT K_LIBS)
    set(K_LIBS klib${K_BITS})
  endif()
  add_executable(${name} ${K_SOURCES})
  _hvsim_freestanding_flags(${name} ${K_BITS})
  target_include_directories(${name} PRIVATE ${K_INCLUDES})
  if(K_BITS STREQUAL "32")
    set(_ld -m32 -Wl,-m,elf_i386)
  else()
    set(_ld -m64)
  endif()
  target_link_options(${name} PRIVATE ${_ld} -nostdlib -static -no-pie -Wl,--build-id=none
                      -Wl,-T,${K_LDSCRIPT} -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments)
  target_link_libraries(${name} PRIVATE ${K_LIBS} gcc)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${HVSIM_KERNEL_DIR}
                        LINK_DEPENDS ${K_LDSCRIPT})
  if(K_BITS STREQUAL "32")
    set_target_properties(${name} PROPERTIES OUTPUT_NAME ${name}.elf)
  else()
    set_target_properties(${name} PROPERTIES OUTPUT_NAME ${name}.elf64)
    add_custom_command(TARGET ${name} POST_BUILD
      COMMAND ${HVSIM_OBJCOPY} -O elf32-i386 $<TARGET_FILE:${name}> ${HVSIM_KERNEL_DIR}/${name}.elf
      COMMENT "ELF32 image of ${name} for multiboot loaders" VERBATIM)
  endif()
endfunction()
