// SPDX-License-Identifier: MIT
//
// Tests of `BulkScorer`: exactly once and in order against a plain scoring loop, over several
// worker counts; bounded batches; progress events checked against the sink's true counts;
// failure, cancellation, resume, restart and refusal to resume; duplicate ids, empty and
// all-bad inputs; an async scorer's concurrency limit. Observers only record: every assertion
// runs on the test thread.

#include "bulkscore/bulk_scorer.hpp"

#include <chrono>
#include <future>
#include <set>
#include <stop_token>
#include <thread>

#include <catch2/catch.hpp>

#include "bulkscore/memory_checkpoint_store.hpp"
#include "bulkscore/memory_sink.hpp"
#include "bulkscore/range_source.hpp"

#include "support/fault_injection.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;

namespace bulkscore::testing {
namespace {

constexpr const char* kJob = "site";

BulkScorerOptions test_options(std::size_t workers) {
    BulkScorerOptions options;
    options.worker_threads = workers;
    options.batch_size = 64;
    options.batches_in_flight = 4;
    options.checkpoint_interval = 0ms;  // A checkpoint whenever something was written.
    options.progress_interval = 1ms;
    options.retry = RetryPolicy{5, 1ms, 2, 4ms};
    return options;
}

JobSpec job_spec(std::string fingerprint = "input-v1") {
    return JobSpec{kJob, "pages.csv", std::move(fingerprint), false};
}

/// Each event with the truth at the moment it was emitted.
struct Observed {
    ProgressEvent event;
    std::uint64_t sink_records = 0;  // Results and rejections the sink holds.
    std::uint64_t durable = 0;       // Records counted by the saved checkpoint.
};

class EventLog {
public:
    EventLog(BulkScorer& engine, const MemorySink& sink, const MemoryCheckpointStore& store) {
        // Runs on the committer (the thread in `run`): the sink and store are quiet meanwhile.
        engine.on_progress([this, &sink, &store](const ProgressEvent& event) {
            const auto checkpoint = store.get(kJob);
            events.push_back({event, sink.result_count() + sink.rejection_count(),
                              checkpoint ? checkpoint->scored + checkpoint->rejected : 0});
        });
    }
    std::vector<Observed> events;
};

bool is_terminal(ProgressPhase phase) {
    return phase == ProgressPhase::kFinished || phase == ProgressPhase::kCancelled ||
           phase == ProgressPhase::kFailed;
}

/// Every event against the truth: phases in a legal order, `done` exact and monotone, the
/// percent within a point of it, `committed` durable, 100 % at a finish.
void check_events(const std::vector<Observed>& events, ProgressPhase last) {
    REQUIRE(events.size() >= 2);
    CHECK(events.front().event.phase == ProgressPhase::kStarted);
    CHECK(events.back().event.phase == last);
    std::uint64_t previous_done = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const ProgressEvent& e = events[i].event;
        INFO("event " << i << ": " << to_json(e));
        if (i > 0) {
            CHECK(e.phase != ProgressPhase::kStarted);
        }
        if (i + 1 < events.size()) {
            CHECK(!is_terminal(e.phase));
        }
        CHECK(e.done == e.scored + e.rejected);
        CHECK(e.done == events[i].sink_records);
        CHECK(e.done >= previous_done);
        CHECK(e.committed <= e.done);
        CHECK(e.committed == events[i].durable);
        if (e.total > 0) {
            const double truth =
                100.0 * static_cast<double>(events[i].sink_records) / static_cast<double>(e.total);
            CHECK(std::abs(e.percent - truth) <= 1.0);
        }
        previous_done = e.done;
    }
    if (last == ProgressPhase::kFinished) {
        CHECK(events.back().event.percent == 100.0);
        CHECK(events.back().event.done == events.back().event.total);
    }
}

void check_complete(const MemorySink& sink, const ExpectedOutcome& expected) {
    const std::vector<ScoreRow> results = sink.results();
    REQUIRE(results.size() == expected.results.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
        INFO("result " << i);
        REQUIRE(results[i] == expected.results[i]);
    }
    CHECK(ordinals_of(sink.rejections()) == expected.rejected);
}

}  // namespace

