// SPDX-License-Identifier: MIT
//
// `BulkScorer`: runs one job. It reads batches from a `NodeSource` into a bounded queue, scores
// them on a thread pool (or as coroutines for an `AsyncScorer`), commits results in input order
// to a `ResultSink`, saves a `Checkpoint` every checkpoint interval, and emits `ProgressEvent`s
// through a Boost.Signals2 signal.
//
//     bulkscore::BulkScorer engine(source, scoring, store, store, options);
//     engine.on_progress([](const bulkscore::ProgressEvent& e) { ... });
//     auto summary = engine.run({.job = "site", .input = path, .input_fingerprint = fp});
//
// Thread safety: `run` is called once, from one thread, and blocks until the job ends.
// `cancel` may be called from any thread at any time. Observers are called from the engine's
// committer thread, one event at a time, outside every engine lock: they need no locking of
// their own, must not call `run`, and should return quickly (a slow observer slows the run).
// Lifetime: the source, scorer, sink and store must outlive `run`. The source must stand at
// its beginning when the engine is made: that position is where a fresh or restarted job starts.
//
// Memory: exactly `batches_in_flight` batches exist (being read, scored, waiting to be
// committed in order); the reader waits for a free one. A batch of `batch_size` records is
// capped at 1% of a known total, so that progress moves in steps of at most one point.

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include <boost/signals2/connection.hpp>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/progress.hpp"
#include "bulkscore/result_sink.hpp"
#include "bulkscore/scorer.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore {

/// Exponential backoff with full jitter: attempt n waits a uniform time in
/// [0, min(cap, initial * multiplier^(n-1))].
struct RetryPolicy {
    std::uint32_t attempts = 5;  ///< Tries in all, the first included (>= 1).
    std::chrono::milliseconds initial{50};
    double multiplier = 2;  ///< >= 1.
    std::chrono::milliseconds cap{5000};
};

/// The settings of a run (DESIGN.md, "Settings").
struct BulkScorerOptions {
    std::size_t batch_size = 1000;   ///< Records per batch (>= 1); capped at 1% of a known total.
    std::size_t worker_threads = 0;  ///< Scoring threads; 0 = the hardware's thread count.
    /// Batches alive at once (>= 2): bounds memory.
    std::size_t batches_in_flight = 5;
    /// Concurrent `AsyncScorer` calls over the whole run (>= 1), whatever the thread count; a
    /// node waiting between retries keeps its place.
    std::size_t async_nodes_in_flight = 64;
    std::chrono::milliseconds checkpoint_interval{1000};
    std::chrono::milliseconds progress_interval{100};
    RetryPolicy retry;
    bool count_total = true;  ///< Count the input first for an exact percent.

    /// Ok, or `invalid_argument` naming the setting that is out of range.
    Status validate() const;
};

/// What to run: the job's name, its input as the user named it, and the fingerprints that a
/// resume must match.
struct JobSpec {
    std::string job;
    std::string input;
    std::string input_fingerprint;
    bool restart = false;  ///< Discard the job's checkpoint and output and start over.
};

/// How a run ended.
struct RunSummary {
    JobState state = JobState::kRunning;  ///< Finished, cancelled or failed.
    Status error;                         ///< Why it failed; ok otherwise.
    bool resumed = false;                 ///< It continued an earlier checkpoint.
    bool already_finished = false;        ///< The job had finished before; nothing was run.
    std::uint64_t resumed_from = 0;       ///< Records already durable when it started.
    std::uint64_t total = 0;
    std::uint64_t scored = 0;    ///< Durable, in the whole job, earlier runs included.
    std::uint64_t rejected = 0;  ///< Durable, in the whole job, earlier runs included.
    std::uint64_t retries = 0;   ///< This run's retries, scorer and store.
    double elapsed_s = 0;        ///< This run's wall time.
};

class BulkScorer {
public:
    BulkScorer(NodeSource& source,
               const Scorer& scorer,
               ResultSink& sink,
               CheckpointStore& checkpoints,
               BulkScorerOptions options = {});
    BulkScorer(NodeSource& source,
               AsyncScorer& scorer,
               ResultSink& sink,
               CheckpointStore& checkpoints,
               BulkScorerOptions options = {});
    BulkScorer(const BulkScorer&) = delete;
    BulkScorer& operator=(const BulkScorer&) = delete;
    ~BulkScorer();

    /// Connects an observer. Disconnect through the returned connection, or let the engine go.
    boost::signals2::connection on_progress(std::function<void(const ProgressEvent&)> observer);

    /// Runs (or resumes) `job` to its end. A job whose checkpoint says finished is not run
    /// again (`already_finished`). A job with a checkpoint in any other state is resumed when
    /// its fingerprints match: the sink is restored to the checkpoint's state and the source
    /// seeks to its position. A fresh job (or `restart`) empties the job's output in the sink
    /// (`restore("")`). Either way a first checkpoint (state running) is saved before any
    /// batch, so that the job is visible at once. The result is an error only when the run could
    /// not start: invalid options, or a checkpoint whose fingerprints do not match
    /// (`failed_precondition`, saying what changed and how to start over). A run that starts and
    /// then fails returns a summary with `state == kFailed` and `error` set, its last checkpoint
    /// intact.
    Result<RunSummary> run(const JobSpec& job, std::stop_token stop = {});

    /// Asks the run to stop: reading stops, complete batches commit in order, a checkpoint is
    /// saved and `run` returns with `kCancelled`. Thread safety: any thread, any time.
    ///
    /// Batches already read finish scoring, except for nodes waiting for a retry (and, with an
    /// `AsyncScorer`, nodes not yet started): those are abandoned with their batch, which is
    /// not committed, so the checkpoint stays before it and a resume scores it again. The
    /// request is sticky: a later `run` of this engine returns `kCancelled` at once; make a new
    /// engine to resume.
    void cancel() noexcept;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

/// A fingerprint of a file input: its size, modification time and a hash of its first 64 KiB.
/// Errors: `not_found` when it cannot be read.
Result<std::string> fingerprint_file(const std::filesystem::path& path);

}  // namespace bulkscore
