// SPDX-License-Identifier: MIT
//
// `NodeSource`: the streaming input of a run. A source reads records in order into reusable
// batches, turns each record that breaks the input rules into a `Rejection` instead of stopping,
// counts its records exactly when asked (for progress), and can return to any position it
// reported (for resume).
//
// Thread safety: a source is used by one thread at a time (the engine's reader); calls never
// overlap. Sources may block on I/O and never call back into the engine.

#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "bulkscore/node_batch.hpp"
#include "bulkscore/source_position.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore {

class NodeSource {
public:
    NodeSource() = default;
    NodeSource(const NodeSource&) = delete;
    NodeSource& operator=(const NodeSource&) = delete;
    virtual ~NodeSource() = default;

    /// Clears `batch` and fills it with the next records, at most `max_records` of them
    /// (`max_records` > 0). At the end of the input it returns ok with `batch.record_count == 0`.
    /// `batch.first_ordinal` and `batch.end` are set on every successful call.
    ///
    /// Errors: a failure that stops the whole input (unreadable file, a header without a
    /// required column) with a message naming the file and line. A bad record is not an error.
    virtual Status read(NodeBatch& batch, std::size_t max_records) = 0;

    /// The exact number of records in the whole input, header excluded, counting records that
    /// will be rejected. Does not move the read position. May scan the input (at memory speed).
    virtual Result<std::uint64_t> count_records() = 0;

    /// Where the next `read` starts.
    virtual SourcePosition position() const noexcept = 0;

    /// Continues from `position`, which this source (or one over the same input) reported.
    virtual Status seek(const SourcePosition& position) = 0;

    /// A short name for messages: the path of a file source, "memory" for a range.
    virtual std::string_view description() const noexcept = 0;
};

/// The input formats of DESIGN.md.
enum class InputFormat : std::uint8_t {
    kAuto,           ///< Chosen from the extension and the header (see `open_source`).
    kCsv,            ///< Native CSV with the SCORING.md column names.
    kGsc,            ///< Search Console "Pages"/"Queries" export, localised ones too.
    kGscApi,         ///< Search Analytics API rows in JSON.
    kScreamingFrog,  ///< Screaming Frog "Internal - All" with Search Console columns.
    kJsonLines,      ///< One JSON object per line, native field names.
};

/// The command-line name of `format` (`"gsc-api"`).
std::string_view to_string(InputFormat format) noexcept;

/// Parses `auto|csv|gsc|gsc-api|sf|jsonl`.
Result<InputFormat> parse_input_format(std::string_view text);

/// How to open a file source.
struct SourceOptions {
    std::filesystem::path path;
    InputFormat format = InputFormat::kAuto;

    /// For `kGscApi`: the key of the array of rows in the top-level object. Empty means `rows`,
    /// or the document itself when it is a bare array.
    std::string json_rows_key;

    /// Size of the read buffer, in bytes. Records longer than this still parse (the buffer
    /// grows for them and shrinks back).
    std::size_t read_buffer_bytes = 1 << 20;
};

/// Opens a file source. With `InputFormat::kAuto`, `.jsonl`/`.ndjson` mean JSON Lines, `.json`
/// means Search Analytics API rows, and a CSV's header decides between native, Screaming Frog
/// (`Address` and `Status Code` columns) and Search Console (anything else).
///
/// Errors: `not_found` for a missing file; `invalid_argument` for a header that lacks a
/// required column, naming the file, the line and the missing column.
Result<std::unique_ptr<NodeSource>> open_source(const SourceOptions& options);

}  // namespace bulkscore
