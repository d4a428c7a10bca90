// SPDX-License-Identifier: MIT
//
// `SourcePosition`: a resumable point in an input, stored in checkpoints.

#pragma once

#include <cstdint>

namespace bulkscore {

/// Where a source stands: before the record with 0-based `ordinal`, which starts at byte
/// `byte_offset` on 1-based `line` (0 for inputs without lines). A source may only be
/// `seek`ed to a position it reported itself.
struct SourcePosition {
    std::uint64_t ordinal = 0;
    std::uint64_t byte_offset = 0;
    std::uint64_t line = 0;

    friend bool operator==(const SourcePosition&, const SourcePosition&) = default;
};

}  // namespace bulkscore
