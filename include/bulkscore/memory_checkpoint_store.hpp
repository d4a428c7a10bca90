// SPDX-License-Identifier: MIT
//
// `MemoryCheckpointStore`: a `CheckpointStore` that keeps checkpoints in memory, for tests and
// for hosts that run a job inside one process and need no resume across restarts.
//
// Thread safety: every member may be called from any thread; calls are serialised by an
// internal lock (the engine calls it from one thread; a host may read `get` meanwhile).

#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "bulkscore/result_sink.hpp"

namespace bulkscore {

class MemoryCheckpointStore final : public CheckpointStore {
public:
    MemoryCheckpointStore() = default;

    /// The saved checkpoint of `job`, if any. Never fails.
    Result<std::optional<Checkpoint>> load(std::string_view job) override;

    /// Replaces the job's checkpoint with a copy of `checkpoint`. Never fails.
    Status save(const Checkpoint& checkpoint) override;

    /// Forgets the job's checkpoint; ok when it had none.
    Status discard(std::string_view job) override;

    /// As `load`, for a host or test that reads along.
    std::optional<Checkpoint> get(std::string_view job) const;

    /// Successful `save` calls so far, over every job.
    std::size_t save_count() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, Checkpoint, std::less<>> checkpoints_;
    std::size_t saves_ = 0;
};

}  // namespace bulkscore
