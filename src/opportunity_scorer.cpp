// SPDX-License-Identifier: MIT
//
// `OpportunityScorer`: SCORING.md's `opportunity-v1` score, potential clicks and action for one
// node, with the constants of a validated `ScorerConfig`.
//
// Thread safety: after construction the scorer is immutable; `score` and `expected_ctr` are const,
// pure and allocation-free, so any number of threads may share one scorer.

#include "bulkscore/opportunity_scorer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <utility>

namespace bulkscore {
namespace {

// SCORING.md's striking-distance table; fixed by the score's version, not configuration.
constexpr std::array<CurvePoint, 8> kStrikingTable = {{
    {1, 0.2},
    {3, 0.5},
    {4, 1.0},
    {10, 1.0},
    {20, 0.7},
    {30, 0.35},
    {50, 0.1},
    {100, 0.0},
}};

// Evaluates a piecewise-linear table exactly as SCORING.md prescribes, so that independent
// implementations agree to the last bit: at a point its own value, between two points `e0 + (e1 -
// e0) * (p - p0) / (p1 - p0)` in that order, 0 beyond the last point (which covers `kNotRanking`).
// A NaN position fails every comparison and also yields 0.
double evaluate_table(std::span<const CurvePoint> table, double position) noexcept {
    for (std::size_t i = 0; i < table.size(); ++i) {
        const CurvePoint& upper = table[i];
        if (position <= upper.position) {
            if (i == 0 || position == upper.position) {
                return upper.rate;
            }
            const CurvePoint& lower = table[i - 1];
            return lower.rate + (upper.rate - lower.rate) * (position - lower.position) /
                                    (upper.position - lower.position);
        }
    }
    return 0;
}

double as_real(std::int64_t count) noexcept {
    return static_cast<double>(count);
}

// The action rules of SCORING.md, first match wins.
Action choose_action(const Node& node,
                     const Components& c,
                     double potential,
                     double min_impressions_for_ctr) noexcept {
    const double position = node.position;
    const double impressions = as_real(node.impressions);
    if (position <= 10 && impressions >= min_impressions_for_ctr && c.ctr_gap >= 0.5) {
        return Action::kFixCtr;
    }
    if (position >= 4 && position <= 20 && potential >= 10) {
        return Action::kPushToTop;
    }
    if (c.decay >= 0.3 || (c.staleness >= 1 && node.impressions > 0)) {
        return Action::kRefresh;
    }
    if (c.thinness >= 0.5) {
        return Action::kExpand;
    }
    if (c.link_need >= 0.8) {
        return Action::kBuildLinks;
    }
    return Action::kMonitor;
}

}  // namespace

OpportunityScorer::OpportunityScorer() : OpportunityScorer(ScorerConfig::defaults()) {}

OpportunityScorer::OpportunityScorer(ScorerConfig config) : config_(std::move(config)) {
    const Components& w = config_.weights;
    weight_sum_ = w.upside + w.striking + w.ctr_gap + w.demand + w.decay + w.ease + w.staleness +
                  w.thinness + w.link_need;
    potential_log_ = std::log(1 + config_.potential_reference);
    demand_log_ = std::log(1 + config_.demand_reference);
    inlink_log_ = std::log(1 + config_.inlink_reference);
}

Result<OpportunityScorer> OpportunityScorer::create(ScorerConfig config) {
    BULKSCORE_RETURN_IF_ERROR(config.validate());
    return OpportunityScorer(std::move(config));
}

double OpportunityScorer::expected_ctr(double position) const noexcept {
    return evaluate_table(config_.ctr_curve, position);
}

// Longer than the house's 40 lines on purpose: it reads top to bottom in the order of SCORING.md
// (derived quantities, the nine components, the score, the action), which is how it is reviewed.
ScoreResult OpportunityScorer::score(const Node& node) const noexcept {
    const ScorerConfig& cfg = config_;
    const double impressions = as_real(node.impressions);
    const double clicks = as_real(node.clicks);
    const double position = node.position;  // +infinity when not ranking

    const double actual_ctr = node.impressions > 0 ? clicks / impressions : 0.0;
    const double expected_here = expected_ctr(position);
    const double expected_at_target = expected_ctr(std::min(position, cfg.target_position));
    const double demand = std::max(impressions, as_real(node.search_volume.value_or(0)));
    const double potential = std::max(0.0, demand * expected_at_target - clicks);

    Components c;
    c.upside = std::min(1.0, std::log(1 + potential) / potential_log_);
    c.striking = evaluate_table(kStrikingTable, position);
    if (impressions >= cfg.min_impressions_for_ctr && expected_here > 0) {
        c.ctr_gap = std::max(0.0, expected_here - actual_ctr) / expected_here;
    }
    c.demand = std::min(1.0, std::log(1 + demand) / demand_log_);
    if (node.prev_clicks && *node.prev_clicks > 0) {
        const double previous = as_real(*node.prev_clicks);
        c.decay = std::clamp((previous - clicks) / previous, 0.0, 1.0);
    }
    if (node.difficulty) {
        const double headroom = 1 - *node.difficulty / 100;
        c.ease = headroom * headroom;
    } else {
        c.ease = 0.5;
    }
    if (node.days_since_update) {
        c.staleness = std::min(1.0, as_real(*node.days_since_update) / cfg.staleness_horizon_days);
    }
    if (node.word_count) {
        c.thinness = std::clamp(
            (cfg.thin_content_words - as_real(*node.word_count)) / cfg.thin_content_ramp_words, 0.0,
            1.0);
    }
    if (node.inlinks) {
        c.link_need = 1 - std::min(1.0, std::log(1 + as_real(*node.inlinks)) / inlink_log_);
    }

    const Components& w = cfg.weights;
    const double weighted = w.upside * c.upside + w.striking * c.striking + w.ctr_gap * c.ctr_gap +
                            w.demand * c.demand + w.decay * c.decay + w.ease * c.ease +
                            w.staleness * c.staleness + w.thinness * c.thinness +
                            w.link_need * c.link_need;

    ScoreResult result;
    result.id = node.id;
    result.url = node.url.empty() ? node.id : node.url;
    // Rounding can carry the ratio one ulp past 1 (all components 1, or weights near the
    // smallest doubles); SCORING.md promises a score in [0, 100].
    result.score = std::min(100.0, 100 * weighted / weight_sum_);
    result.potential_clicks = potential;
    result.action = choose_action(node, c, potential, cfg.min_impressions_for_ctr);
    result.components = c;
    result.scorer_version = kVersion;
    result.ordinal = node.ordinal;
    return result;
}

}  // namespace bulkscore
