// SPDX-License-Identifier: MIT
//
// Fault injection for the engine tests, and the inputs they feed it:
//
// - `FaultySink` / `FaultyStore`: forwarding wrappers that fail the Nth call (permanently, or
//   once), report `unavailable` with a given probability from a seeded generator (before the
//   call, or after it as a lost answer), or slow each call down (a slow sink);
// - `FlakyScorer`: the default scorer, failing transiently or permanently for chosen ordinals;
// - `LatencyScorer`: an `AsyncScorer` that waits on an Asio timer per call, with the same
//   failures, and measures how many calls were in flight at once;
// - `ObservedSource`: a forwarding source that measures how many batches were out (read and
//   not yet written) and can hold the reader at a chosen ordinal until released;
// - `make_input` / `expected_outcome`: generated nodes (some invalid, ids optionally repeated)
//   and what a plain loop over `OpportunityScorer` makes of them.
//
// Thread safety: wrappers count with atomics and locks, since scorers run on many threads.
// Their counters are read by the test thread after `run` returns (or through the atomics).

#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "bulkscore/memory_sink.hpp"
#include "bulkscore/node.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/result_sink.hpp"
#include "bulkscore/scorer.hpp"

namespace bulkscore::testing {

/// When and how a wrapped sink or store fails.
struct FaultPlan {
    std::uint64_t fail_call = 0;  ///< 1-based call that fails (0: none).
    bool fail_after = true;       ///< Every call from `fail_call` on fails, not just that one.
    StatusCode fail_code = StatusCode::kResourceExhausted;
    double unavailable_probability = 0;  ///< Chance that a call reports `unavailable`.
    std::uint64_t seed = 1;
    std::chrono::microseconds delay{0};  ///< Added to each call: a slow store.
    /// The wrapped call runs first and its failure is reported after it: the work was done but
    /// its answer was lost (a commit that landed, then a dropped connection). `FaultyStore` only.
    bool fail_after_forwarding = false;
};

/// Decides the fate of each call by `FaultPlan`. Thread-safe.
class FaultGate {
public:
    explicit FaultGate(FaultPlan plan) : plan_(plan), random_(plan.seed) {}

    Status next(const char* what) {
        if (plan_.delay.count() > 0) {
            std::this_thread::sleep_for(plan_.delay);  // Simulates slowness; not coordination.
        }
        const std::lock_guard lock(mutex_);
        const std::uint64_t call = ++calls_;
        if (plan_.fail_call != 0 &&
            (call == plan_.fail_call || (plan_.fail_after && call > plan_.fail_call))) {
            ++failures_;
            return Status(plan_.fail_code,
                          fmt::format("injected failure of {} call {}", what, call));
        }
        if (plan_.unavailable_probability > 0 &&
            std::uniform_real_distribution<double>(0, 1)(random_) < plan_.unavailable_probability) {
            ++failures_;
            return unavailable_error(fmt::format("injected busy {} call {}", what, call));
        }
        return Status();
    }

    const FaultPlan& plan() const noexcept { return plan_; }
    std::uint64_t calls() const {
        const std::lock_guard lock(mutex_);
        return calls_;
    }
    std::uint64_t failures() const {
        const std::lock_guard lock(mutex_);
        return failures_;
    }

private:
    FaultPlan plan_;
    mutable std::mutex mutex_;
    std::mt19937_64 random_;
    std::uint64_t calls_ = 0;
    std::uint64_t failures_ = 0;
};

/// A sink that forwards to `inner` unless its plan says the call fails (then `inner` is not
/// called). Writes and flushes share one call count.
class FaultySink final : public ResultSink {
public:
    FaultySink(ResultSink& inner, FaultPlan plan) : inner_(inner), gate_(plan) {}

    Status write(const ScoredBatch& batch) override {
        BULKSCORE_RETURN_IF_ERROR(gate_.next("write"));
        BULKSCORE_RETURN_IF_ERROR(inner_.write(batch));
        writes_done_.fetch_add(1);
        return Status();
    }
    Result<std::string> flush() override {
        if (Status status = gate_.next("flush"); !status.ok()) {
            return status;
        }
        return inner_.flush();
    }
    Status restore(std::string_view sink_state) override { return inner_.restore(sink_state); }

    const FaultGate& gate() const { return gate_; }
    std::uint64_t writes_done() const { return writes_done_.load(); }

private:
    ResultSink& inner_;
    FaultGate gate_;
    std::atomic<std::uint64_t> writes_done_{0};
};

/// A checkpoint store that forwards to `inner` unless its plan says a `save` fails.
class FaultyStore final : public CheckpointStore {
public:
    FaultyStore(CheckpointStore& inner, FaultPlan plan) : inner_(inner), gate_(plan) {}

