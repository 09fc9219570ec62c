#include <doctest/doctest.h>

#include "sysvisor/path.hpp"

using sysvisor::absolute_path;
using sysvisor::normalise_path;

TEST_CASE("normalise_path collapses slashes, dots and dot-dots lexically") {
  CHECK(normalise_path("/") == "/");
  CHECK(normalise_path("//") == "/");
  CHECK(normalise_path("///a") == "/a");
  CHECK(normalise_path("/a//b///c") == "/a/b/c");
  CHECK(normalise_path("/./a/./b/.") == "/a/b/");
  CHECK(normalise_path("/a/b/..") == "/a/");
  CHECK(normalise_path("/a/b/../c") == "/a/c");
  CHECK(normalise_path("/..") == "/");
  CHECK(normalise_path("/../../a") == "/a");
  CHECK(normalise_path("/a/../../b") == "/b");
  CHECK(normalise_path("/a/..b/.c/...") == "/a/..b/.c/...");
  CHECK(normalise_path("/etc/app.conf") == "/etc/app.conf");
}

TEST_CASE("normalise_path keeps a trailing slash: it means 'must be a directory'") {
  CHECK(normalise_path("/a/") == "/a/");
  CHECK(normalise_path("/a//") == "/a/");
  CHECK(normalise_path("/a/b/.") == "/a/b/");
  CHECK(normalise_path("/a/.") == "/a/");
  CHECK(normalise_path("/.") == "/");
  CHECK(normalise_path("/a/..") == "/");
}

TEST_CASE("absolute_path joins relative paths to the base") {
  CHECK(absolute_path("/home/me", "x") == "/home/me/x");
  CHECK(absolute_path("/home/me", "./x") == "/home/me/x");
  CHECK(absolute_path("/home/me", "../x") == "/home/x");
  CHECK(absolute_path("/home/me", "/etc/x") == "/etc/x");
  CHECK(absolute_path("/", "x") == "/x");
  CHECK(absolute_path("/home/me", "") == "/home/me");
  CHECK(absolute_path("/home/me/", "../../../../x") == "/x");
}

TEST_CASE("normalise_path into a reused buffer: same results, what it held is replaced") {
  const char* cases[] = {"/",      "//",        "/a//b///c", "/./a/./b/.", "/a/b/..", "/../../a",
                         "/a/../../b", "/a/b/../c/", "/a/..",  "/usr/include/x.h", "/x/.."};
  std::string out = "/left/over/from/a/much/longer/earlier/path/than/any/of/these/cases";
  for (const char* path : cases) {
    normalise_path(path, out);
    CHECK(out == normalise_path(std::string_view(path)));
  }
  // Once the buffer is large enough, its storage is reused: no allocation per call.
  out.reserve(256);
  const char* storage = out.data();
  for (const char* path : cases) normalise_path(path, out);
  CHECK(out.data() == storage);
}
