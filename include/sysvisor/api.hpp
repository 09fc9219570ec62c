// SYSVISOR_API marks what libsysvisor.so exports. The library is built with hidden visibility
// (-fvisibility=hidden -fvisibility-inlines-hidden) and a version script that keeps sysvisor::
// names only (cmake/libsysvisor.map): a declaration without the mark is not part of the shared
// library's interface, whatever header it is in. Mark a function, or a class whose out-of-line
// members a test author calls; tests/library_exports.py checks the library against the marks.
//
// Every public header includes this one before its first C++20 construct, so that a C++17 build's
// first error is the line below (tests/library_cxx17.sh).
#pragma once

#if __cplusplus < 202002L
#error "sysvisor requires C++20 (-std=c++20)"
#endif

#define SYSVISOR_API __attribute__((visibility("default")))
