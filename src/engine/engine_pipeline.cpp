// SPDX-License-Identifier: MIT
//
// The reading and scoring half of the engine (see engine.hpp): the reader thread, the sync
// scoring tasks with timer-driven retries, and the async scoring coroutines under a global
// permit count. Every function here runs on the reader or a pool thread and is a catch-all
// boundary: an exception from a source or scorer becomes a `Status` or a node outcome, because
// one escaping an Asio handler would end the process.

#include <algorithm>
#include <exception>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "bulkscore/logging.hpp"

#include "engine/engine.hpp"

namespace bulkscore::detail {
namespace {

// A sync batch is split into chunks of at least this many nodes, so that a few batches keep
// every worker busy without paying a task per node.
constexpr std::size_t kMinChunkNodes = 64;

std::string exception_text(const char* where, std::string_view detail) {
    return fmt::format("{} threw an exception: {}", where, detail);
}

}  // namespace

BatchSlot* Engine::acquire_slot() {
    std::unique_lock lock(mutex_);
    reader_cv_.wait(lock, [&] { return !free_.empty() || stop_reading(); });
    if (stop_reading()) {
        return nullptr;
    }
    BatchSlot* slot = free_.back();
    free_.pop_back();
    return slot;
}

void Engine::release_slot(BatchSlot& slot) noexcept {
    slot.reset();
    {
        const std::lock_guard lock(mutex_);
        free_.push_back(&slot);  // Never allocates: reserved for every slot.
    }
    reader_cv_.notify_one();
}

Status Engine::read_batch(BatchSlot& slot) noexcept {
    try {
        return source_.read(slot.batch, batch_records_);
    } catch (const std::exception& error) {
        return internal_error(exception_text("the source", error.what()));
    } catch (...) {
        return internal_error(exception_text("the source", "unknown exception"));
    }
}

void Engine::reader_loop() noexcept {
    Status error;
    try {
        if (random_access_ != nullptr) {
            error = read_ranges();
        }
        while (random_access_ == nullptr) {
            BatchSlot* const slot = acquire_slot();
            if (slot == nullptr) {
                break;
            }
            error = read_batch(*slot).with_context(std::string(source_.description()));
            // A batch read after the stop is not started: the checkpoint stays before it.
            if (!error.ok() || slot->batch.record_count == 0 || stop_reading()) {
                release_slot(*slot);
                break;
            }
            slot->seq = next_read_seq_++;
            dispatch(*slot);
        }
    } catch (const std::exception& exception) {
        error = internal_error(exception_text("the reader", exception.what()));
    } catch (...) {
        error = internal_error(exception_text("the reader", "unknown exception"));
    }
    {
        const std::lock_guard lock(mutex_);
        if (reader_error_.ok()) {
            // A scoring task that failed to read its range may have recorded the first error.
            reader_error_ = std::move(error);
        }
        reader_finished_ = true;
    }
    committer_cv_.notify_one();
}

Status Engine::read_ranges() {
    // The reader only hands out ranges, in order; which worker reads which does not matter, as
    // the committer puts the batches back in order by `seq`.
    const std::uint64_t total = random_access_->record_total();
    std::uint64_t next = source_.position().ordinal;
    while (next < total) {
        BatchSlot* slot = acquire_slot();
        if (slot == nullptr) {
            break;
        }
        slot->seq = next_read_seq_++;
        slot->read_first = next;
        slot->read_count =
            static_cast<std::size_t>(std::min<std::uint64_t>(batch_records_, total - next));
        next += slot->read_count;
        boost::asio::post(*pool_, [this, slot] { read_and_score(*slot); });
    }
    // Leave the source where a streaming reader would have stopped.
    return source_.seek(SourcePosition{next, 0, 0});
}

void Engine::read_and_score(BatchSlot& slot) noexcept {
    Status status;
    try {
        status = random_access_->read_range(slot.read_first, slot.read_count, slot.batch);
    } catch (const std::exception& error) {
        status = internal_error(exception_text("the source", error.what()));
    } catch (...) {
        status = internal_error(exception_text("the source", "unknown exception"));
    }
    if (!status.ok()) {
        {
            const std::lock_guard lock(mutex_);
            if (reader_error_.ok()) {
                reader_error_ = status.with_context(std::string(source_.description()));
            }
            stop_reading_.store(true);
        }
        reader_cv_.notify_all();
        slot.batch.nodes.clear();  // Nothing of a failed read is scored or written.
        slot.prepare_for_scoring(1);
        slot.abandoned.store(true, std::memory_order_relaxed);
        node_done(slot, 1);
        return;
    }
    slot.prepare_for_scoring(1);  // The extra share keeps an all-rejected batch from stalling.
    score_range(slot, 0, slot.batch.nodes.size());
    node_done(slot, 1);
}

void Engine::dispatch(BatchSlot& slot) {
    const std::size_t count = slot.batch.nodes.size();
    slot.prepare_for_scoring(1);  // The extra share is ours until every task is posted.
    if (async_scorer_ != nullptr) {
        if (!lanes_->push(slot)) {
            // Stopping: the lanes take no more batches, and none of these nodes has started.
            for (std::size_t index = 0; index < count; ++index) {
                record_abandoned(slot, index);
            }
            node_done(slot, count);
        }
        node_done(slot, 1);
        return;
    }
    const std::size_t chunks =
        std::min(worker_count_, (count + kMinChunkNodes - 1) / kMinChunkNodes);
    for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
        const std::size_t begin = count * chunk / chunks;
        const std::size_t end = count * (chunk + 1) / chunks;
        boost::asio::post(*pool_, [this, &slot, begin, end] { score_range(slot, begin, end); });
    }
    node_done(slot, 1);
}

