// SPDX-License-Identifier: MIT
//
// `Engine`: the implementation behind `BulkScorer` (its pimpl). One run has three kinds of
// thread:
//
// - the reader (a `std::jthread`) takes a free slot, fills it from the source and hands it to
//   scoring; it blocks when every slot is out, which is the backpressure. With a source that
//   can read any range on its own (`RandomAccessSource`) and more than one worker, the reader
//   only hands out ranges and each scoring task reads its own batch, so that reading is spread
//   over the workers instead of capping the run at one thread;
// - the scoring pool (`boost::asio::thread_pool`) scores the nodes of a slot: a sync scorer in
//   chunks of nodes, an async scorer on `async_nodes_in_flight` long-lived coroutines (lanes,
//   `AsyncLanes`) that each take the next unstarted node; retries wait on Asio timers
//   (`RetryTimers`), never on a sleeping thread;
// - the committer (the thread that called `run`) reorders scored slots by sequence number,
//   writes them to the sink in input order, checkpoints, emits progress events and hands the
//   slots back.
//
// Slots cycle free -> reading -> scoring -> completed -> committed -> free; the free and
// completed lists and the reader's end state are guarded by `mutex_`, with one condition
// variable per waiting thread. Events are emitted by the committer without holding `mutex_`.
//
// Thread safety: as `BulkScorer`: `run` from one thread at a time, `cancel` from any thread.

#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/signals2/signal.hpp>
#include <boost/system/error_code.hpp>

#include "bulkscore/bulk_scorer.hpp"

#include "engine/async_lanes.hpp"
#include "engine/batch_slot.hpp"
#include "engine/progress_meter.hpp"
#include "engine/random_access_source.hpp"
#include "engine/retry.hpp"
#include "engine/retry_timers.hpp"

namespace bulkscore::detail {

class Engine {
public:
    Engine(NodeSource& source,
           const Scorer* scorer,
           AsyncScorer* async_scorer,
           ResultSink& sink,
           CheckpointStore& checkpoints,
           BulkScorerOptions options);
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;
    ~Engine();

    boost::signals2::connection on_progress(std::function<void(const ProgressEvent&)> observer);
    Result<RunSummary> run(const JobSpec& job, std::stop_token stop);
    void cancel() noexcept;

private:
    /// Why the run is ending early, if it is.
    enum class Stop : std::uint8_t { kNone, kCancelled, kFailed };

    // Starting and resuming (engine_start.cpp).
    Result<std::optional<RunSummary>> start_job(const JobSpec& job);
    Status start_fresh(const JobSpec& job);
    Status check_fingerprints(const JobSpec& job, const Checkpoint& checkpoint) const;
    Status resume_from(const Checkpoint& checkpoint);
    Status count_total();
    void reset_run_state();
    RunSummary make_summary() const;
    void execute();
    void log_end();
    std::string scorer_fingerprint() const;
    std::string_view scorer_version() const noexcept;

    // Reading and scoring (engine_pipeline.cpp).
    void reader_loop() noexcept;
    bool stop_reading() const noexcept {
        // A cancel stops the reader at once, before the committer has even seen it.
        return stop_reading_.load() || cancel_requested_.load();
    }
    BatchSlot* acquire_slot();
    void release_slot(BatchSlot& slot) noexcept;
    Status read_batch(BatchSlot& slot) noexcept;
    void dispatch(BatchSlot& slot);
    Status read_ranges();
    void read_and_score(BatchSlot& slot) noexcept;
    void score_range(BatchSlot& slot, std::size_t begin, std::size_t end) noexcept;
    bool score_node(BatchSlot& slot, std::size_t index) noexcept;  // True: settled now.
    bool retry_node_later(BatchSlot& slot, std::size_t index) noexcept;
    boost::asio::awaitable<void> async_lane();
    boost::asio::awaitable<void> score_node_async(BatchSlot& slot, std::size_t index);
    bool should_retry(const Status& status, const NodeOutcome& outcome) const noexcept;
    void record_scored(BatchSlot& slot, std::size_t index) noexcept;
    void record_failed(BatchSlot& slot, std::size_t index, const Status& status) noexcept;
    void record_abandoned(BatchSlot& slot, std::size_t index) noexcept;
    void node_done(BatchSlot& slot, std::size_t settled) noexcept;  // `settled` nodes/shares.
    void batch_scored(BatchSlot& slot) noexcept;

