// SPDX-License-Identifier: MIT
//
// The contract checks that every store that is both a `ResultSink` and a `CheckpointStore`
// (SQLite, PostgreSQL) must pass: results and checkpoints read back exactly, the later record
// of an id wins, nothing written without a `save` survives a reopen, `restore` resumes or
// starts over for one job only, and writing a batch again never duplicates a row.
//
// A backend's test builds a `StoreHarness` (how to open its store for a job, and how to read a
// job's rows back) and calls each `check_*` function from its own TEST_CASE:
//
//     bulkscore::testing::StoreHarness harness = ...;
//     TEST_CASE("PgStore: later record of an id wins", "[postgres][storage]") {
//         bulkscore::testing::contract::check_later_duplicate_wins(harness);
//     }
//
// Thread safety: none; the checks run on the test thread.

#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/rejection.hpp"
#include "bulkscore/result_sink.hpp"
#include "bulkscore/score_result.hpp"
#include "bulkscore/scored_batch.hpp"
#include "bulkscore/sqlite_store.hpp"
#include "bulkscore/status.hpp"
#include "bulkscore/text_arena.hpp"

#include "support/test_support.hpp"

namespace bulkscore::testing {

/// An open store under test: one object that is both the sink and the checkpoint store.
class StoreHandle {
public:
    template <class Store>
    explicit StoreHandle(std::unique_ptr<Store> store)
        : sink_(store.get()), checkpoints_(store.get()), owner_(std::move(store)) {}

    ResultSink& sink() const { return *sink_; }
    CheckpointStore& checkpoints() const { return *checkpoints_; }

private:
    ResultSink* sink_;
    CheckpointStore* checkpoints_;
    std::shared_ptr<void> owner_;  // Deletes the store with its own type's destructor.
};

/// How the checks reach a backend. Every `open` reaches the same database.
struct StoreHarness {
    /// Opens a new connection/store writing `job`.
    std::function<Result<StoreHandle>(const std::string& job)> open;
    /// Every committed score of `job`, in any order.
    std::function<Result<std::vector<StoredScore>>(const std::string& job)> read_scores;
    /// Every committed rejection of `job`, in any order.
    std::function<Result<std::vector<StoredRejection>>(const std::string& job)> read_rejections;
};

/// A `ScoredBatch` that owns its text, with deterministic, awkward numbers (thirds, tiny and
/// near-one values) so that a round trip that loses a bit shows.
class TestBatch {
public:
    explicit TestBatch(std::string job) : job_(std::move(job)) {}

    /// Adds a scored record; `seed` varies every number.
    TestBatch& result(std::uint64_t ordinal,
                      std::string_view id,
                      double seed,
                      Action action = Action::kPushToTop) {
        ScoreResult result;
        result.id = text_.store(id);
        result.url = text_.store(std::string("https://example.com/") + std::string(id));
        result.score = std::fmod(seed * 37.123456789, 100.0);
        result.potential_clicks = seed * 1000.0 / 3.0;
        result.action = action;
        result.components = {seed / (seed + 1),
                             1.0 / 3.0,
                             1e-300 * seed,
                             0.1 + 0.2,
                             std::nextafter(1.0, 0.0),
                             0.5,
                             seed / 7.0 - std::floor(seed / 7.0),
                             0.0,
                             2.0 / 3.0};
        result.scorer_version = "opportunity-v1";
        result.ordinal = ordinal;
        batch_.results.push_back(result);
        ++batch_.record_count;
        return *this;
    }

    /// Adds a rejected record; `line` 0 and an empty `field` or `id` are stored as NULL.
    TestBatch& rejection(std::uint64_t ordinal,
                         std::uint64_t line,
                         std::string_view id,
                         std::string_view field,
                         RejectReason reason = RejectReason::kBadNumber,
                         std::string_view value = "12x") {
        Rejection rejection;
        rejection.ordinal = ordinal;
        rejection.line = line;
        rejection.id = text_.store(id);
        rejection.field = text_.store(field);
        rejection.reason = reason;
        rejection.value = text_.store(value);
        batch_.rejections.push_back(rejection);
        ++batch_.record_count;
        return *this;
    }

    /// The batch, with `first_ordinal` and `end` set from its records.
    const ScoredBatch& batch() {
        std::uint64_t first = UINT64_MAX;
        std::uint64_t end = 0;
        for (const ScoreResult& r : batch_.results) {
            first = std::min(first, r.ordinal);
            end = std::max(end, r.ordinal + 1);
        }
        for (const Rejection& r : batch_.rejections) {
            first = std::min(first, r.ordinal);
            end = std::max(end, r.ordinal + 1);
        }
        batch_.first_ordinal = first == UINT64_MAX ? 0 : first;
        batch_.end = {end, end * 100, end + 1};
        return batch_;
    }

