// SPDX-License-Identifier: GPL-2.0
/* sysvisor's kernel fault injection (-k): the programs. The user side (kinject_loader.cpp) fills
 * the rule table, enables only the programs the rules need, sets their attach targets and seeds
 * the scope with the program's task.
 *
 * Scope: fork/exit tracking in BPF, in task storage. A task is in scope when the user side seeded
 * it (the program's first task, before its execve) or when a task in scope created it (threads
 * and children: sched_process_fork). Task storage dies with the task, so a reused pid is never in
 * scope, and a non-leader execve keeps its task_struct (and its storage). Chosen over a cgroup v2
 * of our own because (1) it needs no cgroup2 mount or delegation and does not move the program
 * out of the cgroup its caller put it in (resource limits, systemd units, a cgroup v1 host like
 * this project's CI), (2) kernels without CONFIG_CGROUPS work too, and (3) several runs of the
 * library at once each get their own maps and so their own scope. Reparenting (orphans adopted by
 * the subreaper) does not matter: scope is inherited at fork time. The one cost: the program's
 * first task is seeded through its pidfd, before its execve (the launcher holds it until then).
 *
 * Arming: the rules fire only once the seeded task has completed its execve (sched_process_exec):
 * the execve itself (its security_file_open, its allocations) is never counted nor injected, as
 * strace does not inject into the execve that starts the program. Everything after it counts,
 * the dynamic loader included: when= or chain= keep start-up out (see sysvisor(1)).
 * run_function() has no execve: the user side arms before the body runs.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kinject_abi.h"

char LICENSE[] SEC("license") = "GPL"; /* BPF LSM and bpf_override_return need GPL */

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, KINJECT_MAX_RULES);
  __type(key, __u32);
  __type(value, struct kinject_rule);
} rules SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, KINJECT_MAX_RULES);
  __type(key, __u32);
  __type(value, struct kinject_count);
} counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct kinject_task);
} scope SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct kinject_chain);
} chains SEC(".maps");

/* Set by the seeded task's execve (or by the user side for run_function). */
volatile __u32 armed = 0;

