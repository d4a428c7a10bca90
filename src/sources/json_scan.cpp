// SPDX-License-Identifier: MIT

#include "sources/json_scan.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

namespace bulkscore::detail {
namespace {

constexpr std::size_t kMinBufferBytes = 16;

std::string errno_text(int error) {
    return std::strerror(error);
}

}  // namespace

ReadBuffer::~ReadBuffer() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

Status ReadBuffer::open(const std::filesystem::path& path, std::size_t buffer_bytes) {
    path_text_ = path.string();
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
        const int error = errno;
        std::string message = fmt::format("{}: cannot open: {}", path_text_, errno_text(error));
        if (error == ENOENT) {
            return not_found_error(message + "; check the path");
        }
        return invalid_argument_error(std::move(message));
    }
    normal_capacity_ = std::max(buffer_bytes, kMinBufferBytes);
    capacity_ = normal_capacity_;
    buffer_ = std::make_unique<char[]>(capacity_);
    return ok_status();
}

Status ReadBuffer::seek(std::uint64_t offset, std::uint64_t line) {
    if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
        return invalid_argument_error(
            fmt::format("{}: cannot seek to byte {}: {}", path_text_, offset, errno_text(errno)));
    }
    begin_ = 0;
    end_ = 0;
    buffer_offset_ = offset;
    line_ = line == 0 ? 1 : line;
    line_start_ = offset;
    eof_ = false;
    return ok_status();
}

std::uint64_t ReadBuffer::line_at(std::size_t index) const noexcept {
    const char* first = buffer_.get() + begin_;
    return line_ + static_cast<std::uint64_t>(std::count(first, first + index, '\n'));
}

std::uint64_t ReadBuffer::column_at(std::size_t index) const noexcept {
    const std::string_view before = window().substr(0, index);
    const std::size_t newline = before.rfind('\n');
    if (newline != std::string_view::npos) {
        return index - newline;
    }
    return offset() + index - line_start_ + 1;
}

void ReadBuffer::consume(std::size_t count) noexcept {
    const std::string_view dropped = window().substr(0, count);
    std::uint64_t newlines = 0;
    std::size_t last_newline = 0;
    for (std::size_t at = dropped.find('\n'); at != std::string_view::npos;
         at = dropped.find('\n', at + 1)) {
        ++newlines;
        last_newline = at;
    }
    consume_counted(count, newlines, last_newline);
}

void ReadBuffer::consume_counted(std::size_t count,
                                 std::uint64_t newlines,
                                 std::size_t last_newline) noexcept {
    if (newlines > 0) {
        line_ += newlines;
        line_start_ = offset() + last_newline + 1;
    }
    begin_ += count;
}

Result<bool> ReadBuffer::fill() {
    if (eof_) {
        return false;
    }
    // Keep the window, move it to the front, and make room when it fills the
    // whole buffer.
    if (begin_ > 0) {
        std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
        buffer_offset_ += begin_;
        end_ -= begin_;
        begin_ = 0;
    }
    if (end_ == capacity_) {
        const std::size_t grown = capacity_ * 2;
        auto bigger = std::make_unique<char[]>(grown);
        std::memcpy(bigger.get(), buffer_.get(), end_);
        buffer_ = std::move(bigger);
        capacity_ = grown;
    }
    while (true) {
        const ssize_t got = ::read(fd_, buffer_.get() + end_, capacity_ - end_);
        if (got > 0) {
            end_ += static_cast<std::size_t>(got);
            return true;
        }
        if (got == 0) {
            eof_ = true;
            return false;
        }
        if (errno != EINTR) {
            return Status(StatusCode::kInvalidArgument,
                          fmt::format("{}: read failed at byte {}: {}", path_text_,
                                      buffer_offset_ + end_, errno_text(errno)));
        }
    }
}

void ReadBuffer::shrink() {
    const std::size_t size = end_ - begin_;
    if (capacity_ == normal_capacity_ || size > normal_capacity_ / 2) {
        return;
    }
    auto smaller = std::make_unique<char[]>(normal_capacity_);
    std::memcpy(smaller.get(), buffer_.get() + begin_, size);
    buffer_ = std::move(smaller);
    buffer_offset_ += begin_;
    begin_ = 0;
    end_ = size;
    capacity_ = normal_capacity_;
}

// One loop over the bytes with the whole state machine in view: this is the hot path of the API
// source and of its record count.
std::size_t ValueExtent::feed(std::string_view piece) noexcept {
    std::size_t i = 0;
    if (!started_ && !piece.empty()) {
        started_ = true;
        const char first = piece[0];
        if (first == '{' || first == '[') {
            depth_ = 1;
        } else if (first == '"') {
            in_string_ = true;
        } else {
            scalar_ = true;
        }
        i = 1;
    }
    const char* const data = piece.data();
    const std::size_t size = piece.size();
    while (i < size) {
        if (in_string_) {
            i = skip_string(data, size, i);
            if (in_string_ || depth_ > 0) {
                continue;
            }
            return i;  // A string was the whole value.
        }
        const char c = data[i];
        if (scalar_) {
            if (is_json_space(c) || c == ',' || c == ']' || c == '}' || c == '[' || c == '{' ||
                c == '"' || c == ':') {
                return i;
            }
            ++i;
            continue;
        }
        ++i;
        switch (c) {
            case '"':
                in_string_ = true;
                break;
            case '{':
            case '[':
                ++depth_;
                break;
            case '}':
            case ']':
                if (--depth_ == 0) {
                    return i;
                }
                break;
            default:
                break;
        }
    }
    return std::string_view::npos;
}

