// SPDX-License-Identifier: MIT
//
// A host scorer that asks a remote service about each page: an `AsyncScorer` whose calls take
// a few milliseconds and sometimes fail transiently. The engine keeps many calls in flight at
// once (`async_nodes_in_flight`, independent of the thread count), retries the failures with
// backoff on timers, and never blocks a thread while a call or a retry waits.
//
//     example_async_remote_scorer [PAGES] [IN_FLIGHT]
//
// The "service" here is simulated: a timer for the latency, a seeded coin for the failures,
// then the default opportunity score. A real host would await its HTTP client instead.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/memory_checkpoint_store.hpp"
#include "bulkscore/memory_sink.hpp"
#include "bulkscore/scorer.hpp"
#include "bulkscore/site_generator.hpp"

namespace {

class SimulatedRemoteScorer final : public bulkscore::AsyncScorer {
public:
    SimulatedRemoteScorer(std::chrono::microseconds latency, unsigned failure_percent)
        : latency_(latency), failure_percent_(failure_percent) {}

    boost::asio::awaitable<bulkscore::Status> score(const bulkscore::Node& node,
                                                    bulkscore::ScoreResult& out) override {
        boost::asio::steady_timer round_trip(co_await boost::asio::this_coro::executor, latency_);
        co_await round_trip.async_wait(boost::asio::use_awaitable);

        calls_.fetch_add(1, std::memory_order_relaxed);
        if (next_random() % 100 < failure_percent_) {
            co_return bulkscore::unavailable_error("remote service busy (simulated)");
        }
        out = local_.score(node);
        co_return bulkscore::Status();
    }

    std::string_view version() const noexcept override {
        return bulkscore::OpportunityScorer::kVersion;
    }
    std::string fingerprint() const override { return "simulated-remote/opportunity-v1"; }

    std::uint64_t calls() const noexcept { return calls_.load(std::memory_order_relaxed); }

private:
    // A shared xorshift state: calls race on it, which only makes the coin less predictable.
    std::uint64_t next_random() noexcept {
        std::uint64_t x = state_.load(std::memory_order_relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state_.store(x, std::memory_order_relaxed);
        return x;
    }

    std::chrono::microseconds latency_;
    unsigned failure_percent_;
    bulkscore::OpportunityScorer local_;
    std::atomic<std::uint64_t> state_{0x9e3779b97f4a7c15ULL};
    std::atomic<std::uint64_t> calls_{0};
};

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t pages = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20000;
    const std::size_t in_flight = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 128;

    auto source = bulkscore::make_site_generator_source({.pages = pages, .seed = 7});
    SimulatedRemoteScorer scorer(std::chrono::milliseconds(2), 5);
    bulkscore::MemorySink sink;
    bulkscore::MemoryCheckpointStore checkpoints;

    bulkscore::BulkScorerOptions options;
    options.worker_threads = 2;
    options.async_nodes_in_flight = in_flight;
    options.retry.initial = std::chrono::milliseconds(2);
    options.retry.attempts = 8;

    bulkscore::BulkScorer engine(*source, scorer, sink, checkpoints, options);
    engine.on_progress([](const bulkscore::ProgressEvent& event) {
        if (event.phase != bulkscore::ProgressPhase::kRunning) {
            std::printf("%-9s %6.1f%%  %llu scored, %llu rejected, %.0f pages/s\n",
                        std::string(bulkscore::to_string(event.phase)).c_str(), event.percent,
                        static_cast<unsigned long long>(event.scored),
                        static_cast<unsigned long long>(event.rejected), event.rate);
        }
    });

    auto summary = engine.run({.job = "remote", .input = "generated"});
    if (!summary.ok()) {
        std::fprintf(stderr, "error: %s\n", summary.status().to_string().c_str());
        return 1;
    }
    const double rate = static_cast<double>(pages) / summary->elapsed_s;
    std::printf(
        "%llu pages in %.2f s (%.0f pages/s with %zu calls in flight of 2 ms each); "
        "%llu remote calls, %llu retries, %llu rejected after retries\n",
        static_cast<unsigned long long>(pages), summary->elapsed_s, rate, in_flight,
        static_cast<unsigned long long>(scorer.calls()),
        static_cast<unsigned long long>(summary->retries),
        static_cast<unsigned long long>(summary->rejected));
    return summary->state == bulkscore::JobState::kFinished ? 0 : 1;
}
