// SPDX-License-Identifier: MIT
//
// Starting a run (see engine.hpp): options, the job's checkpoint (resume, restart, refusal on a
// changed input or configuration), the first checkpoint, the threads, and the summary at the
// end.

#include <algorithm>
#include <exception>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <fmt/format.h>

#include "bulkscore/logging.hpp"

#include "engine/engine.hpp"

namespace bulkscore::detail {
namespace {

std::uint64_t seed_from_clock() noexcept {
    return static_cast<std::uint64_t>(SteadyClock::now().time_since_epoch().count());
}

}  // namespace

Engine::Engine(NodeSource& source,
               const Scorer* scorer,
               AsyncScorer* async_scorer,
               ResultSink& sink,
               CheckpointStore& checkpoints,
               BulkScorerOptions options)
    : source_(source),
      scorer_(scorer),
      async_scorer_(async_scorer),
      sink_(sink),
      checkpoints_(checkpoints),
      options_(std::move(options)),
      start_position_(source.position()),
      jitter_(seed_from_clock()) {}

Engine::~Engine() = default;

boost::signals2::connection Engine::on_progress(
    std::function<void(const ProgressEvent&)> observer) {
    // Each observer gets its own boundary: one that throws neither stops the run nor keeps the
    // observers after it from seeing the event.
    return progress_.connect([this, observer = std::move(observer)](const ProgressEvent& event) {
        try {
            observer(event);
        } catch (const std::exception& error) {
            observer_threw(error.what());
        } catch (...) {
            observer_threw("unknown exception");
        }
    });
}

void Engine::cancel() noexcept {
    cancel_requested_.store(true);
    try {
        // Taking the lock orders the flag before the committer's next predicate check, so the
        // notification cannot be lost between its check and its wait.
        const std::lock_guard lock(mutex_);
    } catch (...) {
    }
    committer_cv_.notify_all();
    reader_cv_.notify_all();
}

std::string Engine::scorer_fingerprint() const {
    return scorer_ != nullptr ? scorer_->fingerprint() : async_scorer_->fingerprint();
}

std::string_view Engine::scorer_version() const noexcept {
    return scorer_ != nullptr ? scorer_->version() : async_scorer_->version();
}

void Engine::reset_run_state() {
    free_.clear();
    completed_.clear();
    reorder_.assign(slots_.size(), nullptr);
    free_.reserve(slots_.size());
    completed_.reserve(slots_.size());
    for (auto& slot : slots_) {
        slot->reset();
        free_.push_back(slot.get());
    }
    reader_finished_ = false;
    reader_error_ = Status();
    next_read_seq_ = 0;
    stop_reading_.store(false);
    aborting_.store(false);
    scorer_retries_.store(0);
    scorer_failures_.store(0);
    next_commit_seq_ = 0;
    dirty_ = false;
    discarding_ = false;
    store_failed_ = false;
    stop_ = Stop::kNone;
    failure_ = Status();
    store_retries_ = 0;
    resumed_ = false;
    phase_ = ProgressPhase::kStarted;
    events_started_ = false;
    rate_.reset();
    retries_at_last_warning_ = 0;
    const std::lock_guard lock(failures_mutex_);
    recent_failures_.clear();
}

Status Engine::check_fingerprints(const JobSpec& job, const Checkpoint& checkpoint) const {
    if (checkpoint.input_fingerprint != job.input_fingerprint) {
        return failed_precondition_error(fmt::format(
            "cannot resume job '{}': its input '{}' changed since it was checkpointed (size, "
            "modification time or content: was {}, now {}); run again with --restart to score "
            "it from the beginning",
            job.job, job.input, checkpoint.input_fingerprint, job.input_fingerprint));
    }
    if (checkpoint.config_fingerprint != scorer_fingerprint()) {
        return failed_precondition_error(fmt::format(
            "cannot resume job '{}': the scorer configuration changed since it was checkpointed "
            "(a different scorer version, CTR curve, weights or constants); run again with the "
            "earlier configuration, or with --restart to score everything again with this one",
            job.job));
    }
    return Status();
}

Status Engine::resume_from(const Checkpoint& checkpoint) {
    BULKSCORE_RETURN_IF_ERROR(
        with_store_retry("sink restore", [&] { return sink_.restore(checkpoint.sink_state); }));
    BULKSCORE_RETURN_IF_ERROR(
        source_.seek(checkpoint.position)
            .with_context(fmt::format("cannot resume job '{}' in {}", checkpoint.job,
                                      source_.description())));
    durable_ = checkpoint;
    durable_.state = JobState::kRunning;
    durable_.message.clear();
    resumed_ = true;
    return Status();
}

Status Engine::start_fresh(const JobSpec& job) {
    BULKSCORE_RETURN_IF_ERROR(with_store_retry("sink restore", [&] { return sink_.restore(""); }));
    if (source_.position() != start_position_) {
        BULKSCORE_RETURN_IF_ERROR(source_.seek(start_position_));
    }
    durable_ = Checkpoint();
    durable_.job = job.job;
    durable_.position = start_position_;
    durable_.input = job.input;
    durable_.input_fingerprint = job.input_fingerprint;
    durable_.config_fingerprint = scorer_fingerprint();
    durable_.started_at_ms = unix_ms_now();
    return Status();
}

Status Engine::count_total() {
    if (!options_.count_total || durable_.total > 0) {
        return Status();  // Unknown by choice, or known from the checkpoint being resumed.
    }
    Result<std::uint64_t> total = source_.count_records();
    if (!total.ok()) {
        return total.status().with_context(
            fmt::format("cannot count the records of {}", source_.description()));
    }
    durable_.total = *total;
    return Status();
}

Result<std::optional<RunSummary>> Engine::start_job(const JobSpec& job) {
    std::optional<Checkpoint> previous;
    BULKSCORE_RETURN_IF_ERROR(with_store_retry("checkpoint load", [&] {
        Result<std::optional<Checkpoint>> loaded = checkpoints_.load(job.job);
        if (loaded.ok()) {
            previous = std::move(*loaded);
        }
        return loaded.status();
    }));
    if (previous && job.restart) {
        BULKSCORE_RETURN_IF_ERROR(
            with_store_retry("checkpoint discard", [&] { return checkpoints_.discard(job.job); }));
        previous.reset();
    }
    if (previous && previous->state == JobState::kFinished) {
        durable_ = *previous;
        RunSummary summary = make_summary();
        summary.already_finished = true;
        return std::optional<RunSummary>(std::move(summary));
    }
    if (previous) {
        BULKSCORE_RETURN_IF_ERROR(check_fingerprints(job, *previous));
        BULKSCORE_RETURN_IF_ERROR(resume_from(*previous));
    } else {
        BULKSCORE_RETURN_IF_ERROR(start_fresh(job));
    }
    BULKSCORE_RETURN_IF_ERROR(count_total());
    written_scored_ = durable_.scored;
    written_rejected_ = durable_.rejected;
    written_end_ = durable_.position;
    run_base_ = durable_.scored + durable_.rejected;
    // The first checkpoint makes the job visible (`status`) before any batch is done.
    BULKSCORE_RETURN_IF_ERROR(checkpoint(JobState::kRunning, {}));
    return std::optional<RunSummary>();
}

RunSummary Engine::make_summary() const {
    RunSummary summary;
    summary.state = durable_.state;
    summary.error = failure_;
    summary.resumed = resumed_;
    summary.resumed_from = run_base_;
    summary.total = durable_.total;
    summary.scored = durable_.scored;
    summary.rejected = durable_.rejected;
    summary.retries = scorer_retries_.load() + store_retries_;
    summary.elapsed_s = std::chrono::duration<double>(SteadyClock::now() - started_).count();
    return summary;
}

Result<RunSummary> Engine::run(const JobSpec& job, std::stop_token stop) {
    BULKSCORE_RETURN_IF_ERROR(options_.validate());
    if (running_.exchange(true)) {
        return failed_precondition_error("this BulkScorer is already running a job");
    }
    struct Running {
        std::atomic<bool>& flag;
        ~Running() { flag.store(false); }
    } running{running_};
    const std::stop_callback on_stop(stop, [this] { cancel(); });

    job_ = job;
    started_ = SteadyClock::now();
    worker_count_ = options_.worker_threads != 0
                        ? options_.worker_threads
                        : std::max<std::size_t>(1, std::thread::hardware_concurrency());
    slots_.clear();
    for (std::size_t i = 0; i < options_.batches_in_flight; ++i) {
        slots_.push_back(std::make_unique<BatchSlot>());
    }
    reset_run_state();
    run_base_ = 0;
    next_progress_ = started_;
    next_checkpoint_ = started_ + options_.checkpoint_interval;

    Result<std::optional<RunSummary>> start = start_job(job);
    if (!start.ok()) {
        logger()->error("cannot start job={} error={}", job.job, start.status().to_string());
        return start.status();
    }
    if (start->has_value()) {
        logger()->info("job already finished job={} scored={} rejected={}", job.job,
                       (*start)->scored, (*start)->rejected);
        return std::move(**start);
    }
    execute();
    RunSummary summary = make_summary();
    // The run's own outcome, even when the store could not record it.
    summary.state = stop_ == Stop::kNone        ? JobState::kFinished
                    : stop_ == Stop::kCancelled ? JobState::kCancelled
                                                : JobState::kFailed;
    return summary;
}

void Engine::execute() {
    batch_records_ = options_.batch_size;
    if (durable_.total > 0) {
        // Batches of at most 1% of the input keep each progress step within one point.
        batch_records_ = std::min(batch_records_, std::max<std::uint64_t>(1, durable_.total / 100));
    }
    logger()->info(
        "job started job={} input={} total={} resume_from={} batch={} workers={} in_flight={}",
        job_.job, job_.input, durable_.total, run_base_, batch_records_, worker_count_,
        slots_.size());
    emit(ProgressPhase::kStarted);

    // One worker gains nothing from reading its own batches: the reader thread reading while it
    // scores is the better overlap.
    random_access_ = scorer_ != nullptr && worker_count_ > 1
                         ? dynamic_cast<const RandomAccessSource*>(&source_)
                         : nullptr;
    pool_ = std::make_unique<boost::asio::thread_pool>(worker_count_);
    timers_ = std::make_unique<RetryTimers>(pool_->get_executor());
    if (async_scorer_ != nullptr) {
        lanes_ =
            std::make_unique<AsyncLanes>(pool_->get_executor(), options_.async_nodes_in_flight);
        for (std::size_t lane = 0; lane < options_.async_nodes_in_flight; ++lane) {
            boost::asio::co_spawn(pool_->get_executor(), async_lane(),
                                  [](const std::exception_ptr& thrown) noexcept {
                                      if (thrown) {
                                          logger()->error("an async scoring lane stopped early");
                                      }
                                  });
        }
    }
    {
        std::jthread reader([this] { reader_loop(); });
        try {
            commit_loop();
        } catch (const std::exception& error) {
            // Nothing is known to be durable past the last checkpoint: stop as a store failure
            // would. The reader stops and the pool drains on its own (tasks never wait on us).
            store_failed_ = true;
            begin_stop(Stop::kFailed,
                       internal_error(fmt::format("the committer threw: {}", error.what())));
        }
    }
    if (lanes_) {
        lanes_->close();  // The reader has ended: the lanes drain what is queued and return.
    }
    pool_->join();
    finish_run();
    lanes_.reset();
    timers_.reset();
    pool_.reset();
    log_end();
}

void Engine::log_end() {
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - started_).count();
    const std::uint64_t done = durable_.scored + durable_.rejected -
                               std::min(run_base_, durable_.scored + durable_.rejected);
    logger()->info(
        "job ended job={} state={} scored={} rejected={} this_run={} retries={} elapsed_s={:.3f} "
        "rate={:.0f}",
        job_.job, to_string(durable_.state), durable_.scored, durable_.rejected, done,
        scorer_retries_.load() + store_retries_, elapsed,
        elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0);
    if (stop_ == Stop::kFailed) {
        logger()->error("job failed job={} error={}", job_.job, failure_.to_string());
    }
    const std::lock_guard lock(failures_mutex_);
    if (!recent_failures_.empty() && stop_ != Stop::kFailed) {
        logger()->warn("recent failures job={} scorer_failures={} last={}", job_.job,
                       scorer_failures_.load(), recent_failures_.back());
    }
}

}  // namespace bulkscore::detail
