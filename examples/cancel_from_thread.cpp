// SPDX-License-Identifier: MIT
//
// Cancelling a run from another thread: the engine runs on a `std::jthread`, the main thread
// waits until a fifth of the site is done (the progress observer tells it) and asks the run to
// stop through the thread's stop token. The engine stops reading, commits what is complete in
// order, saves a checkpoint and returns `cancelled`. `BulkScorer::cancel()` does the same from
// any thread for a host that does not use stop tokens.
//
//     example_cancel_from_thread [PAGES]
//
// Results go to a small host sink that only counts them. The program checks that the run was
// cancelled, that the checkpoint covers exactly what the sink made durable, and that less than
// the whole site was done; it exits 1 otherwise.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/memory_checkpoint_store.hpp"
#include "bulkscore/scorer.hpp"
#include "bulkscore/site_generator.hpp"

namespace {

// A sink that keeps nothing but counts: `flush` reports the durable count as its state.
class CountingSink final : public bulkscore::ResultSink {
public:
    bulkscore::Status write(const bulkscore::ScoredBatch& batch) override {
        written_ += batch.record_count;
        return bulkscore::Status();
    }
    bulkscore::Result<std::string> flush() override {
        durable_ = written_;
        return "count=" + std::to_string(durable_);
    }
    bulkscore::Status restore(std::string_view state) override {
        durable_ =
            state.empty() ? 0 : std::strtoull(std::string(state.substr(6)).c_str(), nullptr, 10);
        written_ = durable_;
        return bulkscore::Status();
    }
    std::uint64_t durable() const noexcept { return durable_; }

private:
    std::uint64_t written_ = 0;
    std::uint64_t durable_ = 0;
};

int fail(const std::string& why) {
    std::fprintf(stderr, "cancel_from_thread: %s\n", why.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    using Clock = std::chrono::steady_clock;
    const std::uint64_t pages = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 3'000'000;

    auto source = bulkscore::make_site_generator_source({.pages = pages, .seed = 2});
    const bulkscore::OpportunityScoring scorer;
    CountingSink sink;
    bulkscore::MemoryCheckpointStore checkpoints;
    bulkscore::BulkScorer engine(*source, scorer, sink, checkpoints);

    // The observer runs on the engine's committer thread; it only flips a flag and notifies.
    std::mutex mutex;
    std::condition_variable reached;
    bool fifth_done = false;  // Guarded by mutex.
    engine.on_progress([&](const bulkscore::ProgressEvent& event) {
        if (event.done * 5 >= pages) {
            std::lock_guard lock(mutex);
            fifth_done = true;
            reached.notify_one();
        }
    });

    std::optional<bulkscore::Result<bulkscore::RunSummary>> outcome;
    std::jthread runner([&](std::stop_token stop) {
        outcome.emplace(
            engine.run({.job = "site", .input = "generated", .input_fingerprint = "seed 2"}, stop));
    });
    {
        std::unique_lock lock(mutex);
        reached.wait(lock, [&] { return fifth_done; });
    }
    const auto asked = Clock::now();
    runner.request_stop();
    runner.join();
    const std::chrono::duration<double, std::milli> latency = Clock::now() - asked;

    if (!outcome || !outcome->ok()) {
        return fail(outcome ? outcome->status().to_string() : "the run did not return");
    }
    const bulkscore::RunSummary& summary = **outcome;
    if (summary.state != bulkscore::JobState::kCancelled) {
        return fail("the run was not cancelled (it ended " +
                    std::string(bulkscore::to_string(summary.state)) + ")");
    }
    const std::uint64_t saved = summary.scored + summary.rejected;
    const auto checkpoint = checkpoints.get("site");
    if (!checkpoint || checkpoint->state != bulkscore::JobState::kCancelled ||
        checkpoint->position.ordinal != saved || sink.durable() != saved || saved >= pages) {
        return fail("the checkpoint, the sink and the summary disagree about what was saved");
    }
    std::printf(
        "cancelled %.0f ms after the request: %llu of %llu pages saved; running the same "
        "job again would resume at page %llu\n",
        latency.count(), static_cast<unsigned long long>(saved),
        static_cast<unsigned long long>(pages),
        static_cast<unsigned long long>(checkpoint->position.ordinal));
    return 0;
}
