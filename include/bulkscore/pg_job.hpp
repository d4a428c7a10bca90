// SPDX-License-Identifier: MIT
//
// Distributed runs on PostgreSQL: many worker processes, on one machine or many, score one job
// together, with PostgreSQL as the only coordinator (DESIGN.md, "Growing past one machine").
//
//     bulkscore::PgWorker worker(url, {.job = "site", .input = path, .input_fingerprint = fp});
//     auto summary = worker.run(source, scorer);  // in every process, on every machine
//
// How the work is shared. The first worker to arrive splits the input into numbered ranges of
// `range_records` records in the `ranges` table (under an advisory lock, so it happens once),
// noting where each range starts in the input. Every worker then loops: it claims the first
// range that is pending and not leased (or whose lease expired) with `FOR UPDATE SKIP LOCKED`,
// takes a lease of `lease` seconds under a new lease token, scores the range with the engine
// (`BulkScorer`), renewing the lease as it commits batches, and commits the range's results,
// rejections, the range's "done" mark and the job's counts in ONE transaction that first checks
// it still holds the token. A worker that dies loses nothing durable: its lease expires and
// another worker scores the range again. A worker that was merely slow finds its token gone
// when it commits and rolls back, so a range is never counted twice. A range that fails
// `max_attempts` times (errors, or leases that expired) is set aside with its reason; the job
// then ends `failed`, and running a worker again retries the ranges set aside.
//
// Tables: `ranges(job, range_no, first_ordinal, end_ordinal, position_byte_offset,
// position_line, state, owner, lease_token, lease_expires_at, attempts, last_error, scored,
// rejected, claimed_at, done_at)`, in the store's schema beside `scores`, `rejections` and
// `jobs`. The job's `jobs` row holds its total, input and fingerprints (every worker must
// bring the same input and scorer configuration), and its counts, which grow with each range.
// Its `position_ordinal` is the number of records done, in any order.
//
// Availability: when bulkscore is built with BULKSCORE_WITH_POSTGRES.
//
// Thread safety: `run` is called once, from one thread; `cancel` from any thread, any time.
// Observers are called from the engine's committer thread, one at a time.
//
// Limitation: an id that occurs in two ranges keeps the record of whichever range committed
// last, where a single process keeps the later record of the input. Page exports hold each
// page once, which is what the guarantee of exactly the rows of a single-process run assumes.
//
// Limitation: every worker reads the input itself, so a file must be the same file for all
// (a shared filesystem or an identical copy with the same size, modification time and start).

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/signals2/connection.hpp>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/checkpoint.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/progress.hpp"
#include "bulkscore/scorer.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore {

/// The settings of one worker.
struct PgWorkerOptions {
    /// The schema of the store's tables (created when missing), as `PgStoreOptions::schema`.
    std::string schema = "bulkscore";

    /// This worker's name in `ranges.owner` and in `status`; empty means `HOST:PID`.
    std::string worker_name;

    /// Records per range when this worker is the one that splits the input (>= 1); workers that
    /// join later use the ranges already there. Smaller ranges share work more evenly and lose
    /// less to a crash; each range costs one claim and one commit.
    std::uint64_t range_records = 100'000;

    /// How long a claim holds without a renewal (>= 1 s). A worker renews it each time it commits
    /// a batch or a checkpoint, so it must exceed the time one batch takes; a dead worker's
    /// range waits this long before another takes it.
    std::chrono::seconds lease{30};

    /// Claims of one range, in all, before it is set aside (>= 1).
    std::uint32_t max_attempts = 3;

    /// How long a worker waits between looks when every remaining range is leased by others.
    std::chrono::milliseconds idle_poll{500};

    /// How long connecting may take before it fails with `unavailable` (>= 1 s).
    std::chrono::seconds connect_timeout{10};

    /// The engine that scores each range. `count_total` is ignored (the job's total is known),
    /// and the checkpoint interval is capped at a third of the lease, so that the lease is
    /// renewed in time.
    BulkScorerOptions engine;
};

