#include "policy/inject_match.hpp"

#include <sys/random.h>

#include <chrono>

namespace sysvisor {
namespace {

// [...] at glob[i] (just past '['): whether c is in the class; `end` is set past the ']'.
bool in_class(std::string_view glob, size_t i, char c, size_t& end) noexcept {
  const bool negate = i < glob.size() && (glob[i] == '!' || glob[i] == '^');
  if (negate) ++i;
  bool found = false;
  for (bool first = true; i < glob.size() && (first || glob[i] != ']'); first = false) {
    char lo = glob[i];
    if (lo == '\\' && i + 1 < glob.size()) lo = glob[++i];
    char hi = lo;
    if (i + 2 < glob.size() && glob[i + 1] == '-' && glob[i + 2] != ']') {
      hi = glob[i + 2];
      i += 2;
    }
    if (lo <= c && c <= hi) found = true;
    ++i;
  }
  if (i >= glob.size()) return false;  // no closing ']': the '[' never matches
  end = i + 1;
  return found != negate && c != '/';
}

// One literal position of the glob against one character: where the glob goes on, or npos.
size_t step(std::string_view g, size_t gi, char c) noexcept {
  if (gi >= g.size()) return std::string_view::npos;
  size_t next = gi + 1;
  bool ok;
  if (g[gi] == '?') ok = c != '/';
  else if (g[gi] == '[') ok = in_class(g, gi + 1, c, next);
  else if (g[gi] == '\\' && gi + 1 < g.size()) ok = g[++next - 1] == c;
  else ok = g[gi] == c;
  return ok ? next : std::string_view::npos;
}

// Lazy matching with two backtrack points: the last `**` (may take any character) and the last
// single `*` after it (may take any but '/'). Only the last `**` ever needs to take more: whatever
// an earlier star left, it can absorb.
bool match_from(std::string_view g, std::string_view p) noexcept {
  constexpr size_t kNone = std::string_view::npos;
  size_t gi = 0, pi = 0;
  size_t double_g = kNone, double_p = 0, single_g = kNone, single_p = 0;
  while (pi < p.size()) {
    if (gi < g.size() && g[gi] == '*') {
      const bool crosses = gi + 1 < g.size() && g[gi + 1] == '*';
      while (gi < g.size() && g[gi] == '*') ++gi;
      if (crosses) {
        double_g = gi, double_p = pi, single_g = kNone;
      } else {
        single_g = gi, single_p = pi;
      }
      continue;
    }
    if (const size_t next = step(g, gi, p[pi]); next != kNone) {
      gi = next;
      ++pi;
    } else if (single_g != kNone && p[single_p] != '/') {
      gi = single_g, pi = ++single_p;
    } else if (double_g != kNone) {
      single_g = kNone;
      gi = double_g, pi = ++double_p;
    } else {
      return false;
    }
  }
  while (gi < g.size() && g[gi] == '*') ++gi;
  return gi == g.size();
}

uint64_t mix(uint64_t x) noexcept {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

bool glob_match(std::string_view glob, std::string_view path) noexcept { return match_from(glob, path); }

bool chance_fires(uint64_t seed, uint32_t thread, Personality p, int nr, uint64_t call, double probability) noexcept {
  if (probability >= 1) return true;
  uint64_t h = mix(seed);
  h = mix(h ^ thread);
  h = mix(h ^ ((static_cast<uint64_t>(p) << 32) | static_cast<uint32_t>(nr)));
  h = mix(h ^ call);
  const double u = static_cast<double>(h >> 11) * 0x1.0p-53;  // uniform in [0, 1)
  return u < probability;
}

uint64_t draw_seed() noexcept {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed)
    seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return seed;
}

}  // namespace sysvisor
