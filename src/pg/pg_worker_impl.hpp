// SPDX-License-Identifier: MIT
//
// The inside of `PgWorker` (pg_job.hpp), shared by its two halves: joining a job (splitting the
// input once, or checking that a worker brings the job's input and scorer; pg_job_join.cpp) and
// working on it (claiming, scoring and committing ranges until none is left; pg_worker.cpp).
//
// Two connections: `control` (autocommit: claims, lease renewals, releases, the tally, and the
// join's transaction) and `work` (the open transaction of the range being scored). Renewals
// therefore never wait for the range's rows, and the range's row is not locked while it is
// scored, so that a takeover after an expired lease is possible at any time; the commit's fence
// settles who counts.
//
// Thread safety: `run` on one thread; `cancel` from any (it only touches the atomics and the
// engine pointer under `engine_mutex_`).

#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/signals2/signal.hpp>

#include "bulkscore/pg_job.hpp"

#include "pg/pg_connection.hpp"
#include "pg/pg_job_sql.hpp"

namespace bulkscore {
namespace detail {

/// How many ranges of a job are in which state right now.
struct PgRangeTally {
    std::uint64_t leased = 0;
    std::uint64_t claimable = 0;
    std::uint64_t set_aside = 0;
    std::string first_reason;
};

/// A job's counts, for job-wide progress.
struct PgJobCounts {
    std::uint64_t total = 0;
    std::uint64_t scored = 0;
    std::uint64_t rejected = 0;
};

}  // namespace detail

class PgWorker::Impl {
public:
    /// `options.worker_name` empty means `HOST:PID`.
    Impl(std::string url, JobSpec job, PgWorkerOptions options);

    template <class AnyScorer>
    Result<PgWorkerSummary> run(NodeSource& source, AnyScorer& scorer);

    void cancel() noexcept {
        cancelled_.store(true);
        {
            const std::lock_guard lock(engine_mutex_);
            if (engine_ != nullptr) {
                engine_->cancel();
            }
        }
        idle_.notify_all();
    }

    boost::signals2::signal<void(const ProgressEvent&)> progress;

private:
    Status validate() const;
    Status connect();
    Status reconnect_if_broken();
    Status prepare_job(NodeSource& source, const std::string& scorer_fingerprint);
    Status check_joined(const Checkpoint& existing, const std::string& scorer_fingerprint);
    Status split(NodeSource& source, const std::string& scorer_fingerprint);
    Status delete_job_rows();
    Result<std::optional<detail::PgRangeClaim>> claim();
    Result<detail::PgRangeTally> tally();
    Result<detail::PgJobCounts> job_counts();
    Status set_aside(const detail::PgRangeClaim& claim, const std::string& reason);
    void release(const detail::PgRangeClaim& claim, const std::string* error);
    template <class AnyScorer>
    Status score_range(NodeSource& source, AnyScorer& scorer, const detail::PgRangeClaim& claim);
    void forward(const ProgressEvent& event);
    void emit_final();
    Status finish_job(const detail::PgRangeTally& ranges);
    bool wait_idle();
    Status in_transaction(const std::function<Status()>& body, std::string_view doing);

    std::string url_;
    JobSpec job_;
    PgWorkerOptions options_;

    std::optional<detail::PgConnection> control_;
    std::optional<detail::PgConnection> work_;
    std::optional<detail::PgJobSql> sql_;

    PgWorkerSummary summary_;
    std::chrono::steady_clock::time_point started_;
    std::uint32_t failures_in_a_row_ = 0;  // Distinct ranges failed since the last success.
    std::int64_t last_failed_range_ = -1;
    std::uint64_t first_done_ = 0;  // The job's records done when this worker started.

    // Job-wide progress: the job's counts when the range in hand was claimed.
    detail::PgJobCounts base_;
    std::uint64_t retries_before_range_ = 0;
    std::uint64_t range_retries_ = 0;
    bool started_event_sent_ = false;

    std::atomic<bool> cancelled_{false};
    std::mutex engine_mutex_;
    BulkScorer* engine_ = nullptr;  // The engine of the range in hand, for `cancel`.
    std::condition_variable idle_;
};

}  // namespace bulkscore