    // Committing, checkpoints and progress (engine_commit.cpp).
    void commit_loop();
    std::optional<SteadyClock::time_point> next_wake() const;
    void commit_ready();
    Status write_batch(BatchSlot& slot);
    void begin_stop(Stop why, Status error);
    void stop_on_store_error(Status status);
    Status checkpoint(JobState state, std::string message);
    Status save_failed_checkpoint();
    void finish_run();
    Status with_store_retry(const char* what, const std::function<Status()>& call);
    bool wait_for_retry(std::chrono::nanoseconds delay);
    void maybe_checkpoint(SteadyClock::time_point now);
    void maybe_emit(SteadyClock::time_point now);
    void emit(ProgressPhase phase);
    void observer_threw(const char* what) noexcept;
    void note_failure(std::string text);
    void warn_on_retry_storm(SteadyClock::time_point now);

    // The parts, as given.
    NodeSource& source_;
    const Scorer* scorer_;
    AsyncScorer* async_scorer_;
    ResultSink& sink_;
    CheckpointStore& checkpoints_;
    BulkScorerOptions options_;
    SourcePosition start_position_;  // Where the source stood when the engine was made.
    boost::signals2::signal<void(const ProgressEvent&)> progress_;
    std::atomic<bool> cancel_requested_{false};
    std::atomic<bool> running_{false};
    JitterSource jitter_;

    // One run's machinery; built by `run`, joined and destroyed before it returns.
    std::unique_ptr<boost::asio::thread_pool> pool_;
    std::unique_ptr<RetryTimers> timers_;
    std::unique_ptr<AsyncLanes> lanes_;
    std::vector<std::unique_ptr<BatchSlot>> slots_;
    std::size_t worker_count_ = 1;
    std::size_t batch_records_ = 1;  // Effective batch size.
    // Set when the workers read their own batches (a random-access source, several workers).
    const RandomAccessSource* random_access_ = nullptr;

    // Handover between the threads, guarded by `mutex_`.
    std::mutex mutex_;
    std::condition_variable reader_cv_;     // A slot was freed, or reading must stop.
    std::condition_variable committer_cv_;  // A slot was scored, the reader ended, or a cancel.
    std::vector<BatchSlot*> free_;
    std::vector<BatchSlot*> completed_;
    bool reader_finished_ = false;
    Status reader_error_;
    std::uint64_t next_read_seq_ = 0;  // Reader thread only.

    // Flags every thread reads.
    std::atomic<bool> stop_reading_{false};
    std::atomic<bool> aborting_{false};  // Abandon retries and unstarted async calls.
    std::atomic<std::uint64_t> scorer_retries_{0};
    std::atomic<std::uint64_t> scorer_failures_{0};

    // Committer state (the thread in `run`).
    JobSpec job_;
    Checkpoint durable_;               // The last checkpoint saved: what a resume would see.
    std::vector<BatchSlot*> reorder_;  // Indexed by `seq % slots`.
    std::uint64_t next_commit_seq_ = 0;
    std::uint64_t written_scored_ = 0;    // Whole job, written to the sink in order.
    std::uint64_t written_rejected_ = 0;  // Whole job, written to the sink in order.
    std::uint64_t run_base_ = 0;          // Records durable when this run started.
    SourcePosition written_end_;
    bool dirty_ = false;       // Written since the last checkpoint.
    bool discarding_ = false;  // A gap or a failure: nothing more may be written.
    bool store_failed_ = false;
    Stop stop_ = Stop::kNone;
    Status failure_;
    std::uint64_t store_retries_ = 0;
    bool resumed_ = false;
    ProgressPhase phase_ = ProgressPhase::kStarted;
    bool events_started_ = false;  // No event before `started`, not even `retrying`.
    SteadyClock::time_point started_{};
    SteadyClock::time_point next_progress_{};
    SteadyClock::time_point next_checkpoint_{};
    RateWindow rate_;
    RateLimiter observer_warnings_{std::chrono::seconds(10)};
    RateLimiter retry_warnings_{std::chrono::seconds(10)};
    RateLimiter store_warnings_{std::chrono::seconds(10)};
    std::uint64_t retries_at_last_warning_ = 0;
    std::uint64_t observer_failures_ = 0;

    // A few recent failure texts, for the end-of-run log line; never one per node.
    std::mutex failures_mutex_;
    std::deque<std::string> recent_failures_;
};

}  // namespace bulkscore::detail
