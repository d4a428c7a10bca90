// SPDX-License-Identifier: MIT

#include "sources/bounded_source.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace bulkscore::detail {

Result<std::unique_ptr<BoundedSource>> BoundedSource::open(NodeSource& source,
                                                           const SourcePosition& start,
                                                           std::uint64_t end_ordinal) {
    if (end_ordinal <= start.ordinal) {
        return invalid_argument_error(fmt::format("the range [{}, {}) of {} holds no record",
                                                  start.ordinal, end_ordinal,
                                                  source.description()));
    }
    if (source.position() != start) {
        BULKSCORE_RETURN_IF_ERROR(source.seek(start));
    }
    return std::unique_ptr<BoundedSource>(new BoundedSource(source, start, end_ordinal));
}

Status BoundedSource::read(NodeBatch& batch, std::size_t max_records) {
    const std::uint64_t next = source_.position().ordinal;
    if (next >= end_ordinal_) {
        batch.clear();
        batch.first_ordinal = next;
        batch.end = source_.position();
        return ok_status();
    }
    const auto left = static_cast<std::size_t>(
        std::min<std::uint64_t>(end_ordinal_ - next, static_cast<std::uint64_t>(max_records)));
    BULKSCORE_RETURN_IF_ERROR(source_.read(batch, left));
    if (batch.record_count == 0) {
        return data_loss_error(fmt::format(
            "{} ended at record {}, before the end of the range being read (record {}): the "
            "input is shorter than when the job was split; restore it, or start the job over",
            source_.description(), next, end_ordinal_));
    }
    return ok_status();
}

Status BoundedSource::seek(const SourcePosition& position) {
    if (position.ordinal < start_.ordinal || position.ordinal > end_ordinal_) {
        return invalid_argument_error(
            fmt::format("record {} of {} lies outside the range [{}, {}) being read",
                        position.ordinal, source_.description(), start_.ordinal, end_ordinal_));
    }
    return source_.seek(position);
}

}  // namespace bulkscore::detail
