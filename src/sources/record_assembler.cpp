// SPDX-License-Identifier: MIT

#include "sources/record_assembler.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "utf8.hpp"

namespace bulkscore::detail {
namespace {

// Rejection details keep the start of a long value: enough to find it, not a copy of a 100 MB
// field.
constexpr std::size_t kMaxDetailBytes = 120;

// Longest number text parsed through the decimal-comma buffer; longer text is not a number a
// person would write, and is rejected as such.
constexpr std::size_t kMaxNumberBytes = 64;

// The start of `value` as a rejection shows it: at most `kMaxDetailBytes` of input, cut at a
// character boundary, with NUL bytes and bytes that are not UTF-8 each shown as U+FFFD, so that
// the message stays valid text in every output (a JSON Lines file, a terminal).
std::string_view displayable(std::string_view value,
                             std::array<char, 3 * kMaxDetailBytes>& buffer) noexcept {
    std::size_t in = 0;
    std::size_t out = 0;
    while (in < value.size() && in < kMaxDetailBytes) {
        const std::size_t length = utf8_sequence_length(value.substr(in));
        if (length == 0 || value[in] == '\0') {
            kUtf8Replacement.copy(buffer.data() + out, kUtf8Replacement.size());
            out += kUtf8Replacement.size();
            ++in;
            continue;
        }
        if (in + length > kMaxDetailBytes) {
            break;
        }
        value.copy(buffer.data() + out, length, in);
        out += length;
        in += length;
    }
    return {buffer.data(), out};
}

bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t';
}

// Copies `text` into `buffer` with decimal commas turned into points, when the style asks.
std::optional<std::string_view> normalise_decimal(
    std::string_view text, DecimalStyle style, std::array<char, kMaxNumberBytes>& buffer) noexcept {
    if (style == DecimalStyle::kPoint) {
        return text;
    }
    if (text.size() > buffer.size()) {
        return std::nullopt;
    }
    std::transform(text.begin(), text.end(), buffer.begin(),
                   [](char c) { return c == ',' ? '.' : c; });
    return std::string_view(buffer.data(), text.size());
}

enum class ParseOutcome : std::uint8_t { kMissing, kOk, kBad };

ParseOutcome read_integer(const FieldInput& field, DecimalStyle style, std::int64_t& out) noexcept {
    switch (field.kind) {
        case FieldInput::Kind::kMissing:
            return ParseOutcome::kMissing;
        case FieldInput::Kind::kInteger:
            out = field.integer;
            return ParseOutcome::kOk;
        case FieldInput::Kind::kReal: {
            const double value = field.real;
            // 2^63 is exactly representable; anything at or beyond it does not fit.
            if (!std::isfinite(value) || value != std::trunc(value) || value >= 0x1p63 ||
                value < -0x1p63) {
                return ParseOutcome::kBad;
            }
            out = static_cast<std::int64_t>(value);
            return ParseOutcome::kOk;
        }
        case FieldInput::Kind::kText: {
            const std::string_view text = trim(field.text);
            if (text.empty()) {
                return ParseOutcome::kMissing;
            }
            return parse_integer(text, style, out) ? ParseOutcome::kOk : ParseOutcome::kBad;
        }
    }
    return ParseOutcome::kBad;
}

ParseOutcome read_real(const FieldInput& field, DecimalStyle style, double& out) noexcept {
    switch (field.kind) {
        case FieldInput::Kind::kMissing:
            return ParseOutcome::kMissing;
        case FieldInput::Kind::kInteger:
            out = static_cast<double>(field.integer);
            return ParseOutcome::kOk;
        case FieldInput::Kind::kReal:
            out = field.real;
            return std::isfinite(out) ? ParseOutcome::kOk : ParseOutcome::kBad;
        case FieldInput::Kind::kText: {
            const std::string_view text = trim(field.text);
            if (text.empty()) {
                return ParseOutcome::kMissing;
            }
            return parse_real(text, style, out) ? ParseOutcome::kOk : ParseOutcome::kBad;
        }
    }
    return ParseOutcome::kBad;
}

// The text a rejection shows for `field`: what the input said.
std::string_view shown_value(const FieldInput& field, std::array<char, 32>& buffer) noexcept {
    switch (field.kind) {
        case FieldInput::Kind::kText:
            return field.text;
        case FieldInput::Kind::kInteger: {
            const auto result =
                std::to_chars(buffer.data(), buffer.data() + buffer.size(), field.integer);
            return {buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data())};
        }
        case FieldInput::Kind::kReal: {
            const auto result =
                std::to_chars(buffer.data(), buffer.data() + buffer.size(), field.real);
            return {buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data())};
        }
        case FieldInput::Kind::kMissing:
            break;
    }
    return {};
}

std::string_view column_of(const RecordInput& record, Field field) noexcept {
    const std::string_view column = record[field].column;
    return column.empty() ? field_name(field) : column;
}

}  // namespace

