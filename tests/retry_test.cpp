// SPDX-License-Identifier: MIT
//
// Tests of retries: the backoff arithmetic and its jitter, scorer failures that recover, that
// fail for good or that run out of tries (rejections `retries_exhausted`), stores that are
// busy, and retries abandoned at a cancel.

#include "engine/retry.hpp"

#include <chrono>
#include <future>
#include <thread>

#include <catch2/catch.hpp>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/memory_checkpoint_store.hpp"
#include "bulkscore/memory_sink.hpp"
#include "bulkscore/range_source.hpp"

#include "support/fault_injection.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;

namespace bulkscore::testing {
namespace {

constexpr const char* kJob = "retry-job";

BulkScorerOptions retry_options(std::size_t workers, std::uint32_t attempts = 5) {
    BulkScorerOptions options;
    options.worker_threads = workers;
    options.batch_size = 50;
    options.batches_in_flight = 4;
    options.checkpoint_interval = 0ms;
    options.progress_interval = 1ms;
    options.retry = RetryPolicy{attempts, 1ms, 2, 3ms};
    return options;
}

JobSpec spec() {
    return JobSpec{kJob, "pages.csv", "fp", false};
}

}  // namespace

TEST_CASE("Retry: the backoff ceiling grows by the multiplier up to the cap", "[retry]") {
    const RetryPolicy policy{5, 50ms, 2, 300ms};
    CHECK(detail::backoff_ceiling(policy, 1) == 50ms);
    CHECK(detail::backoff_ceiling(policy, 2) == 100ms);
    CHECK(detail::backoff_ceiling(policy, 3) == 200ms);
    CHECK(detail::backoff_ceiling(policy, 4) == 300ms);
    CHECK(detail::backoff_ceiling(policy, 1000) == 300ms);
}

TEST_CASE("Retry: full jitter spreads waits over the whole range, replayably", "[retry]") {
    const RetryPolicy policy{5, 10ms, 2, 1000ms};
    detail::JitterSource first(42);
    detail::JitterSource second(42);
    std::chrono::nanoseconds low = 1s;
    std::chrono::nanoseconds high = 0ns;
    for (int i = 0; i < 2000; ++i) {
        const auto delay = first.next_delay(policy, 3);
        CHECK(delay == second.next_delay(policy, 3));
        REQUIRE(delay >= 0ns);
        REQUIRE(delay <= 40ms);
        low = std::min(low, delay);
        high = std::max(high, delay);
    }
    CHECK(low < 2ms);    // Full jitter reaches down to (almost) nothing...
    CHECK(high > 38ms);  // ...and up to (almost) the ceiling.
}

TEST_CASE("Retry: transient scorer failures are retried and succeed",
          "[retry][engine][concurrency]") {
    const std::size_t workers = GENERATE(as<std::size_t>{}, 1, 4);
    const TestInput input = make_input(1000);
    auto source = make_range_source(input.nodes);
    MemorySink sink;
    MemoryCheckpointStore store;
    const FlakyScorer scorer(ScorerFaults{{{0, 4}, {5, 1}, {500, 2}, {999, 3}}, {}});
    BulkScorer engine(*source, scorer, sink, store, retry_options(workers));

    const Result<RunSummary> summary = engine.run(spec());

    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFinished);
    CHECK(summary->retries == 10);
    CHECK(scorer.transient_failures() == 10);
    CHECK(sink.results() == expected_outcome(input).results);
    CHECK(ordinals_of(sink.rejections()) == expected_outcome(input).rejected);
}

