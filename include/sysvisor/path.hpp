// Pure, lexical path helpers. No file system access: symlinks are never resolved.
#pragma once

#include <string>
#include <string_view>

#include "sysvisor/api.hpp"

namespace sysvisor {

// Lexically normalises an absolute path: collapses repeated '/', drops '.', and lets '..' remove the
// previous component ('..' at the root stays at the root, as the kernel does). A trailing '/' on a
// non-root result is kept, because it changes meaning for the kernel ("file/" fails with ENOTDIR).
// Precondition: `path` starts with '/'.
SYSVISOR_API std::string normalise_path(std::string_view path);
// The same, written into `out` (replacing what it held), whose capacity is reused: once large
// enough, no allocation. `path` must not point into `out`.
SYSVISOR_API void normalise_path(std::string_view path, std::string& out);

// Joins `base` (absolute) and `path`: `path` itself when absolute, else base + "/" + path; then
// normalises. An empty `path` yields the normalised base.
SYSVISOR_API std::string absolute_path(std::string_view base, std::string_view path);

}  // namespace sysvisor
