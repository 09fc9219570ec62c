/* Counts the allocations of a process, for the benchmark's "allocations per notification" rows.
 *
 *   LD_PRELOAD=malloc_count.so PROGRAM ...
 *
 * At exit each process that loaded it writes one line to stderr:
 *   malloc_count pid=<pid> calls=<malloc + calloc + realloc + aligned allocations>
 * Run the supervisor with two call counts: the difference divided by the extra calls is what one
 * notification allocates (start-up and shut-down cancel out). operator new goes through malloc.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t n, size_t size);
extern void* __libc_realloc(void* p, size_t size);
extern void* __libc_memalign(size_t align, size_t size);

static atomic_long g_calls;

void* malloc(size_t size) {
  atomic_fetch_add_explicit(&g_calls, 1, memory_order_relaxed);
  return __libc_malloc(size);
}

void* calloc(size_t n, size_t size) {
  atomic_fetch_add_explicit(&g_calls, 1, memory_order_relaxed);
  return __libc_calloc(n, size);
}

void* realloc(void* p, size_t size) {
  atomic_fetch_add_explicit(&g_calls, 1, memory_order_relaxed);
  return __libc_realloc(p, size);
}

void* memalign(size_t align, size_t size) {
  atomic_fetch_add_explicit(&g_calls, 1, memory_order_relaxed);
  return __libc_memalign(align, size);
}

void* aligned_alloc(size_t align, size_t size) { return memalign(align, size); }

int posix_memalign(void** out, size_t align, size_t size) {
  void* p = memalign(align, size);
  if (p == NULL) return 12; /* ENOMEM */
  *out = p;
  return 0;
}

__attribute__((destructor)) static void report(void) {
  char line[96];
  const int n = snprintf(line, sizeof line, "malloc_count pid=%d calls=%ld\n", (int)getpid(),
                         atomic_load_explicit(&g_calls, memory_order_relaxed));
  if (n > 0) (void)write(2, line, (size_t)n);
}
