// SPDX-License-Identifier: MIT
//
// `Rejection`: a record that was not scored, and why. A rejection is data, not an error path:
// it is stored beside the scores (the `rejections` table) and the run goes on.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulkscore {

/// The reason codes of SCORING.md.
enum class RejectReason : std::uint8_t {
    kMissingId,
    kIdTooLong,
    kBadNumber,
    kNegative,
    kClicksExceedImpressions,
    kBadPosition,
    kBadDifficulty,
    kNotAPage,
    kRetriesExhausted,
};

/// The reason code as stored (`"clicks_exceed_impressions"`).
std::string_view to_string(RejectReason reason) noexcept;

/// Parses a stored reason code; `std::nullopt` for an unknown one.
std::optional<RejectReason> parse_reject_reason(std::string_view text) noexcept;

/// One rejected record. Its views refer into the batch that holds it (or static storage).
///
/// The human message is rendered only when the rejection is written (`render_message`), so
/// building one allocates nothing.
struct Rejection {
    std::uint64_t ordinal = 0;  ///< 0-based position of the record in its input.
    std::uint64_t line = 0;     ///< 1-based starting line in a text input; 0 when none.
    std::string_view id;        ///< The record's id as read; may be empty.
    std::string_view field;     ///< The offending column as named in the input; empty: the record.
    RejectReason reason = RejectReason::kBadNumber;
    std::string_view value;  ///< The offending text (possibly shortened), or a detail.
};

/// A sentence for people: what is wrong with the record and what to do, e.g.
/// `clicks "12x" is not a number; write a plain number such as 12 or leave it empty`.
std::string render_message(const Rejection& rejection);

}  // namespace bulkscore