std::size_t ValueExtent::skip_string(const char* data, std::size_t size, std::size_t i) noexcept {
    while (i < size) {
        if (escaped_) {
            escaped_ = false;
            ++i;
            continue;
        }
        // Strings are most of the bytes (URLs, queries): jump to the next quote or
        // backslash with memchr instead of looking at every byte.
        const void* quote = std::memchr(data + i, '"', size - i);
        const std::size_t stop =
            quote != nullptr ? static_cast<std::size_t>(static_cast<const char*>(quote) - data)
                             : size;
        if (const void* backslash = std::memchr(data + i, '\\', stop - i)) {
            i = static_cast<std::size_t>(static_cast<const char*>(backslash) - data) + 1;
            escaped_ = true;
            continue;
        }
        if (quote == nullptr) {
            return size;
        }
        in_string_ = false;
        return stop + 1;
    }
    return i;
}

RecordParser::RecordParser()
    : arena_(std::make_unique<unsigned char[]>(kArenaBytes)),
      stack_(std::make_unique<unsigned char[]>(kStackBytes)),
      resource_(arena_.get(), kArenaBytes),
      parser_(boost::json::storage_ptr(), boost::json::parse_options(), stack_.get(), kStackBytes) {
}

const boost::json::value* RecordParser::parse(std::string_view text,
                                              std::size_t& error_offset,
                                              std::string& error_message) {
    // The previous value lives in the resource: drop it before the resource
    // forgets its memory.
    value_.reset();
    resource_.release();
    parser_.reset(boost::json::storage_ptr(&resource_));
    boost::json::error_code error;
    const std::size_t parsed = parser_.write(text.data(), text.size(), error);
    if (error) {
        error_offset = std::min(parsed, text.size());
        error_message = error.message();
        return nullptr;
    }
    // Move construction keeps the value in the resource; assigning would copy it
    // to the heap.
    return &value_.emplace(parser_.release());
}

std::string_view json_kind_name(const boost::json::value& value) noexcept {
    switch (value.kind()) {
        case boost::json::kind::object:
            return "an object";
        case boost::json::kind::array:
            return "an array";
        case boost::json::kind::string:
            return "a string";
        case boost::json::kind::bool_:
            return "a boolean";
        case boost::json::kind::null:
            return "null";
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
        case boost::json::kind::double_:
            return "a number";
    }
    return "a value";
}

namespace {

FieldInput text_of(std::string_view text, std::string_view column) {
    return FieldInput::from_text(text, column);
}

// The JSON text of `value`, kept in `scratch` (only odd inputs get here).
FieldInput serialized(const boost::json::value& value,
                      std::string_view column,
                      std::string& scratch) {
    scratch = boost::json::serialize(value);
    return text_of(scratch, column);
}

template <class Number>
FieldInput formatted(Number number, std::string_view column, std::string& scratch) {
    scratch.resize(32);
    const auto result = std::to_chars(scratch.data(), scratch.data() + scratch.size(), number);
    scratch.resize(static_cast<std::size_t>(result.ptr - scratch.data()));
    return text_of(scratch, column);
}

}  // namespace

FieldInput json_number_field(const boost::json::value& value,
                             std::string_view column,
                             std::string& scratch) {
    FieldInput field;
    field.column = column;
    switch (value.kind()) {
        case boost::json::kind::null:
            return field;
        case boost::json::kind::int64:
            field.kind = FieldInput::Kind::kInteger;
            field.integer = value.get_int64();
            return field;
        case boost::json::kind::uint64:
            // Above INT64_MAX: no count fits; the assembler rejects it, showing the
            // digits.
            return formatted(value.get_uint64(), column, scratch);
        case boost::json::kind::double_:
            field.kind = FieldInput::Kind::kReal;
            field.real = value.get_double();
            return field;
        case boost::json::kind::string: {
            const boost::json::string& text = value.get_string();
            return text_of(std::string_view(text.data(), text.size()), column);
        }
        default:
            return serialized(value, column, scratch);
    }
}

FieldInput json_text_field(const boost::json::value& value,
                           std::string_view column,
                           std::string& scratch) {
    switch (value.kind()) {
        case boost::json::kind::null: {
            FieldInput missing;
            missing.column = column;
            return missing;
        }
        case boost::json::kind::string: {
            const boost::json::string& text = value.get_string();
            return text_of(std::string_view(text.data(), text.size()), column);
        }
        case boost::json::kind::int64:
            return formatted(value.get_int64(), column, scratch);
        case boost::json::kind::uint64:
            return formatted(value.get_uint64(), column, scratch);
        default:
            return serialized(value, column, scratch);
    }
}

bool is_number_field(const FieldInput& field) noexcept {
    switch (field.kind) {
        case FieldInput::Kind::kMissing:
        case FieldInput::Kind::kInteger:
            return true;
        case FieldInput::Kind::kReal:
            return std::isfinite(field.real);
        case FieldInput::Kind::kText: {
            const std::string_view text = trim(field.text);
            double ignored = 0;
            return text.empty() || parse_real(text, DecimalStyle::kPoint, ignored);
        }
    }
    return false;
}

std::string json_place(const std::string& path, std::uint64_t line, std::uint64_t column) {
    return fmt::format("{}: line {}, column {}", path, line, column);
}

}  // namespace bulkscore::detail
