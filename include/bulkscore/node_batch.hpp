// SPDX-License-Identifier: MIT
//
// `NodeBatch`: a run of consecutive input records, as a source hands them over: the nodes to
// score and the records already rejected, with all their text in one arena. A batch is reused:
// `clear()` keeps every buffer, so steady-state reading allocates nothing per node.
//
// Thread safety: none; a batch is owned by one stage of the pipeline at a time.

#pragma once

#include <cstdint>
#include <vector>

#include "bulkscore/node.hpp"
#include "bulkscore/rejection.hpp"
#include "bulkscore/source_position.hpp"
#include "bulkscore/text_arena.hpp"

namespace bulkscore {

struct NodeBatch {
    /// Owns the text that `nodes` and `rejections` refer to.
    TextArena text;

    /// Records that passed the input rules, in input order.
    std::vector<Node> nodes;

    /// Records that did not, in input order.
    std::vector<Rejection> rejections;

    /// Ordinal of the first record of the batch.
    std::uint64_t first_ordinal = 0;

    /// Records in the batch: `nodes.size() + rejections.size()`.
    std::uint64_t record_count = 0;

    /// Where the source stands after this batch: the resume point once it is committed.
    SourcePosition end;

    /// Empties the batch and keeps its capacity.
    void clear() noexcept {
        text.clear();
        nodes.clear();
        rejections.clear();
        first_ordinal = 0;
        record_count = 0;
        end = {};
    }
};

}  // namespace bulkscore
