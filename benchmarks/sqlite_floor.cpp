// SPDX-License-Identifier: MIT
//
// `bulkscore_sqlite_floor INPUT.csv DB`: the floor under `bulkscore score INPUT --db DB`. It
// reads and scores the whole input into memory first (not timed), then times only what SQLite
// must do with the results: `SqliteStore` writing every batch, with a checkpoint commit every
// second and at the end, exactly as the engine drives it with default settings (same store,
// same pragmas, same statements). No engine, no parsing, no scoring inside the timed part, so
// the end-to-end time can be compared with the time the database alone needs.
//
// Prints one JSON object on stdout: the records, the seconds, and `half_seconds`, when the store
// had been handed the first half of the records (its cost per record grows with the database, so
// the second half takes longer than the first; the benchmark's resume rows compare with it).
// Memory: holds every result of the input at once (about 200 bytes a page), so its peak RSS
// says nothing about the CLI's.
//
// Thread safety: single-threaded.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/node_batch.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/scored_batch.hpp"
#include "bulkscore/sqlite_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kBatchSize = 1000;                    // The engine's default.
constexpr std::chrono::milliseconds kCommitInterval{1000};  // The engine's checkpoint interval.

// One batch as the committer would hand it to the store: the scored results, and the input
// batch whose arena owns their text.
struct HeldBatch {
    std::unique_ptr<bulkscore::NodeBatch> input;
    bulkscore::ScoredBatch scored;
};

bulkscore::Result<std::vector<HeldBatch>> score_into_memory(const std::string& path) {
    bulkscore::SourceOptions options;
    options.path = path;
    bulkscore::Result<std::unique_ptr<bulkscore::NodeSource>> source =
        bulkscore::open_source(options);
    if (!source.ok()) {
        return source.status();
    }
    const bulkscore::OpportunityScorer scorer;
    std::vector<HeldBatch> held;
    for (;;) {
        HeldBatch next{std::make_unique<bulkscore::NodeBatch>(), {}};
        BULKSCORE_RETURN_IF_ERROR((*source)->read(*next.input, kBatchSize));
        if (next.input->record_count == 0) {
            return held;
        }
        for (const bulkscore::Node& node : next.input->nodes) {
            next.scored.results.push_back(scorer.score(node));
        }
        next.scored.rejections = next.input->rejections;
        next.scored.first_ordinal = next.input->first_ordinal;
        next.scored.record_count = next.input->record_count;
        next.scored.end = next.input->end;
        // The results keep views into the arena only; the parsed nodes can go.
        next.input->nodes = {};
        held.push_back(std::move(next));
    }
}

bulkscore::Checkpoint checkpoint_after(const HeldBatch& batch,
                                       const std::string& input,
                                       std::uint64_t scored,
                                       std::uint64_t rejected,
                                       bulkscore::JobState state) {
    bulkscore::Checkpoint checkpoint;
    checkpoint.job = "floor";
    checkpoint.state = state;
    checkpoint.position = batch.scored.end;
    checkpoint.scored = scored;
    checkpoint.rejected = rejected;
    checkpoint.input = input;
    checkpoint.input_fingerprint = "floor";
    checkpoint.config_fingerprint = std::string(bulkscore::OpportunityScorer::kVersion);
    checkpoint.sink_state = std::string(bulkscore::SqliteStore::kSinkState);
    return checkpoint;
}

// Writes every batch, committing every `kCommitInterval` and at the end. Sets `half_written` to
// when the store had been handed the batch that completes the first half of `records`.
bulkscore::Status insert_all(bulkscore::SqliteStore& store,
                             const std::vector<HeldBatch>& held,
                             const std::string& input,
                             std::uint64_t records,
                             Clock::time_point& half_written) {
    std::uint64_t scored = 0;
    std::uint64_t rejected = 0;
    auto last_commit = Clock::now();
    for (std::size_t i = 0; i < held.size(); ++i) {
        BULKSCORE_RETURN_IF_ERROR(store.write(held[i].scored));
        const std::uint64_t before = scored + rejected;
        scored += held[i].scored.results.size();
        rejected += held[i].scored.rejections.size();
        if (before * 2 < records && (scored + rejected) * 2 >= records) {
            half_written = Clock::now();
        }
        const bool last = i + 1 == held.size();
        if (last || Clock::now() - last_commit >= kCommitInterval) {
            BULKSCORE_RETURN_IF_ERROR(store.flush().status());
            const auto state =
                last ? bulkscore::JobState::kFinished : bulkscore::JobState::kRunning;
            BULKSCORE_RETURN_IF_ERROR(
                store.save(checkpoint_after(held[i], input, scored, rejected, state)));
            last_commit = Clock::now();
        }
    }
    return bulkscore::ok_status();
}

int run(int argc, char** argv) {
    if (argc != 3) {
        fmt::print(stderr, "usage: bulkscore_sqlite_floor INPUT.csv DB\n");
        return 2;
    }
    const std::string input = argv[1];
    bulkscore::Result<std::vector<HeldBatch>> held = score_into_memory(input);
    if (!held.ok()) {
        fmt::print(stderr, "floor: {}\n", held.status().message());
        return 1;
    }
    std::uint64_t records = 0;
    for (const HeldBatch& batch : *held) {
        records += batch.scored.record_count;
    }

    const auto start = Clock::now();
    auto half_written = start;
    bulkscore::Result<std::unique_ptr<bulkscore::SqliteStore>> store =
        bulkscore::SqliteStore::open(argv[2], "floor");
    bulkscore::Status status = store.ok() ? (*store)->restore("") : store.status();
    if (status.ok() && !held->empty()) {
        status = insert_all(**store, *held, input, records, half_written);
    }
    if (!status.ok()) {
        fmt::print(stderr, "floor: {}\n", status.message());
        return 1;
    }
    (*store).reset();  // Closing checkpoints the WAL, as the CLI's exit does.
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double half_seconds = std::chrono::duration<double>(half_written - start).count();
    fmt::print("{{\"mode\":\"floor\",\"records\":{},\"seconds\":{},\"half_seconds\":{}}}\n",
               records, seconds, half_seconds);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& error) {
        fmt::print(stderr, "bulkscore_sqlite_floor: {}\n", error.what());
        return 1;
    }
}
