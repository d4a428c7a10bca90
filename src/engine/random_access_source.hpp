// SPDX-License-Identifier: MIT
//
// `RandomAccessSource`: a capability a `NodeSource` may offer besides streaming: any run of its
// records can be produced on its own, from any thread, while other runs are being produced. The
// synthetic site generator has it (page `i` is a pure function of the seed and `i`).
//
// The engine looks for it with `dynamic_cast` and, when it runs several workers, lets each
// worker read the batch it is about to score: the reader thread then only hands out ordinal
// ranges, so reading scales with the workers instead of capping the run at one thread's speed.
// It is internal (not in include/) because it is a private contract between the engine and the
// sources of this library.
//
// Requires: the source's positions are plain ordinals (`{ordinal, 0, 0}`): the engine hands out
// ranges from `position().ordinal` and seeks the source to `{end, 0, 0}` when it stops reading.
//
// Thread safety: `read_range` and `record_total` are const and may be called from any number of
// threads at once, and at the same time as the owning source's `position`, `seek` or `read`
// (they touch none of its cursor state).

#pragma once

#include <cstddef>
#include <cstdint>

#include "bulkscore/node_batch.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore::detail {

class RandomAccessSource {
public:
    RandomAccessSource() = default;
    RandomAccessSource(const RandomAccessSource&) = delete;
    RandomAccessSource& operator=(const RandomAccessSource&) = delete;
    virtual ~RandomAccessSource() = default;

    /// Clears `batch` and fills it with records `[first, first + count)`, exactly as the
    /// streaming `read` would after a `seek` to `first`: the same nodes, rejections, ordinals
    /// and `end`. Requires `first + count <= record_total()`.
    ///
    /// Errors: as the source's `read`.
    virtual Status read_range(std::uint64_t first, std::size_t count, NodeBatch& batch) const = 0;

    /// The number of records of the input.
    virtual std::uint64_t record_total() const noexcept = 0;
};

}  // namespace bulkscore::detail
