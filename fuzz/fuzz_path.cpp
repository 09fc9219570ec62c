// libFuzzer target: the lexical path helpers of include/sysvisor/path.hpp on arbitrary bytes.
//
// Input: PATH, or BASE '\0' PATH. normalise_path gets PATH ('/' prepended when it is not absolute,
// its precondition); absolute_path gets ("/" BASE or "/home/u", PATH). Every result must be:
//   absolute; idempotent (normalise(r) == r); free of "//" and of "." and ".." components; no longer
//   than its input; ending in '/' exactly when the input meant "a directory" (its last component is
//   empty, "." or "..") and the result is not "/" itself.
// And normalisation is compositional: the normalised prefix stands for the prefix
//   (normalise(normalise(p) + "/" + q) == normalise(p + "/" + q)), "x/.." cancels, "/." means "/".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "sysvisor/path.hpp"

namespace {

using sysvisor::absolute_path;
using sysvisor::normalise_path;
using sysvisor::fuzz::quoted;

std::string_view last_component(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The kernel's reading: "a/", "a/." and "a/.." can only name directories.
bool means_directory(std::string_view path) {
  const std::string_view last = last_component(path);
  return last.empty() || last == "." || last == "..";
}

void check_normalised(std::string_view input, bool directory, const std::string& r, const char* what) {
  const auto detail = [&] { return std::string(what) + "(" + quoted(input) + ") = " + quoted(r); };
  FUZZ_CHECK(!r.empty() && r.front() == '/', detail());
  FUZZ_CHECK(normalise_path(r) == r, detail() + ", normalised again: " + quoted(normalise_path(r)));
  FUZZ_CHECK(r.find("//") == std::string::npos, detail());
  // Components: between slashes, never "." or ".." (nor empty, given no "//").
  size_t i = 1;
  while (i < r.size()) {
    size_t j = r.find('/', i);
    if (j == std::string::npos) j = r.size();
    const std::string_view part = std::string_view(r).substr(i, j - i);
    FUZZ_CHECK(part != "." && part != "..", detail() + ": component " + quoted(part));
    i = j + 1;
  }
  const bool trailing = r.size() > 1 && r.back() == '/';
  FUZZ_CHECK(trailing == (directory && r != "/"),
             detail() + (directory ? ": input names a directory" : ": input does not name a directory"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nul = in.find('\0');
  const std::string_view path = nul == std::string_view::npos ? in : in.substr(nul + 1);
  const std::string base = nul == std::string_view::npos ? "/home/u" : "/" + std::string(in.substr(0, nul));

  // normalise_path
  const std::string p = !path.empty() && path.front() == '/' ? std::string(path) : "/" + std::string(path);
  const std::string r = normalise_path(p);
  check_normalised(p, means_directory(p), r, "normalise_path");
  FUZZ_CHECK(r.size() <= p.size(), "normalise_path(" + quoted(p) + ") = " + quoted(r) + " grew");

  // Compositional: split p at every '/' up to a bound; the normalised head stands for the head.
  size_t splits = 0;
  for (size_t at = p.find('/', 1); at != std::string::npos && splits < 8; at = p.find('/', at + 1), ++splits) {
    const std::string head = p.substr(0, at);
    const std::string tail = p.substr(at);  // starts with '/'
    const std::string joined = normalise_path(normalise_path(head) + tail);
    FUZZ_CHECK(joined == r, "normalise_path(normalise_path(" + quoted(head) + ") + " + quoted(tail) +
                                ") = " + quoted(joined) + " but normalise_path(" + quoted(p) + ") = " + quoted(r));
  }
  // "x/.." cancels and "/." adds only the directory meaning.
  const std::string up = normalise_path(p + "/x/..");
  const std::string dir = normalise_path(p + "/");
  FUZZ_CHECK(up == dir, "normalise_path(" + quoted(p + "/x/..") + ") = " + quoted(up) + " but normalise_path(" +
                            quoted(p + "/") + ") = " + quoted(dir));
  const std::string dot = normalise_path(p + "/.");
  FUZZ_CHECK(dot == dir, "normalise_path(" + quoted(p + "/.") + ") = " + quoted(dot) + " but normalise_path(" +
                             quoted(p + "/") + ") = " + quoted(dir));

  // absolute_path
  const std::string a = absolute_path(base, path);
  const std::string_view meaning = path.empty() ? std::string_view(base) : path;
  check_normalised(path, means_directory(meaning), a, "absolute_path");
  const std::string expected = !path.empty() && path.front() == '/' ? normalise_path(path)
                               : path.empty()                       ? normalise_path(base)
                                                                    : normalise_path(base + "/" + std::string(path));
  FUZZ_CHECK(a == expected, "absolute_path(" + quoted(base) + ", " + quoted(path) + ") = " + quoted(a) +
                                ", expected " + quoted(expected));
  return 0;
}
