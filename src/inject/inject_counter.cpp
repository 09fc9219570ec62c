// when= counting; see inject_counter.hpp for the strace semantics reproduced.
#include "inject/inject_counter.hpp"

namespace sysvisor {

bool when_hit(const When& when, uint32_t& slot) noexcept {
  const bool finite = when.last != kWhenLastInf;
  // strace: a zero countdown (LAST reached, or FIRST reached with no step) ends counting.
  if (finite && slot >= when.last) return false;
  if (when.step == 0 && slot >= when.first) return false;
  const uint32_t call = ++slot;  // 1-based number of this call
  if (call < when.first) return false;
  if (when.step == 0) return call == when.first;
  if ((call - when.first) % when.step != 0) return false;
  // Calls FIRST and FIRST+STEP are followed by the same pattern: fold back so the slot stays
  // below FIRST+STEP (<= 131070) however long the thread runs.
  if (!finite && call != when.first) slot = when.first;
  return true;
}

InjectCounter::Hit InjectCounter::hit(pid_t tid, Personality p, int nr, const When& when) {
  Slot& slot = counts_[tid][key(p, nr)];
  return {when_hit(when, slot.when), ++slot.calls};
}

uint32_t InjectCounter::count(pid_t tid, Personality p, int nr) const noexcept {
  const auto t = counts_.find(tid);
  if (t == counts_.end()) return 0;
  const auto c = t->second.find(key(p, nr));
  return c == t->second.end() ? 0 : c->second.when;
}

void InjectCounter::forget_thread(pid_t tid) { counts_.erase(tid); }

void InjectCounter::move_thread(pid_t from, pid_t to) {
  if (from == to) return;
  auto node = counts_.extract(from);
  counts_.erase(to);
  if (!node.empty()) {
    node.key() = to;
    counts_.insert(std::move(node));
  }
}

}  // namespace sysvisor
