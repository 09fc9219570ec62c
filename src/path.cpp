#include "sysvisor/path.hpp"

#include <cassert>
#include <vector>

namespace sysvisor {

std::string normalise_path(std::string_view path) {
  assert(!path.empty() && path.front() == '/');
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    std::string_view part = path.substr(i, j - i);
    i = j;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  out.reserve(path.size());
  for (std::string_view part : parts) {
    out += '/';
    out += part;
  }
  if (out.empty()) return "/";
  // "a/." and "a/.." name a directory just as "a/" does: keep the directory-only meaning.
  const bool trailing = path.back() == '/' || path.ends_with("/.") || path.ends_with("/..");
  if (trailing) out += '/';
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