void Engine::score_range(BatchSlot& slot, std::size_t begin, std::size_t end) noexcept {
    // One decrement per chunk, not per node: the shared counter is touched once per task.
    std::size_t settled = 0;
    for (std::size_t index = begin; index < end; ++index) {
        if (score_node(slot, index)) {
            ++settled;
        }
    }
    node_done(slot, settled);
}

bool Engine::score_node(BatchSlot& slot, std::size_t index) noexcept {
    ScoreResult& result = slot.scored.results[index];
    // Results are reused across batches: every try starts from a fresh one (the scorer may
    // leave the text fields to the engine, and the rest must not leak from an earlier node).
    result = ScoreResult{};
    Status status;
    try {
        status = scorer_->score(slot.batch.nodes[index], result);
    } catch (...) {
        // `Scorer::score` is noexcept, so this only guards against a wrapper that is not.
        status = internal_error(exception_text("the scorer", "unknown exception"));
    }
    NodeOutcome& outcome = slot.outcomes[index];
    ++outcome.attempts;
    if (status.ok()) {
        record_scored(slot, index);
    } else if (status.code() == StatusCode::kUnavailable && aborting_.load()) {
        record_abandoned(slot, index);  // Transient, not a verdict on the node: no rejection.
    } else if (!should_retry(status, outcome)) {
        record_failed(slot, index, status);
    } else if (!retry_node_later(slot, index)) {
        record_failed(slot, index, internal_error("cannot schedule a retry"));
    } else {
        scorer_retries_.fetch_add(1, std::memory_order_relaxed);
        return false;  // Settled later, by the retry.
    }
    return true;
}

bool Engine::retry_node_later(BatchSlot& slot, std::size_t index) noexcept {
    try {
        const auto delay = jitter_.next_delay(options_.retry, slot.outcomes[index].attempts);
        timers_->async_wait(delay, [this, &slot, index](boost::system::error_code error) {
            if (error || aborting_.load()) {
                record_abandoned(slot, index);
                node_done(slot, 1);
            } else if (score_node(slot, index)) {
                node_done(slot, 1);
            }
        });
        return true;
    } catch (const std::exception& error) {
        logger()->error("cannot schedule a retry batch={} error={}", slot.seq, error.what());
        return false;
    }
}

boost::asio::awaitable<void> Engine::async_lane() {
    for (;;) {
        BatchSlot* slot = nullptr;
        std::size_t index = 0;
        const AsyncLanes::Take taken = lanes_->take(slot, index);
        if (taken == AsyncLanes::Take::kClosed) {
            break;
        }
        if (taken == AsyncLanes::Take::kEmpty) {
            co_await lanes_->wait();
            continue;
        }
        if (aborting_.load()) {
            record_abandoned(*slot, index);  // Never started: no call is cut short.
            node_done(*slot, 1);
            continue;
        }
        try {
            co_await score_node_async(*slot, index);
        } catch (const std::exception& error) {
            // Only the machinery can throw here (the scorer's exceptions are caught inside),
            // before the node settled: it fails for good rather than stall its batch.
            record_failed(*slot, index,
                          internal_error(exception_text("async scoring", error.what())));
            node_done(*slot, 1);
        }
    }
}

