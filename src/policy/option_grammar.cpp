// The shared values of -e inject=/fault= and -k (option_grammar.hpp).
//
// error= numbers follow strace 6.1: parse_inject_token tries string_to_uint_upto(val, 4095)
// (strtoll base 10) and then find_errno_by_name. Measured with the strace 6.1 binary
// (`strace -f -qq -o /dev/null -e inject=getppid:error=V true`, the injected errno read from
// `strace -e trace=getppid -e inject=getppid:error=V bash -c :`):
//   accepted: 1, 16, 4095, 010 (= 10, not octal 8), 08 (= 8), 0010, 04095, +5, +010, " 5",
//             "\t7", "\n5" (strtoll skips leading blanks), eperm, EPERM, EnOsYs, ERESTARTSYS,
//             enotsupp;
//   refused:  0, 00, +0, -0, -1, " -1", 4096, +4096, 004096, 0x10, 0X10, 0x1, 0x0, 0xfff, 1e1, 5x,
//             "5 ", "5\n", "0 ", ++5, +-5, "", 4294967297, 9223372036854775807,
//             9223372036854775808, 99999999999999999999, E, EWOULDBLOCK, EDEADLOCK, ENOTSUP,
//             ENOPARAM, ENOGRACE, " EPERM", "EPERM ", +EPERM.
// -k reads error= with the same function, so `-k kmalloc:error=0x10` is refused as
// `-e inject=openat:error=0x10` is, and `-k kmalloc:error=010` is 10 as under -e.
//
// retval= (strtoull base 0), measured the same way: accepted " 1", +1, -1, 0x10, 0X10, 077,
// -0x10, -18446744073709551615 (= 1), -9223372036854775809 (= 2^63-1); refused 08, 1x, "1 ",
// "", 18446744073709551616, -18446744073709551616.
// when=: accepted 1, 65535, 4..4, 1..65534, 010 (= 10), " 3"; refused 0, 65536, 5..4,
// 1..65535, 0x10, "". signal=: accepted 010 (= 10), sigusr1; refused 0x10, +10, " 10", 65.
#include "policy/option_grammar.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <string>

namespace sysvisor {
namespace {

// strtoll/strtoull report overflow through errno; put the caller's errno back so that the
// parsers leave no trace.
class ErrnoScope {
 public:
  ErrnoScope() noexcept : saved_(errno) { errno = 0; }
  ~ErrnoScope() { errno = saved_; }
  ErrnoScope(const ErrnoScope&) = delete;
  ErrnoScope& operator=(const ErrnoScope&) = delete;

