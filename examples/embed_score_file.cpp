// SPDX-License-Identifier: MIT
//
// Embedding bulkscore in a host program: open a CSV export, score every page with the default
// `OpportunityScorer` into a SQLite database, print the progress as it goes, then list the ten
// best opportunities.
//
//     example_embed_score_file pages.csv [results.db]
//
// The database defaults to the input's path with `.db` appended. Each run starts the job over
// (`JobSpec::restart`); drop that line to resume an interrupted run instead.

#include <cstdio>
#include <filesystem>
#include <string>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/scorer.hpp"
#include "bulkscore/sqlite_store.hpp"

namespace {

int fail(const bulkscore::Status& status) {
    std::fprintf(stderr, "error: %s\n", status.to_string().c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: %s INPUT.csv [RESULTS.db]\n", argv[0]);
        return 2;
    }
    const std::filesystem::path input = argv[1];
    const std::filesystem::path database = argc == 3 ? argv[2] : input.string() + ".db";
    const std::string job = input.stem().string();

    // The input: a streaming source that reads the file in batches.
    bulkscore::SourceOptions source_options;
    source_options.path = input;
    auto source = bulkscore::open_source(source_options);
    if (!source.ok()) {
        return fail(source.status());
    }

    // Where results and checkpoints go: one SQLite file, committed together.
    auto store = bulkscore::SqliteStore::open(database, job);
    if (!store.ok()) {
        return fail(store.status());
    }

    // The default scorer (SCORING.md) and the engine that runs it on every hardware thread.
    const bulkscore::OpportunityScoring scorer;
    bulkscore::BulkScorer engine(**source, scorer, **store, **store);

    // Observers run on the engine's committer thread, one event at a time: no locking needed.
    int last_percent = -1;
    engine.on_progress([&](const bulkscore::ProgressEvent& event) {
        const int percent = static_cast<int>(event.percent);
        if (percent != last_percent) {
            last_percent = percent;
            std::printf("progress: %d%% (%llu of %llu)\n", percent,
                        static_cast<unsigned long long>(event.done),
                        static_cast<unsigned long long>(event.total));
        }
    });

    auto fingerprint = bulkscore::fingerprint_file(input);
    if (!fingerprint.ok()) {
        return fail(fingerprint.status());
    }
    bulkscore::JobSpec spec;
    spec.job = job;
    spec.input = input.string();
    spec.input_fingerprint = *fingerprint;
    spec.restart = true;
    auto summary = engine.run(spec);
    if (!summary.ok()) {
        return fail(summary.status());
    }
    if (summary->state != bulkscore::JobState::kFinished) {
        return fail(summary->error);
    }
    std::printf("scored %llu, rejected %llu in %.2f s\n",
                static_cast<unsigned long long>(summary->scored),
                static_cast<unsigned long long>(summary->rejected), summary->elapsed_s);

    // Read the best ten back from the database.
    bulkscore::TopQuery query;
    query.limit = 10;
    query.job = job;
    auto top = bulkscore::read_top_scores(database, query);
    if (!top.ok()) {
        return fail(top.status());
    }
    std::printf("top %zu by score:\n", top->size());
    int rank = 0;
    for (const bulkscore::StoredScore& row : *top) {
        std::printf("%2d. %6.2f  %-12s %s\n", ++rank, row.score,
                    std::string(bulkscore::to_string(row.action)).c_str(), row.id.c_str());
    }
    return 0;
}
