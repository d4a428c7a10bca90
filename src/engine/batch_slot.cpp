// SPDX-License-Identifier: MIT
//
// Preparing, finalising and recycling batch slots (see batch_slot.hpp).

#include "engine/batch_slot.hpp"

#include <algorithm>

namespace bulkscore::detail {
namespace {

// Long enough for a remote service's error text, short enough for a table cell.
constexpr std::size_t kMaxMessageBytes = 300;

Rejection failed_node_rejection(const Node& node, const NodeOutcome& outcome) noexcept {
    Rejection rejection;
    rejection.ordinal = node.ordinal;
    rejection.line = node.line;
    rejection.id = node.id;
    rejection.reason = RejectReason::kRetriesExhausted;
    rejection.value = outcome.message;
    return rejection;
}

}  // namespace

void BatchSlot::prepare_for_scoring(std::size_t extra) {
    const std::size_t count = batch.nodes.size();
    scored.results.resize(count);  // Each try clears the text fields it relies on.
    outcomes.assign(count, NodeOutcome{});
    abandoned.store(false, std::memory_order_relaxed);
    pending.store(count + extra, std::memory_order_release);
}

std::string_view BatchSlot::store_message(std::string_view text) noexcept {
    try {
        const std::lock_guard lock(text_mutex_);
        return batch.text.store(text.substr(0, kMaxMessageBytes));
    } catch (...) {
        return {};
    }
}

void BatchSlot::reset() noexcept {
    batch.clear();
    // `scored.results` keeps its elements, so that `prepare_for_scoring` need not
    // value-initialise a whole batch of them again (4-5% of the engine's CPU in a profile of
    // the generator benchmark); each try starts from a fresh result anyway (`score_node`).
    scored.rejections.clear();
    scored.first_ordinal = 0;
    scored.record_count = 0;
    scored.end = {};
    outcomes.clear();
    seq = 0;
    read_first = 0;
    read_count = 0;
    pending.store(0, std::memory_order_relaxed);
    abandoned.store(false, std::memory_order_relaxed);
}

void finalize_batch(BatchSlot& slot) {
    const std::vector<Node>& nodes = slot.batch.nodes;
    ScoredBatch& scored = slot.scored;

    std::size_t kept = 0;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (slot.outcomes[i].state == NodeState::kScored) {
            if (kept != i) {
                scored.results[kept] = scored.results[i];
            }
            ++kept;
        }
    }
    scored.results.resize(kept);

    // Both inputs are in ordinal order; a two-way merge keeps the output so.
    scored.rejections.clear();
    const std::vector<Rejection>& from_source = slot.batch.rejections;
    auto next_source = from_source.begin();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (slot.outcomes[i].state != NodeState::kFailed) {
            continue;
        }
        for (; next_source != from_source.end() && next_source->ordinal < nodes[i].ordinal;
             ++next_source) {
            scored.rejections.push_back(*next_source);
        }
        scored.rejections.push_back(failed_node_rejection(nodes[i], slot.outcomes[i]));
    }
    scored.rejections.insert(scored.rejections.end(), next_source, from_source.end());

    scored.first_ordinal = slot.batch.first_ordinal;
    scored.record_count = slot.batch.record_count;
    scored.end = slot.batch.end;
}

}  // namespace bulkscore::detail
