// SPDX-License-Identifier: MIT
//
// Backoff for retries: exponential growth with full jitter (`RetryPolicy`), drawn from a small
// seeded generator so that tests can replay a sequence. Used for scorer retries (waited on an
// Asio timer) and for store retries (waited on by the committer).
//
// Thread safety: `backoff_ceiling` is pure. A `JitterSource` may be shared by any number of
// threads: draws are serialised by an internal lock (retries are rare, the lock is cold).

#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "bulkscore/bulk_scorer.hpp"

namespace bulkscore::detail {

/// The longest wait before try `attempt + 1`, where `attempt` (>= 1) tries have failed:
/// `min(cap, initial * multiplier^(attempt - 1))`, never negative, saturating at `cap`.
std::chrono::nanoseconds backoff_ceiling(const RetryPolicy& policy, std::uint32_t attempt) noexcept;

/// A uniform draw in [0, ceiling]: "full jitter", which spreads retries of many callers that
/// failed together instead of having them retry in lockstep.
class JitterSource {
public:
    explicit JitterSource(std::uint64_t seed) noexcept : state_(seed) {}

    /// A wait in [0, `backoff_ceiling(policy, attempt)`].
    std::chrono::nanoseconds next_delay(const RetryPolicy& policy, std::uint32_t attempt) noexcept;

    /// A uniform 64-bit value (splitmix64).
    std::uint64_t next() noexcept;

private:
    std::mutex mutex_;
    std::uint64_t state_;
};

}  // namespace bulkscore::detail
