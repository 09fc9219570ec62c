// --summary: at exit, one line per -e and -k rule saying what it matched and what it injected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sysvisor/log.hpp"
#include "sysvisor/supervisor.hpp"

namespace sysvisor {

struct SummaryLine {
  std::string option;                // "-e inject=openat:error=EIO" or "-k 'kmalloc:when=3'"
  bool counted = true;               // false: answered in the kernel's filter, never seen
  uint64_t matched = 0;              // calls that passed the rule's selectors (and -P)
  uint64_t injected = 0;             // calls it acted on
  std::optional<uint64_t> seed;      // prob=: the seed used
};

// The lines for a finished run, -e rules first, in command-line order.
std::vector<SummaryLine> summarise(const RunResult& result, const Policy& policy);

// "-e inject=openat:error=EIO: 3 matched, 1 injected", "...: never matched", "...: in kernel, not
// counted" (text), or one JSON object per line.
std::string format_summary_line(const SummaryLine& line, LogFormat format);

}  // namespace sysvisor