 private:
  int saved_;
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// True if strtoll would start reading a number here (blanks, one sign, a digit): the text was
// meant as a number, so the refusal says which numbers are taken rather than "unknown name".
bool looks_numeric(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  return i < s.size() && is_digit(s[i]);
}

// strace 6.1's x86 errno names (its errnoent: the kernel's names, no aliases such as
// EWOULDBLOCK, EDEADLOCK or ENOTSUP; 41 and 58 unnamed; kernel-internal 512..530 except 519
// ENOPARAM, which 6.1 does not know, nor 531 ENOGRACE).
struct ErrnoName {
  int value;
  std::string_view name;
};
constexpr ErrnoName kErrnoNames[] = {
    {1, "EPERM"}, {2, "ENOENT"}, {3, "ESRCH"}, {4, "EINTR"}, {5, "EIO"}, {6, "ENXIO"},
    {7, "E2BIG"}, {8, "ENOEXEC"}, {9, "EBADF"}, {10, "ECHILD"}, {11, "EAGAIN"}, {12, "ENOMEM"},
    {13, "EACCES"}, {14, "EFAULT"}, {15, "ENOTBLK"}, {16, "EBUSY"}, {17, "EEXIST"}, {18, "EXDEV"},
    {19, "ENODEV"}, {20, "ENOTDIR"}, {21, "EISDIR"}, {22, "EINVAL"}, {23, "ENFILE"},
    {24, "EMFILE"}, {25, "ENOTTY"}, {26, "ETXTBSY"}, {27, "EFBIG"}, {28, "ENOSPC"},
    {29, "ESPIPE"}, {30, "EROFS"}, {31, "EMLINK"}, {32, "EPIPE"}, {33, "EDOM"}, {34, "ERANGE"},
    {35, "EDEADLK"}, {36, "ENAMETOOLONG"}, {37, "ENOLCK"}, {38, "ENOSYS"}, {39, "ENOTEMPTY"},
    {40, "ELOOP"}, {42, "ENOMSG"}, {43, "EIDRM"}, {44, "ECHRNG"}, {45, "EL2NSYNC"},
    {46, "EL3HLT"}, {47, "EL3RST"}, {48, "ELNRNG"}, {49, "EUNATCH"}, {50, "ENOCSI"},
    {51, "EL2HLT"}, {52, "EBADE"}, {53, "EBADR"}, {54, "EXFULL"}, {55, "ENOANO"},
    {56, "EBADRQC"}, {57, "EBADSLT"}, {59, "EBFONT"}, {60, "ENOSTR"}, {61, "ENODATA"},
    {62, "ETIME"}, {63, "ENOSR"}, {64, "ENONET"}, {65, "ENOPKG"}, {66, "EREMOTE"},
    {67, "ENOLINK"}, {68, "EADV"}, {69, "ESRMNT"}, {70, "ECOMM"}, {71, "EPROTO"},
    {72, "EMULTIHOP"}, {73, "EDOTDOT"}, {74, "EBADMSG"}, {75, "EOVERFLOW"}, {76, "ENOTUNIQ"},
    {77, "EBADFD"}, {78, "EREMCHG"}, {79, "ELIBACC"}, {80, "ELIBBAD"}, {81, "ELIBSCN"},
    {82, "ELIBMAX"}, {83, "ELIBEXEC"}, {84, "EILSEQ"}, {85, "ERESTART"}, {86, "ESTRPIPE"},
    {87, "EUSERS"}, {88, "ENOTSOCK"}, {89, "EDESTADDRREQ"}, {90, "EMSGSIZE"},
    {91, "EPROTOTYPE"}, {92, "ENOPROTOOPT"}, {93, "EPROTONOSUPPORT"}, {94, "ESOCKTNOSUPPORT"},
    {95, "EOPNOTSUPP"}, {96, "EPFNOSUPPORT"}, {97, "EAFNOSUPPORT"}, {98, "EADDRINUSE"},
    {99, "EADDRNOTAVAIL"}, {100, "ENETDOWN"}, {101, "ENETUNREACH"}, {102, "ENETRESET"},
    {103, "ECONNABORTED"}, {104, "ECONNRESET"}, {105, "ENOBUFS"}, {106, "EISCONN"},
    {107, "ENOTCONN"}, {108, "ESHUTDOWN"}, {109, "ETOOMANYREFS"}, {110, "ETIMEDOUT"},
    {111, "ECONNREFUSED"}, {112, "EHOSTDOWN"}, {113, "EHOSTUNREACH"}, {114, "EALREADY"},
    {115, "EINPROGRESS"}, {116, "ESTALE"}, {117, "EUCLEAN"}, {118, "ENOTNAM"},
    {119, "ENAVAIL"}, {120, "EISNAM"}, {121, "EREMOTEIO"}, {122, "EDQUOT"},
    {123, "ENOMEDIUM"}, {124, "EMEDIUMTYPE"}, {125, "ECANCELED"}, {126, "ENOKEY"},
    {127, "EKEYEXPIRED"}, {128, "EKEYREVOKED"}, {129, "EKEYREJECTED"}, {130, "EOWNERDEAD"},
    {131, "ENOTRECOVERABLE"}, {132, "ERFKILL"}, {133, "EHWPOISON"},
    {512, "ERESTARTSYS"}, {513, "ERESTARTNOINTR"}, {514, "ERESTARTNOHAND"},
    {515, "ENOIOCTLCMD"}, {516, "ERESTART_RESTARTBLOCK"}, {517, "EPROBE_DEFER"},
    {518, "EOPENSTALE"}, {521, "EBADHANDLE"}, {522, "ENOTSYNC"}, {523, "EBADCOOKIE"},
    {524, "ENOTSUPP"}, {525, "ETOOSMALL"}, {526, "ESERVERFAULT"}, {527, "EBADTYPE"},
    {528, "EJUKEBOX"}, {529, "EIOCBQUEUED"}, {530, "ERECALLCONFLICT"},
};

// x86 signal names 1..31 (without SIG); 32 is RTMIN, 33..64 RT_1..RT_32 (strace's signame).
constexpr std::string_view kSignalNames[32] = {
    "",     "HUP",  "INT",    "QUIT", "ILL",  "TRAP", "ABRT", "BUS",  "FPE",    "KILL", "USR1",
    "SEGV", "USR2", "PIPE",   "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
    "TTOU", "URG",  "XCPU",   "XFSZ", "VTALRM", "PROF", "WINCH", "IO",  "PWR",  "SYS",
};

constexpr std::string_view kErrnoForms = "1..4095 in decimal, or a name such as EPERM";

// A whole-string decimal as strtoll reads it (the form strace tries first), any sign and size.
struct Decimal {
  long long value = 0;
  bool overflow = false;
};
std::optional<Decimal> whole_decimal(std::string_view text) {
  const std::string s(text);
  const ErrnoScope scope;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0') return std::nullopt;
  return Decimal{v, errno == ERANGE};
}

}  // namespace

UintParse string_to_uint(std::string_view text, unsigned long long max, std::string_view ending) {
  UintParse r;
  if (text.empty()) return r;
  const std::string s(text);
  const ErrnoScope scope;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (end == s.c_str() || v < 0 || static_cast<unsigned long long>(v) > max ||
      (v == LLONG_MAX && errno == ERANGE)) {
    return r;
  }
  if (*end != '\0' && ending.find(*end) == std::string_view::npos) return r;
  r.value = v;
  r.end = static_cast<size_t>(end - s.c_str());
  return r;
}

Result<int> parse_error_value(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  // A whole decimal is an errno number or nothing: no name is all digits.
  if (const auto n = whole_decimal(text)) {
    if (n->overflow || n->value < 1 || n->value > kMaxErrnoValue) {
      return make_error(EINVAL, "errno " + quoted + " out of range 1.." + std::to_string(kMaxErrnoValue));
    }
    return static_cast<int>(n->value);
  }
  if (const auto named = errno_by_name(text)) return *named;
  if (text.empty()) return make_error(EINVAL, "missing errno (" + std::string(kErrnoForms) + ")");
  if (looks_numeric(text)) {
    return make_error(EINVAL, "invalid errno " + quoted + " (" + std::string(kErrnoForms) + ")");
  }
  return make_error(EINVAL, "unknown errno " + quoted);
}

Result<uint64_t> parse_retval_value(std::string_view text) {
  const std::string s(text);
  const ErrnoScope scope;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (end == s.c_str() || *end != '\0' || ((v == 0 || v == ULLONG_MAX) && errno != 0)) {
    return make_error(EINVAL, "invalid retval '" + s + "' (a number: decimal, 0x hex or 0 octal)");
  }
  return static_cast<uint64_t>(v);
}

std::optional<When> parse_when_expr(std::string_view v) {
  When w;
  const UintParse first = string_to_uint(v, 0xffff, "+.");
  if (first.value < 1) return std::nullopt;
  w.first = static_cast<uint16_t>(first.value);
  size_t end = first.end;
  if (end < v.size() && v[end] == '.') {
    if (end + 1 >= v.size() || v[end + 1] != '.') return std::nullopt;
    const UintParse last = string_to_uint(v.substr(end + 2), 0xffff, "+");
    if (last.value < w.first || last.value == kWhenLastInf) return std::nullopt;
    w.last = static_cast<uint16_t>(last.value);
    end = end + 2 + last.end;
  } else {
    w.last = kWhenLastInf;
  }
  if (end < v.size()) {
    const std::string_view step_text = v.substr(end + 1);
    if (!step_text.empty()) {
      const UintParse step = string_to_uint(step_text, 0xffff);
      if (step.value < 1) return std::nullopt;
      w.step = static_cast<uint16_t>(step.value);
    } else {
      w.step = 1;
    }
  } else {
    w.step = w.last == kWhenLastInf ? 0 : 1;
  }
  return w;
}

Result<When> parse_when_value(std::string_view text) {
  if (const auto w = parse_when_expr(text)) return *w;
  return make_error(EINVAL, "invalid when '" + std::string(text) +
                                "' (FIRST, FIRST+, FIRST+STEP, FIRST..LAST or FIRST..LAST+STEP with "
                                "FIRST and STEP 1..65535, LAST FIRST..65534)");
}

std::optional<int> errno_by_name(std::string_view name) {
  for (const auto& e : kErrnoNames) {
    if (iequals(e.name, name)) return e.value;
  }
  return std::nullopt;
}

std::optional<int> signal_by_spec(std::string_view spec) {
  if (!spec.empty() && is_digit(spec[0])) {
    const UintParse n = string_to_uint(spec, 255);
    if (n.value < 1 || n.value > kMaxSignalValue) return std::nullopt;
    return static_cast<int>(n.value);
  }
  if (spec.size() >= 3 && iequals(spec.substr(0, 3), "SIG")) spec.remove_prefix(3);
  for (int i = 1; i < 32; ++i) {
    if (iequals(kSignalNames[i], spec)) return i;
  }
  if (iequals(spec, "RTMIN")) return 32;
  if (spec.size() > 3 && iequals(spec.substr(0, 3), "RT_")) {
    for (int i = 1; i <= 32; ++i) {
      if (spec.substr(3) == std::to_string(i)) return 32 + i;
    }
  }
  return std::nullopt;
}

Result<int> parse_signal_value(std::string_view text) {
  if (const auto sig = signal_by_spec(text)) return *sig;
  return make_error(EINVAL, "unknown signal '" + std::string(text) + "' (a name such as USR1 or SIGUSR1, or 1..64)");
}

Result<AnswerItem> parse_answer_item(std::string_view key, std::string_view value, bool has_error, bool has_retval) {
  const bool is_error = key == "error=";
  if (is_error ? has_error : has_retval) return make_error(EINVAL, std::string(key) + " given twice");
  if (has_error || has_retval) return make_error(EINVAL, "error= and retval= are exclusive");
  AnswerItem out;
  if (is_error) {
    Result<int> e = parse_error_value(value);
    if (!e) return std::move(e).error();
    out.error = *e;
  } else {
    Result<uint64_t> v = parse_retval_value(value);
    if (!v) return std::move(v).error();
    out.retval = *v;
  }
  return out;
}

std::optional<uint64_t> parse_register_value(std::string_view text) {
  std::string s(text);
  if (s.empty() || s[0] == ' ' || s[0] == '+') return std::nullopt;
  const bool neg = s[0] == '-';
  const std::string digits = neg ? s.substr(1) : s;
  if (digits.empty() || digits[0] == '-' || digits[0] == '+' || digits[0] == ' ') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(digits.c_str(), &end, 0);
  if (errno == ERANGE || end == digits.c_str() || *end != '\0') return std::nullopt;
  if (neg && v > (1ULL << 63)) return std::nullopt;
  return neg ? ~static_cast<uint64_t>(v) + 1 : static_cast<uint64_t>(v);
}

std::optional<double> parse_probability_value(std::string_view text) {
  std::string s(text);
  const bool percent = !s.empty() && s.back() == '%';
  if (percent) s.pop_back();
  if (s.empty() || !((s[0] >= '0' && s[0] <= '9') || s[0] == '.')) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (*end != '\0' || !std::isfinite(v)) return std::nullopt;
  if (percent) v /= 100.0;
  if (v < 0.0 || v > 1.0) return std::nullopt;
  return v;
}

}  // namespace sysvisor
