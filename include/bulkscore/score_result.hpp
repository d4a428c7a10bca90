// SPDX-License-Identifier: MIT
//
// `ScoreResult`: what a scorer says about one node: the score, the potential clicks, the
// recommended action and the component breakdown (SCORING.md, "Output of one scored node").

#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bulkscore {

/// The recommended action, in the order of SCORING.md's rules.
enum class Action : std::uint8_t {
    kFixCtr,
    kPushToTop,
    kRefresh,
    kExpand,
    kBuildLinks,
    kMonitor,
};

/// The stored name of `action` (`"push_to_top"`).
std::string_view to_string(Action action) noexcept;

/// Parses a stored action name; `std::nullopt` for an unknown one.
std::optional<Action> parse_action(std::string_view text) noexcept;

/// The nine components of the score, each in [0, 1], named as in SCORING.md.
/// The same shape carries the weights of a scorer configuration.
struct Components {
    double upside = 0;
    double striking = 0;
    double ctr_gap = 0;
    double demand = 0;
    double decay = 0;
    double ease = 0;
    double staleness = 0;
    double thinness = 0;
    double link_need = 0;
};

/// The scored output for one node. `id`, `url` and `scorer_version` refer into the node's batch
/// and the scorer respectively, which must outlive the result.
struct ScoreResult {
    std::string_view id;
    std::string_view url;
    double score = 0;             ///< In [0, 100].
    double potential_clicks = 0;  ///< SCORING.md's `P`, >= 0.
    Action action = Action::kMonitor;
    Components components;
    std::string_view scorer_version;
    std::uint64_t ordinal = 0;  ///< The node's position in its input.
};

}  // namespace bulkscore
