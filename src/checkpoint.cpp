// SPDX-License-Identifier: MIT
//
// The stored names of `JobState` ("running", "finished", "cancelled", "failed"), as written in
// the `jobs` table, checkpoint files and `bulkscore status`, and the clock of the timestamps.

#include "bulkscore/checkpoint.hpp"

#include <array>
#include <chrono>
#include <utility>

namespace bulkscore {
namespace {

constexpr std::array<std::pair<JobState, std::string_view>, 4> kStateNames = {{
    {JobState::kRunning, "running"},
    {JobState::kFinished, "finished"},
    {JobState::kCancelled, "cancelled"},
    {JobState::kFailed, "failed"},
}};

}  // namespace

std::string_view to_string(JobState state) noexcept {
    for (const auto& [candidate, name] : kStateNames) {
        if (candidate == state) {
            return name;
        }
    }
    return "unknown";
}

std::optional<JobState> parse_job_state(std::string_view text) noexcept {
    for (const auto& [state, name] : kStateNames) {
        if (name == text) {
            return state;
        }
    }
    return std::nullopt;
}

std::int64_t unix_ms_now() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace bulkscore
