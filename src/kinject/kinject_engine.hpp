// The engine's use of -k: start the session before the program exists, report counts after.
#pragma once

#include <sys/types.h>

#include "kinject/kinject_session.hpp"
#include "sysvisor/supervisor.hpp"

namespace sysvisor {

// Per rule, after the run: RunResult::kinject_hits / kinject_matched, and one -o log entry
// (action "kinject", detail "SPEC: N injected, M counted") for the program's pid.
void report_kinject(const KinjectSession& session, const Policy& policy, const RunOptions& options, pid_t pid,
                    RunResult& result);

}  // namespace sysvisor