std::string_view trim(std::string_view text) noexcept {
    while (!text.empty() && is_blank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_blank(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

bool parse_integer(std::string_view text, DecimalStyle style, std::int64_t& out) noexcept {
    if (!text.empty() && text.front() == '+') {
        text.remove_prefix(1);
    }
    const char* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, out);
    if (result.ec == std::errc() && result.ptr == end) {
        return true;
    }

    // Whole numbers written as reals (`12.0`, `1e3`) are still whole numbers.
    double real = 0;
    if (!parse_real(text, style, real) || real != std::trunc(real) || real >= 0x1p63 ||
        real < -0x1p63) {
        return false;
    }
    out = static_cast<std::int64_t>(real);
    return true;
}

bool parse_real(std::string_view text, DecimalStyle style, double& out) noexcept {
    if (!text.empty() && text.front() == '+') {
        text.remove_prefix(1);
    }
    std::array<char, kMaxNumberBytes> buffer{};
    const std::optional<std::string_view> normalised = normalise_decimal(text, style, buffer);
    if (!normalised || normalised->empty()) {
        return false;
    }
    const char* end = normalised->data() + normalised->size();
    const auto result = std::from_chars(normalised->data(), end, out, std::chars_format::general);
    return result.ec == std::errc() && result.ptr == end && std::isfinite(out);
}

void append_rejection(NodeBatch& batch,
                      std::uint64_t ordinal,
                      std::uint64_t line,
                      std::string_view id,
                      std::string_view column,
                      RejectReason reason,
                      std::string_view value) {
    Rejection rejection;
    rejection.ordinal = ordinal;
    rejection.line = line;
    rejection.id = batch.text.store(id.substr(0, kMaxIdBytes));
    rejection.field = batch.text.store(column);
    rejection.reason = reason;
    std::array<char, 3 * kMaxDetailBytes> shown{};
    rejection.value = batch.text.store(displayable(value, shown));
    batch.rejections.push_back(rejection);
}

void assemble_record(const RecordInput& record, DecimalStyle style, NodeBatch& batch) {
    Node node;
    node.ordinal = record.ordinal;
    node.line = record.line;

    const FieldInput& id_field = record[Field::kId];
    const std::string_view id =
        id_field.kind == FieldInput::Kind::kText ? id_field.text : std::string_view();
    std::array<char, 32> number_text{};
    auto reject = [&](Field field, RejectReason reason) {
        append_rejection(batch, record.ordinal, record.line, id, column_of(record, field), reason,
                         shown_value(record[field], number_text));
    };

    // Parse every number first: text that is not a number is the first thing to report.
    auto integer_field = [&](Field field, std::optional<std::int64_t>& out) {
        std::int64_t value = 0;
        const ParseOutcome outcome = read_integer(record[field], style, value);
        if (outcome == ParseOutcome::kOk) {
            out = value;
        }
        return outcome != ParseOutcome::kBad;
    };
    std::optional<std::int64_t> impressions;
    std::optional<std::int64_t> clicks;
    std::optional<double> position;
    std::optional<double> difficulty;
    if (!integer_field(Field::kImpressions, impressions)) {
        return reject(Field::kImpressions, RejectReason::kBadNumber);
    }
    if (!integer_field(Field::kClicks, clicks)) {
        return reject(Field::kClicks, RejectReason::kBadNumber);
    }
    double real = 0;
    switch (read_real(record[Field::kPosition], style, real)) {
        case ParseOutcome::kBad:
            return reject(Field::kPosition, RejectReason::kBadNumber);
        case ParseOutcome::kOk:
            position = real;
            break;
        case ParseOutcome::kMissing:
            break;
    }
    if (!integer_field(Field::kSearchVolume, node.search_volume)) {
        return reject(Field::kSearchVolume, RejectReason::kBadNumber);
    }
    switch (read_real(record[Field::kDifficulty], style, real)) {
        case ParseOutcome::kBad:
            return reject(Field::kDifficulty, RejectReason::kBadNumber);
        case ParseOutcome::kOk:
            difficulty = real;
            break;
        case ParseOutcome::kMissing:
            break;
    }
    for (const auto& [field, slot] :
         {std::pair{Field::kPrevClicks, &node.prev_clicks},
          std::pair{Field::kWordCount, &node.word_count}, std::pair{Field::kInlinks, &node.inlinks},
          std::pair{Field::kDaysSinceUpdate, &node.days_since_update}}) {
        if (!integer_field(field, *slot)) {
            return reject(field, RejectReason::kBadNumber);
        }
    }

    // Required numbers: an empty one is not a number where one is required.
    if (!impressions) {
        return reject(Field::kImpressions, RejectReason::kBadNumber);
    }
    if (!clicks) {
        return reject(Field::kClicks, RejectReason::kBadNumber);
    }
    node.impressions = *impressions;
    node.clicks = *clicks;
    node.difficulty = difficulty;

    // An empty or zero position with no impressions means "not ranking"; an empty one with
    // impressions is caught by `check_node` below.
    if (position && !(*position == 0 && node.impressions == 0)) {
        node.position = *position;
    } else if (!position && node.impressions > 0) {
        node.position = std::numeric_limits<double>::quiet_NaN();
    }

    node.id = id;
    const FieldInput& url_field = record[Field::kUrl];
    const std::string_view url =
        url_field.kind == FieldInput::Kind::kText ? url_field.text : std::string_view();
    if (const std::optional<Violation> violation = check_node(node)) {
        return reject(violation->field, violation->reason);
    }

    node.id = batch.text.store(id);
    node.url = url.empty() ? node.id : batch.text.store(url);
    batch.nodes.push_back(node);
}

}  // namespace bulkscore::detail
