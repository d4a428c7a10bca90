// SPDX-License-Identifier: MIT

#include "bulkscore/node.hpp"

#include <array>
#include <cmath>

namespace bulkscore {

std::string_view field_name(Field field) noexcept {
    static constexpr std::array<std::string_view, kFieldCount> kNames = {
        "id",         "url",         "impressions", "clicks",  "position",         "search_volume",
        "difficulty", "prev_clicks", "word_count",  "inlinks", "days_since_update"};
    return kNames[static_cast<std::size_t>(field)];
}

std::optional<Violation> check_node(const Node& node) noexcept {
    if (node.id.empty()) {
        return Violation{RejectReason::kMissingId, Field::kId};
    }
    if (node.id.size() > kMaxIdBytes) {
        return Violation{RejectReason::kIdTooLong, Field::kId};
    }
    if (node.impressions < 0) {
        return Violation{RejectReason::kNegative, Field::kImpressions};
    }
    if (node.clicks < 0) {
        return Violation{RejectReason::kNegative, Field::kClicks};
    }
    const std::pair<const std::optional<std::int64_t>*, Field> optional_counts[] = {
        {&node.search_volume, Field::kSearchVolume},
        {&node.prev_clicks, Field::kPrevClicks},
        {&node.word_count, Field::kWordCount},
        {&node.inlinks, Field::kInlinks},
        {&node.days_since_update, Field::kDaysSinceUpdate},
    };
    for (const auto& [value, field] : optional_counts) {
        if (*value && **value < 0) {
            return Violation{RejectReason::kNegative, field};
        }
    }
    if (node.clicks > node.impressions) {
        return Violation{RejectReason::kClicksExceedImpressions, Field::kClicks};
    }
    // Either not ranking (+infinity, allowed only without impressions) or an average >= 1.
    // NaN fails both comparisons and lands here too.
    const bool not_ranking = node.position == kNotRanking;
    if (not_ranking ? node.impressions > 0
                    : !(node.position >= 1 && std::isfinite(node.position))) {
        return Violation{RejectReason::kBadPosition, Field::kPosition};
    }
    if (node.difficulty && !(*node.difficulty >= 0 && *node.difficulty <= 100)) {
        return Violation{RejectReason::kBadDifficulty, Field::kDifficulty};
    }
    return std::nullopt;
}

}  // namespace bulkscore
