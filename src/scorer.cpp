// SPDX-License-Identifier: MIT
//
// The fingerprint of the default scorer: what a checkpoint compares to refuse a resume that
// would score differently from the run it continues.

#include "bulkscore/scorer.hpp"

#include "bulkscore/scorer_config.hpp"

namespace bulkscore {

std::string OpportunityScoring::fingerprint() const {
    std::string text(OpportunityScorer::kVersion);
    text += ' ';
    text += to_json(scorer_.config());
    return text;
}

}  // namespace bulkscore