    /// What the store must hold for this batch's results (later ids win within the batch).
    std::vector<StoredScore> expected_scores() const {
        std::vector<StoredScore> rows;
        for (const ScoreResult& r : batch_.results) {
            StoredScore row{std::string(r.id),
                            std::string(r.url),
                            r.score,
                            r.potential_clicks,
                            r.action,
                            r.components,
                            std::string(r.scorer_version),
                            job_};
            auto same = std::find_if(rows.begin(), rows.end(),
                                     [&](const StoredScore& s) { return s.id == row.id; });
            if (same != rows.end()) {
                *same = row;
            } else {
                rows.push_back(row);
            }
        }
        return rows;
    }

    std::vector<StoredRejection> expected_rejections() const {
        std::vector<StoredRejection> rows;
        for (const Rejection& r : batch_.rejections) {
            rows.push_back({job_, r.ordinal, r.line, std::string(r.id), std::string(r.field),
                            r.reason, render_message(r)});
        }
        return rows;
    }

private:
    std::string job_;
    TextArena text_;
    ScoredBatch batch_;
};

/// A checkpoint of `job` at `ordinal`, with every field set to something recognisable.
inline Checkpoint make_checkpoint(const std::string& job,
                                  std::uint64_t ordinal,
                                  JobState state = JobState::kRunning) {
    Checkpoint checkpoint;
    checkpoint.job = job;
    checkpoint.state = state;
    checkpoint.position = {ordinal, ordinal * 100 + 7, ordinal + 2};
    checkpoint.total = 1000;
    checkpoint.scored = ordinal - ordinal / 4;
    checkpoint.rejected = ordinal / 4;
    checkpoint.input = "/data/" + job + ".csv";
    checkpoint.input_fingerprint = "size=123;mtime=456;head=abc";
    checkpoint.config_fingerprint = "opportunity-v1;{\"target_position\":3}";
    checkpoint.sink_state = "sink-state-of-" + job;
    checkpoint.started_at_ms = 1714000000000;
    checkpoint.updated_at_ms = 1714000000000 + static_cast<std::int64_t>(ordinal);
    checkpoint.message = state == JobState::kFailed ? "disk full" : "";
    return checkpoint;
}

/// Requires two checkpoints to be equal field by field.
inline void require_same_checkpoint(const Checkpoint& actual, const Checkpoint& expected) {
    CHECK(actual.job == expected.job);
    CHECK(actual.state == expected.state);
    CHECK(actual.position == expected.position);
    CHECK(actual.total == expected.total);
    CHECK(actual.scored == expected.scored);
    CHECK(actual.rejected == expected.rejected);
    CHECK(actual.input == expected.input);
    CHECK(actual.input_fingerprint == expected.input_fingerprint);
    CHECK(actual.config_fingerprint == expected.config_fingerprint);
    CHECK(actual.sink_state == expected.sink_state);
    CHECK(actual.started_at_ms == expected.started_at_ms);
    CHECK(actual.updated_at_ms == expected.updated_at_ms);
    CHECK(actual.message == expected.message);
}

namespace contract {

inline StoreHandle open_or_fail(const StoreHarness& harness, const std::string& job) {
    auto store = harness.open(job);
    REQUIRE_OK(store);
    return std::move(store).value();
}

/// Writes `batches`, then flushes and saves a checkpoint at `end` with the flushed state.
inline Checkpoint commit(const StoreHandle& store,
                         const std::string& job,
                         std::vector<TestBatch*> batches,
                         std::uint64_t end,
                         JobState state = JobState::kRunning) {
    for (TestBatch* batch : batches) {
        REQUIRE_OK(store.sink().write(batch->batch()));
    }
    auto state_text = store.sink().flush();
    REQUIRE_OK(state_text);
    Checkpoint checkpoint = make_checkpoint(job, end, state);
    checkpoint.sink_state = *state_text;
    REQUIRE_OK(store.checkpoints().save(checkpoint));
    return checkpoint;
}

inline std::vector<StoredScore> scores_by_id(const StoreHarness& harness, const std::string& job) {
    auto rows = harness.read_scores(job);
    REQUIRE_OK(rows);
    std::vector<StoredScore> sorted = *rows;
    std::sort(sorted.begin(), sorted.end(),
              [](const StoredScore& a, const StoredScore& b) { return a.id < b.id; });
    return sorted;
}

inline std::vector<StoredRejection> rejections_by_ordinal(const StoreHarness& harness,
                                                          const std::string& job) {
    auto rows = harness.read_rejections(job);
    REQUIRE_OK(rows);
    std::vector<StoredRejection> sorted = *rows;
    std::sort(sorted.begin(), sorted.end(), [](const StoredRejection& a, const StoredRejection& b) {
        return a.ordinal < b.ordinal;
    });
    return sorted;
}

inline std::vector<StoredScore> sorted(std::vector<StoredScore> rows) {
    std::sort(rows.begin(), rows.end(),
              [](const StoredScore& a, const StoredScore& b) { return a.id < b.id; });
    return rows;
}

/// Whether two doubles are the same bits (so that 0.1 + 0.2 and 0.3 differ, as they must).
inline bool same_bits(double a, double b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

/// Checks that each `StoredScore` equals `expected`, every double bit for bit.
inline void require_same_scores(const std::vector<StoredScore>& actual,
                                const std::vector<StoredScore>& expected) {
    REQUIRE(actual.size() == expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
        const StoredScore& a = actual[i];
        const StoredScore& e = expected[i];
        INFO("row " << i << " id " << e.id);
        CHECK(a.id == e.id);
        CHECK(a.url == e.url);
        CHECK(same_bits(a.score, e.score));
        CHECK(same_bits(a.potential_clicks, e.potential_clicks));
        CHECK(a.action == e.action);
        const Components& ac = a.components;
        const Components& ec = e.components;
        CHECK(same_bits(ac.upside, ec.upside));
        CHECK(same_bits(ac.striking, ec.striking));
        CHECK(same_bits(ac.ctr_gap, ec.ctr_gap));
        CHECK(same_bits(ac.demand, ec.demand));
        CHECK(same_bits(ac.decay, ec.decay));
        CHECK(same_bits(ac.ease, ec.ease));
        CHECK(same_bits(ac.staleness, ec.staleness));
        CHECK(same_bits(ac.thinness, ec.thinness));
        CHECK(same_bits(ac.link_need, ec.link_need));
        CHECK(a.scorer_version == e.scorer_version);
        CHECK(a.job == e.job);
    }
}

/// Written, flushed and saved results, rejections and checkpoint read back exactly after the
/// store is closed and opened again.
inline void check_round_trip(const StoreHarness& harness) {
    TestBatch first("site");
    first.result(0, "a", 1.0).result(1, "b", 2.5, Action::kFixCtr).rejection(2, 4, "c", "clicks");
    TestBatch second("site");
    second.result(3, "d", 1e6, Action::kMonitor).rejection(4, 0, "", "", RejectReason::kMissingId);
    Checkpoint saved;
    {
        StoreHandle store = open_or_fail(harness, "site");
        saved = commit(store, "site", {&first, &second}, 5);
    }
    StoreHandle reopened = open_or_fail(harness, "site");
    auto loaded = reopened.checkpoints().load("site");
    REQUIRE_OK(loaded);
    REQUIRE(loaded->has_value());
    require_same_checkpoint(**loaded, saved);

    std::vector<StoredScore> expected = first.expected_scores();
    for (StoredScore& row : second.expected_scores()) {
        expected.push_back(row);
    }
    require_same_scores(scores_by_id(harness, "site"), sorted(expected));
    std::vector<StoredRejection> rejections = first.expected_rejections();
    rejections.push_back(second.expected_rejections().front());
    CHECK(rejections_by_ordinal(harness, "site") == rejections);
}

/// An id written twice keeps the later record, within a batch and across batches.
inline void check_later_duplicate_wins(const StoreHarness& harness) {
    StoreHandle store = open_or_fail(harness, "dups");
    TestBatch first("dups");
    first.result(0, "same", 1.0).result(1, "other", 2.0).result(2, "same", 3.0);
    TestBatch second("dups");
    second.result(3, "other", 4.0, Action::kRefresh);
    commit(store, "dups", {&first, &second}, 4);

    TestBatch expected("dups");
    expected.result(2, "same", 3.0).result(3, "other", 4.0, Action::kRefresh);
    require_same_scores(scores_by_id(harness, "dups"), sorted(expected.expected_scores()));
}

/// Results written but never saved are gone after a reopen, and `load` still returns the last
/// saved checkpoint.
inline void check_uncommitted_is_lost(const StoreHarness& harness) {
    TestBatch saved_batch("lost");
    saved_batch.result(0, "kept", 1.0);
    TestBatch unsaved("lost");
    unsaved.result(1, "dropped", 2.0).rejection(2, 3, "x", "position");
    Checkpoint saved;
    {
        StoreHandle store = open_or_fail(harness, "lost");
        saved = commit(store, "lost", {&saved_batch}, 1);
        REQUIRE_OK(store.sink().write(unsaved.batch()));
        REQUIRE_OK(store.sink().flush());
        // Closed without `save`: a crash between checkpoints.
    }
    StoreHandle reopened = open_or_fail(harness, "lost");
    auto loaded = reopened.checkpoints().load("lost");
    REQUIRE_OK(loaded);
    REQUIRE(loaded->has_value());
    require_same_checkpoint(**loaded, saved);
    require_same_scores(scores_by_id(harness, "lost"), saved_batch.expected_scores());
    CHECK(rejections_by_ordinal(harness, "lost").empty());
}

/// `restore` with the saved state drops what was written since, keeps what was committed, and
/// the run continues; writing a committed batch again (a replay) adds no row.
inline void check_resume_drops_uncommitted_and_replay_is_idempotent(const StoreHarness& harness) {
    StoreHandle store = open_or_fail(harness, "resume");
    TestBatch first("resume");
    first.result(0, "p0", 1.0).rejection(1, 2, "p1", "clicks");
    const Checkpoint saved = commit(store, "resume", {&first}, 2);
    TestBatch abandoned("resume");
    abandoned.result(2, "abandoned", 9.0);
    REQUIRE_OK(store.sink().write(abandoned.batch()));

    REQUIRE_OK(store.sink().restore(saved.sink_state));
    TestBatch next("resume");
    next.result(2, "p2", 3.0).rejection(3, 5, "p3", "position", RejectReason::kBadPosition, "0");
    commit(store, "resume", {&first, &next}, 4);  // `first` again: a replay.

    std::vector<StoredScore> expected = first.expected_scores();
    expected.push_back(next.expected_scores().front());
    require_same_scores(scores_by_id(harness, "resume"), sorted(expected));
    std::vector<StoredRejection> rejections = first.expected_rejections();
    rejections.push_back(next.expected_rejections().front());
    CHECK(rejections_by_ordinal(harness, "resume") == rejections);
}

/// Two jobs live side by side; `restore("")` (start over) empties one job and leaves the other
/// untouched, checkpoint included.
inline void check_restart_affects_one_job(const StoreHarness& harness) {
    StoreHandle a = open_or_fail(harness, "job-a");
    StoreHandle b = open_or_fail(harness, "job-b");
    TestBatch batch_a("job-a");
    batch_a.result(0, "a/0", 1.0).rejection(1, 3, "a/1", "clicks");
    TestBatch batch_b("job-b");
    batch_b.result(0, "b/0", 2.0).rejection(1, 3, "b/1", "clicks");
    commit(a, "job-a", {&batch_a}, 2);
    const Checkpoint saved_b = commit(b, "job-b", {&batch_b}, 2, JobState::kFinished);

    REQUIRE_OK(a.sink().restore(""));
    CHECK(scores_by_id(harness, "job-a").empty());
    CHECK(rejections_by_ordinal(harness, "job-a").empty());
    auto loaded_a = a.checkpoints().load("job-a");
    REQUIRE_OK(loaded_a);
    CHECK_FALSE(loaded_a->has_value());

    require_same_scores(scores_by_id(harness, "job-b"), batch_b.expected_scores());
    CHECK(rejections_by_ordinal(harness, "job-b") == batch_b.expected_rejections());
    auto loaded_b = a.checkpoints().load("job-b");
    REQUIRE_OK(loaded_b);
    REQUIRE(loaded_b->has_value());
    require_same_checkpoint(**loaded_b, saved_b);
}

/// `discard` forgets the checkpoint of one job only; `load` of an unknown job is empty.
inline void check_discard(const StoreHarness& harness) {
    StoreHandle store = open_or_fail(harness, "gone");
    StoreHandle other = open_or_fail(harness, "stays");
    TestBatch batch("gone");
    batch.result(0, "g0", 1.0);
    TestBatch other_batch("stays");
    other_batch.result(0, "s0", 1.0);
    commit(store, "gone", {&batch}, 1);
    commit(other, "stays", {&other_batch}, 1);

    REQUIRE_OK(store.checkpoints().discard("gone"));
    auto gone = store.checkpoints().load("gone");
    REQUIRE_OK(gone);
    CHECK_FALSE(gone->has_value());
    auto stays = store.checkpoints().load("stays");
    REQUIRE_OK(stays);
    CHECK(stays->has_value());
    auto unknown = store.checkpoints().load("never-ran");
    REQUIRE_OK(unknown);
    CHECK_FALSE(unknown->has_value());
}

/// A later checkpoint replaces the earlier one (state, position, counters and message).
inline void check_checkpoint_replaced(const StoreHarness& harness) {
    StoreHandle store = open_or_fail(harness, "states");
    TestBatch first("states");
    first.result(0, "s0", 1.0);
    TestBatch second("states");
    second.result(1, "s1", 2.0);
    commit(store, "states", {&first}, 1);
    const Checkpoint last = commit(store, "states", {&second}, 2, JobState::kFailed);
    auto loaded = store.checkpoints().load("states");
    REQUIRE_OK(loaded);
    REQUIRE(loaded->has_value());
    require_same_checkpoint(**loaded, last);
}

}  // namespace contract
}  // namespace bulkscore::testing
