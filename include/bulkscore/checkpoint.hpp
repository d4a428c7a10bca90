// SPDX-License-Identifier: MIT
//
// `Checkpoint`: the durable state of a job: where to resume, what has been counted, and the
// fingerprints that tell whether a resume would read the same input and score the same way.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bulkscore/source_position.hpp"

namespace bulkscore {

/// Where a job stands.
enum class JobState : std::uint8_t {
    kRunning,    ///< Started and not ended (or the process died): resumable.
    kFinished,   ///< Every record is accounted for.
    kCancelled,  ///< Stopped on request: resumable.
    kFailed,     ///< Stopped by an error: resumable once the cause is fixed.
};

std::string_view to_string(JobState state) noexcept;
std::optional<JobState> parse_job_state(std::string_view text) noexcept;

struct Checkpoint {
    std::string job;
    JobState state = JobState::kRunning;

    /// Everything before this position is durable in the sink, and nothing after it.
    SourcePosition position;

    std::uint64_t total = 0;     ///< Records in the input; 0 when not counted.
    std::uint64_t scored = 0;    ///< Records scored, up to `position`.
    std::uint64_t rejected = 0;  ///< Records rejected, up to `position`.

    std::string input;               ///< The input as the user named it (a path).
    std::string input_fingerprint;   ///< Size, modification time and a hash of the head.
    std::string config_fingerprint;  ///< The scorer's version and canonical configuration.

    /// What the sink needs to roll back to this point (a file sink's durable lengths); opaque
    /// to everyone but the sink that produced it.
    std::string sink_state;

    std::int64_t started_at_ms = 0;  ///< Unix time of the job's first start, milliseconds.
    std::int64_t updated_at_ms = 0;  ///< Unix time of this checkpoint, milliseconds.
    std::string message;             ///< Why a failed job failed; empty otherwise.
};

/// Milliseconds since the Unix epoch, from the system clock: the clock of `Checkpoint`'s
/// timestamps.
std::int64_t unix_ms_now() noexcept;

}  // namespace bulkscore
