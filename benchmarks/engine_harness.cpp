// SPDX-License-Identifier: MIT
//
// `bulkscore_engine_harness`: measures the engine against the plain loop it replaces, and the
// engine driving an asynchronous scorer. `benchmarks/run` starts it once per measurement, so
// that each run's peak RSS and CPU time are its own; it prints one JSON object on stdout.
//
//     bulkscore_engine_harness loop   --pages N
//     bulkscore_engine_harness engine --pages N --threads T
//     bulkscore_engine_harness async  --pages N --threads T --in-flight K --latency-ms L
//
// `loop` generates the synthetic site node by node and scores each node on one thread: what a
// host would write without the engine. `engine` runs the same generator through `BulkScorer`
// with `OpportunityScoring` into a sink that only sums the scores. Both print the sum of all
// scores, taken in input order, so the driver can check that they computed the same thing.
// `async` scores through an `AsyncScorer` that waits `L` ms on an Asio timer per node, as a
// scorer calling a remote service would, with `K` nodes in flight.
//
// Thread safety: a single-threaded program apart from the engine's own threads.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/memory_checkpoint_store.hpp"
#include "bulkscore/node_batch.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/result_sink.hpp"
#include "bulkscore/scorer.hpp"
#include "bulkscore/site_generator.hpp"

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kSeed = 1;
constexpr std::size_t kLoopBatch = 1000;  // The engine's default batch size.

struct Settings {
    std::uint64_t pages = 1'000'000;
    std::size_t threads = 1;
    std::size_t in_flight = 64;
    std::int64_t latency_ms = 2;
};

// What one measurement found.
struct Outcome {
    double seconds = 0;
    std::uint64_t scored = 0;
    std::uint64_t rejected = 0;
    double score_sum = 0;
};

void print_outcome(std::string_view mode, const Settings& settings, const Outcome& outcome) {
    fmt::print(
        "{{\"mode\":\"{}\",\"pages\":{},\"threads\":{},\"in_flight\":{},\"latency_ms\":{},"
        "\"seconds\":{},\"scored\":{},\"rejected\":{},\"score_sum\":{}}}\n",
        mode, settings.pages, settings.threads, settings.in_flight, settings.latency_ms,
        outcome.seconds, outcome.scored, outcome.rejected, outcome.score_sum);
    std::fflush(stdout);
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// A sink that keeps nothing: it counts what it is given and sums the scores in input order
// (the engine commits in input order), which is the check that nothing was skipped.
class DiscardSink final : public bulkscore::ResultSink {
public:
    bulkscore::Status write(const bulkscore::ScoredBatch& batch) override {
        for (const bulkscore::ScoreResult& result : batch.results) {
            score_sum_ += result.score;
        }
        scored_ += batch.results.size();
        rejected_ += batch.rejections.size();
        return bulkscore::ok_status();
    }
    bulkscore::Result<std::string> flush() override { return std::string("discard"); }
    bulkscore::Status restore(std::string_view) override { return bulkscore::ok_status(); }

    double score_sum() const noexcept { return score_sum_; }
    std::uint64_t scored() const noexcept { return scored_; }
    std::uint64_t rejected() const noexcept { return rejected_; }

private:
    double score_sum_ = 0;
    std::uint64_t scored_ = 0;
    std::uint64_t rejected_ = 0;
};

// The scorer of a remote service: the same score, after `latency` of waiting that holds no
// thread.
class RemoteScorer final : public bulkscore::AsyncScorer {
public:
    explicit RemoteScorer(std::chrono::milliseconds latency) : latency_(latency) {}

    boost::asio::awaitable<bulkscore::Status> score(const bulkscore::Node& node,
                                                    bulkscore::ScoreResult& out) override {
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, latency_);
        auto [error] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        if (error) {
            co_return bulkscore::unavailable_error("the simulated service timer failed");
        }
        out = scorer_.score(node);
        co_return bulkscore::ok_status();
    }
    std::string_view version() const noexcept override {
        return bulkscore::OpportunityScorer::kVersion;
    }
    std::string fingerprint() const override { return "remote-opportunity-v1"; }

private:
    std::chrono::milliseconds latency_;
    bulkscore::OpportunityScorer scorer_;
};

