// SPDX-License-Identifier: MIT
//
// `OpportunityScorer`: the default scorer, exactly SCORING.md's `opportunity-v1`.
//
// Thread safety: `score` is const, pure and allocation-free; one scorer may serve any number
// of threads at once.

#pragma once

#include <string_view>

#include "bulkscore/node.hpp"
#include "bulkscore/score_result.hpp"
#include "bulkscore/scorer_config.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore {

class OpportunityScorer {
public:
    /// The version string stored with every result.
    static constexpr std::string_view kVersion = "opportunity-v1";

    /// A scorer with SCORING.md's defaults.
    OpportunityScorer();

    /// A scorer with `config`. Errors: `invalid_argument` from `ScorerConfig::validate`.
    static Result<OpportunityScorer> create(ScorerConfig config);

    /// Scores one node: SCORING.md's formulas with this scorer's constants. The result's `id`
    /// and `url` refer into the node's text (`url` falls back to `id` when empty) and its
    /// `scorer_version` is `kVersion`.
    ///
    /// Thread safety: pure and allocation-free; any number of threads may call it at once.
    /// Requires: `check_node(node)` found nothing (sources guarantee it).
    ScoreResult score(const Node& node) const noexcept;

    /// SCORING.md's `E(p)` under this configuration: linear between the curve's points, each
    /// point's own rate at the point, 0 beyond the last point and for `kNotRanking`.
    double expected_ctr(double position) const noexcept;

    /// The configuration this scorer was built with (validated).
    const ScorerConfig& config() const noexcept { return config_; }

private:
    explicit OpportunityScorer(ScorerConfig config);

    ScorerConfig config_;
    // Precomputed once so that `score` does no work that depends only on the configuration.
    double weight_sum_ = 1;
    double potential_log_ = 1;  ///< ln(1 + potential_reference).
    double demand_log_ = 1;     ///< ln(1 + demand_reference).
    double inlink_log_ = 1;     ///< ln(1 + inlink_reference).
};

}  // namespace bulkscore
