// SPDX-License-Identifier: MIT
//
// Sliding-window rate, ETA and rate limiting (see progress_meter.hpp).

#include "engine/progress_meter.hpp"

#include <algorithm>

namespace bulkscore::detail {

RateWindow::RateWindow(std::chrono::nanoseconds window) noexcept
    : window_(std::max(window, std::chrono::nanoseconds(1))),
      spacing_(window_ / kSamplesPerWindow) {}

void RateWindow::add(SteadyClock::time_point now, std::uint64_t count) noexcept {
    latest_ = Sample{now, count};
    has_latest_ = true;
    if (size_ == 0 || now - at(size_ - 1).at >= spacing_) {
        if (size_ == kCapacity) {
            first_ = (first_ + 1) % kCapacity;
            --size_;
        }
        ring_[(first_ + size_) % kCapacity] = latest_;
        ++size_;
    }
    // Keep one sample at or before the window's start, so the average spans the whole window.
    while (size_ >= 2 && at(1).at <= now - window_) {
        first_ = (first_ + 1) % kCapacity;
        --size_;
    }
}

double RateWindow::rate() const noexcept {
    if (size_ == 0 || !has_latest_) {
        return 0;
    }
    const Sample& base = at(0);
    const std::chrono::duration<double> span = latest_.at - base.at;
    if (span.count() <= 0 || latest_.count < base.count) {
        return 0;
    }
    return static_cast<double>(latest_.count - base.count) / span.count();
}

void RateWindow::reset() noexcept {
    first_ = 0;
    size_ = 0;
    has_latest_ = false;
}

double eta_seconds(std::uint64_t total, std::uint64_t done, double rate) noexcept {
    if (total == 0 || done >= total || !(rate > 0)) {
        return 0;
    }
    return static_cast<double>(total - done) / rate;
}

bool RateLimiter::allow(SteadyClock::time_point now) noexcept {
    if (ever_ && now - last_ < interval_) {
        ++suppressed_;
        return false;
    }
    ever_ = true;
    last_ = now;
    suppressed_ = 0;
    return true;
}

}  // namespace bulkscore::detail
