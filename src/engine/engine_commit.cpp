// SPDX-License-Identifier: MIT
//
// The committing half of the engine (see engine.hpp): the loop on the thread that called
// `run`, which writes scored batches in input order, retries the store with backoff, saves
// checkpoints, ends the run and emits progress events. All sink and store calls happen here,
// one at a time, each inside a catch-all boundary.

#include <algorithm>
#include <exception>
#include <string>

#include <fmt/format.h>

#include "bulkscore/logging.hpp"

#include "engine/engine.hpp"

namespace bulkscore::detail {
namespace {

template <class Call>
Status guarded(const char* what, Call&& call) noexcept {
    try {
        return call();
    } catch (const std::exception& error) {
        return internal_error(fmt::format("{} threw an exception: {}", what, error.what()));
    } catch (...) {
        return internal_error(fmt::format("{} threw an unknown exception", what));
    }
}

}  // namespace

void Engine::commit_loop() {
    std::vector<BatchSlot*> arrived;
    arrived.reserve(slots_.size());
    bool reader_done = false;
    for (;;) {
        Status reader_error;
        {
            std::unique_lock lock(mutex_);
            const auto ready = [&] {
                return !completed_.empty() || (reader_finished_ && !reader_done) ||
                       (cancel_requested_.load() && stop_ == Stop::kNone);
            };
            if (const auto wake = next_wake()) {
                committer_cv_.wait_until(lock, *wake, ready);
            } else {
                committer_cv_.wait(lock, ready);
            }
            arrived.swap(completed_);
            if (reader_finished_ && !reader_done) {
                reader_done = true;
                reader_error = reader_error_;
            }
        }
        if (cancel_requested_.load() && stop_ == Stop::kNone) {
            begin_stop(Stop::kCancelled, Status());
        }
        if (!reader_error.ok() && stop_ != Stop::kFailed) {
            begin_stop(Stop::kFailed, reader_error);
        }
        for (BatchSlot* slot : arrived) {
            reorder_[slot->seq % reorder_.size()] = slot;
        }
        arrived.clear();
        commit_ready();
        const auto now = SteadyClock::now();
        maybe_checkpoint(now);
        maybe_emit(now);
        if (reader_done) {
            const std::lock_guard lock(mutex_);
            if (free_.size() == slots_.size() && completed_.empty()) {
                return;
            }
        }
    }
}

std::optional<SteadyClock::time_point> Engine::next_wake() const {
    // A zero interval means "at every opportunity", not "spin": only a positive one wakes the
    // committer by time, and a checkpoint is only due when something was written.
    std::optional<SteadyClock::time_point> wake;
    if (options_.progress_interval.count() > 0) {
        wake = next_progress_;
    }
    if (dirty_ && options_.checkpoint_interval.count() > 0) {
        wake = wake ? std::min(*wake, next_checkpoint_) : next_checkpoint_;
    }
    return wake;
}

void Engine::commit_ready() {
    for (;;) {
        BatchSlot*& entry = reorder_[next_commit_seq_ % reorder_.size()];
        if (entry == nullptr || entry->seq != next_commit_seq_) {
            break;
        }
        BatchSlot& slot = *entry;
        entry = nullptr;
        ++next_commit_seq_;
        if (!discarding_ && slot.abandoned.load(std::memory_order_relaxed)) {
            // Committing past a batch that is not complete would lose its records.
            discarding_ = true;
            if (stop_ == Stop::kNone) {
                Status why = internal_error("a batch could not be scored");
                {
                    // A worker that could not read its batch says why there.
                    const std::lock_guard lock(mutex_);
                    if (!reader_error_.ok()) {
                        why = reader_error_;
                    }
                }
                begin_stop(Stop::kFailed, std::move(why));
            }
        }
        if (!discarding_) {
            if (Status status = write_batch(slot); !status.ok()) {
                discarding_ = true;
                stop_on_store_error(std::move(status));
            }
        }
        release_slot(slot);
    }
    if (discarding_) {
        // Nothing after a gap can be committed; hand every waiting slot back at once.
        for (BatchSlot*& entry : reorder_) {
            if (entry != nullptr) {
                release_slot(*std::exchange(entry, nullptr));
            }
        }
    }
}

Status Engine::write_batch(BatchSlot& slot) {
    BULKSCORE_RETURN_IF_ERROR(with_store_retry("sink write", [&] {
        return guarded("the sink's write", [&] { return sink_.write(slot.scored); });
    }));
    written_scored_ += slot.scored.results.size();
    written_rejected_ += slot.scored.rejections.size();
    written_end_ = slot.scored.end;
    dirty_ = true;
    return Status();
}

void Engine::begin_stop(Stop why, Status error) {
    if (stop_ == Stop::kFailed || stop_ == why) {
        return;
    }
    stop_ = why;
    if (why == Stop::kFailed) {
        failure_ = std::move(error);
        note_failure(failure_.to_string());
    }
    {
        const std::lock_guard lock(mutex_);
        stop_reading_.store(true);
        aborting_.store(true);
    }
    reader_cv_.notify_all();
    timers_->cancel_all();
    if (lanes_) {
        lanes_->close();
    }
}

Status Engine::checkpoint(JobState state, std::string message) {
    std::string sink_state;
    BULKSCORE_RETURN_IF_ERROR(with_store_retry("sink flush", [&]() -> Status {
        Result<std::string> flushed =
            Result<std::string>(internal_error("the sink's flush did not return"));
        Status status = guarded("the sink's flush", [&] {
            flushed = sink_.flush();
            return flushed.status();
        });
        if (status.ok()) {
            sink_state = std::move(flushed.value());
        }
        return status;
    }));
    Checkpoint next = durable_;
    next.state = state;
    next.position = written_end_;
    next.scored = written_scored_;
    next.rejected = written_rejected_;
    next.sink_state = std::move(sink_state);
    next.updated_at_ms = unix_ms_now();
    next.message = std::move(message);
    BULKSCORE_RETURN_IF_ERROR(with_store_retry("checkpoint save", [&] {
        return guarded("the checkpoint store's save", [&] { return checkpoints_.save(next); });
    }));
    durable_ = std::move(next);
    dirty_ = false;
    logger()->debug("checkpoint job={} state={} ordinal={} scored={} rejected={}", durable_.job,
                    to_string(durable_.state), durable_.position.ordinal, durable_.scored,
                    durable_.rejected);
    return Status();
}

Status Engine::save_failed_checkpoint() {
    // The last good checkpoint with the failure noted: its position and sink state stay, so
    // nothing that may not be durable is claimed. One try: the store may be what failed.
    // Limitation: there is no flush before this save, so a sink that is also the store must not
    // make writes since its last `flush` durable in `save`; if it does, the resume's `restore`
    // must roll them back (as the file and memory sinks do by length).
    Checkpoint failed = durable_;
    failed.state = JobState::kFailed;
    failed.message = std::string(failure_.message());
    failed.updated_at_ms = unix_ms_now();
    Status status =
        guarded("the checkpoint store's save", [&] { return checkpoints_.save(failed); });
    if (status.ok()) {
        durable_ = std::move(failed);
    }
    return status;
}

void Engine::finish_run() {
    if (stop_ == Stop::kNone) {
        if (Status status = checkpoint(JobState::kFinished, {}); !status.ok()) {
            stop_on_store_error(std::move(status));
        }
    }
    if (stop_ == Stop::kCancelled) {
        if (Status status = checkpoint(JobState::kCancelled, {}); !status.ok()) {
            store_failed_ = true;
            begin_stop(Stop::kFailed, std::move(status));
        }
    }
    if (stop_ == Stop::kFailed && !store_failed_) {
        // The store works (the source or the scoring failed): keep what was committed.
        if (Status status = checkpoint(JobState::kFailed, std::string(failure_.message()));
            !status.ok()) {
            store_failed_ = true;
        }
    }
    if (stop_ == Stop::kFailed && store_failed_) {
        if (Status status = save_failed_checkpoint(); !status.ok()) {
            logger()->error("cannot record the failure job={} error={}", job_.job,
                            status.to_string());
        }
    }
    const ProgressPhase phase = stop_ == Stop::kNone        ? ProgressPhase::kFinished
                                : stop_ == Stop::kCancelled ? ProgressPhase::kCancelled
                                                            : ProgressPhase::kFailed;
    emit(phase);
}

Status Engine::with_store_retry(const char* what, const std::function<Status()>& call) {
    for (std::uint32_t attempt = 1;; ++attempt) {
        Status status = call();
        if (status.ok()) {
            if (phase_ == ProgressPhase::kRetrying) {
                emit(ProgressPhase::kRunning);
            }
            return status;
        }
        if (status.code() != StatusCode::kUnavailable) {
            return status.with_context(what);
        }
        if (attempt >= options_.retry.attempts) {
            return status.with_context(fmt::format("{} (gave up after {} tries)", what, attempt));
        }
        ++store_retries_;
        const std::uint64_t held_back = store_warnings_.suppressed();
        if (store_warnings_.allow(SteadyClock::now())) {
            logger()->warn("store busy, retrying what={} job={} attempt={} status={} similar={}",
                           what, job_.job, attempt, status.to_string(), held_back);
        }
        if (events_started_ &&
            (phase_ != ProgressPhase::kRetrying || SteadyClock::now() >= next_progress_)) {
            emit(ProgressPhase::kRetrying);
        }
        if (!wait_for_retry(jitter_.next_delay(options_.retry, attempt))) {
            return cancelled_error(fmt::format("{}: cancelled while retrying", what));
        }
    }
}

bool Engine::wait_for_retry(std::chrono::nanoseconds delay) {
    // Waits on the committer's own condition variable, not a pool thread, so that a cancel can
    // cut the wait short; events keep their cadence while it lasts.
    const auto deadline = SteadyClock::now() + delay;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            const auto wake = options_.progress_interval.count() > 0
                                  ? std::min(deadline, next_progress_)
                                  : deadline;
            committer_cv_.wait_until(
                lock, wake, [&] { return cancel_requested_.load() && stop_ == Stop::kNone; });
        }
        if (cancel_requested_.load() && stop_ == Stop::kNone) {
            return false;
        }
        const auto now = SteadyClock::now();
        if (now >= deadline) {
            return true;
        }
        maybe_emit(now);
    }
}