int run_loop(const Settings& settings) {
    const auto start = Clock::now();
    const std::unique_ptr<bulkscore::NodeSource> source =
        bulkscore::make_site_generator_source({.pages = settings.pages, .seed = kSeed});
    const bulkscore::OpportunityScorer scorer;
    bulkscore::NodeBatch batch;
    Outcome outcome;
    for (;;) {
        if (const bulkscore::Status status = source->read(batch, kLoopBatch); !status.ok()) {
            fmt::print(stderr, "loop: reading the generator failed: {}\n", status.message());
            return 1;
        }
        if (batch.record_count == 0) {
            break;
        }
        for (const bulkscore::Node& node : batch.nodes) {
            outcome.score_sum += scorer.score(node).score;
        }
        outcome.scored += batch.nodes.size();
        outcome.rejected += batch.rejections.size();
    }
    outcome.seconds = seconds_since(start);
    print_outcome("loop", settings, outcome);
    return 0;
}

// Runs `BulkScorer` over the generator with `scorer` (a `Scorer` or an `AsyncScorer`).
template <class AnyScorer>
int run_engine(std::string_view mode, const Settings& settings, AnyScorer& scorer) {
    const auto start = Clock::now();
    const std::unique_ptr<bulkscore::NodeSource> source =
        bulkscore::make_site_generator_source({.pages = settings.pages, .seed = kSeed});
    DiscardSink sink;
    bulkscore::MemoryCheckpointStore checkpoints;
    bulkscore::BulkScorerOptions options;
    options.worker_threads = settings.threads;
    options.async_nodes_in_flight = settings.in_flight;
    bulkscore::BulkScorer engine(*source, scorer, sink, checkpoints, options);
    const bulkscore::Result<bulkscore::RunSummary> summary =
        engine.run({.job = "bench", .input = "generator", .input_fingerprint = "generator"});
    if (!summary.ok() || summary->state != bulkscore::JobState::kFinished) {
        fmt::print(stderr, "{}: the run did not finish: {}\n", mode,
                   summary.ok() ? summary->error.message() : summary.status().message());
        return 1;
    }
    const Outcome outcome{.seconds = seconds_since(start),
                          .scored = sink.scored(),
                          .rejected = sink.rejected(),
                          .score_sum = sink.score_sum()};
    print_outcome(mode, settings, outcome);
    return 0;
}

int run(int argc, char** argv) {
    CLI::App app("Measures the bulkscore engine; prints one JSON object per run");
    app.require_subcommand(1);
    Settings settings;
    const auto add_common = [&](CLI::App* command) {
        command->add_option("--pages", settings.pages, "Pages of the synthetic site")
            ->check(CLI::PositiveNumber);
    };
    CLI::App* loop = app.add_subcommand("loop", "Generate and score in one plain loop");
    add_common(loop);
    CLI::App* engine = app.add_subcommand("engine", "BulkScorer into a discarding sink");
    add_common(engine);
    engine->add_option("--threads", settings.threads, "Worker threads")->check(CLI::PositiveNumber);
    CLI::App* async = app.add_subcommand("async", "BulkScorer with a remote-latency scorer");
    add_common(async);
    async->add_option("--threads", settings.threads, "Worker threads")->check(CLI::PositiveNumber);
    async->add_option("--in-flight", settings.in_flight, "Nodes in flight")
        ->check(CLI::PositiveNumber);
    async->add_option("--latency-ms", settings.latency_ms, "Simulated latency per node")
        ->check(CLI::NonNegativeNumber);
    CLI11_PARSE(app, argc, argv);

    if (loop->parsed()) {
        return run_loop(settings);
    }
    if (engine->parsed()) {
        const bulkscore::OpportunityScoring scoring;
        return run_engine("engine", settings, scoring);
    }
    RemoteScorer remote{std::chrono::milliseconds(settings.latency_ms)};
    return run_engine("async", settings, remote);
}

}  // namespace

int main(int argc, char** argv) {
    // No exception may end the program without a word: CLI11 and fmt may throw.
    try {
        return run(argc, argv);
    } catch (const std::exception& error) {
        fmt::print(stderr, "bulkscore_engine_harness: {}\n", error.what());
        return 1;
    }
}