TEST_CASE("BulkScorer: scores every record exactly once, in order, as a plain loop does",
          "[engine][concurrency]") {
    const std::size_t workers = GENERATE(as<std::size_t>{}, 1, 2, 4, 8);
    const TestInput input = make_input(5000);
    auto source = make_range_source(input.nodes);
    MemorySink sink;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    BulkScorer engine(*source, scoring, sink, store, test_options(workers));
    EventLog log(engine, sink, store);

    const Result<RunSummary> summary = engine.run(job_spec());

    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFinished);
    CHECK(summary->total == 5000);
    check_complete(sink, expected_outcome(input));
    CHECK(summary->scored + summary->rejected == 5000);
    check_events(log.events, ProgressPhase::kFinished);
    const auto checkpoint = store.get(kJob);
    REQUIRE(checkpoint);
    CHECK(checkpoint->state == JobState::kFinished);
    CHECK(checkpoint->position.ordinal == 5000);
}

TEST_CASE("BulkScorer: keeps at most batches_in_flight batches out, even with a slow sink",
          "[engine][concurrency]") {
    const std::size_t in_flight = GENERATE(as<std::size_t>{}, 2, 3, 5);
    const TestInput input = make_input(3000);
    auto inner = make_range_source(input.nodes);
    MemorySink memory;
    FaultPlan slow;
    slow.delay = 200us;
    FaultySink sink(memory, slow);
    ObservedSource source(*inner, &sink);
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    BulkScorerOptions options = test_options(4);
    options.batches_in_flight = in_flight;
    options.batch_size = 10;
    BulkScorer engine(source, scoring, sink, store, options);

    REQUIRE_OK(engine.run(job_spec()));

    CHECK(source.max_batches_out() <= in_flight);
    CHECK(source.max_batches_out() >= 1);
    check_complete(memory, expected_outcome(input));
}

TEST_CASE("BulkScorer: without a count, progress has no percent until the finish",
          "[engine][concurrency]") {
    const TestInput input = make_input(1200);
    auto source = make_range_source(input.nodes);
    MemorySink sink;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    BulkScorerOptions options = test_options(2);
    options.count_total = false;
    BulkScorer engine(*source, scoring, sink, store, options);
    EventLog log(engine, sink, store);

    REQUIRE_OK(engine.run(job_spec()));

    check_events(log.events, ProgressPhase::kFinished);
    for (std::size_t i = 0; i + 1 < log.events.size(); ++i) {
        CHECK(log.events[i].event.total == 0);
        CHECK(log.events[i].event.percent == 0);
    }
    CHECK(log.events.back().event.total == 1200);
}

TEST_CASE("BulkScorer: a sink that fails for good stops the run, and a resume completes it",
          "[engine][concurrency]") {
    const TestInput input = make_input(2000);
    MemorySink memory;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    FaultPlan plan;
    plan.fail_call = 9;  // The first flush is call 1; then a write and a flush per batch.
    {
        auto source = make_range_source(input.nodes);
        FaultySink sink(memory, plan);
        BulkScorer engine(*source, scoring, sink, store, test_options(2));
        EventLog log(engine, memory, store);
        const Result<RunSummary> failed = engine.run(job_spec());
        REQUIRE_OK(failed);
        CHECK(failed->state == JobState::kFailed);
        CHECK(failed->error.code() == StatusCode::kResourceExhausted);
        check_events(log.events, ProgressPhase::kFailed);
    }
    const auto checkpoint = store.get(kJob);
    REQUIRE(checkpoint);
    CHECK(checkpoint->state == JobState::kFailed);
    CHECK(checkpoint->message.find("injected failure") != std::string::npos);
    CHECK(checkpoint->position.ordinal == checkpoint->scored + checkpoint->rejected);
    CHECK(checkpoint->position.ordinal > 0);
    CHECK(checkpoint->position.ordinal < 2000);

    auto source = make_range_source(input.nodes);
    BulkScorer engine(*source, scoring, memory, store, test_options(2));
    const Result<RunSummary> resumed = engine.run(job_spec());
    REQUIRE_OK(resumed);
    CHECK(resumed->state == JobState::kFinished);
    CHECK(resumed->resumed);
    CHECK(resumed->resumed_from == checkpoint->position.ordinal);
    check_complete(memory, expected_outcome(input));
}

