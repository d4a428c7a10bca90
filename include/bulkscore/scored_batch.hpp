// SPDX-License-Identifier: MIT
//
// `ScoredBatch`: the outcome of one `NodeBatch`: a result per scored node and a rejection per
// rejected record, each in input order. It refers into the `NodeBatch` it was scored from (ids,
// urls, rejection details), which stays alive until the batch is committed.

#pragma once

#include <cstdint>
#include <vector>

#include "bulkscore/rejection.hpp"
#include "bulkscore/score_result.hpp"
#include "bulkscore/source_position.hpp"

namespace bulkscore {

struct ScoredBatch {
    std::vector<ScoreResult> results;   ///< Ascending `ordinal`.
    std::vector<Rejection> rejections;  ///< Ascending `ordinal`.
    std::uint64_t first_ordinal = 0;    ///< Ordinal of the batch's first record.
    std::uint64_t record_count = 0;     ///< `results.size() + rejections.size()`.
    SourcePosition end;                 ///< The source's position after the batch.

    /// Empties the batch and keeps its capacity.
    void clear() noexcept {
        results.clear();
        rejections.clear();
        first_ordinal = 0;
        record_count = 0;
        end = {};
    }
};

}  // namespace bulkscore