void Engine::maybe_checkpoint(SteadyClock::time_point now) {
    if (now < next_checkpoint_) {
        return;
    }
    next_checkpoint_ = now + options_.checkpoint_interval;
    if (!dirty_ || stop_ == Stop::kFailed) {
        return;
    }
    if (Status status = checkpoint(JobState::kRunning, {}); !status.ok()) {
        discarding_ = true;
        stop_on_store_error(std::move(status));
    }
}

void Engine::stop_on_store_error(Status status) {
    if (status.code() == StatusCode::kCancelled) {
        // A cancel cut a retry short; the final checkpoint tries the store again.
        begin_stop(Stop::kCancelled, Status());
        return;
    }
    store_failed_ = true;
    begin_stop(Stop::kFailed, std::move(status));
}

void Engine::maybe_emit(SteadyClock::time_point now) {
    warn_on_retry_storm(now);
    if (events_started_ && now >= next_progress_) {
        emit(phase_ == ProgressPhase::kStarted ? ProgressPhase::kRunning : phase_);
    }
}

void Engine::emit(ProgressPhase phase) {
    const auto now = SteadyClock::now();
    ProgressEvent event;
    event.phase = phase;
    event.scored = written_scored_;
    event.rejected = written_rejected_;
    event.done = written_scored_ + written_rejected_;
    event.total = durable_.total;
    if (phase == ProgressPhase::kFinished) {
        // Every record is accounted for: the count is what was done, even from a source
        // that could not count (or counted wrong).
        event.total = event.done;
    }
    event.committed = durable_.scored + durable_.rejected;
    if (event.total > 0) {
        event.percent = 100.0 * static_cast<double>(event.done) / static_cast<double>(event.total);
    } else if (phase == ProgressPhase::kFinished) {
        event.percent = 100;
    }
    rate_.add(now, event.done - std::min(event.done, run_base_));
    event.rate = rate_.rate();
    event.eta_s = eta_seconds(event.total, event.done, event.rate);
    event.elapsed_s = std::chrono::duration<double>(now - started_).count();
    event.retries = scorer_retries_.load(std::memory_order_relaxed) + store_retries_;
    phase_ = phase;
    events_started_ = true;
    next_progress_ = now + options_.progress_interval;
    try {
        progress_(event);
    } catch (const std::exception& error) {
        observer_threw(error.what());
    } catch (...) {
        observer_threw("unknown exception");
    }
}

void Engine::observer_threw(const char* what) noexcept {
    ++observer_failures_;
    try {
        if (observer_warnings_.allow(SteadyClock::now())) {
            logger()->warn("a progress observer threw; the run goes on error={} count={}", what,
                           observer_failures_);
        }
    } catch (...) {
    }
}

void Engine::note_failure(std::string text) {
    constexpr std::size_t kKept = 8;
    const std::lock_guard lock(failures_mutex_);
    if (recent_failures_.size() == kKept) {
        recent_failures_.pop_front();
    }
    recent_failures_.push_back(std::move(text));
}

void Engine::warn_on_retry_storm(SteadyClock::time_point now) {
    constexpr std::uint64_t kStormRetries = 100;
    const std::uint64_t retries = scorer_retries_.load(std::memory_order_relaxed) + store_retries_;
    if (retries - retries_at_last_warning_ < kStormRetries || !retry_warnings_.allow(now)) {
        return;
    }
    logger()->warn("many retries job={} retries={} since_last_warning={}", job_.job, retries,
                   retries - retries_at_last_warning_);
    retries_at_last_warning_ = retries;
}

}  // namespace bulkscore::detail