TEST_CASE("BulkScorer: a cancel from another thread stops the run; a resume completes it",
          "[engine][concurrency]") {
    const bool by_token = GENERATE(false, true);
    const TestInput input = make_input(4000);
    MemorySink sink;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    {
        auto inner = make_range_source(input.nodes);
        ObservedSource source(*inner);
        source.hold_at(2000);
        BulkScorer engine(source, scoring, sink, store, test_options(4));
        EventLog log(engine, sink, store);
        std::stop_source stop;
        std::jthread canceller([&] {
            if (source.wait_until_held()) {
                by_token ? static_cast<void>(stop.request_stop()) : engine.cancel();
            }
            source.release();
        });
        const Result<RunSummary> cancelled = engine.run(job_spec(), stop.get_token());
        REQUIRE_OK(cancelled);
        CHECK(cancelled->state == JobState::kCancelled);
        check_events(log.events, ProgressPhase::kCancelled);
    }
    const auto checkpoint = store.get(kJob);
    REQUIRE(checkpoint);
    CHECK(checkpoint->state == JobState::kCancelled);
    CHECK(checkpoint->position.ordinal <= 2000);  // Nothing read after the stop was started.
    CHECK(checkpoint->position.ordinal == sink.result_count() + sink.rejection_count());

    auto source = make_range_source(input.nodes);
    BulkScorer engine(*source, scoring, sink, store, test_options(4));
    const Result<RunSummary> resumed = engine.run(job_spec());
    REQUIRE_OK(resumed);
    CHECK(resumed->state == JobState::kFinished);
    CHECK(resumed->resumed);
    check_complete(sink, expected_outcome(input));
}

TEST_CASE("BulkScorer: a finished job is not run again unless restarted", "[engine]") {
    const TestInput input = make_input(500);
    MemorySink sink;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    auto run_once = [&](bool restart) {
        auto source = make_range_source(input.nodes);
        BulkScorer engine(*source, scoring, sink, store, test_options(2));
        JobSpec spec = job_spec();
        spec.restart = restart;
        return engine.run(spec);
    };
    REQUIRE_OK(run_once(false));

    const Result<RunSummary> again = run_once(false);
    REQUIRE_OK(again);
    CHECK(again->already_finished);
    CHECK(again->scored + again->rejected == 500);

    const Result<RunSummary> restarted = run_once(true);
    REQUIRE_OK(restarted);
    CHECK(restarted->state == JobState::kFinished);
    CHECK_FALSE(restarted->resumed);
    check_complete(sink, expected_outcome(input));  // Once, not twice.
}

TEST_CASE("BulkScorer: refuses to resume when the input or the scorer configuration changed",
          "[engine]") {
    const TestInput input = make_input(1000);
    MemorySink memory;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    {
        auto source = make_range_source(input.nodes);
        FaultPlan plan;
        plan.fail_call = 4;
        FaultySink sink(memory, plan);
        BulkScorer engine(*source, scoring, sink, store, test_options(2));
        REQUIRE(engine.run(job_spec())->state == JobState::kFailed);
    }
    auto source = make_range_source(input.nodes);
    SECTION("a changed input") {
        BulkScorer engine(*source, scoring, memory, store, test_options(2));
        const Result<RunSummary> refused = engine.run(job_spec("input-v2"));
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.status().code() == StatusCode::kFailedPrecondition);
        CHECK_THAT(std::string(refused.status().message()),
                   Catch::Contains("input 'pages.csv' changed") && Catch::Contains("--restart"));
    }
    SECTION("a changed configuration, then a restart with it") {
        ScorerConfig config = ScorerConfig::defaults();
        config.target_position = 5;
        Result<OpportunityScorer> other = OpportunityScorer::create(config);
        REQUIRE_OK(other);
        const OpportunityScoring changed(*other);
        BulkScorer engine(*source, changed, memory, store, test_options(2));
        const Result<RunSummary> refused = engine.run(job_spec());
        REQUIRE_FALSE(refused.ok());
        CHECK_THAT(std::string(refused.status().message()),
                   Catch::Contains("scorer configuration changed") && Catch::Contains("--restart"));
        JobSpec restart = job_spec();
        restart.restart = true;
        BulkScorer again(*source, changed, memory, store, test_options(2));
        REQUIRE_OK(again.run(restart));
        CHECK(memory.result_count() + memory.rejection_count() == 1000);
    }
}

TEST_CASE("BulkScorer: an id that appears twice keeps the later record's result", "[engine]") {
    const TestInput input = make_input(1000, 0, 100);
    auto source = make_range_source(input.nodes);
    MemorySink sink;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    BulkScorer engine(*source, scoring, sink, store, test_options(4));

    REQUIRE_OK(engine.run(job_spec()));

    const std::vector<ScoreRow> rows = sink.rows();
    REQUIRE(rows.size() == 100);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CHECK(rows[i].ordinal == 900 + i);
        CHECK(rows[i] == expected_outcome(input).results[900 + i]);
    }
    CHECK(sink.result_count() == 1000);
}

