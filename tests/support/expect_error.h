#pragma once
// throws_with<E>(fn, {"a", "b"}): passes when fn() throws E (or a subclass) whose what() contains
// every listed substring, so error tests check the message names the file, the line, the values.
//   EXPECT_TRUE(gd::test::throws_with<gd::DataError>([&] { read_idx_images(p); }, {p, "2051"}));
#include <gtest/gtest.h>

#include <exception>
#include <initializer_list>
#include <string>

namespace gd::test {

template <typename E, typename Fn>
::testing::AssertionResult throws_with(Fn&& fn, std::initializer_list<std::string> needles) {
  try {
    fn();
  } catch (const E& e) {
    const std::string what = e.what();
    for (const std::string& n : needles) {
      if (what.find(n) == std::string::npos) {
        return ::testing::AssertionFailure() << "message lacks \"" << n << "\": " << what;
      }
    }
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw another exception type: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

}  // namespace gd::test