/// What one worker did, and where the job stands when it left.
struct PgWorkerSummary {
    /// Finished: every range is done. Failed: ranges were set aside (`error` names the first),
    /// or this worker could not go on. Cancelled: `cancel` was called; the range in hand was
    /// rolled back and released.
    JobState state = JobState::kRunning;
    Status error;
    bool split_input = false;         ///< This worker split the input into ranges.
    bool already_finished = false;    ///< The job had finished before this worker came.
    std::uint64_t ranges_done = 0;    ///< Ranges this worker committed.
    std::uint64_t ranges_lost = 0;    ///< Ranges whose lease it lost before committing.
    std::uint64_t ranges_failed = 0;  ///< Ranges it gave back after an error.
    std::uint64_t scored = 0;         ///< Records of its committed ranges.
    std::uint64_t rejected = 0;       ///< Records of its committed ranges.
    std::uint64_t job_total = 0;      ///< Records in the job.
    std::uint64_t job_done = 0;       ///< Records of every committed range when it left.
    std::uint64_t job_set_aside = 0;  ///< Ranges set aside when it left.
    double elapsed_s = 0;
};

/// One worker of a distributed job. Make one per process; any number may run at once.
class PgWorker {
public:
    /// `url`: the server, as `PgStore::open`'s. `job.restart` deletes the job's ranges, results,
    /// rejections and counts before this worker splits the input again; other workers of the job
    /// must be stopped first.
    PgWorker(std::string url, JobSpec job, PgWorkerOptions options = {});
    PgWorker(const PgWorker&) = delete;
    PgWorker& operator=(const PgWorker&) = delete;
    ~PgWorker();

    /// Connects an observer. Its events are job-wide: `total` is the job's, `done` and `scored`
    /// and `rejected` count every committed range plus this worker's range in progress, `rate`
    /// is this worker's and `eta_s` the job's at the rate of every worker.
    boost::signals2::connection on_progress(std::function<void(const ProgressEvent&)> observer);

    /// Works on the job until no range is left to claim and none is leased by another worker.
    /// `source` is this worker's reader of the job's input (at its beginning); the worker seeks
    /// it to each range. An error means the worker could not start: the server is unreachable,
    /// the options are invalid (`invalid_argument`), or the job was started with another input
    /// or scorer configuration (`failed_precondition`, saying which and how to start over).
    Result<PgWorkerSummary> run(NodeSource& source, const Scorer& scorer);
    Result<PgWorkerSummary> run(NodeSource& source, AsyncScorer& scorer);

    /// Stops at the next batch: the range in hand is rolled back and its lease released (the
    /// attempt is not counted). Thread safety: any thread, any time.
    void cancel() noexcept;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

/// One worker's share of a job, from the `ranges` table.
struct PgWorkerStatus {
    std::string worker;
    std::uint64_t ranges_done = 0;
    std::uint64_t records_done = 0;
    bool working = false;            ///< Holds a lease that has not expired.
    std::int64_t active_range = -1;  ///< The range it holds, or -1.
    double rate = 0;                 ///< Records per second over its committed ranges.
    std::int64_t last_done_at_ms = 0;
};

/// A distributed job's progress, from any machine.
struct PgJobStatus {
    Checkpoint job;  ///< The `jobs` row: state, total, counts, input, fingerprints.
    std::uint64_t ranges = 0;
    std::uint64_t ranges_done = 0;
    std::uint64_t ranges_leased = 0;  ///< Pending, with a lease that has not expired.
    std::uint64_t ranges_set_aside = 0;
    std::uint64_t range_records = 0;      ///< Records per range (the last may hold fewer).
    std::string first_set_aside_reason;   ///< Empty when none.
    std::vector<PgWorkerStatus> workers;  ///< Every worker that claimed a range, by name.
    double rate = 0;   ///< Records per second of the workers active in the last minute.
    double eta_s = 0;  ///< Seconds left at `rate`; 0 when unknown or done.
};

/// The status of `job`, or of every distributed job in `schema` when `job` is empty (ordered by
/// name). Errors: as `read_pg_jobs`; `not_found` when `job` has no ranges.
Result<std::vector<PgJobStatus>> read_pg_job_status(std::string_view url,
                                                    std::string_view schema,
                                                    std::string_view job);

}  // namespace bulkscore