    Result<std::optional<Checkpoint>> load(std::string_view job) override {
        return inner_.load(job);
    }
    Status save(const Checkpoint& checkpoint) override {
        if (gate_.plan().fail_after_forwarding) {
            BULKSCORE_RETURN_IF_ERROR(inner_.save(checkpoint));
            return gate_.next("save");
        }
        BULKSCORE_RETURN_IF_ERROR(gate_.next("save"));
        return inner_.save(checkpoint);
    }
    Status discard(std::string_view job) override { return inner_.discard(job); }

    const FaultGate& gate() const { return gate_; }

private:
    CheckpointStore& inner_;
    FaultGate gate_;
};

/// Which ordinals a test scorer fails, and how.
struct ScorerFaults {
    std::unordered_map<std::uint64_t, int> transient;  ///< Ordinal -> failing tries before ok.
    std::set<std::uint64_t> permanent;                 ///< Ordinals that always fail for good.
};

/// Shared by the two test scorers: decides one try of one node. Thread-safe: the map of
/// counters is built up front and never rehashed, and each counter is atomic.
class FaultSchedule {
public:
    explicit FaultSchedule(ScorerFaults faults) : permanent_(std::move(faults.permanent)) {
        for (const auto& [ordinal, count] : faults.transient) {
            remaining_.try_emplace(ordinal, count);
        }
    }

    Status attempt(const Node& node) {
        if (permanent_.count(node.ordinal) != 0) {
            return internal_error(fmt::format("model rejected page {}", node.id));
        }
        if (auto found = remaining_.find(node.ordinal); found != remaining_.end()) {
            if (found->second.fetch_sub(1) > 0) {
                transient_failures_.fetch_add(1);
                return unavailable_error(fmt::format("model busy for page {}", node.id));
            }
        }
        return Status();
    }

    std::uint64_t transient_failures() const { return transient_failures_.load(); }

private:
    std::set<std::uint64_t> permanent_;
    std::unordered_map<std::uint64_t, std::atomic<int>> remaining_;
    std::atomic<std::uint64_t> transient_failures_{0};
};

/// The default scorer, failing for chosen ordinals. Its fingerprint is the default scorer's,
/// so a run with it may resume a run without it.
class FlakyScorer final : public Scorer {
public:
    explicit FlakyScorer(ScorerFaults faults = {}) : schedule_(std::move(faults)) {}

    Status score(const Node& node, ScoreResult& out) const noexcept override {
        calls_.fetch_add(1);
        if (Status status = schedule_.attempt(node); !status.ok()) {
            return status;
        }
        return inner_.score(node, out);
    }
    std::string_view version() const noexcept override { return inner_.version(); }
    std::string fingerprint() const override { return inner_.fingerprint(); }

    std::uint64_t calls() const { return calls_.load(); }
    std::uint64_t transient_failures() const { return schedule_.transient_failures(); }

private:
    OpportunityScoring inner_;
    mutable FaultSchedule schedule_;
    mutable std::atomic<std::uint64_t> calls_{0};
};

/// An async scorer that waits `latency` on an Asio timer per call (a remote service), fails as
/// `faults` says, and records the most calls in flight at once.
class LatencyScorer final : public AsyncScorer {
public:
    LatencyScorer(std::chrono::microseconds latency, ScorerFaults faults = {})
        : latency_(latency), schedule_(std::move(faults)) {}

    boost::asio::awaitable<Status> score(const Node& node, ScoreResult& out) override {
        const std::uint64_t now_in_flight = in_flight_.fetch_add(1) + 1;
        std::uint64_t seen = max_in_flight_.load();
        while (now_in_flight > seen && !max_in_flight_.compare_exchange_weak(seen, now_in_flight)) {
        }
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, latency_);
        co_await timer.async_wait(boost::asio::use_awaitable);
        in_flight_.fetch_sub(1);
        Status status = schedule_.attempt(node);
        if (status.ok()) {
            status = inner_.score(node, out);
        }
        co_return status;
    }
    std::string_view version() const noexcept override { return inner_.version(); }
    std::string fingerprint() const override { return inner_.fingerprint(); }

    std::uint64_t max_in_flight() const { return max_in_flight_.load(); }

private:
    std::chrono::microseconds latency_;
    OpportunityScoring inner_;
    FaultSchedule schedule_;
    std::atomic<std::uint64_t> in_flight_{0};
    std::atomic<std::uint64_t> max_in_flight_{0};
};

