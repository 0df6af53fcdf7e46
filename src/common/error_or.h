// ErrorOr<T>: a value or the GatewayError that prevented it (absl::StatusOr's shape, with the gateway's
// richer error so that field violations and details survive every layer unchanged).
#ifndef ALTGW_COMMON_ERROR_OR_H_
#define ALTGW_COMMON_ERROR_OR_H_

#include <cassert>
#include <utility>
#include <variant>

#include "common/gateway_error.h"

namespace altgw {

template <typename T>
class [[nodiscard]] ErrorOr {
 public:
  ErrorOr(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  ErrorOr(GatewayError error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }

  const T& value() const& { return *std::get_if<0>(&state_); }
  T& value() & { return *std::get_if<0>(&state_); }
  T&& value() && { return std::move(*std::get_if<0>(&state_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return std::get_if<0>(&state_); }
  T* operator->() { return std::get_if<0>(&state_); }

  const GatewayError& error() const& { return *std::get_if<1>(&state_); }
  GatewayError&& error() && { return std::move(*std::get_if<1>(&state_)); }

 private:
  std::variant<T, GatewayError> state_;
};

}  // namespace altgw

#endif  // ALTGW_COMMON_ERROR_OR_H_
