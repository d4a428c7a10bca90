// SPDX-License-Identifier: MIT
//
// The arithmetic behind progress events: a throughput measured over a sliding window of recent
// seconds (so the rate and the ETA adapt when a sink or scorer slows down), the ETA itself, and
// a rate limiter for warnings that could otherwise flood a log.
//
// Thread safety: none; each object belongs to the engine's committer thread. Time is passed in,
// so tests drive these with made-up clocks.

#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace bulkscore::detail {

using SteadyClock = std::chrono::steady_clock;

/// Records per second over roughly the last `window`, from samples of a monotone count.
///
/// Keeps a fixed ring of samples spaced at least `window / 32` apart (no allocation). The rate
/// is the count gained between the newest sample and the oldest one still covering the window,
/// divided by the time between them: a sliding-window average, which follows a change of pace
/// within one window and ignores anything older.
class RateWindow {
public:
    explicit RateWindow(std::chrono::nanoseconds window = std::chrono::seconds(5)) noexcept;

    /// Adds the count reached at `now`. Counts and times must not go backwards.
    void add(SteadyClock::time_point now, std::uint64_t count) noexcept;

    /// Records per second, or 0 before two samples some time apart.
    double rate() const noexcept;

    /// Forgets every sample.
    void reset() noexcept;

private:
    struct Sample {
        SteadyClock::time_point at{};
        std::uint64_t count = 0;
    };
    // Samples are spaced window/32 apart; the ring holds more, so a whole window always fits.
    static constexpr std::int64_t kSamplesPerWindow = 32;
    static constexpr std::size_t kCapacity = 48;

    const Sample& at(std::size_t index) const noexcept {
        return ring_[(first_ + index) % kCapacity];
    }

    std::chrono::nanoseconds window_;
    std::chrono::nanoseconds spacing_;
    std::array<Sample, kCapacity> ring_{};
    std::size_t first_ = 0;
    std::size_t size_ = 0;
    Sample latest_{};
    bool has_latest_ = false;
};

/// Seconds until `total` at `rate`, or 0 when that is unknown (no total, no rate, or done).
double eta_seconds(std::uint64_t total, std::uint64_t done, double rate) noexcept;

/// Lets an action through at most once per `interval` and counts what it held back, for
/// warnings such as "an observer threw" that may repeat on every event.
class RateLimiter {
public:
    explicit RateLimiter(std::chrono::nanoseconds interval) noexcept : interval_(interval) {}

    /// True when the action may run now; false counts one more suppressed occurrence.
    bool allow(SteadyClock::time_point now) noexcept;

    /// Occurrences held back since the last allowed one; `allow` resets it when it says yes,
    /// so read it first.
    std::uint64_t suppressed() const noexcept { return suppressed_; }

private:
    std::chrono::nanoseconds interval_;
    SteadyClock::time_point last_{};
    bool ever_ = false;
    std::uint64_t suppressed_ = 0;
};

}  // namespace bulkscore::detail
