// Result<T>: a value or the Error that prevented it. Every call of the client library returns one, so a
// failed call never throws; value() on a failed Result throws ErrorException, for code that prefers
// exceptions (and for examples that stop at the first unexpected failure).
#ifndef ALTGW_CLIENT_RESULT_H_
#define ALTGW_CLIENT_RESULT_H_

#include <utility>
#include <variant>

#include "altgw_client/error.h"

namespace altgw::client {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // The value; throws ErrorException (holding error()) when the call failed.
  const T& value() const& {
    Check();
    return *std::get_if<0>(&state_);
  }
  T& value() & {
    Check();
    return *std::get_if<0>(&state_);
  }
  T&& value() && {
    Check();
    return std::move(*std::get_if<0>(&state_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The error; only meaningful when !ok().
  const Error& error() const& { return *std::get_if<1>(&state_); }
  Error&& error() && { return std::move(*std::get_if<1>(&state_)); }

 private:
  void Check() const {
    if (!ok()) throw ErrorException(*std::get_if<1>(&state_));
  }
  std::variant<T, Error> state_;
};

// For calls with nothing to return.
struct Done {};

}  // namespace altgw::client

#endif  // ALTGW_CLIENT_RESULT_H_
