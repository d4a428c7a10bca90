// SPDX-License-Identifier: MIT
//
// Building blocks shared by the JSON sources (Search Analytics API rows and
// JSON Lines): a forward file reader over one reusable buffer that keeps count
// of lines, a scanner that finds where one JSON value ends without building it,
// a parser of one record at a time whose memory is reused from record to
// record, and the mapping of a parsed JSON value onto a record field.
//
// Thread safety: none; each object belongs to one source, used by one thread at
// a time.

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "bulkscore/status.hpp"

#include "sources/record_assembler.hpp"

namespace bulkscore::detail {

/// Reads a file forwards through one buffer. The caller looks at `window()`
/// (bytes read and not yet consumed), consumes what it is done with, and asks
/// `fill()` for more; a window that fills the whole buffer makes the buffer
/// grow, and `shrink()` gives the growth back. Consumed bytes are counted into
/// lines, so `line()` is the 1-based line of the window's first byte.
class ReadBuffer {
public:
    ReadBuffer() = default;
    ReadBuffer(const ReadBuffer&) = delete;
    ReadBuffer& operator=(const ReadBuffer&) = delete;
    ~ReadBuffer();

    /// Opens `path` for reading with a buffer of `buffer_bytes` (at least 16).
    /// Errors: `not_found` for a missing file, `invalid_argument` for one that
    /// cannot be read.
    Status open(const std::filesystem::path& path, std::size_t buffer_bytes);

    /// Drops the window and continues at byte `offset`, which is on 1-based
    /// `line`.
    Status seek(std::uint64_t offset, std::uint64_t line);

    std::string_view window() const noexcept { return {buffer_.get() + begin_, end_ - begin_}; }

    /// File offset of the window's first byte.
    std::uint64_t offset() const noexcept { return buffer_offset_ + begin_; }

    /// 1-based line of the window's first byte.
    std::uint64_t line() const noexcept { return line_; }

    /// 1-based column (in bytes) of the window's byte at index `index`.
    // Limitation: after a `seek` into the middle of a line, columns on that line count from the
    // seek point (a position does not record its column); lines stay exact.
    std::uint64_t column_at(std::size_t index) const noexcept;

    /// 1-based line of the window's byte at index `index`.
    std::uint64_t line_at(std::size_t index) const noexcept;

    /// Drops the first `count` bytes of the window, counting their newlines.
    void consume(std::size_t count) noexcept;

    /// Drops the first `count` bytes of the window, which the caller knows hold
    /// no newline.
    void consume_in_line(std::size_t count) noexcept { begin_ += count; }

    /// Drops the first `count` bytes of the window, which hold exactly `newlines`
    /// newlines, the last of them at index `last_newline` (ignored when
    /// `newlines` is 0).
    void consume_counted(std::size_t count,
                         std::uint64_t newlines,
                         std::size_t last_newline) noexcept;

    /// Appends more of the file to the window. Returns false at the end of the
    /// file.
    Result<bool> fill();

    /// True once `fill()` found the end of the file.
    bool at_end() const noexcept { return eof_; }

    /// Returns the buffer to its configured size when it grew and the window fits
    /// again.
    void shrink();

    const std::string& path_text() const noexcept { return path_text_; }

private:
    int fd_ = -1;
    std::string path_text_;
    std::unique_ptr<char[]> buffer_;
    std::size_t capacity_ = 0;
    std::size_t normal_capacity_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::uint64_t buffer_offset_ = 0;  // File offset of buffer_[0].
    std::uint64_t line_ = 1;
    std::uint64_t line_start_ = 0;  // File offset of the first byte of line_.
    bool eof_ = false;
};

/// Finds where one JSON value ends, fed in consecutive pieces from the value's
/// first byte. It tracks strings, escapes and nesting only; whether the value
/// is valid JSON is the parser's business.
class ValueExtent {
public:
    /// Starts over for a new value.
    void reset() noexcept { *this = ValueExtent(); }

    /// Scans the next piece. Returns the index in `piece` one past the value's
    /// last byte, or `std::string_view::npos` when the value goes on after
    /// `piece`.
    std::size_t feed(std::string_view piece) noexcept;

    /// True when the end of the input also ends the value (a number or literal at
    /// the very end).
    bool complete_at_end() const noexcept { return started_ && scalar_ && !in_string_; }

private:
    // Scans string content from `data[i]`; returns where scanning stopped: one
    // past the closing quote (and `in_string_` cleared), or `size`.
    std::size_t skip_string(const char* data, std::size_t size, std::size_t i) noexcept;

    bool started_ = false;
    bool scalar_ = false;  // A number or literal: ends before the first delimiter.
    bool in_string_ = false;
    bool escaped_ = false;
    std::uint32_t depth_ = 0;
};

/// True for the four JSON whitespace characters.
inline bool is_json_space(char c) noexcept {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/// Parses one complete JSON value at a time into memory that is reused for the
/// next one, so that records of ordinary size allocate nothing once the first
/// has been parsed.
class RecordParser {
public:
    RecordParser();
    RecordParser(const RecordParser&) = delete;
    RecordParser& operator=(const RecordParser&) = delete;
    ~RecordParser() = default;

    /// Parses `text`, which must hold exactly one value (surrounding whitespace
    /// allowed). The value returned stays valid until the next call. On failure
    /// returns null and sets `error_offset` (index in `text`) and
    /// `error_message`.
    const boost::json::value* parse(std::string_view text,
                                    std::size_t& error_offset,
                                    std::string& error_message);

private:
    static constexpr std::size_t kArenaBytes = 64 * 1024;
    static constexpr std::size_t kStackBytes = 4 * 1024;

    std::unique_ptr<unsigned char[]> arena_;
    std::unique_ptr<unsigned char[]> stack_;
    boost::json::monotonic_resource resource_;
    boost::json::parser parser_;
    std::optional<boost::json::value> value_;
};

/// The name of the JSON kind of `value` for messages: "an object", "a number",
/// ...
std::string_view json_kind_name(const boost::json::value& value) noexcept;

/// `value` as a numeric field: numbers as numbers, strings as text (parsed like
/// CSV text), null as missing, and anything else (true, an object, an array) as
/// its JSON text so that it is rejected as `bad_number` showing what was there.
/// `scratch` holds that text.
FieldInput json_number_field(const boost::json::value& value,
                             std::string_view column,
                             std::string& scratch);

/// `value` as a text field (an id or a url): strings as they are, null as
/// missing, numbers and anything else as their JSON text, held in `scratch`.
FieldInput json_text_field(const boost::json::value& value,
                           std::string_view column,
                           std::string& scratch);

/// Whether a non-missing numeric field holds a number (used for fields outside
/// `Node`, such as the API's `ctr`).
bool is_number_field(const FieldInput& field) noexcept;

/// `"<path>: line <line>, column <column>: <what>"`: how the JSON sources name
/// a place.
std::string json_place(const std::string& path, std::uint64_t line, std::uint64_t column);

}  // namespace bulkscore::detail