boost::asio::awaitable<void> Engine::score_node_async(BatchSlot& slot, std::size_t index) {
    NodeOutcome& outcome = slot.outcomes[index];
    ScoreResult& result = slot.scored.results[index];
    for (;;) {
        result = ScoreResult{};  // A fresh result for every try, as in `score_node`.
        Status status;
        try {
            status =
                co_await async_scorer_->score(slot.batch.nodes[index], slot.scored.results[index]);
        } catch (const std::exception& error) {
            status = internal_error(exception_text("the async scorer", error.what()));
        } catch (...) {
            status = internal_error(exception_text("the async scorer", "unknown exception"));
        }
        ++outcome.attempts;
        if (status.ok()) {
            record_scored(slot, index);
            break;
        }
        if (status.code() == StatusCode::kUnavailable && aborting_.load()) {
            record_abandoned(slot, index);
            break;
        }
        if (!should_retry(status, outcome)) {
            record_failed(slot, index, status);
            break;
        }
        scorer_retries_.fetch_add(1, std::memory_order_relaxed);
        boost::system::error_code error;
        co_await timers_->async_wait(
            jitter_.next_delay(options_.retry, outcome.attempts),
            boost::asio::redirect_error(boost::asio::use_awaitable, error));
        if (error || aborting_.load()) {
            // Limitation: a node waiting for a retry at a stop is abandoned with its batch;
            // the next run scores the whole batch again.
            record_abandoned(slot, index);
            break;
        }
    }
    node_done(slot, 1);
}

bool Engine::should_retry(const Status& status, const NodeOutcome& outcome) const noexcept {
    return status.code() == StatusCode::kUnavailable && outcome.attempts < options_.retry.attempts;
}

void Engine::record_scored(BatchSlot& slot, std::size_t index) noexcept {
    const Node& node = slot.batch.nodes[index];
    ScoreResult& result = slot.scored.results[index];
    // The committed order relies on the ordinal, so it is not left to the scorer; a scorer
    // that leaves the text empty gets the node's (it is cleared before every try).
    result.ordinal = node.ordinal;
    if (result.id.empty()) {
        result.id = node.id;
    }
    if (result.url.empty()) {
        result.url = node.url.empty() ? node.id : node.url;
    }
    if (result.scorer_version.empty()) {
        result.scorer_version = scorer_version();
    }
    slot.outcomes[index].state = NodeState::kScored;
}

void Engine::record_failed(BatchSlot& slot, std::size_t index, const Status& status) noexcept {
    NodeOutcome& outcome = slot.outcomes[index];
    outcome.message = slot.store_message(status.to_string());
    outcome.state = NodeState::kFailed;
    if (scorer_failures_.fetch_add(1, std::memory_order_relaxed) < 100) {
        // The first failures are kept for the end-of-run log; the rest are only counted.
        try {
            note_failure(fmt::format("scoring ordinal {}: {}", slot.batch.nodes[index].ordinal,
                                     status.to_string()));
        } catch (...) {
        }
    }
}

void Engine::record_abandoned(BatchSlot& slot, std::size_t index) noexcept {
    slot.outcomes[index].state = NodeState::kAbandoned;
    slot.abandoned.store(true, std::memory_order_relaxed);
}

void Engine::node_done(BatchSlot& slot, std::size_t settled) noexcept {
    // acq_rel: the task that takes the count to zero sees every other task's writes.
    if (settled != 0 && slot.pending.fetch_sub(settled, std::memory_order_acq_rel) == settled) {
        batch_scored(slot);
    }
}

void Engine::batch_scored(BatchSlot& slot) noexcept {
    if (!slot.abandoned.load(std::memory_order_relaxed)) {
        try {
            finalize_batch(slot);
        } catch (const std::exception& error) {
            logger()->error("cannot assemble batch={} error={}", slot.seq, error.what());
            slot.abandoned.store(true, std::memory_order_relaxed);
        }
    }
    {
        const std::lock_guard lock(mutex_);
        completed_.push_back(&slot);  // Never allocates: reserved for every slot.
    }
    committer_cv_.notify_one();
}

}  // namespace bulkscore::detail
