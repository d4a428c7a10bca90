// SPDX-License-Identifier: MIT
//
// `BatchSlot`: one of the engine's fixed set of reusable batches. A slot carries a batch from
// the reader (which fills its `NodeBatch`) through scoring (which fills its `ScoredBatch` and a
// per-node outcome) to the committer (which writes it and hands the slot back). The engine owns
// exactly `batches_in_flight` slots, which is what bounds its memory; a reused slot keeps all
// its buffers, so steady-state scoring allocates nothing per node.
//
// Thread safety: a slot belongs to one stage at a time, handed over under the engine's lock.
// While it is being scored, node `i`'s outcome and result are written only by the task that
// scores node `i`; `pending` counts the tasks still out (the one that takes it to zero owns the
// slot next); `store_message` serialises writes to the batch's arena.

#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

#include "bulkscore/node_batch.hpp"
#include "bulkscore/scored_batch.hpp"

namespace bulkscore::detail {

/// Where one node of a batch stands.
enum class NodeState : std::uint8_t {
    kPending,    ///< Being scored or waiting for a retry.
    kScored,     ///< Its result is in `ScoredBatch::results[i]`.
    kFailed,     ///< Failed for good: becomes a `retries_exhausted` rejection.
    kAbandoned,  ///< Given up at a stop: the batch cannot be committed.
};

struct NodeOutcome {
    std::uint32_t attempts = 0;
    NodeState state = NodeState::kPending;
    std::string_view message;  ///< For `kFailed`: the last error, stored in the batch's arena.
};

struct BatchSlot {
    NodeBatch batch;
    ScoredBatch scored;
    std::vector<NodeOutcome> outcomes;  ///< One per node of `batch`.
    std::uint64_t seq = 0;              ///< Position of the batch in reading order.

    /// With a random-access source, the records the scoring task reads itself (see
    /// random_access_source.hpp): `[read_first, read_first + read_count)`.
    std::uint64_t read_first = 0;
    std::size_t read_count = 0;

    /// Scoring tasks still out: one per node plus `extra` for the dispatcher(s).
    std::atomic<std::size_t> pending{0};

    /// Some node was abandoned; the committer must not write this batch.
    std::atomic<bool> abandoned{false};

    /// Readies the slot for scoring its nodes: one result and outcome per node, reusing
    /// capacity, and `pending = nodes + extra`.
    void prepare_for_scoring(std::size_t extra);

    /// Copies `text` into the batch's arena (shortened to a readable length) under a lock, for
    /// failure messages recorded by concurrent retries. Empty on allocation failure.
    std::string_view store_message(std::string_view text) noexcept;

    /// Empties the slot for reuse, keeping every buffer (and the results' elements, stale until
    /// `prepare_for_scoring` sizes them and each try overwrites its own).
    void reset() noexcept;

private:
    std::mutex text_mutex_;
};

/// Turns a fully scored slot into its `ScoredBatch`: results of the scored nodes in input order,
/// and the source's rejections merged with the nodes that failed (as `retries_exhausted`), in
/// ordinal order. Requires: no node is pending.
void finalize_batch(BatchSlot& slot);

}  // namespace bulkscore::detail
