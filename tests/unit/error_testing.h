// The message of an expected exception, for tests that check what an error says.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <string>

namespace wgtune {

// Runs `call` and returns the message of the exception of type E it throws; fails the test
// (returning "") when it throws nothing or something else.
template <typename E>
std::string ErrorOf(const std::function<void()>& call) {
  try {
    call();
  } catch (const E& error) {
    return error.what();
  } catch (const std::exception& error) {
    ADD_FAILURE() << "unexpected exception: " << error.what();
    return "";
  }
  ADD_FAILURE() << "no exception";
  return "";
}

}  // namespace wgtune
