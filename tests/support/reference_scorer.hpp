// SPDX-License-Identifier: MIT
//
// A second, deliberately plain implementation of SCORING.md (`opportunity-v1`), written straight
// from its formulas and sharing no code with src/, so that tests can cross-check the library:
// the two must agree within 1e-9 relative on every field and exactly on the action. It favours
// being obviously right over being fast (it recomputes every logarithm on every call).
//
// Thread safety: pure functions over values; safe from any thread.

#pragma once

#include <array>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "bulkscore/node.hpp"

namespace bulkscore::testing {

/// The constants of SCORING.md; the member initialisers are its defaults, copied from the page.
struct ReferenceConstants {
    /// `E(p)` as (position, rate) points.
    std::vector<std::pair<double, double>> ctr_curve = {
        {1, 0.276},  {2, 0.158},  {3, 0.110},  {4, 0.084},  {5, 0.063},  {6, 0.049},
        {7, 0.039},  {8, 0.033},  {9, 0.027},  {10, 0.024}, {11, 0.010}, {15, 0.008},
        {20, 0.006}, {30, 0.003}, {50, 0.001}, {100, 0.0},
    };
    double target_position = 3;
    /// upside, striking, ctr_gap, demand, decay, ease, staleness, thinness, link_need.
    std::array<double, 9> weights = {0.30, 0.20, 0.10, 0.10, 0.10, 0.10, 0.04, 0.03, 0.03};
    double potential_reference = 10000;
    double demand_reference = 1000000;
    double min_impressions_for_ctr = 100;
    double thin_content_words = 1500;
    double thin_content_ramp_words = 1200;
    double inlink_reference = 100;
    double staleness_horizon_days = 365;
};

/// What SCORING.md says about one node. `action` is the stored name (`"fix_ctr"`).
struct ReferenceScore {
    double upside = 0;
    double striking = 0;
    double ctr_gap = 0;
    double demand = 0;
    double decay = 0;
    double ease = 0;
    double staleness = 0;
    double thinness = 0;
    double link_need = 0;
    double score = 0;
    double potential_clicks = 0;
    std::string action;
};

/// SCORING.md's rule for every piecewise-linear table: find the first point at or after `p`;
/// at the point itself (or the very first point) take its value, otherwise interpolate from the
/// point before it as `e0 + (e1 - e0) * (p - p0) / (p1 - p0)`; past the last point, 0.
inline double reference_table(const std::vector<std::pair<double, double>>& points, double p) {
    for (std::size_t i = 0; i < points.size(); ++i) {
        const double p1 = points[i].first;
        const double e1 = points[i].second;
        if (p <= p1) {
            if (p == p1 || i == 0) {
                return e1;
            }
            const double p0 = points[i - 1].first;
            const double e0 = points[i - 1].second;
            return e0 + (e1 - e0) * (p - p0) / (p1 - p0);
        }
    }
    return 0.0;
}

/// Scores `node` as SCORING.md defines it, with `k`'s constants.
inline ReferenceScore reference_score(const Node& node, const ReferenceConstants& k = {}) {
    const std::vector<std::pair<double, double>> striking_table = {
        {1, 0.2}, {3, 0.5}, {4, 1.0}, {10, 1.0}, {20, 0.7}, {30, 0.35}, {50, 0.1}, {100, 0.0},
    };

    const double impressions = static_cast<double>(node.impressions);
    const double clicks = static_cast<double>(node.clicks);
    // Variables follow SCORING.md's symbols: p position, a = actual_ctr, D = demand,
    // P = potential, T = target.
    const double p = node.position;  // +infinity when not ranking
    const double target = k.target_position;
    const double actual_ctr = node.impressions == 0 ? 0.0 : clicks / impressions;

    double search_volume = 0;
    if (node.search_volume.has_value()) {
        search_volume = static_cast<double>(node.search_volume.value());
    }
    const double demand = impressions > search_volume ? impressions : search_volume;
    const double expected_here = reference_table(k.ctr_curve, p);
    const double expected_at_target = reference_table(k.ctr_curve, p < target ? p : target);
    double potential = demand * expected_at_target - clicks;
    if (potential < 0) {
        potential = 0;
    }

    ReferenceScore r;
    r.potential_clicks = potential;
    r.upside = std::log(1 + potential) / std::log(1 + k.potential_reference);
    if (r.upside > 1) {
        r.upside = 1;
    }
    r.striking = reference_table(striking_table, p);
    if (impressions >= k.min_impressions_for_ctr && expected_here > 0) {
        double gap = expected_here - actual_ctr;
        if (gap < 0) {
            gap = 0;
        }
        r.ctr_gap = gap / expected_here;
    }
    r.demand = std::log(1 + demand) / std::log(1 + k.demand_reference);
    if (r.demand > 1) {
        r.demand = 1;
    }
    if (node.prev_clicks.has_value() && node.prev_clicks.value() > 0) {
        const double prev = static_cast<double>(node.prev_clicks.value());
        r.decay = (prev - clicks) / prev;
        if (r.decay < 0) {
            r.decay = 0;
        }
        if (r.decay > 1) {
            r.decay = 1;
        }
    }
    r.ease = 0.5;
    if (node.difficulty.has_value()) {
        const double x = 1 - node.difficulty.value() / 100;
        r.ease = x * x;
    }
    if (node.days_since_update.has_value()) {
        r.staleness =
            static_cast<double>(node.days_since_update.value()) / k.staleness_horizon_days;
        if (r.staleness > 1) {
            r.staleness = 1;
        }
    }
    if (node.word_count.has_value()) {
        r.thinness = (k.thin_content_words - static_cast<double>(node.word_count.value())) /
                     k.thin_content_ramp_words;
        if (r.thinness < 0) {
            r.thinness = 0;
        }
        if (r.thinness > 1) {
            r.thinness = 1;
        }
    }
    if (node.inlinks.has_value()) {
        double ratio = std::log(1 + static_cast<double>(node.inlinks.value())) /
                       std::log(1 + k.inlink_reference);
        if (ratio > 1) {
            ratio = 1;
        }
        r.link_need = 1 - ratio;
    }

    const std::array<double, 9> c = {r.upside, r.striking,  r.ctr_gap,  r.demand,   r.decay,
                                     r.ease,   r.staleness, r.thinness, r.link_need};
    double weighted = 0;
    double weight_sum = 0;
    for (std::size_t i = 0; i < 9; ++i) {
        weighted += k.weights[i] * c[i];
        weight_sum += k.weights[i];
    }
    r.score = 100 * weighted / weight_sum;

    if (p <= 10 && impressions >= k.min_impressions_for_ctr && r.ctr_gap >= 0.5) {
        r.action = "fix_ctr";
    } else if (4 <= p && p <= 20 && potential >= 10) {
        r.action = "push_to_top";
    } else if (r.decay >= 0.3 || (r.staleness >= 1 && impressions > 0)) {
        r.action = "refresh";
    } else if (r.thinness >= 0.5) {
        r.action = "expand";
    } else if (r.link_need >= 0.8) {
        r.action = "build_links";
    } else {
        r.action = "monitor";
    }
    return r;
}

}  // namespace bulkscore::testing
