#pragma once
// Exceptions with context. Every failure in the engine is reported by throwing one of these;
// library code never calls exit() or abort().
#include <sstream>
#include <stdexcept>
#include <string>

namespace gd {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// A tensor or op received arguments of the wrong shape.
class ShapeError : public Error {
 public:
  using Error::Error;
};
// A data file is missing, unreadable, corrupt or inconsistent.
class DataError : public Error {
 public:
  using Error::Error;
};
// A user-supplied option, flag or spec string is invalid.
class ConfigError : public Error {
 public:
  using Error::Error;
};
// Training diverged (NaN/inf loss) or another numeric failure occurred.
class NumericError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <typename E>
[[noreturn]] inline void throw_with_location(const std::string& msg, const char* file, int line) {
  std::ostringstream os;
  os << msg << " [" << file << ":" << line << "]";
  throw E(os.str());
}
}  // namespace detail
}  // namespace gd

// GD_CHECK(cond, ExceptionType, stream-expression): throws ExceptionType with the streamed message
// and the source location when cond is false. Stays on in release builds.
#define GD_CHECK_T(cond, E, msg)                                                 \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::ostringstream gd_check_os_;                                           \
      gd_check_os_ << msg;                                                       \
      ::gd::detail::throw_with_location<E>(gd_check_os_.str(), __FILE__, __LINE__); \
    }                                                                            \
  } while (0)
#define GD_CHECK(cond, msg) GD_CHECK_T(cond, ::gd::Error, msg)
#define GD_CHECK_SHAPE(cond, msg) GD_CHECK_T(cond, ::gd::ShapeError, msg)
