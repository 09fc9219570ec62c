// when= counting: per thread and syscall, exactly as strace 6.1 counts.
//
// strace keeps, per thread and syscall, a copy of {first, last, step} and on each call that
// reaches injection: stops for good once first or last is 0; decrements last (unless it is the
// 65535 "infinite" marker) and first; injects when first reaches 0 and reloads it with step.
// `StraceCountdown` below restates that with 16-bit fields; the tests compare when_hit with it
// over boundary parameters, and pin the resulting call numbers explicitly.
#include <doctest/doctest.h>

#include <vector>

#include "inject/inject_counter.hpp"

using sysvisor::InjectCounter;
using sysvisor::kWhenLastInf;
using sysvisor::Personality;
using sysvisor::When;
using sysvisor::when_hit;

namespace {

struct StraceCountdown {
  uint16_t first, last, step;
  explicit StraceCountdown(const When& w) : first(w.first), last(w.last), step(w.step) {}
  bool call() {
    if (first == 0 || last == 0) return false;
    if (last != kWhenLastInf) --last;
    --first;
    if (first != 0) return false;
    first = step;
    return true;
  }
};

// The call numbers (1-based) among the first `n` calls that when_hit injects.
std::vector<uint32_t> hits(const When& w, uint32_t n, uint32_t* max_slot = nullptr) {
  std::vector<uint32_t> out;
  uint32_t slot = 0;
  uint32_t top = 0;
  for (uint32_t call = 1; call <= n; ++call) {
    if (when_hit(w, slot)) out.push_back(call);
    top = std::max(top, slot);
  }
  if (max_slot) *max_slot = top;
  return out;
}

}  // namespace

TEST_CASE("when_hit: default (no when=) injects every call") {
  uint32_t slot = 0;
  for (uint32_t call = 1; call <= 200000; ++call) REQUIRE(when_hit(When{}, slot));
  CHECK(slot == 1);  // folded back: FIRST+STEP behaves as FIRST
}

TEST_CASE("when_hit: when=FIRST injects only call FIRST") {
  for (const uint16_t first : {uint16_t{1}, uint16_t{2}, uint16_t{3}, uint16_t{65534}, uint16_t{65535}}) {
    const When w{first, kWhenLastInf, 0};
    uint32_t top = 0;
    const auto h = hits(w, uint32_t{first} + 70000, &top);
    REQUIRE(h.size() == 1);
    CHECK(h[0] == first);
    CHECK(top == first);  // counting stops after FIRST
  }
}

TEST_CASE("when_hit: when=FIRST+ injects FIRST and every later call") {
  for (const uint16_t first : {uint16_t{1}, uint16_t{2}, uint16_t{65535}}) {
    const When w{first, kWhenLastInf, 1};
    const auto h = hits(w, uint32_t{first} + 1000);
    REQUIRE(h.size() == 1001);
    CHECK(h.front() == first);
    CHECK(h.back() == uint32_t{first} + 1000);
  }
}

TEST_CASE("when_hit: when=FIRST+STEP, including STEP 65535 and the fold-back") {
  {
    const auto h = hits(When{3, kWhenLastInf, 2}, 12);
    CHECK(h == std::vector<uint32_t>{3, 5, 7, 9, 11});
  }
  {
    const auto h = hits(When{1, kWhenLastInf, 3}, 10);
    CHECK(h == std::vector<uint32_t>{1, 4, 7, 10});
  }
  {
    uint32_t top = 0;
    const auto h = hits(When{2, kWhenLastInf, 65535}, 3 * 65535 + 10, &top);
    CHECK(h == std::vector<uint32_t>{2, 65537, 131072, 196607});
    CHECK(top < 2u + 65535u);  // the slot never grows past FIRST+STEP
  }
  {
    uint32_t top = 0;
    const auto h = hits(When{65535, kWhenLastInf, 65535}, 4 * 65535, &top);
    CHECK(h == std::vector<uint32_t>{65535, 131070, 196605, 262140});
    CHECK(top < 131070u);
  }
}

