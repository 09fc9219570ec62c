#include "sysvisor/path.hpp"

#include <cassert>

namespace sysvisor {

void normalise_path(std::string_view path, std::string& out) {
  assert(!path.empty() && path.front() == '/');
  out.clear();
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    const std::string_view part = path.substr(i, j - i);
    i = j;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.resize(out.rfind('/'));  // drop "/last"; the root stays the root
      continue;
    }
    out += '/';
    out += part;
  }
  if (out.empty()) {
    out.push_back('/');  // (out is empty here)
    return;
  }
  // "a/." and "a/.." name a directory just as "a/" does: keep the directory-only meaning.
  const bool trailing = path.back() == '/' || path.ends_with("/.") || path.ends_with("/..");
  if (trailing) out += '/';
}

std::string normalise_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  normalise_path(path, out);
  return out;
}

std::string absolute_path(std::string_view base, std::string_view path) {
  if (!path.empty() && path.front() == '/') return normalise_path(path);
  std::string joined(base);
  if (!path.empty()) {
    joined += '/';
    joined += path;
  }
  return normalise_path(joined);
}

}  // namespace sysvisor
