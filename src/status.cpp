// SPDX-License-Identifier: MIT

#include "bulkscore/status.hpp"

namespace bulkscore {

std::string_view to_string(StatusCode code) noexcept {
    switch (code) {
        case StatusCode::kOk:
            return "ok";
        case StatusCode::kInvalidArgument:
            return "invalid_argument";
        case StatusCode::kNotFound:
            return "not_found";
        case StatusCode::kUnavailable:
            return "unavailable";
        case StatusCode::kDataLoss:
            return "data_loss";
        case StatusCode::kCancelled:
            return "cancelled";
        case StatusCode::kResourceExhausted:
            return "resource_exhausted";
        case StatusCode::kFailedPrecondition:
            return "failed_precondition";
        case StatusCode::kInternal:
            return "internal";
    }
    return "unknown";
}

Status::Status(StatusCode code, std::string message) {
    if (code != StatusCode::kOk) {
        rep_ = std::make_unique<Rep>(Rep{code, std::move(message)});
    }
}

Status::Status(const Status& other)
    : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}

Status& Status::operator=(const Status& other) {
    if (this != &other) {
        rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
    }
    return *this;
}

std::string_view Status::message() const noexcept {
    return rep_ ? std::string_view(rep_->message) : std::string_view();
}

std::string Status::to_string() const {
    if (ok()) {
        return "ok";
    }
    std::string text(bulkscore::to_string(rep_->code));
    text += ": ";
    text += rep_->message;
    return text;
}

Status Status::with_context(std::string_view context) const {
    if (ok()) {
        return Status();
    }
    // A source that names its file in its own messages must not get the name twice.
    const std::string_view own = rep_->message;
    if (own.starts_with(context) && own.substr(context.size()).starts_with(": ")) {
        return Status(rep_->code, rep_->message);
    }
    std::string message(context);
    message += ": ";
    message += rep_->message;
    return Status(rep_->code, std::move(message));
}

Status invalid_argument_error(std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message));
}
Status not_found_error(std::string message) {
    return Status(StatusCode::kNotFound, std::move(message));
}
Status unavailable_error(std::string message) {
    return Status(StatusCode::kUnavailable, std::move(message));
}
Status data_loss_error(std::string message) {
    return Status(StatusCode::kDataLoss, std::move(message));
}
Status cancelled_error(std::string message) {
    return Status(StatusCode::kCancelled, std::move(message));
}
Status resource_exhausted_error(std::string message) {
    return Status(StatusCode::kResourceExhausted, std::move(message));
}
Status failed_precondition_error(std::string message) {
    return Status(StatusCode::kFailedPrecondition, std::move(message));
}
Status internal_error(std::string message) {
    return Status(StatusCode::kInternal, std::move(message));
}

}  // namespace bulkscore