static __always_inline int task_in_scope(struct task_struct *task) {
  struct kinject_task *t = bpf_task_storage_get(&scope, task, 0, 0);
  return t && t->in_scope;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(kinject_fork, struct task_struct *parent, struct task_struct *child) {
  if (!task_in_scope(parent)) return 0;
  struct kinject_task *t = bpf_task_storage_get(&scope, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (t) t->in_scope = 1;
  return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(kinject_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) {
  struct kinject_task *t = bpf_task_storage_get(&scope, p, 0, 0);
  if (t && t->in_scope && t->arm_on_exec) {
    t->arm_on_exec = 0;
    armed = 1;
  }
  return 0;
}

/* The stack of chain frames of rule r, frame f, of the current task (created on demand). */
static __always_inline struct kinject_frame_state *frame_state(__u32 r, __u32 f, int create) {
  struct kinject_chain *c = bpf_task_storage_get(&chains, bpf_get_current_task_btf(), 0,
                                                 create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
  /* Indexes are masked, not compared: clang may test one copy of a value and index with another,
   * which the verifier then sees unbounded. The user side only hands out in-range numbers. */
  return c ? &c->f[r & (KINJECT_MAX_RULES - 1)][f & (KINJECT_MAX_FRAMES - 1)] : 0;
}

/* Argument k (1-based) at a kprobe on the function's first instruction: registers for 1..6,
 * then the stack: sp points at the return address, argument k >= 7 is at sp + 8*(k-6).
 * libbpf 1.1 has no PT_REGS_PARM6: r9. */
static __always_inline __u64 kprobe_arg(struct pt_regs *ctx, __u32 k) {
  __u64 v = 0;
  switch (k) {
    case 1: return ctx->di;
    case 2: return ctx->si;
    case 3: return ctx->dx;
    case 4: return ctx->cx;
    case 5: return ctx->r8;
    case 6: return ctx->r9;
    default:
      if (k > KINJECT_MAX_ARG) return 0;
      bpf_probe_read_kernel(&v, sizeof v, (void *)(ctx->sp + 8 * (__u64)(k - 6)));
      return v;
  }
}

/* Argument k (1-based) at a trampoline (fmod_ret, lsm). */
static __always_inline __u64 tramp_arg(void *ctx, __u32 k) {
  __u64 v = 0;
  if (k >= 1 && k <= KINJECT_MAX_ARG) bpf_get_func_arg(ctx, k - 1, &v);
  return v;
}

static __always_inline int tests_ok_kprobe(struct pt_regs *ctx, const struct kinject_test *tests) {
#pragma unroll
  for (int i = 0; i < KINJECT_MAX_TESTS; i++) {
    if (tests[i].op == KINJECT_OP_NONE) break;
    if (!kinject_test_ok(&tests[i], kprobe_arg(ctx, tests[i].arg))) return 0;
  }
  return 1;
}

static __always_inline int tests_ok_tramp(void *ctx, const struct kinject_test *tests) {
#pragma unroll
  for (int i = 0; i < KINJECT_MAX_TESTS; i++) {
    if (tests[i].op == KINJECT_OP_NONE) break;
    if (!kinject_test_ok(&tests[i], tramp_arg(ctx, tests[i].arg))) return 0;
  }
  return 1;
}

/* Every chain frame of the rule has an activation that passed on this task's stack. */
static __always_inline int chain_ok(__u32 r, const struct kinject_rule *rule) {
  if (rule->nframes == 0) return 1;
  struct kinject_chain *c = bpf_task_storage_get(&chains, bpf_get_current_task_btf(), 0, 0);
  if (!c) return 0;
#pragma unroll
  for (int f = 0; f < KINJECT_MAX_FRAMES; f++) {
    if (f >= rule->nframes) break;
    if (c->f[r & (KINJECT_MAX_RULES - 1)][f].passed == 0) return 0;
  }
  return 1;
}

/* Scope, arming and chain passed, and the argument tests: count and decide (when=, prob=). */
static __always_inline int count_and_decide(__u32 r, const struct kinject_rule *rule) {
  struct kinject_count *cnt = bpf_map_lookup_elem(&counts, &r);
  if (!cnt) return 0;
  __u64 n = __sync_fetch_and_add(&cnt->matched, 1) + 1;
  if (!kinject_when_hit(rule->when_first, rule->when_last, rule->when_step, n)) return 0;
  if (!kinject_prob_hit(rule->prob, rule->seed, n)) return 0;
  __sync_fetch_and_add(&cnt->injected, 1);
  return 1;
}

static __always_inline const struct kinject_rule *rule_if_live(__u32 r) {
  if (!armed) return 0;
  if (!task_in_scope(bpf_get_current_task_btf())) return 0;
  return bpf_map_lookup_elem(&rules, &r);
}

/* Target, kprobe + bpf_override_return; attach cookie = rule number. */
SEC("kprobe")
int kinject_override(struct pt_regs *ctx) {
  __u32 r = (__u32)bpf_get_attach_cookie(ctx);
  const struct kinject_rule *rule = rule_if_live(r);
  if (!rule || !chain_ok(r, rule) || !tests_ok_kprobe(ctx, rule->tests)) return 0;
  if (count_and_decide(r, rule)) bpf_override_return(ctx, (unsigned long)rule->retval);
  return 0;
}

/* Chain frame entry; cookie = rule << 8 | frame. The activation passes when its argument tests
 * pass and the next outer frame (if any) is active at this moment. */
SEC("kprobe")
int kinject_frame_entry(struct pt_regs *ctx) {
  __u64 cookie = bpf_get_attach_cookie(ctx);
  __u32 r = (__u32)(cookie >> 8), f = (__u32)(cookie & (KINJECT_MAX_FRAMES - 1));
  if (!task_in_scope(bpf_get_current_task_btf())) return 0;
  const struct kinject_rule *rule = bpf_map_lookup_elem(&rules, &r);
  struct kinject_frame_state *st = frame_state(r, f, 1);
  if (!rule || !st) return 0;
  int pass = tests_ok_kprobe(ctx, rule->frames[f].tests);
  if (pass && f + 1 < rule->nframes) {
    struct kinject_frame_state *outer = frame_state(r, f + 1, 0);
    pass = outer && outer->passed > 0;
  }
  if (st->level < 64) {
    st->bits = (st->bits << 1) | (__u64)pass;
    st->passed += pass;
  }
  st->level++;
  return 0;
}

SEC("kretprobe")
int kinject_frame_exit(struct pt_regs *ctx) {
  __u64 cookie = bpf_get_attach_cookie(ctx);
  __u32 r = (__u32)(cookie >> 8), f = (__u32)(cookie & 0xff);
  struct kinject_frame_state *st = frame_state(r, f, 0);
  if (!st || st->level == 0) return 0;
  st->level--;
  if (st->level < 64) {
    st->passed -= (__u32)(st->bits & 1);
    st->bits >>= 1;
  }
  return 0;
}

/* Target, fmod_ret: returning non-zero skips the function and becomes its return value. One
 * copy per rule (the user side sets each copy's attach target). */
static __always_inline long fmod_body(void *ctx, __u32 r) {
  const struct kinject_rule *rule = rule_if_live(r);
  if (!rule || !chain_ok(r, rule) || !tests_ok_tramp(ctx, rule->tests)) return 0;
  return count_and_decide(r, rule) ? (long)rule->retval : 0;
}

/* Target, BPF LSM: 6.12's verifier wants a return value provably in [-4095, 0]; a value read
 * from the map loses its bounds unless checked on a copy the compiler cannot merge
 * (barrier_var), twice. */
static __always_inline int lsm_body(void *ctx, __u32 r) {
  const struct kinject_rule *rule = rule_if_live(r);
  if (!rule || !chain_ok(r, rule) || !tests_ok_tramp(ctx, rule->tests)) return 0;
  if (!count_and_decide(r, rule)) return 0;
  int ret = (int)rule->retval;
  barrier_var(ret);
  if (ret > 0 || ret < -4095) return 0;
  barrier_var(ret);
  if (ret > 0 || ret < -4095) return 0;
  return ret;
}

#define KINJECT_COPY(i)                                                    \
  SEC("fmod_ret")                                                          \
  long kinject_fmod##i(unsigned long long *ctx) { return fmod_body(ctx, i); } \
  SEC("lsm")                                                               \
  int kinject_lsm##i(unsigned long long *ctx) { return lsm_body(ctx, i); }

KINJECT_COPY(0)
KINJECT_COPY(1)
KINJECT_COPY(2)
KINJECT_COPY(3)
KINJECT_COPY(4)
KINJECT_COPY(5)
KINJECT_COPY(6)
KINJECT_COPY(7)
