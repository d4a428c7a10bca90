// SPDX-License-Identifier: MIT
//
// `ResultSink`: where scored batches go, and `CheckpointStore`: where a job's checkpoint lives.
//
// The engine's committer drives both from one thread, in input order:
//
//     sink.write(batch) ...             (any number of batches)
//     state = sink.flush()              everything written is durable (or staged, see below)
//     store.save(checkpoint{.sink_state = state, ...})
//
// A sink that is also the checkpoint store (SQLite, PostgreSQL) may stage in `flush` and make
// results and checkpoint durable together in `save`, in one transaction. A file sink makes its
// data durable in `flush` and reports its lengths; on resume `restore` truncates back to the
// lengths of the last saved checkpoint, so a crash between `flush` and `save` loses nothing and
// duplicates nothing.
//
// Thread safety: calls never overlap (one committer thread); they may block on I/O and never
// call back into the engine. Errors: `unavailable` means "try again" (the engine retries with
// backoff); any other code stops the run as failed with the last checkpoint intact.

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/scored_batch.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore {

class ResultSink {
public:
    ResultSink() = default;
    ResultSink(const ResultSink&) = delete;
    ResultSink& operator=(const ResultSink&) = delete;
    virtual ~ResultSink() = default;

    /// Appends the results and rejections of `batch`. Not durable until `flush`.
    /// An id written again replaces its earlier result (the later record wins).
    virtual Status write(const ScoredBatch& batch) = 0;

    /// Makes everything written durable (or staged for the store's `save`) and returns the
    /// state to record in the checkpoint.
    virtual Result<std::string> flush() = 0;

    /// Rolls the sink back to `sink_state` from the last saved checkpoint; an empty state
    /// means the job starts over and the sink drops the job's earlier output.
    virtual Status restore(std::string_view sink_state) = 0;
};

class CheckpointStore {
public:
    CheckpointStore() = default;
    CheckpointStore(const CheckpointStore&) = delete;
    CheckpointStore& operator=(const CheckpointStore&) = delete;
    virtual ~CheckpointStore() = default;

    /// The job's last saved checkpoint, or `std::nullopt` when it has none.
    virtual Result<std::optional<Checkpoint>> load(std::string_view job) = 0;

    /// Saves `checkpoint` atomically: after a crash, `load` returns this one or the previous.
    virtual Status save(const Checkpoint& checkpoint) = 0;

    /// Forgets the job's checkpoint (start over).
    virtual Status discard(std::string_view job) = 0;
};

}  // namespace bulkscore
