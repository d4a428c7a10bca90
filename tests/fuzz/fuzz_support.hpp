// SPDX-License-Identifier: MIT
//
// What every libFuzzer target of bulkscore shares: the one in-memory file per process that a
// source reads the fuzzer's bytes from, the invariants every `NodeSource` must keep whatever it
// is fed (checked batch by batch, across batch sizes and across a resume), and the checks on a
// scored node. A broken invariant prints what broke and aborts, which libFuzzer records as a
// crash with the input that caused it.
//
// Thread safety: none; a fuzz target runs its inputs one at a time on one thread.

#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "bulkscore/node.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore::fuzz {

/// Prints `what` (with `detail`, if any) to stderr and aborts the process.
[[noreturn]] void fail(std::string_view what, std::string_view detail = {});

/// `fail(what, detail)` unless `condition` holds.
inline void check(bool condition, std::string_view what, std::string_view detail = {}) {
    if (!condition) {
        fail(what, detail);
    }
}

/// A memory-backed file (memfd) reachable by a path, rewritten for each input so that a whole
/// fuzzing session creates one file and touches no disk.
///
/// Thread safety: none. Lifetime: the process's; never closed.
class InputFile {
public:
    /// The process's file, created on first use. Aborts when memfd_create fails.
    static InputFile& instance();

    /// Replaces the file's contents with `bytes`.
    void write(std::span<const std::uint8_t> bytes);

    /// A path that opens the file (`/proc/self/fd/N`).
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    InputFile();

    int fd_ = -1;
    std::filesystem::path path_;
};

/// How one input is read: batch sizes and buffer size, derived from the input's bytes so that a
/// reproducer replays exactly, without a prefix that would spoil seeds taken from real files.
struct ReadPlan {
    std::size_t first_batch = 1;   ///< `max_records` of the first pass.
    std::size_t second_batch = 1;  ///< `max_records` of the second pass (a different size).
    std::size_t read_buffer_bytes = 64;
    std::size_t resume_pick = 0;  ///< Which batch end the resume pass starts from.
};

/// The plan for `bytes`.
ReadPlan plan_for(std::span<const std::uint8_t> bytes) noexcept;

/// Opens a source over `options` (the fuzzer's bytes are already in the file) and checks, aborting
/// on the first violation:
/// - opening fails only with `invalid_argument` or `resource_exhausted`, naming the file;
/// - every batch has the next ordinals, each record exactly once as a node or a rejection, in
///   order, with lines and byte offsets that never go back, and `end == position()`;
/// - every accepted node passes `check_node`, has finite metrics and scores to finite values;
/// - the end of the input is final, and a failure is `invalid_argument`/`resource_exhausted` and
///   names the file;
/// - `count_records` does not move the position and equals the records read when reading
///   succeeded (at least the records delivered when it failed);
/// - reading again from the start with another batch size, and resuming a fresh source from a
///   batch end it reported, deliver the very same records.
void exercise_source(const SourceOptions& options, const ReadPlan& plan);

/// Checks that an accepted `node` is sound and that the default scorer gives it finite scores.
void check_accepted_node(const Node& node);

/// Checks that `scorer` gives an accepted `node` a score in [0, 100], finite non-negative
/// potential clicks and components in [0, 1].
void check_score(const OpportunityScorer& scorer, const Node& node);

/// Checks a failure that bad input may cause: `invalid_argument` or `resource_exhausted`, never
/// `internal`, with a message that contains `must_mention` (a file name) when that is not empty.
void check_input_failure(const Status& status, std::string_view must_mention);

}  // namespace bulkscore::fuzz
