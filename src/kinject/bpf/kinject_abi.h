/* The rule table shared by the BPF programs (kinject.bpf.c) and the user side (kinject_loader.cpp,
 * kinject_parse.cpp): one definition of what a -k rule looks like inside the kernel, and the two
 * pure decisions both sides must agree on (when= and prob=/seed=), so that unit tests run the
 * very code the BPF programs run.
 *
 * C, no libc: included by clang -target bpf after vmlinux.h and by C++ after <linux/types.h>.
 */
#ifndef SYSVISOR_KINJECT_ABI_H
#define SYSVISOR_KINJECT_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KINJECT_MAX_RULES 8  /* -k rules per run; also the number of fmod_ret and lsm program copies */
#define KINJECT_MAX_FRAMES 4 /* chain=F1/F2/F3/F4 */
#define KINJECT_MAX_TESTS 4  /* argument tests per frame and on the target */
#define KINJECT_MAX_ARG 12   /* arg1..arg12 (x86-64 trampolines carry up to 12 arguments) */
#define KINJECT_PROB_ALWAYS (1ULL << 32)

/* argN OP VALUE; the argument is first masked to its width (kinject_test.mask). */
enum kinject_op {
  KINJECT_OP_NONE = 0, /* unused slot: ends the list */
  KINJECT_OP_EQ,       /* == */
  KINJECT_OP_NE,       /* != */
  KINJECT_OP_LT,       /* <  (unsigned) */
  KINJECT_OP_LE,       /* <= (unsigned) */
  KINJECT_OP_GT,       /* >  (unsigned) */
  KINJECT_OP_GE,       /* >= (unsigned) */
  KINJECT_OP_AND,      /* &  : (arg & VALUE) != 0 */
};

struct kinject_test {
  __u32 arg; /* 1-based argument number, 1..KINJECT_MAX_ARG */
  __u32 op;  /* enum kinject_op */
  __u64 value;
  __u64 mask; /* the argument's width (all ones for 64-bit arguments) */
};

struct kinject_frame {
  struct kinject_test tests[KINJECT_MAX_TESTS];
};

/* One -k rule as the programs read it (array map "rules", index = rule number). */
struct kinject_rule {
  __s64 retval;      /* what the function returns when injected (error=E: -E) */
  __u64 seed;        /* seed= */
  __u64 prob;        /* inject when (kinject_mix(seed, n) >> 32) < prob; KINJECT_PROB_ALWAYS: always */
  __u32 when_first;  /* when=, as struct When: 1..65535 */
  __u32 when_last;   /* 65535 = no upper bound */
  __u32 when_step;   /* 0 = only call when_first */
  __u32 nframes;     /* chain frames in use, frames[0] the innermost caller */
  struct kinject_test tests[KINJECT_MAX_TESTS]; /* on the target's own arguments */
  struct kinject_frame frames[KINJECT_MAX_FRAMES];
};

/* Per rule (array map "counts"): calls that passed scope, arming, chain and argument tests, and
 * calls injected. */
struct kinject_count {
  __u64 matched;
  __u64 injected;
};

/* Per task (task storage "scope"): in the supervised tree; arms the rules when it execs. */
struct kinject_task {
  __u32 in_scope;
  __u32 arm_on_exec;
};

/* Per task, per rule and frame: the chain frames active on this task's kernel stack. A stack of
 * bits (1 = this activation passed its tests and its outer frame was active at entry). */
struct kinject_frame_state {
  __u64 bits;
  __u32 level;
  __u32 passed; /* number of 1 bits on the stack */
};

struct kinject_chain {
  struct kinject_frame_state f[KINJECT_MAX_RULES][KINJECT_MAX_FRAMES];
};

/* when= on the n-th matching call (1-based), exactly as strace's countdown decides for a
 * counter that only grows (see src/inject/inject_counter.hpp; tests/unit/test_kinject.cpp
 * compares the two over every boundary). */
static inline int kinject_when_hit(__u32 first, __u32 last, __u32 step, __u64 n) {
  if (n < first) return 0;
  if (last != 65535 && n > last) return 0;
  if (step == 0) return n == first;
  return (n - first) % step == 0;
}

/* splitmix64 of (seed, n): the prob= decision for the n-th matching call depends on nothing
 * else, so the same calls give the same inject/skip sequence. */
static inline __u64 kinject_mix(__u64 seed, __u64 n) {
  __u64 z = seed + n * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline int kinject_prob_hit(__u64 prob, __u64 seed, __u64 n) {
  if (prob >= KINJECT_PROB_ALWAYS) return 1;
  return (kinject_mix(seed, n) >> 32) < prob;
}

static inline int kinject_test_ok(const struct kinject_test *t, __u64 v) {
  v &= t->mask;
  switch (t->op) {
    case KINJECT_OP_EQ: return v == t->value;
    case KINJECT_OP_NE: return v != t->value;
    case KINJECT_OP_LT: return v < t->value;
    case KINJECT_OP_LE: return v <= t->value;
    case KINJECT_OP_GT: return v > t->value;
    case KINJECT_OP_GE: return v >= t->value;
    case KINJECT_OP_AND: return (v & t->value) != 0;
    default: return 1;
  }
}

#endif
