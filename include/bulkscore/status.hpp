// SPDX-License-Identifier: MIT
//
// `Status` and `Result<T>`: how every bulkscore call reports failure. No exception crosses the
// public API; a failure is a value holding a canonical code and a message that names what
// failed (a file, a line, a setting) and what to do about it.
//
// Thread safety: both types are values; distinct objects may be used from distinct threads.

#pragma once

#include <cassert>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace bulkscore {

/// The canonical failure codes. Pick the most specific one that applies.
enum class StatusCode : std::uint8_t {
    kOk,
    kInvalidArgument,     ///< The caller's input or settings are wrong; retrying will not help.
    kNotFound,            ///< A named file, job or key does not exist.
    kUnavailable,         ///< Transient: a busy database, a timeout. Retrying may succeed.
    kDataLoss,            ///< Stored data is damaged or was truncated underneath us.
    kCancelled,           ///< The caller asked to stop.
    kResourceExhausted,   ///< A disk, a quota or a configured limit is full.
    kFailedPrecondition,  ///< The system is not in a state that allows the call (e.g. resume).
    kInternal,            ///< A bug or an unexpected failure of a dependency.
};

/// The lower-case name of `code` (`"invalid_argument"`), as printed in messages.
std::string_view to_string(StatusCode code) noexcept;

/// The outcome of an operation: ok, or a code with a message.
///
/// Success is a null pointer and allocates nothing; a failure owns its message.
class [[nodiscard]] Status {
public:
    Status() noexcept = default;
    Status(StatusCode code, std::string message);

    Status(const Status& other);
    Status& operator=(const Status& other);
    Status(Status&&) noexcept = default;
    Status& operator=(Status&&) noexcept = default;
    ~Status() = default;

    bool ok() const noexcept { return rep_ == nullptr; }
    StatusCode code() const noexcept { return rep_ ? rep_->code : StatusCode::kOk; }

    /// The message without the code; empty when ok.
    std::string_view message() const noexcept;

    /// `"<code>: <message>"`, or `"ok"`.
    std::string to_string() const;

    /// A copy whose message is `"<context>: <message>"`, or the same message when it already
    /// begins with `"<context>: "`; ok stays ok.
    Status with_context(std::string_view context) const;

private:
    struct Rep {
        StatusCode code;
        std::string message;
    };
    std::unique_ptr<Rep> rep_;
};

inline Status ok_status() noexcept {
    return Status();
}
Status invalid_argument_error(std::string message);
Status not_found_error(std::string message);
Status unavailable_error(std::string message);
Status data_loss_error(std::string message);
Status cancelled_error(std::string message);
Status resource_exhausted_error(std::string message);
Status failed_precondition_error(std::string message);
Status internal_error(std::string message);

/// A value of type `T`, or the `Status` that explains why there is none.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::in_place_index<1>, std::move(value)) {}        // NOLINT: implicit
    Result(Status status) : state_(std::in_place_index<0>, std::move(status)) {  // NOLINT
        assert(!std::get<0>(state_).ok() && "a Result holding no value needs a failure");
    }

    bool ok() const noexcept { return state_.index() == 1; }

    /// The failure, or an ok status when a value is present.
    Status status() const { return ok() ? Status() : std::get<0>(state_); }

    /// Requires: `ok()`.
    T& value() & { return std::get<1>(state_); }
    const T& value() const& { return std::get<1>(state_); }
    T&& value() && { return std::get<1>(std::move(state_)); }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    std::variant<Status, T> state_;
};

}  // namespace bulkscore

/// Returns early from the enclosing function when `expr` yields a failed `Status`.
#define BULKSCORE_RETURN_IF_ERROR(expr)                            \
    do {                                                           \
        if (::bulkscore::Status status_ = (expr); !status_.ok()) { \
            return status_;                                        \
        }                                                          \
    } while (false)
