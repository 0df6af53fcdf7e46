// Backend answers in tests: the nlohmann::json view of an ErrorOr<model::Answer> (what BackendClient's
// callback receives), for tests that keep and inspect answers after the callback.
#ifndef ALTGW_TESTS_SUPPORT_ANSWERS_H_
#define ALTGW_TESTS_SUPPORT_ANSWERS_H_

#include <utility>

#include "common/error_or.h"
#include "model/answer.h"
#include "nlohmann/json.hpp"

namespace altgw::testing {

inline ErrorOr<nlohmann::json> AnswerJson(ErrorOr<model::Answer> answer) {
  if (!answer.ok()) return std::move(answer).error();
  return answer->json();
}

}  // namespace altgw::testing

#endif  // ALTGW_TESTS_SUPPORT_ANSWERS_H_
