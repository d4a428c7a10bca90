// SPDX-License-Identifier: MIT
//
// The JSON Lines source (`--format jsonl`): one object per line with the native field names
// (`{"id": "/a", "impressions": 120, "clicks": 3, "position": 8.5, ...}`), unknown keys ignored,
// numbers written as JSON numbers or as strings. Blank lines are skipped, CRLF line ends and a
// leading BOM are accepted. A line that is not a JSON object stops the input with an error naming
// the line, after the records before it have been delivered: no reason code describes a record
// that cannot be read at all.
//
// Thread safety: a source is used by one thread at a time (see `NodeSource`).

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "sources/json_scan.hpp"
#include "sources/record_assembler.hpp"
#include "sources/source_factories.hpp"

namespace bulkscore::detail {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

std::optional<Field> field_for_key(std::string_view key) noexcept {
    for (std::size_t i = 0; i < kFieldCount; ++i) {
        const auto field = static_cast<Field>(i);
        if (field_name(field) == key) {
            return field;
        }
    }
    return std::nullopt;
}

bool is_blank(std::string_view line) noexcept {
    return std::all_of(line.begin(), line.end(), is_json_space);
}

class JsonLinesSource final : public NodeSource {
public:
    explicit JsonLinesSource(SourceOptions options) : options_(std::move(options)) {}

    Status open();

    Status read(NodeBatch& batch, std::size_t max_records) override;
    Result<std::uint64_t> count_records() override;
    SourcePosition position() const noexcept override {
        return {ordinal_, buffer_.offset(), buffer_.line()};
    }
    Status seek(const SourcePosition& position) override;
    std::string_view description() const noexcept override { return buffer_.path_text(); }

private:
    // The next line without its line end, or `std::nullopt` at the end of the file. The line
    // stays at the front of the buffer's window; `terminated` says whether a '\n' follows it.
    Result<std::optional<std::string_view>> next_line(bool& terminated);
    void consume_line(std::size_t length, bool terminated) noexcept;
    Status read_lines(NodeBatch& batch, std::size_t max_records);
    Status add_record(std::string_view line, NodeBatch& batch);

