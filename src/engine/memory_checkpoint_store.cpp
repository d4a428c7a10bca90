// SPDX-License-Identifier: MIT
//
// The in-memory checkpoint store (see memory_checkpoint_store.hpp).

#include "bulkscore/memory_checkpoint_store.hpp"

namespace bulkscore {

Result<std::optional<Checkpoint>> MemoryCheckpointStore::load(std::string_view job) {
    return get(job);
}

Status MemoryCheckpointStore::save(const Checkpoint& checkpoint) {
    const std::lock_guard lock(mutex_);
    checkpoints_.insert_or_assign(checkpoint.job, checkpoint);
    ++saves_;
    return Status();
}

Status MemoryCheckpointStore::discard(std::string_view job) {
    const std::lock_guard lock(mutex_);
    if (const auto found = checkpoints_.find(job); found != checkpoints_.end()) {
        checkpoints_.erase(found);
    }
    return Status();
}

std::optional<Checkpoint> MemoryCheckpointStore::get(std::string_view job) const {
    const std::lock_guard lock(mutex_);
    if (const auto found = checkpoints_.find(job); found != checkpoints_.end()) {
        return found->second;
    }
    return std::nullopt;
}

std::size_t MemoryCheckpointStore::save_count() const {
    const std::lock_guard lock(mutex_);
    return saves_;
}

}  // namespace bulkscore
