// SPDX-License-Identifier: MIT
//
// `Node`: one page of a site with the metrics of one analysis window, as SCORING.md defines its
// inputs, plus the input rules that decide whether a node can be scored at all.
//
// A `Node` does not own its text: `id` and `url` refer into the `NodeBatch` (or host memory) it
// came from, which must outlive it.

#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "bulkscore/rejection.hpp"

namespace bulkscore {

/// The `position` of a page that does not rank: SCORING.md's `p = +infinity`.
inline constexpr double kNotRanking = std::numeric_limits<double>::infinity();

/// The longest accepted `id`, in bytes.
inline constexpr std::size_t kMaxIdBytes = 2048;

/// One page and its metrics. Optional metrics are `std::nullopt` when unknown.
struct Node {
    std::string_view id;   ///< Unique key: a URL or a CMS id, 1..2048 bytes.
    std::string_view url;  ///< The page URL; equals `id` when the input had none.
    std::int64_t impressions = 0;
    std::int64_t clicks = 0;
    double position = kNotRanking;  ///< Average position >= 1, or `kNotRanking`.
    std::optional<std::int64_t> search_volume;
    std::optional<double> difficulty;  ///< In [0, 100].
    std::optional<std::int64_t> prev_clicks;
    std::optional<std::int64_t> word_count;
    std::optional<std::int64_t> inlinks;
    std::optional<std::int64_t> days_since_update;

    std::uint64_t ordinal = 0;  ///< 0-based position of the record in its input.
    std::uint64_t line = 0;     ///< 1-based line where a text record starts; 0 otherwise.
};

/// The input fields of SCORING.md, in the order of the native CSV format.
enum class Field : std::uint8_t {
    kId,
    kUrl,
    kImpressions,
    kClicks,
    kPosition,
    kSearchVolume,
    kDifficulty,
    kPrevClicks,
    kWordCount,
    kInlinks,
    kDaysSinceUpdate,
};
inline constexpr std::size_t kFieldCount = 11;

/// The native column name of `field` (`"search_volume"`).
std::string_view field_name(Field field) noexcept;

/// Which rule a node breaks, if any: the reason and the field at fault.
struct Violation {
    RejectReason reason;
    Field field;
};

/// Checks the input rules of SCORING.md that hold on parsed values (ranges, `clicks <=
/// impressions`, the id's length, a position when there are impressions). Parsing rules
/// (`bad_number`) are the sources' business. Returns `std::nullopt` when `node` may be scored.
///
/// Thread safety: pure; safe from any thread.
std::optional<Violation> check_node(const Node& node) noexcept;

}  // namespace bulkscore
