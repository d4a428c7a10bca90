// SPDX-License-Identifier: MIT
//
// The non-template core of `RangeSource` (bulkscore/range_source.hpp): batching, positions and
// the input rules applied to nodes that come from host memory.
//
// Thread safety: a source is used by one thread at a time.

#include "bulkscore/range_source.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <exception>

#include <fmt/format.h>

#include "sources/record_assembler.hpp"

namespace bulkscore {
namespace detail {
namespace {

// The value a rejection shows for `field` of `node`: what a file would have said there.
std::string_view shown_value(const Node& node, Field field, std::array<char, 32>& buffer) {
    auto integer = [&buffer](std::int64_t value) {
        const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
        return std::string_view(buffer.data(),
                                static_cast<std::size_t>(result.ptr - buffer.data()));
    };
    auto real = [&buffer](double value) {
        const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
        return std::string_view(buffer.data(),
                                static_cast<std::size_t>(result.ptr - buffer.data()));
    };
    switch (field) {
        case Field::kId:
            return node.id;
        case Field::kUrl:
            return node.url;
        case Field::kImpressions:
            return integer(node.impressions);
        case Field::kClicks:
            return integer(node.clicks);
        case Field::kPosition:
            return node.position == kNotRanking ? std::string_view() : real(node.position);
        case Field::kSearchVolume:
            return node.search_volume ? integer(*node.search_volume) : std::string_view();
        case Field::kDifficulty:
            return node.difficulty ? real(*node.difficulty) : std::string_view();
        case Field::kPrevClicks:
            return node.prev_clicks ? integer(*node.prev_clicks) : std::string_view();
        case Field::kWordCount:
            return node.word_count ? integer(*node.word_count) : std::string_view();
        case Field::kInlinks:
            return node.inlinks ? integer(*node.inlinks) : std::string_view();
        case Field::kDaysSinceUpdate:
            return node.days_since_update ? integer(*node.days_since_update) : std::string_view();
    }
    return {};
}

// Reals a file could only write as text that is not a number (`nan`, `-inf`).
std::optional<Field> unwritable_number(const Node& node) noexcept {
    if (std::isnan(node.position) || node.position == -kNotRanking) {
        return Field::kPosition;
    }
    if (node.difficulty && !std::isfinite(*node.difficulty)) {
        return Field::kDifficulty;
    }
    return std::nullopt;
}

}  // namespace

void append_memory_node(const Node& node, std::uint64_t ordinal, NodeBatch& batch) {
    ++batch.record_count;
    std::optional<Violation> violation;
    if (const std::optional<Field> field = unwritable_number(node)) {
        violation = Violation{RejectReason::kBadNumber, *field};
    } else {
        violation = check_node(node);
    }
    if (violation) {
        std::array<char, 32> buffer{};
        append_rejection(batch, ordinal, 0, node.id, field_name(violation->field),
                         violation->reason, shown_value(node, violation->field, buffer));
        return;
    }
    Node& copy = batch.nodes.emplace_back(node);
    copy.ordinal = ordinal;
    copy.line = 0;
    copy.id = batch.text.store(node.id);
    copy.url = node.url.empty() || node.url == node.id ? copy.id : batch.text.store(node.url);
}

Status RangeSourceCore::read(NodeBatch& batch, std::size_t max_records) {
    batch.clear();
    batch.first_ordinal = next_;
    const std::uint64_t count = std::min<std::uint64_t>(max_records, size_ - next_);
    try {
        append_next(batch, next_, count);
    } catch (const std::exception& error) {
        // The cursor may have moved part way: put it back where this read started.
        restart_at(next_);
        batch.clear();
        batch.first_ordinal = next_;
        batch.end = position();
        return internal_error(
            fmt::format("memory: reading node {} failed: {}", next_, error.what()));
    }
    next_ += count;
    batch.end = position();
    return ok_status();
}

Status RangeSourceCore::seek(const SourcePosition& position) {
    if (position.ordinal > size_) {
        return invalid_argument_error(
            fmt::format("memory: cannot resume at record {}: the range holds {} records; the "
                        "position belongs to another input",
                        position.ordinal, size_));
    }
    next_ = position.ordinal;
    restart_at(next_);
    return ok_status();
}

}  // namespace detail
}  // namespace bulkscore
