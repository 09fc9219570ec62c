// The pure tests an inject rule's extensions make on a call (sysvisor(1), FAULT INJECTION):
// shell globbing of paths and the seeded coin of prob=.
#pragma once

#include <cstdint>
#include <string_view>

#include "sysvisor/inject.hpp"

namespace sysvisor {

// Shell globbing over a whole path: `*` and `?` never match '/', `**` matches anything including
// '/', [...] and [!...] are character classes, `\` quotes the next character.
bool glob_match(std::string_view glob, std::string_view path) noexcept;

// prob=: whether the `call`-th selected call (1-based) of (personality, nr) by the `thread`-th
// thread of the tree (0-based, in the order threads were first seen) is injected. A pure function
// of its arguments: the same seed gives the same decisions run after run.
bool chance_fires(uint64_t seed, uint32_t thread, Personality p, int nr, uint64_t call, double probability) noexcept;

// A seed for a rule that names none (from the kernel's random pool).
uint64_t draw_seed() noexcept;

}  // namespace sysvisor
