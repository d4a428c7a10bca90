// SPDX-License-Identifier: MIT
//
// The stored names of `JobState` ("running", "finished", "cancelled", "failed"), as written in
// the `jobs` table, checkpoint files and `bulkscore status`.

#include "bulkscore/checkpoint.hpp"

#include <array>
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

}  // namespace bulkscore