TEST_CASE("when_hit: when=FIRST..LAST and FIRST..LAST+STEP stop after LAST") {
  CHECK(hits(When{2, 5, 1}, 20) == std::vector<uint32_t>{2, 3, 4, 5});
  CHECK(hits(When{1, 1, 1}, 20) == std::vector<uint32_t>{1});
  CHECK(hits(When{3, 10, 3}, 30) == std::vector<uint32_t>{3, 6, 9});
  CHECK(hits(When{3, 9, 3}, 30) == std::vector<uint32_t>{3, 6, 9});
  CHECK(hits(When{5, 5, 65535}, 30) == std::vector<uint32_t>{5});
  {
    uint32_t top = 0;
    const auto h = hits(When{65534, 65534, 1}, 70000, &top);
    CHECK(h == std::vector<uint32_t>{65534});
    CHECK(top == 65534);  // nothing is counted after LAST
  }
  {
    const auto h = hits(When{1, 65534, 1}, 70000);
    REQUIRE(h.size() == 65534);
    CHECK(h.back() == 65534);
  }
  {
    const auto h = hits(When{1, 65534, 65533}, 70000);
    CHECK(h == std::vector<uint32_t>{1, 65534});
  }
}

TEST_CASE("when_hit: agrees with strace's 16-bit countdown over boundary parameters") {
  const uint16_t firsts[] = {1, 2, 3, 7, 100, 65533, 65534, 65535};
  const uint16_t steps[] = {0, 1, 2, 3, 5, 65534, 65535};
  const uint16_t lasts[] = {1, 2, 3, 8, 100, 65533, 65534, kWhenLastInf};
  int combos = 0;
  for (const uint16_t f : firsts) {
    for (const uint16_t l : lasts) {
      for (const uint16_t s : steps) {
        if (l != kWhenLastInf && (l < f || s == 0)) continue;  // the parser never builds these
        ++combos;
        const When w{f, l, s};
        StraceCountdown ref(w);
        uint32_t slot = 0;
        const uint32_t calls = uint32_t{f} + 3u * (s ? s : 1u) + 200u;
        for (uint32_t call = 1; call <= calls; ++call) {
          const bool want = ref.call();
          const bool got = when_hit(w, slot);
          if (want != got) {
            FAIL("when=", f, "..", l, "+", s, " call ", call, ": strace ", want, ", ours ", got);
          }
        }
      }
    }
  }
  CHECK(combos == 56 + 168);  // 8 FIRSTs x 7 steps unbounded; 28 FIRST<=LAST pairs x 6 steps
}

TEST_CASE("InjectCounter: per thread, per personality, per syscall") {
  InjectCounter c;
  const When second{2, kWhenLastInf, 0};
  CHECK_FALSE(c.hit(100, Personality::kX86_64, 2, second).selected);
  CHECK(c.hit(100, Personality::kX86_64, 2, second).selected);
  CHECK_FALSE(c.hit(100, Personality::kX86_64, 2, second).selected);
  // Another syscall, another personality, another thread: each starts from zero.
  CHECK_FALSE(c.hit(100, Personality::kX86_64, 257, second).selected);
  CHECK_FALSE(c.hit(100, Personality::kI386, 2, second).selected);
  CHECK_FALSE(c.hit(101, Personality::kX86_64, 2, second).selected);
  CHECK(c.hit(101, Personality::kX86_64, 2, second).selected);
  CHECK(c.count(100, Personality::kX86_64, 2) == 2);
  CHECK(c.count(100, Personality::kI386, 2) == 1);
  CHECK(c.count(102, Personality::kX86_64, 2) == 0);
  CHECK(c.threads() == 2);

  // A thread that exits is forgotten: a new thread reusing the id starts from zero.
  c.forget_thread(101);
  CHECK(c.count(101, Personality::kX86_64, 2) == 0);
  CHECK_FALSE(c.hit(101, Personality::kX86_64, 2, second).selected);
  CHECK(c.hit(101, Personality::kX86_64, 2, second).selected);

  // execve in a non-leader thread: its counts continue under the leader's id.
  InjectCounter m;
  const When third{3, kWhenLastInf, 0};
  CHECK_FALSE(m.hit(7, Personality::kX86_64, 59, third).selected);  // leader
  CHECK_FALSE(m.hit(8, Personality::kX86_64, 59, third).selected);  // thread
  CHECK_FALSE(m.hit(8, Personality::kX86_64, 59, third).selected);
  m.move_thread(8, 7);
  CHECK(m.count(8, Personality::kX86_64, 59) == 0);
  CHECK(m.count(7, Personality::kX86_64, 59) == 2);
  CHECK(m.hit(7, Personality::kX86_64, 59, third).selected);
  CHECK(m.threads() == 1);
  m.move_thread(9, 7);  // a thread with no counts replaces the leader's with nothing
  CHECK(m.count(7, Personality::kX86_64, 59) == 0);
  CHECK(m.threads() == 0);
}