/// A source that forwards to `inner`, measuring batches out (reads begun minus `sink` writes
/// done) at every read, and optionally holding the reader once it reaches `hold_at` until
/// `release` (a hang guard lets it go after 30 s).
class ObservedSource final : public NodeSource {
public:
    ObservedSource(NodeSource& inner, const FaultySink* sink = nullptr)
        : inner_(inner), sink_(sink) {}

    Status read(NodeBatch& batch, std::size_t max_records) override {
        const std::uint64_t reads = reads_.fetch_add(1) + 1;
        if (sink_ != nullptr) {
            const std::uint64_t out = reads - sink_->writes_done();
            max_out_ = std::max(max_out_.load(), out);
        }
        if (inner_.position().ordinal >= hold_at_) {
            std::unique_lock lock(mutex_);
            held_ = true;
            changed_.notify_all();
            changed_.wait_for(lock, std::chrono::seconds(30), [&] { return released_; });
        }
        return inner_.read(batch, max_records);
    }
    Result<std::uint64_t> count_records() override { return inner_.count_records(); }
    SourcePosition position() const noexcept override { return inner_.position(); }
    Status seek(const SourcePosition& position) override { return inner_.seek(position); }
    std::string_view description() const noexcept override { return inner_.description(); }

    void hold_at(std::uint64_t ordinal) { hold_at_ = ordinal; }

    /// Waits (at most 30 s, a hang guard) until the reader is held; true if it is.
    bool wait_until_held() {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return held_; });
    }
    void release() {
        const std::lock_guard lock(mutex_);
        released_ = true;
        changed_.notify_all();
    }

    std::uint64_t max_batches_out() const { return max_out_.load(); }

private:
    NodeSource& inner_;
    const FaultySink* sink_;
    std::atomic<std::uint64_t> reads_{0};
    std::atomic<std::uint64_t> max_out_{0};
    std::uint64_t hold_at_ = UINT64_MAX;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool held_ = false;
    bool released_ = false;
};

/// Generated nodes, with the strings their ids refer to.
struct TestInput {
    std::vector<std::string> ids;
    std::vector<Node> nodes;
};

/// `count` nodes with varied metrics. Every `bad_every`-th one (0: none) has more clicks than
/// impressions, so sources reject it; with `distinct_ids` > 0, ids repeat modulo that number.
inline TestInput make_input(std::size_t count,
                            std::size_t bad_every = 13,
                            std::size_t distinct_ids = 0) {
    TestInput input;
    input.ids.reserve(count);
    input.nodes.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        input.ids.push_back(
            fmt::format("https://example.com/page/{}", distinct_ids > 0 ? i % distinct_ids : i));
    }
    for (std::size_t i = 0; i < count; ++i) {
        Node node;
        node.id = input.ids[i];
        node.url = input.ids[i];
        const auto k = static_cast<std::int64_t>(i);
        node.impressions = 50 + (k * 7919) % 20000;
        node.clicks = (k * 104729) % (node.impressions / 4 + 1);
        node.position = 1.0 + static_cast<double>((k * 31) % 400) / 10.0;
        if (k % 5 == 0) {
            node.search_volume = (k * 13) % 50000;
        }
        if (k % 3 == 0) {
            node.difficulty = static_cast<double>(k % 101);
        }
        node.prev_clicks = node.clicks + (k % 7) * 3;
        node.word_count = (k * 37) % 3000;
        node.inlinks = k % 150;
        node.days_since_update = k % 700;
        if (bad_every > 0 && i % bad_every == bad_every - 1) {
            node.clicks = node.impressions + 1;
        }
        input.nodes.push_back(node);
    }
    return input;
}

/// What a complete run must produce: one result per valid node (in order), scored by a plain
/// `OpportunityScorer` loop, and the ordinals of the invalid ones.
struct ExpectedOutcome {
    std::vector<ScoreRow> results;
    std::vector<std::uint64_t> rejected;
};

inline ExpectedOutcome expected_outcome(const TestInput& input,
                                        const std::set<std::uint64_t>& also_rejected = {}) {
    ExpectedOutcome expected;
    const OpportunityScorer scorer;
    for (std::size_t i = 0; i < input.nodes.size(); ++i) {
        Node node = input.nodes[i];
        node.ordinal = i;
        if (check_node(node) || also_rejected.count(i) != 0) {
            expected.rejected.push_back(i);
            continue;
        }
        const ScoreResult result = scorer.score(node);
        expected.results.push_back(ScoreRow::from(result));
    }
    return expected;
}

/// The ordinals of `rows`, in order.
inline std::vector<std::uint64_t> ordinals_of(const std::vector<RejectionRow>& rows) {
    std::vector<std::uint64_t> ordinals;
    for (const RejectionRow& row : rows) {
        ordinals.push_back(row.ordinal);
    }
    return ordinals;
}

}  // namespace bulkscore::testing
