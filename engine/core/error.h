#pragma once
// Exceptions with context. Every failure in the engine is reported by throwing one of these;
// library code never calls exit() or abort().
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

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
// Errors about the user's files and options (DataError, ConfigError) are read by users: their
// message says what is wrong with what they gave, and an internal source path would only be
// noise. Every other error is a bug or an internal limit: it keeps [file:line] for its report.
template <typename E>
[[noreturn]] inline void throw_with_location(const std::string& msg, const char* file, int line) {
  if constexpr (std::is_base_of_v<DataError, E> || std::is_base_of_v<ConfigError, E>) {
    (void)file;
    (void)line;
    throw E(msg);
  } else {
    std::ostringstream os;
    os << msg << " [" << file << ":" << line << "]";
    throw E(os.str());
  }
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
