// A small classic-BPF interpreter for the instructions libseccomp emits, to run a generated filter
// on fake seccomp_data in unit tests (as chromium's PolicyEmulator does).
#pragma once

#include <doctest/doctest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstring>
#include <stdexcept>
#include <vector>

namespace sysvisor::testing {

// Interprets the instructions libseccomp emits; throws on anything else.
inline uint32_t run_bpf(const std::vector<sock_filter>& prog, const seccomp_data& data) {
  uint32_t a = 0, x = 0;
  uint32_t mem[BPF_MEMWORDS] = {};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& in = prog[pc];
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS: {
        REQUIRE(in.k + 4 <= sizeof data);
        std::memcpy(&a, reinterpret_cast<const char*>(&data) + in.k, 4);
        break;
      }
      case BPF_LD | BPF_MEM: a = mem[in.k]; break;
      case BPF_LDX | BPF_MEM: x = mem[in.k]; break;
      case BPF_ST: mem[in.k] = a; break;
      case BPF_STX: mem[in.k] = x; break;
      case BPF_ALU | BPF_AND | BPF_K: a &= in.k; break;
      case BPF_JMP | BPF_JA: pc += in.k; break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += (a == in.k) ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += (a > in.k) ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += (a >= in.k) ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JSET | BPF_K: pc += (a & in.k) ? in.jt : in.jf; break;
      case BPF_RET | BPF_K: return in.k;
      case BPF_RET | BPF_A: return a;
      default: throw std::runtime_error("unexpected BPF instruction");
    }
  }
  throw std::runtime_error("fell off the end of the program");
}


}  // namespace sysvisor::testing