TEST_CASE("Retry: permanent and exhausted scorer failures become retries_exhausted rejections",
          "[retry][engine][concurrency]") {
    const TestInput input = make_input(600);
    auto source = make_range_source(input.nodes);
    MemorySink sink;
    MemoryCheckpointStore store;
    const FlakyScorer scorer(ScorerFaults{{{20, 100}}, {10}});
    BulkScorer engine(*source, scorer, sink, store, retry_options(2, 3));

    const Result<RunSummary> summary = engine.run(spec());

    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFinished);
    CHECK(summary->retries == 2);  // Ordinal 20: three tries, two retries; 10: no retry.
    const ExpectedOutcome expected = expected_outcome(input, {10, 20});
    CHECK(sink.results() == expected.results);
    CHECK(ordinals_of(sink.rejections()) == expected.rejected);
    for (const RejectionRow& row : sink.rejections()) {
        if (row.ordinal == 10 || row.ordinal == 20) {
            CHECK(row.reason == RejectReason::kRetriesExhausted);
            CHECK(row.field.empty());
            CHECK(row.id == input.ids[row.ordinal]);
        }
        if (row.ordinal == 10) {
            CHECK(row.value == "internal: model rejected page " + input.ids[10]);
        }
        if (row.ordinal == 20) {
            CHECK(row.value == "unavailable: model busy for page " + input.ids[20]);
        }
    }
}

TEST_CASE("Retry: a sink busy 30 percent of the time recovers with identical results",
          "[retry][engine][concurrency]") {
    const TestInput input = make_input(2000);
    auto source = make_range_source(input.nodes);
    MemorySink memory;
    FaultPlan busy;
    busy.unavailable_probability = 0.3;
    busy.seed = 7;
    FaultySink sink(memory, busy);
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    BulkScorer engine(*source, scoring, sink, store, retry_options(4, 30));
    std::vector<ProgressPhase> phases;
    engine.on_progress([&](const ProgressEvent& event) { phases.push_back(event.phase); });

    const Result<RunSummary> summary = engine.run(spec());

    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFinished);
    CHECK(summary->retries == sink.gate().failures());
    CHECK(sink.gate().failures() > 0);
    CHECK(memory.results() == expected_outcome(input).results);
    CHECK(ordinals_of(memory.rejections()) == expected_outcome(input).rejected);
    CHECK(std::count(phases.begin(), phases.end(), ProgressPhase::kRetrying) > 0);
    CHECK(phases.back() == ProgressPhase::kFinished);
}

TEST_CASE("Retry: a checkpoint store busy at times recovers with identical results",
          "[retry][engine][concurrency]") {
    const TestInput input = make_input(1000);
    auto source = make_range_source(input.nodes);
    MemorySink sink;
    MemoryCheckpointStore memory;
    FaultPlan busy;
    busy.unavailable_probability = 0.3;
    busy.seed = 11;
    FaultyStore store(memory, busy);
    const OpportunityScoring scoring;
    BulkScorer engine(*source, scoring, sink, store, retry_options(2, 30));

    const Result<RunSummary> summary = engine.run(spec());

    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFinished);
    CHECK(store.gate().failures() > 0);
    CHECK(memory.get(kJob)->state == JobState::kFinished);
    CHECK(sink.results() == expected_outcome(input).results);
}

TEST_CASE("Retry: a cancel abandons retries waiting on their timers",
          "[retry][engine][concurrency]") {
    const bool async = GENERATE(false, true);
    const TestInput input = make_input(400);
    auto source = make_range_source(input.nodes);
    MemorySink sink;
    MemoryCheckpointStore store;
    // Ordinal 0 keeps failing with a minute between tries: its batch can only end by a cancel.
    const ScorerFaults faults{{{0, 1000}}, {}};
    FlakyScorer flaky(faults);
    LatencyScorer remote(10us, faults);
    BulkScorerOptions options = retry_options(2, 10);
    options.retry.initial = 60s;
    options.retry.cap = 60s;
    std::promise<void> retrying;
    auto engine = async ? std::make_unique<BulkScorer>(*source, remote, sink, store, options)
                        : std::make_unique<BulkScorer>(*source, flaky, sink, store, options);
    bool signalled = false;
    engine->on_progress([&](const ProgressEvent& event) {
        if (event.retries > 0 && !signalled) {
            signalled = true;
            retrying.set_value();
        }
    });
    std::jthread canceller([&] {
        if (retrying.get_future().wait_for(30s) == std::future_status::ready) {
            engine->cancel();
        }
    });

    const Result<RunSummary> summary = engine->run(spec());

    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kCancelled);
    CHECK(store.get(kJob)->position.ordinal == 0);  // The batch of ordinal 0 was not committed.
    CHECK(sink.result_count() + sink.rejection_count() == 0);
}

}  // namespace bulkscore::testing
