// SPDX-License-Identifier: MIT
//
// Turns the raw fields of one input record into a `Node` or a `Rejection`, for every source.
// Each source maps its own columns (or JSON keys) onto SCORING.md's fields and hands over the
// text or the number it found; parsing, the input rules and the rejection's details live here
// once, so every format rejects the same record for the same reason.
//
// Thread safety: pure functions over the caller's objects.

#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "bulkscore/node.hpp"
#include "bulkscore/node_batch.hpp"

namespace bulkscore::detail {

/// How a text field writes its decimal separator.
enum class DecimalStyle : std::uint8_t {
    kPoint,  ///< `3.5`
    kComma,  ///< `3,5`, as localised Search Console exports write it.
};

/// One field as a source found it.
struct FieldInput {
    enum class Kind : std::uint8_t { kMissing, kText, kInteger, kReal };

    Kind kind = Kind::kMissing;
    std::string_view text;  ///< For `kText`; an empty text means "unknown".
    std::int64_t integer = 0;
    double real = 0;
    std::string_view column;  ///< The field's name in the input, for rejections.

    static FieldInput from_text(std::string_view text, std::string_view column) noexcept {
        FieldInput field;
        field.kind = Kind::kText;
        field.text = text;
        field.column = column;
        return field;
    }
};

/// One record: its fields by `Field` index, and where it came from.
struct RecordInput {
    std::array<FieldInput, kFieldCount> fields;
    std::uint64_t ordinal = 0;
    std::uint64_t line = 0;

    FieldInput& operator[](Field field) noexcept { return fields[static_cast<std::size_t>(field)]; }
    const FieldInput& operator[](Field field) const noexcept {
        return fields[static_cast<std::size_t>(field)];
    }

    void reset(std::uint64_t new_ordinal, std::uint64_t new_line) noexcept {
        fields = {};
        ordinal = new_ordinal;
        line = new_line;
    }
};

/// Parses and checks `record`; appends to `batch` either a `Node` (text copied into the batch's
/// arena) or a `Rejection` naming the field at fault. Does not touch `batch.record_count`.
void assemble_record(const RecordInput& record, DecimalStyle style, NodeBatch& batch);

/// Appends a rejection of the whole record or of one column (`column` may be empty), with
/// `id` and `value` copied into the batch's arena (`value` shortened to a readable length).
void append_rejection(NodeBatch& batch,
                      std::uint64_t ordinal,
                      std::uint64_t line,
                      std::string_view id,
                      std::string_view column,
                      RejectReason reason,
                      std::string_view value);

/// Parses a non-negative or negative whole number written as text, e.g. `12`, `-0`, `1e3`,
/// `12.0`. Returns false for anything else, NaN, infinities and values outside `int64_t`.
bool parse_integer(std::string_view text, DecimalStyle style, std::int64_t& out) noexcept;

/// Parses a finite real number written as text. Returns false for anything else.
bool parse_real(std::string_view text, DecimalStyle style, double& out) noexcept;

/// `text` without leading and trailing ASCII spaces and tabs.
std::string_view trim(std::string_view text) noexcept;

}  // namespace bulkscore::detail
