// SPDX-License-Identifier: MIT
//
// `ProgressEvent`: what observers of a run see (DESIGN.md, "Progress events"). Events are
// immutable values emitted from one thread, at most once per progress interval and always at a
// phase change and at the end.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bulkscore {

enum class ProgressPhase : std::uint8_t {
    kStarted,
    kRunning,
    kRetrying,
    kFinished,
    kCancelled,
    kFailed,
};

std::string_view to_string(ProgressPhase phase) noexcept;

struct ProgressEvent {
    ProgressPhase phase = ProgressPhase::kStarted;
    std::uint64_t total = 0;  ///< Records in the input; 0 when not known.
    /// `scored + rejected` of the records handed to the sink in input order (the whole job,
    /// earlier runs included). Batches scored ahead of a slower one are not counted until it
    /// is written, so `done` only grows and is exact at every event.
    std::uint64_t done = 0;
    std::uint64_t scored = 0;
    std::uint64_t rejected = 0;
    std::uint64_t committed = 0;  ///< Records durable at the last checkpoint.
    double percent = 0;           ///< `100 * done / total`; 0 when `total` is unknown.
    double rate = 0;              ///< This run's records per second over the last ~5 seconds.
    double eta_s = 0;             ///< Seconds left at `rate`; 0 when unknown.
    double elapsed_s = 0;         ///< Seconds since this run started.
    std::uint64_t retries = 0;    ///< Retries so far (scorer and store).
};

/// The event as one line of JSON with the fields above (the CLI's `--progress json`).
std::string to_json(const ProgressEvent& event);

}  // namespace bulkscore
