// SPDX-License-Identifier: MIT
//
// `BoundedSource`: the records [first, end) of another source, for a worker that scores one
// range of a job (pg_job.hpp). It seeks the source it wraps to the range's start, never reads
// past the range's end, and reports the wrapped source's own positions, so that a checkpoint of
// the range is a position in the whole input.
//
// Lifetime: the wrapped source must outlive the bounded one; nothing else may use it meanwhile.
// Thread safety: as every source, used by one thread at a time.

#pragma once

#include <cstdint>
#include <memory>

#include "bulkscore/node_source.hpp"

namespace bulkscore::detail {

class BoundedSource final : public NodeSource {
public:
    /// Seeks `source` to `start` (a position it reported, at record `start.ordinal`) and bounds
    /// it at record `end_ordinal` (> `start.ordinal`). Errors: the seek's.
    static Result<std::unique_ptr<BoundedSource>> open(NodeSource& source,
                                                       const SourcePosition& start,
                                                       std::uint64_t end_ordinal);

    /// Reads at most up to the range's end; a batch of 0 records at the end of the range.
    /// Errors: the wrapped source's; `data_loss` when the input ends before the range does
    /// (it is shorter than when the job was split).
    Status read(NodeBatch& batch, std::size_t max_records) override;

    /// The records of the range (`end - first`), without reading.
    Result<std::uint64_t> count_records() override { return end_ordinal_ - start_.ordinal; }

    SourcePosition position() const noexcept override { return source_.position(); }

    /// Seeks within the range; a position outside it is `invalid_argument`.
    Status seek(const SourcePosition& position) override;

    std::string_view description() const noexcept override { return source_.description(); }

private:
    BoundedSource(NodeSource& source, const SourcePosition& start, std::uint64_t end_ordinal)
        : source_(source), start_(start), end_ordinal_(end_ordinal) {}

    NodeSource& source_;
    SourcePosition start_;
    std::uint64_t end_ordinal_;
};

}  // namespace bulkscore::detail
