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
