// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Status and Result: how every fallible devbin call reports failure.
// The library never throws and never aborts on bad input; errors carry the
// context a user needs (what was expected, what was found, where).
#ifndef DEVBIN_STATUS_H_
#define DEVBIN_STATUS_H_

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace devbin {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // malformed input: an ISA string, a selector, a CLI argument
  kNotFound,            // nothing matches: no TOC entry, no kernel, no device
  kFailedPrecondition,  // input is well formed but refused: a blob disagreeing with its TOC entry or the ABI
  kDataLoss,            // truncated or corrupt bytes
  kUnavailable,         // a driver library or device that is not there
  kInternal,
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "INVALID_ARGUMENT: message"
  std::string to_string() const;

  // Prefixes the message with more context: "loading gfx11-generic: <message>".
  Status& annotate(std::string_view context);

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }
inline Status not_found(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
inline Status failed_precondition(std::string message) { return {StatusCode::kFailedPrecondition, std::move(message)}; }
inline Status data_loss(std::string message) { return {StatusCode::kDataLoss, std::move(message)}; }
inline Status unavailable(std::string message) { return {StatusCode::kUnavailable, std::move(message)}; }
inline Status internal_error(std::string message) { return {StatusCode::kInternal, std::move(message)}; }

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : storage_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(storage_).ok()) storage_ = Status(StatusCode::kInternal, "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(storage_); }
  // OK when a value is held. A reference, so `status().message()` may be held
  // for as long as the Result lives.
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(storage_);
  }

  T& value() & { return std::get<T>(storage_); }
  const T& value() const& { return std::get<T>(storage_); }
  T&& value() && { return std::get<T>(std::move(storage_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> storage_;
};

}  // namespace devbin

#define DEVBIN_CONCAT_INNER_(a, b) a##b
#define DEVBIN_CONCAT_(a, b) DEVBIN_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define DEVBIN_RETURN_IF_ERROR(expr)                  \
  do {                                                \
    ::devbin::Status devbin_status_ = (expr);         \
    if (!devbin_status_.ok()) return devbin_status_;  \
  } while (0)

// `DEVBIN_ASSIGN_OR_RETURN(auto x, f());` binds the value or returns the error.
#define DEVBIN_ASSIGN_OR_RETURN(lhs, expr) \
  DEVBIN_ASSIGN_OR_RETURN_IMPL_(DEVBIN_CONCAT_(devbin_result_, __LINE__), lhs, expr)
#define DEVBIN_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                                  \
  if (!result.ok()) return result.status();              \
  lhs = std::move(result).value()

#endif  // DEVBIN_STATUS_H_
