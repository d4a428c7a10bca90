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

    /// Scores one node.
    ///
    /// Requires: `check_node(node)` found nothing (sources guarantee it).
    ScoreResult score(const Node& node) const noexcept;

    /// SCORING.md's `E(p)` under this configuration.
    double expected_ctr(double position) const noexcept;

    const ScorerConfig& config() const noexcept { return config_; }

private:
    explicit OpportunityScorer(ScorerConfig config);

    ScorerConfig config_;
    double weight_sum_ = 1;
};

}  // namespace bulkscore