TEST_CASE("BulkScorer: an empty input finishes at 100 percent", "[engine]") {
    const std::vector<Node> nothing;
    auto source = make_range_source(nothing);
    MemorySink sink;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    BulkScorer engine(*source, scoring, sink, store, test_options(2));
    EventLog log(engine, sink, store);

    const Result<RunSummary> summary = engine.run(job_spec());

    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFinished);
    CHECK(summary->scored + summary->rejected == 0);
    check_events(log.events, ProgressPhase::kFinished);
    CHECK(store.get(kJob)->state == JobState::kFinished);
}

TEST_CASE("BulkScorer: an input of only bad records rejects them all and finishes",
          "[engine][concurrency]") {
    const TestInput input = make_input(700, 1);
    auto source = make_range_source(input.nodes);
    MemorySink sink;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    BulkScorer engine(*source, scoring, sink, store, test_options(4));
    EventLog log(engine, sink, store);

    const Result<RunSummary> summary = engine.run(job_spec());

    REQUIRE_OK(summary);
    CHECK(summary->rejected == 700);
    CHECK(sink.result_count() == 0);
    check_complete(sink, expected_outcome(input));
    check_events(log.events, ProgressPhase::kFinished);
    CHECK(sink.rejections().front().reason == RejectReason::kClicksExceedImpressions);
}

TEST_CASE(
    "BulkScorer: an async scorer keeps to its calls-in-flight limit and matches the sync "
    "scorer",
    "[engine][concurrency]") {
    const std::size_t workers = GENERATE(as<std::size_t>{}, 1, 2, 4);
    const TestInput input = make_input(1500);
    auto source = make_range_source(input.nodes);
    MemorySink sink;
    MemoryCheckpointStore store;
    LatencyScorer scorer(100us, ScorerFaults{{{3, 2}, {700, 1}, {1499, 3}}, {}});
    BulkScorerOptions options = test_options(workers);
    options.async_nodes_in_flight = 8;
    BulkScorer engine(*source, scorer, sink, store, options);
    EventLog log(engine, sink, store);

    const Result<RunSummary> summary = engine.run(job_spec());

    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFinished);
    CHECK(summary->retries == 6);
    CHECK(scorer.max_in_flight() <= 8);
    CHECK(scorer.max_in_flight() >= 2);
    check_complete(sink, expected_outcome(input));
    check_events(log.events, ProgressPhase::kFinished);
}

TEST_CASE("BulkScorer: an observer that throws does not stop the run or other observers",
          "[engine]") {
    const TestInput input = make_input(800);
    auto source = make_range_source(input.nodes);
    MemorySink sink;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    BulkScorer engine(*source, scoring, sink, store, test_options(2));
    int thrown = 0;
    engine.on_progress([&](const ProgressEvent&) {
        ++thrown;
        throw std::runtime_error("observer bug");
    });
    EventLog log(engine, sink, store);

    const Result<RunSummary> summary = engine.run(job_spec());

    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFinished);
    CHECK(thrown == static_cast<int>(log.events.size()));
    check_events(log.events, ProgressPhase::kFinished);
}

TEST_CASE("BulkScorer: rejects settings out of range before touching anything", "[engine]") {
    const std::vector<Node> nothing;
    auto source = make_range_source(nothing);
    MemorySink sink;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    BulkScorerOptions options;
    options.batches_in_flight = 1;
    BulkScorer engine(*source, scoring, sink, store, options);

    const Result<RunSummary> summary = engine.run(job_spec());

    REQUIRE_FALSE(summary.ok());
    CHECK(summary.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(summary.status().message()), Catch::Contains("in flight"));
    CHECK(store.save_count() == 0);
}

TEST_CASE("BulkScorer: fingerprint_file changes with the file and names a missing one",
          "[engine]") {
    TempDir dir;
    write_file(dir / "a.csv", "id,impressions\nx,1\n");
    const Result<std::string> first = fingerprint_file(dir / "a.csv");
    REQUIRE_OK(first);
    CHECK(*fingerprint_file(dir / "a.csv") == *first);
    write_file(dir / "a.csv", "id,impressions\ny,1\n");
    CHECK(*fingerprint_file(dir / "a.csv") != *first);

    const Result<std::string> missing = fingerprint_file(dir / "missing.csv");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().code() == StatusCode::kNotFound);
    CHECK_THAT(std::string(missing.status().message()), Catch::Contains("missing.csv"));
}

}  // namespace bulkscore::testing
