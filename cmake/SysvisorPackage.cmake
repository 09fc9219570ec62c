# The Debian package (`make deb`, the `deb` test): CPack's DEB generator over the install tree.
#
# One package, sysvisor_VERSION_ARCH.deb: /usr/bin/sysvisor, the copycat link, the manual pages
# (gzipped), libsysvisor.so.0 with its shlibs and ldconfig trigger, and the development files
# (headers, libsysvisor.a, the CMake package, sysvisor.pc). A -dev split would need a COMPONENT on
# each install() rule; the binaries do not link libsysvisor.so, so one package costs a user nothing.
# Depends comes from dpkg-shlibdeps (dpkg-dev) run on the binaries, which CPack finds with `file`.
#
#   cpack -G DEB --config BUILD/CPackConfig.cmake -B OUT    (what `make deb` and the test run)
#
# This file is read twice: included from CMakeLists.txt (it sets CPACK_* and includes CPack), and run
# by cpack as a CPACK_PRE_BUILD_SCRIPTS script on the staged tree (CPACK_TEMPORARY_INSTALL_DIRECTORY
# set), where it adds what Debian's policy asks of a package and a plain `cmake --install` does not
# want: gzipped manual pages, /usr/share/doc/sysvisor/{copyright,changelog.gz}.

if(DEFINED CPACK_TEMPORARY_INSTALL_DIRECTORY)
  # --- run by cpack: the staged tree ---------------------------------------------------------------
  set(root "${CPACK_TEMPORARY_INSTALL_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}")
  if(NOT EXISTS "${root}/bin/sysvisor")
    message(FATAL_ERROR "SysvisorPackage: nothing staged at ${root}")
  endif()
  find_program(gzip NAMES gzip REQUIRED)
  # Debian policy 12.1: manual pages compressed with gzip -9n (no name, no time stamp: reproducible).
  file(GLOB pages "${root}/share/man/man*/*.[0-9]")
  foreach(page IN LISTS pages)
    execute_process(COMMAND ${gzip} -9nf "${page}" COMMAND_ERROR_IS_FATAL ANY)
  endforeach()
  set(doc "${root}/share/doc/${CPACK_PACKAGE_NAME}")
  file(MAKE_DIRECTORY "${doc}")
  # Debian policy 12.5: a copyright file. The source tree states no licence yet; this says so.
  file(WRITE "${doc}/copyright"
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: sysvisor
Upstream-Contact: ${CPACK_DEBIAN_PACKAGE_MAINTAINER}
Comment: Built with CPack from the sysvisor source tree, which states no licence.

Files: *
Copyright: the sysvisor authors
License: no-licence-stated
 The sysvisor source tree does not state a licence for its files.
")
  # Debian policy 12.7: a native package's changelog, gzip -9n. Dated by SOURCE_DATE_EPOCH when set.
  string(TIMESTAMP date "%a, %d %b %Y %H:%M:%S +0000" UTC)
  file(WRITE "${doc}/changelog"
"${CPACK_PACKAGE_NAME} (${CPACK_PACKAGE_VERSION}) unstable; urgency=medium

  * Built with CPack from the sysvisor source tree (make deb).

 -- ${CPACK_DEBIAN_PACKAGE_MAINTAINER}  ${date}
")
  execute_process(COMMAND ${gzip} -9nf "${doc}/changelog" COMMAND_ERROR_IS_FATAL ANY)
  # A staged tree is reused by the next cpack run in the same directory: nothing else to undo.
  return()
endif()

# --- included from CMakeLists.txt ----------------------------------------------------------------------
set(SYSVISOR_DEB_MAINTAINER "sysvisor maintainers <maintainers@sysvisor.invalid>"
    CACHE STRING "Maintainer field of the Debian package (make deb)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sysvisor)
set(CPACK_PACKAGE_VENDOR "sysvisor")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "syscall supervisor: path redirection and strace-style fault injection")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)            # sysvisor_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SYSVISOR_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)             # Depends: libseccomp2, libfmt9, ... (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)       # DEBIAN/shlibs and the ldconfig trigger for libsysvisor.so.0
# find_package(sysvisor) and pkg-config need these to link libsysvisor; the command line does not.
if(SYSVISOR_EBPF_ENABLED)
  set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libseccomp-dev, libfmt-dev, libbpf-dev, pkg-config")
else()
  set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libseccomp-dev, libfmt-dev, pkg-config")
endif()
# The extended description, one control-file line each (CPackDeb puts the summary above it).
set(CPACK_PACKAGE_DESCRIPTION [[
sysvisor runs a program under a seccomp filter with a user-notification
listener: only the system calls a rule names leave the kernel. Rules redirect
paths (the program sees TO where it uses FROM, as through a bind mount) or
inject faults in the language of strace's -e inject=. Invoked as copycat, it
takes its redirections from the COPYCAT environment variable.
The package also holds the C++ library libsysvisor, its headers, CMake package
and pkg-config file.]])
# Debian policy 8.1.1: a shared library in a public directory activates the ldconfig trigger
# (lintian: lacks-ldconfig-trigger). CPackDeb's postinst and postrm also call ldconfig: harmless.
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/deb/triggers "activate-noawait ldconfig\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_BINARY_DIR}/deb/triggers)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_FILE})
include(CPack)
