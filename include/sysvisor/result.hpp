// Result<T>: a value or an Error (errno + one-line message), the library's only error channel.
// No exceptions cross the public API. Modelled on std::expected (C++23), which C++20 lacks.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "sysvisor/api.hpp"

namespace sysvisor {

// One failure: `code` is an errno value (0 when no errno applies), `message` is the complete
// one-line diagnostic without the program-name prefix.
struct Error {
  int code = 0;
  std::string message;
};

// Either a T or an Error. Access to the wrong alternative is a broken invariant (assert).
template <class T>
class [[nodiscard]] Result {
 public:
  // A success holding `value` (implicit, so that functions can `return value;`).
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  // A failure (implicit, so that functions can `return make_error(...)`).
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  // True on success.
  explicit operator bool() const noexcept { return v_.index() == 0; }
  // True on success.
  bool ok() const noexcept { return v_.index() == 0; }

  // The value (precondition: ok()).
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // The error (precondition: !ok()).
  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success carries nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  // Success.
  Result() = default;
  // A failure.
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  // True on success.
  explicit operator bool() const noexcept { return ok_; }
  // True on success.
  bool ok() const noexcept { return ok_; }
  // The error (precondition: !ok()).
  const Error& error() const& { assert(!ok_); return error_; }
  Error&& error() && { assert(!ok_); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

// An Error from an errno value and a one-line message.
inline Error make_error(int code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace sysvisor