    SourceOptions options_;
    ReadBuffer buffer_;
    RecordParser parser_;
    RecordInput record_;
    std::array<std::string, kFieldCount> scratch_;
    std::string error_message_;
    std::uint64_t ordinal_ = 0;
    Status failure_;  // Met after the records before it were delivered; returned from now on.
};

Status JsonLinesSource::open() {
    BULKSCORE_RETURN_IF_ERROR(buffer_.open(options_.path, options_.read_buffer_bytes));
    return seek({});
}

Result<std::optional<std::string_view>> JsonLinesSource::next_line(bool& terminated) {
    std::size_t scanned = 0;
    while (true) {
        const std::string_view window = buffer_.window();
        const std::size_t newline = window.find('\n', scanned);
        if (newline != std::string_view::npos) {
            terminated = true;
            return std::optional<std::string_view>(window.substr(0, newline));
        }
        scanned = window.size();
        Result<bool> more = buffer_.fill();
        if (!more.ok()) {
            return more.status();
        }
        if (!*more) {
            terminated = false;
            if (window.empty()) {
                return std::optional<std::string_view>();
            }
            return std::optional<std::string_view>(buffer_.window());
        }
    }
}

void JsonLinesSource::consume_line(std::size_t length, bool terminated) noexcept {
    if (terminated) {
        buffer_.consume_counted(length + 1, 1, length);
    } else {
        buffer_.consume_in_line(length);
    }
    buffer_.shrink();
}

Status JsonLinesSource::read(NodeBatch& batch, std::size_t max_records) {
    batch.clear();
    batch.first_ordinal = ordinal_;
    if (failure_.ok()) {
        try {
            failure_ = read_lines(batch, max_records);
        } catch (const std::exception& error) {
            failure_ = internal_error(
                fmt::format("{}: reading lines failed: {}", buffer_.path_text(), error.what()));
        }
    }
    batch.end = position();
    if (!failure_.ok() && batch.record_count == 0) {
        return failure_;
    }
    return ok_status();
}

Status JsonLinesSource::read_lines(NodeBatch& batch, std::size_t max_records) {
    while (batch.record_count < max_records) {
        bool terminated = false;
        Result<std::optional<std::string_view>> line = next_line(terminated);
        if (!line.ok()) {
            return line.status();
        }
        if (!line->has_value()) {
            return ok_status();
        }
        const std::string_view text = **line;
        if (!is_blank(text)) {
            BULKSCORE_RETURN_IF_ERROR(add_record(text, batch));
            ++batch.record_count;
            ++ordinal_;
        }
        consume_line(text.size(), terminated);
    }
    return ok_status();
}

Status JsonLinesSource::add_record(std::string_view line, NodeBatch& batch) {
    std::size_t error_offset = 0;
    const boost::json::value* value = parser_.parse(line, error_offset, error_message_);
    if (value == nullptr) {
        return invalid_argument_error(fmt::format(
            "{}: line {}: not a JSON object ({} at column {}); write one object per line, such "
            "as {{\"id\": \"/page\", \"impressions\": 120, \"clicks\": 3, \"position\": 8.5}}",
            buffer_.path_text(), buffer_.line(), error_message_, error_offset + 1));
    }
    if (!value->is_object()) {
        return invalid_argument_error(fmt::format(
            "{}: line {}: not a JSON object (found {}); write one object per line, such as "
            "{{\"id\": \"/page\", \"impressions\": 120, \"clicks\": 3, \"position\": 8.5}}",
            buffer_.path_text(), buffer_.line(), json_kind_name(*value)));
    }
    record_.reset(ordinal_, buffer_.line());
    // A key given twice keeps its last value, as most JSON readers do.
    for (const auto& [key, member] : value->get_object()) {
        const std::string_view name(key.data(), key.size());
        const std::optional<Field> field = field_for_key(name);
        if (!field) {
            continue;
        }
        std::string& scratch = scratch_[static_cast<std::size_t>(*field)];
        record_[*field] = *field == Field::kId || *field == Field::kUrl
                              ? json_text_field(member, field_name(*field), scratch)
                              : json_number_field(member, field_name(*field), scratch);
    }
    assemble_record(record_, DecimalStyle::kPoint, batch);
    return ok_status();
}

Result<std::uint64_t> JsonLinesSource::count_records() {
    // Its own reader, so that counting does not move this source's position.
    ReadBuffer counter;
    BULKSCORE_RETURN_IF_ERROR(counter.open(options_.path, options_.read_buffer_bytes));
    std::uint64_t count = 0;
    bool has_content = false;  // The current line holds more than whitespace.
    bool first = true;
    while (true) {
        Result<bool> more = counter.fill();
        if (!more.ok()) {
            return more.status();
        }
        std::string_view window = counter.window();
        if (first) {
            if (*more && window.size() < kByteOrderMark.size()) {
                continue;  // Too little to tell a BOM yet.
            }
            if (window.starts_with(kByteOrderMark)) {
                window.remove_prefix(kByteOrderMark.size());
            }
            first = false;
        }
        while (!window.empty()) {
            const std::size_t newline = window.find('\n');
            has_content = has_content || !is_blank(window.substr(0, newline));
            if (newline == std::string_view::npos) {
                break;
            }
            count += has_content ? 1 : 0;
            has_content = false;
            window.remove_prefix(newline + 1);
        }
        counter.consume_in_line(counter.window().size());
        if (!*more) {
            break;
        }
    }
    return count + (has_content ? 1 : 0);
}

Status JsonLinesSource::seek(const SourcePosition& position) {
    failure_ = ok_status();
    BULKSCORE_RETURN_IF_ERROR(buffer_.seek(position.byte_offset, position.line));
    ordinal_ = position.ordinal;
    if (position.byte_offset == 0) {
        Result<bool> more = buffer_.fill();
        if (!more.ok()) {
            return more.status();
        }
        if (buffer_.window().starts_with(kByteOrderMark)) {
            buffer_.consume_in_line(kByteOrderMark.size());
        }
    }
    return ok_status();
}

}  // namespace

Result<std::unique_ptr<NodeSource>> open_json_lines_source(const SourceOptions& options) {
    auto source = std::make_unique<JsonLinesSource>(options);
    BULKSCORE_RETURN_IF_ERROR(source->open());
    return std::unique_ptr<NodeSource>(std::move(source));
}

}  // namespace bulkscore::detail
