# The optional eBPF path of -k/--kinject (issue 8). SYSVISOR_EBPF=AUTO (default) turns it on when
# libbpf (pkg-config), clang, bpftool and the build host's kernel BTF are all there; ON requires
# them; OFF builds the stub whose -k and --kinject-probe say "built without the eBPF path".
#
# Build steps (nothing is compiled at run time):
#   vmlinux.h      bpftool btf dump file /sys/kernel/btf/vmlinux format c   (CO-RE: the programs
#                  relocate against the running kernel's BTF when loaded)
#   kinject.bpf.o  clang -O2 -g -target bpf -D__TARGET_ARCH_x86
#   kinject.skel.h bpftool gen skeleton
# Outputs: SYSVISOR_EBPF_ENABLED, SYSVISOR_KINJECT_SOURCES (to add to the library sources),
# sysvisor_kinject_link(TARGET).
set(SYSVISOR_EBPF AUTO CACHE STRING "Build the eBPF path of -k/--kinject (AUTO, ON, OFF)")
set_property(CACHE SYSVISOR_EBPF PROPERTY STRINGS AUTO ON OFF)

set(SYSVISOR_EBPF_ENABLED OFF)
if(NOT SYSVISOR_EBPF STREQUAL "OFF")
  pkg_check_modules(LIBBPF IMPORTED_TARGET libbpf)
  find_program(SYSVISOR_BPF_CLANG NAMES clang clang-16 clang-15 clang-14)
  find_program(SYSVISOR_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin /usr/local/sbin)
  set(SYSVISOR_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "Kernel BTF that vmlinux.h is generated from")
  set(missing "")
  if(NOT LIBBPF_FOUND)
    list(APPEND missing "libbpf (libbpf-dev)")
  endif()
  if(NOT SYSVISOR_BPF_CLANG)
    list(APPEND missing "clang")
  endif()
  if(NOT SYSVISOR_BPFTOOL)
    list(APPEND missing "bpftool")
  endif()
  if(NOT EXISTS ${SYSVISOR_VMLINUX_BTF})
    list(APPEND missing "kernel BTF (${SYSVISOR_VMLINUX_BTF})")
  endif()
  if(missing)
    if(SYSVISOR_EBPF STREQUAL "ON")
      message(FATAL_ERROR "SYSVISOR_EBPF=ON but missing: ${missing}")
    endif()
    message(STATUS "eBPF path (-k/--kinject): OFF, missing: ${missing}")
  else()
    set(SYSVISOR_EBPF_ENABLED ON)
    message(STATUS "eBPF path (-k/--kinject): ON (libbpf ${LIBBPF_VERSION})")
  endif()
endif()

if(SYSVISOR_EBPF_ENABLED)
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/kinject)
  set(bpf_src ${PROJECT_SOURCE_DIR}/src/kinject/bpf)
  file(MAKE_DIRECTORY ${gen})
  add_custom_command(OUTPUT ${gen}/vmlinux.h
    COMMAND ${SYSVISOR_BPFTOOL} btf dump file ${SYSVISOR_VMLINUX_BTF} format c > ${gen}/vmlinux.h.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${gen}/vmlinux.h.tmp ${gen}/vmlinux.h
    COMMENT "Generating vmlinux.h from ${SYSVISOR_VMLINUX_BTF}" VERBATIM)
  add_custom_command(OUTPUT ${gen}/kinject.bpf.o
    COMMAND ${SYSVISOR_BPF_CLANG} -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -I${gen} -I${bpf_src}
            ${LIBBPF_CFLAGS} -c ${bpf_src}/kinject.bpf.c -o ${gen}/kinject.bpf.o
    DEPENDS ${bpf_src}/kinject.bpf.c ${bpf_src}/kinject_abi.h ${gen}/vmlinux.h
    COMMENT "Compiling the BPF programs (kinject.bpf.c)" VERBATIM)
  add_custom_command(OUTPUT ${gen}/kinject.skel.h
    COMMAND ${SYSVISOR_BPFTOOL} gen skeleton ${gen}/kinject.bpf.o name kinject > ${gen}/kinject.skel.h.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${gen}/kinject.skel.h.tmp ${gen}/kinject.skel.h
    DEPENDS ${gen}/kinject.bpf.o
    COMMENT "Generating the BPF skeleton (kinject.skel.h)" VERBATIM)
  add_custom_target(sysvisor_kinject_skel DEPENDS ${gen}/kinject.skel.h)
  set(SYSVISOR_KINJECT_SOURCES src/kinject/kinject_session.cpp)
else()
  set(SYSVISOR_KINJECT_SOURCES src/kinject/kinject_unavailable.cpp)
endif()

function(sysvisor_kinject_link target)
  if(SYSVISOR_EBPF_ENABLED)
    add_dependencies(${target} sysvisor_kinject_skel)
    target_include_directories(${target} SYSTEM PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/kinject)  # generated: not our warnings
    target_link_libraries(${target} PRIVATE PkgConfig::LIBBPF)
    target_compile_definitions(${target} PRIVATE SYSVISOR_EBPF_ENABLED=1)
  endif()
endfunction()
