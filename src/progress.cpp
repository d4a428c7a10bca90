// SPDX-License-Identifier: MIT
//
// Names of progress phases and the one-line JSON form of a progress event (the CLI's
// `--progress json`).

#include "bulkscore/progress.hpp"

#include <cmath>

#include <fmt/format.h>

namespace bulkscore {
namespace {

// Rounds down, so a printed value never claims more than is true (99.999 % prints as 99.99,
// never as 100), and finite, so the line stays valid JSON.
double floor_to(double value, double scale) noexcept {
    if (!std::isfinite(value)) {
        return 0;
    }
    // Dividing by the scale (not multiplying by a step) keeps 99.99 from printing as
    // 99.99000000000001.
    return std::floor(value * scale) / scale;
}

}  // namespace

std::string_view to_string(ProgressPhase phase) noexcept {
    switch (phase) {
        case ProgressPhase::kStarted:
            return "started";
        case ProgressPhase::kRunning:
            return "running";
        case ProgressPhase::kRetrying:
            return "retrying";
        case ProgressPhase::kFinished:
            return "finished";
        case ProgressPhase::kCancelled:
            return "cancelled";
        case ProgressPhase::kFailed:
            return "failed";
    }
    return "unknown";
}

std::string to_json(const ProgressEvent& event) {
    return fmt::format(
        R"({{"phase":"{}","total":{},"done":{},"scored":{},"rejected":{},"committed":{},)"
        R"("percent":{},"rate":{},"eta_s":{},"elapsed_s":{},"retries":{}}})",
        to_string(event.phase), event.total, event.done, event.scored, event.rejected,
        event.committed, floor_to(event.percent, 100), floor_to(event.rate, 10),
        floor_to(event.eta_s, 10), floor_to(event.elapsed_s, 1000), event.retries);
}

}  // namespace bulkscore
