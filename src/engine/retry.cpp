// SPDX-License-Identifier: MIT
//
// Backoff arithmetic and the jitter generator (see retry.hpp).

#include "engine/retry.hpp"

#include <algorithm>
#include <cmath>

namespace bulkscore::detail {

std::chrono::nanoseconds backoff_ceiling(const RetryPolicy& policy,
                                         std::uint32_t attempt) noexcept {
    using std::chrono::nanoseconds;
    const double initial = static_cast<double>(nanoseconds(policy.initial).count());
    const double cap = static_cast<double>(nanoseconds(policy.cap).count());
    const double multiplier = std::max(1.0, policy.multiplier);
    const double exponent = static_cast<double>(std::max<std::uint32_t>(attempt, 1) - 1);
    // pow overflows to +inf for long retry chains; min() then yields the cap, as intended.
    const double ceiling = std::min(cap, initial * std::pow(multiplier, exponent));
    if (!(ceiling > 0)) {
        return nanoseconds(0);
    }
    return nanoseconds(static_cast<std::int64_t>(ceiling));
}

std::uint64_t JitterSource::next() noexcept {
    const std::lock_guard lock(mutex_);
    state_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

std::chrono::nanoseconds JitterSource::next_delay(const RetryPolicy& policy,
                                                  std::uint32_t attempt) noexcept {
    const std::int64_t ceiling = backoff_ceiling(policy, attempt).count();
    if (ceiling <= 0) {
        return std::chrono::nanoseconds(0);
    }
    // 53 random bits give a uniform double in [0, 1]; scaling keeps the bound inclusive.
    const double unit = static_cast<double>(next() >> 11) / static_cast<double>(1ULL << 53);
    return std::chrono::nanoseconds(static_cast<std::int64_t>(unit * static_cast<double>(ceiling)));
}

}  // namespace bulkscore::detail
