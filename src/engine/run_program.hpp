// What the command-line tool runs: sysvisor::run() plus the process-wide choices (subreaper,
// forwarded signals) that only a program owning its whole process may make. Not public API.
#pragma once

#include "engine/monitor.hpp"
#include "sysvisor/supervisor.hpp"

namespace sysvisor {

Result<RunResult> run_program(const Policy& policy, const Command& command, const RunOptions& options,
                              const ProcessOptions& process);

}  // namespace sysvisor
