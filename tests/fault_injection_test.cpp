// SPDX-License-Identifier: MIT
//
// Fault injection against the real pieces: a SQLite store whose commits fail transiently (or
// land and lose their answer), a scorer failing a seeded share of nodes transiently or for
// good, a disk that fills up under the SQLite store and under the CSV file sink (a small tmpfs,
// grown back for the resume), a database on a read-only file or file system, a database locked
// by another process (a `sqlite3` shell), and an input file cut short while it is read. Every
// run must end in a state a user can act on, lose and double nothing, and a resume must give
// exactly what an uninterrupted run gives.
//
// What needs root (mounts, `chattr +i`) skips with a printed reason where it is not allowed.
// Waits are hang guards; no assertion depends on timing. Observers and helper threads only
// record: every assertion runs on the test thread.

#include "support/fault_injection.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/memory_checkpoint_store.hpp"
#include "bulkscore/memory_sink.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/range_source.hpp"
#include "bulkscore/sqlite_store.hpp"

#include "support/crash_harness.hpp"
#include "support/system_faults.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;

namespace bulkscore::testing {
namespace {

namespace fs = std::filesystem;

// The job `score` derives from an input named `site.csv`.
constexpr const char* kJob = "site";

BulkScorerOptions fault_options(std::size_t workers, std::uint32_t attempts = 30) {
    BulkScorerOptions options;
    options.worker_threads = workers;
    options.batch_size = 50;
    options.batches_in_flight = 4;
    options.checkpoint_interval = 0ms;  // A commit whenever something was written.
    options.progress_interval = 1ms;
    options.retry = RetryPolicy{attempts, 1ms, 2, 4ms};
    return options;
}

JobSpec job_spec(std::string fingerprint = "input-v1") {
    return JobSpec{kJob, "site.csv", std::move(fingerprint), false};
}

std::unique_ptr<SqliteStore> open_sqlite(const fs::path& db,
                                         std::chrono::milliseconds busy = 2000ms) {
    SqliteStoreOptions options;
    options.busy_timeout = busy;
    options.cache_kib = 2048;
    auto store = SqliteStore::open(db, kJob, options);
    REQUIRE_OK(store);
    return std::move(store).value();
}

/// The job's rows in `db` against a complete run: every result once with the same score,
/// every rejection once, the job finished at the last record.
void check_database(const fs::path& db, const ExpectedOutcome& expected, std::uint64_t records) {
    auto scores = read_top_scores(db, TopQuery{SIZE_MAX, std::nullopt, std::string(kJob)});
    REQUIRE_OK(scores);
    std::map<std::string, const StoredScore*> by_id;
    for (const StoredScore& row : *scores) {
        by_id.emplace(row.id, &row);
    }
    CHECK(scores->size() == expected.results.size());
    CHECK(by_id.size() == scores->size());
    for (const ScoreRow& want : expected.results) {
        INFO("id " << want.id);
        const auto found = by_id.find(want.id);
        REQUIRE(found != by_id.end());
        CHECK(found->second->score == want.score);
        CHECK(found->second->potential_clicks == want.potential_clicks);
        CHECK(found->second->action == want.action);
    }
    auto rejections = read_rejections(db, kJob, SIZE_MAX);
    REQUIRE_OK(rejections);
    std::vector<std::uint64_t> ordinals;
    for (const StoredRejection& row : *rejections) {
        ordinals.push_back(row.ordinal);
    }
    std::sort(ordinals.begin(), ordinals.end());
    CHECK(ordinals == expected.rejected);
    auto jobs = read_jobs(db);
    REQUIRE_OK(jobs);
    REQUIRE(jobs->size() == 1);
    CHECK(jobs->front().state == JobState::kFinished);
    CHECK(jobs->front().position.ordinal == records);
}

/// A native CSV site of `records` pages: every 37th breaks a rule, every 101st has a quoted
/// url spread over two lines. Ids are unique.
void write_site(const fs::path& path, std::uint64_t records) {
    std::string text = "id,url,impressions,clicks,position,word_count,inlinks\n";
    for (std::uint64_t i = 0; i < records; ++i) {
        const std::uint64_t impressions = 20 + (i * 7919) % 9000;
        const std::uint64_t clicks =
            i % 37 == 36 ? impressions + 1 : (i * 104729) % (impressions / 5 + 1);
        const std::string url = i % 101 == 100
                                    ? fmt::format("\"https://example.com/p/{}\nsecond line\"", i)
                                    : fmt::format("https://example.com/p/{}", i);
        fmt::format_to(std::back_inserter(text), "page-{},{},{},{},{:.1f},{},{}\n", i, url,
                       impressions, clicks, 1.0 + static_cast<double>((i * 31) % 300) / 10.0,
                       (i * 37) % 3000, i % 150);
    }
    write_file(path, text);
}

/// The last `--progress json` event in `out`.
std::string last_event(const std::string& out) {
    const auto lines = lines_of(out);
    for (auto line = lines.rbegin(); line != lines.rend(); ++line) {
        if (line->starts_with("{\"phase\"")) {
            return *line;
        }
    }
    return {};
}

/// Rows of two databases of the job, compared column by column.
void require_same_database(const fs::path& expected, const fs::path& actual) {
    const crash::DatabaseDiff diff = crash::diff_databases(crash::read_database(expected, kJob),
                                                           crash::read_database(actual, kJob));
    INFO(diff.summary());
    REQUIRE(diff.empty());
}

}  // namespace

// --- Transient store and scorer failures -----------------------------------------------------

TEST_CASE("Faults: SQLite commits failing 30 percent of the time lose and double nothing",
          "[faults][sqlite][concurrency]") {
    const std::size_t workers = GENERATE(as<std::size_t>{}, 1, 2, 4);
    const auto mode = GENERATE(as<std::string>{}, "save refused", "save answer lost");
    INFO(workers << " workers, " << mode);
    const TestInput input = make_input(3000);
    TempDir dir;
    auto source = make_range_source(input.nodes);
    std::unique_ptr<SqliteStore> sqlite = open_sqlite(dir / "site.db");
    FaultPlan busy;
    busy.unavailable_probability = 0.3;
    busy.seed = 20240611 + workers;
    busy.fail_after_forwarding = mode == "save answer lost";
    FaultyStore store(*sqlite, busy);
    const OpportunityScoring scoring;
    BulkScorer engine(*source, scoring, *sqlite, store, fault_options(workers));
    std::uint64_t retrying_events = 0;
    engine.on_progress([&](const ProgressEvent& event) {
        retrying_events += event.phase == ProgressPhase::kRetrying ? 1 : 0;
    });

    const Result<RunSummary> summary = engine.run(job_spec());

    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFinished);
    CHECK(store.gate().failures() > 0);
    CHECK(summary->retries == store.gate().failures());
    CHECK(retrying_events > 0);
    sqlite.reset();
    check_database(dir / "site.db", expected_outcome(input), 3000);
}

TEST_CASE("Faults: a scorer failing 5 percent of nodes transiently and 1 percent for good",
          "[faults][retry][concurrency]") {
    const std::size_t workers = GENERATE(as<std::size_t>{}, 1, 2, 4, 8);
    const bool async = GENERATE(false, true);
    INFO(workers << " workers, " << (async ? "async" : "sync"));
    const TestInput input = make_input(4000);

    // A seeded draw per node; invalid nodes never reach the scorer, so only valid ones count.
    std::mt19937_64 random(4000 + workers);
    ScorerFaults faults;
    std::uint64_t expected_retries = 0;
    std::size_t transient_nodes = 0;
    for (std::uint64_t ordinal = 0; ordinal < input.nodes.size(); ++ordinal) {
        const double draw = std::uniform_real_distribution<double>(0, 1)(random);
        const int tries = 1 + static_cast<int>(random() % 3);  // Below the 5 attempts.
        const bool valid = !check_node(input.nodes[ordinal]);
        if (draw < 0.01) {
            faults.permanent.insert(ordinal);
        } else if (draw < 0.06) {
            faults.transient.emplace(ordinal, tries);
            expected_retries += valid ? static_cast<std::uint64_t>(tries) : 0;
            transient_nodes += valid ? 1 : 0;
        }
    }
    REQUIRE(transient_nodes > 100);
    REQUIRE(faults.permanent.size() > 20);
    const std::set<std::uint64_t> permanent = faults.permanent;

    auto source = make_range_source(input.nodes);
    MemorySink sink;
    MemoryCheckpointStore store;
    FlakyScorer flaky(faults);
    LatencyScorer remote(50us, faults);
    auto engine =
        async
            ? std::make_unique<BulkScorer>(*source, remote, sink, store, fault_options(workers, 5))
            : std::make_unique<BulkScorer>(*source, flaky, sink, store, fault_options(workers, 5));

    const Result<RunSummary> summary = engine->run(job_spec());

    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFinished);
    CHECK(summary->retries == expected_retries);
    if (!async) {
        CHECK(flaky.transient_failures() == expected_retries);
    }
    const ExpectedOutcome expected = expected_outcome(input, permanent);
    CHECK(sink.results() == expected.results);
    CHECK(ordinals_of(sink.rejections()) == expected.rejected);
    std::size_t exhausted = 0;
    for (const RejectionRow& row : sink.rejections()) {
        if (row.reason == RejectReason::kRetriesExhausted) {
            ++exhausted;
            CHECK(permanent.count(row.ordinal) == 1);
            CHECK_THAT(row.message, Catch::Contains("model rejected page"));
        }
    }
    CHECK(exhausted > 0);
    CHECK(sink.result_count() + sink.rejection_count() == 4000);
}

// --- A full disk -------------------------------------------------------------------------------

namespace {

constexpr std::uint64_t kFullDiskPages = 40000;

// The `score` command of the full-disk tests: commits as often as it can, so that some land
// before the disk fills.
std::vector<std::string> score_command(const fs::path& input,
                                       const std::string& store_flag,
                                       const fs::path& output) {
    return {"score",
            input.string(),
            store_flag,
            output.string(),
            "--progress",
            "json",
            "--checkpoint-interval-ms",
            "0",
            "--workers",
            "2"};
}

}  // namespace

TEST_CASE("Faults: a full disk fails a SQLite run clearly, and it resumes once space returns",
          "[faults][sqlite][cli]") {
    TempDir dir;
    write_site(dir / "site.csv", kFullDiskPages);
    const auto reference = run_cli(score_command(dir / "site.csv", "--db", dir / "reference.db"));
    INFO(reference.err);
    REQUIRE(reference.exit_code == 0);
    std::string why;
    auto small = TmpfsMount::mount(dir / "small", 1 << 20, why);
    if (!small) {
        WARN("skipped: " << why);
        return;
    }
    const fs::path db = *small / "site.db";

    const auto full = run_cli(score_command(dir / "site.csv", "--db", db));

    INFO(full.err);
    CHECK(full.exit_code == 1);
    CHECK_THAT(full.err, Catch::Contains("disk holding database") && Catch::Contains("is full") &&
                             Catch::Contains(db.string()) && Catch::Contains("resume with"));
    CHECK_THAT(last_event(full.out), Catch::Contains("\"phase\":\"failed\""));

    REQUIRE(small->resize(std::uint64_t{256} << 20));
    const auto resumed = run_cli(score_command(dir / "site.csv", "--db", db));
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK_THAT(last_event(resumed.out), Catch::Contains("\"phase\":\"finished\""));
    require_same_database(dir / "reference.db", db);
}

TEST_CASE("Faults: a full disk fails a CSV file run clearly, and it resumes once space returns",
          "[faults][cli]") {
    TempDir dir;
    write_site(dir / "site.csv", kFullDiskPages);
    const auto reference = run_cli(score_command(dir / "site.csv", "--out", dir / "reference.csv"));
    INFO(reference.err);
    REQUIRE(reference.exit_code == 0);
    std::string why;
    auto small = TmpfsMount::mount(dir / "small", 1 << 20, why);
    if (!small) {
        WARN("skipped: " << why);
        return;
    }
    const fs::path out = *small / "scores.csv";

    const auto full = run_cli(score_command(dir / "site.csv", "--out", out));

    INFO(full.err);
    CHECK(full.exit_code == 1);
    CHECK_THAT(full.err, Catch::Contains("No space left on device") &&
                             Catch::Contains(small->path().string()) &&
                             Catch::Contains("resume with"));
    CHECK_THAT(last_event(full.out), Catch::Contains("\"phase\":\"failed\""));

    REQUIRE(small->resize(std::uint64_t{256} << 20));
    const auto resumed = run_cli(score_command(dir / "site.csv", "--out", out));
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    const std::string want_results = read_file(dir / "reference.csv");
    const std::string want_rejections = read_file(dir / "reference.csv.rejections.csv");
    const std::string results = read_file(out);
    const std::string rejections = read_file(out.string() + ".rejections.csv");
    const crash::FileDiff diff =
        crash::diff_csv_texts(want_results, results, want_rejections, rejections);
    INFO(diff.summary());
    CHECK(diff.empty());
    CHECK(results == want_results);
    CHECK(rejections == want_rejections);
}

// --- A read-only database ----------------------------------------------------------------------

TEST_CASE("Faults: a read-only database is refused by name and left intact",
          "[faults][sqlite][cli]") {
    TempDir dir;
    write_site(dir / "site.csv", 2000);
    const auto score = [&](const fs::path& db) {
        return run_cli({"score", (dir / "site.csv").string(), "--db", db.string(), "--restart",
                        "--progress", "none"});
    };

    SECTION("an immutable database file") {
        const fs::path db = dir / "site.db";
        REQUIRE(score(db).exit_code == 0);
        const crash::DatabaseRows before = crash::read_database(db, kJob);
        ImmutableFile immutable(db);
        if (!immutable.applied()) {
            if (::geteuid() == 0) {
                WARN("skipped: chattr +i is not supported here and root ignores permissions");
                return;
            }
            fs::permissions(db,
                            fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
        }
        const auto refused = score(db);
        immutable.release();
        fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write);
        CHECK(refused.exit_code == 2);
        CHECK_THAT(refused.err, Catch::Contains(db.string()) && Catch::Contains("only be read"));
        const crash::DatabaseDiff diff =
            crash::diff_databases(before, crash::read_database(db, kJob));
        INFO(diff.summary());
        CHECK(diff.empty());
    }
    SECTION("a database on a read-only file system") {
        std::string why;
        auto small = TmpfsMount::mount(dir / "small", 64 << 20, why);
        if (!small) {
            WARN("skipped: " << why);
            return;
        }
        const fs::path db = *small / "site.db";
        REQUIRE(score(db).exit_code == 0);
        REQUIRE(run_cli({"score", (dir / "site.csv").string(), "--out",
                         (*small / "scores.csv").string(), "--progress", "none"})
                    .exit_code == 0);
        const crash::DatabaseRows before = crash::read_database(db, kJob);
        const std::string csv_before = read_file(*small / "scores.csv");
        REQUIRE(small->set_read_only(true));

        const auto refused = score(db);
        const auto refused_new = score(*small / "new.db");
        const auto refused_csv =
            run_cli({"score", (dir / "site.csv").string(), "--out",
                     (*small / "scores.csv").string(), "--restart", "--progress", "none"});

        REQUIRE(small->set_read_only(false));
        CHECK(refused.exit_code == 2);
        CHECK_THAT(refused.err, Catch::Contains(db.string()) && Catch::Contains("read-only"));
        CHECK(refused_new.exit_code == 2);
        CHECK_THAT(refused_new.err, Catch::Contains((*small / "new.db").string()));
        CHECK(!fs::exists(*small / "new.db"));
        // docs/cli.md: 1 for an I/O error, 2 for a configuration error; either names the file.
        CHECK((refused_csv.exit_code == 1 || refused_csv.exit_code == 2));
        CHECK_THAT(refused_csv.err, Catch::Contains((*small / "scores.csv").string()) &&
                                        Catch::Contains("Read-only file system"));
        const crash::DatabaseDiff diff =
            crash::diff_databases(before, crash::read_database(db, kJob));
        INFO(diff.summary());
        CHECK(diff.empty());
        CHECK(read_file(*small / "scores.csv") == csv_before);
    }
}

// --- A database locked by another process ------------------------------------------------------

TEST_CASE("Faults: a database locked by another process is waited for, then scored",
          "[faults][sqlite][cli]") {
    TempDir dir;
    write_site(dir / "site.csv", 5000);
    const fs::path db = dir / "shared.db";
    REQUIRE(run_cli({"score", (dir / "site.csv").string(), "--db", (dir / "reference.db").string(),
                     "--progress", "none"})
                .exit_code == 0);
    open_sqlite(db).reset();  // The tables exist, so that the lock holder can write to them.
    std::string why;
    auto lock = SqliteLockHolder::hold(db, why);
    if (!lock) {
        WARN("skipped: " << why);
        return;
    }

    const fs::path log = dir / "run.log";
    const pid_t child = crash::spawn_cli(
        {"score", (dir / "site.csv").string(), "--db", db.string(), "--progress", "json"}, log);
    // The run waits out busy_timeout (2 s), then says it retries; only then is the lock let go.
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    bool retrying = false;
    while (!retrying && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(20ms);
        retrying =
            fs::exists(log) && read_file(log).find("store busy, retrying") != std::string::npos;
    }
    lock->release();
    const crash::ChildEnd end = crash::wait_child(child, log);

    const std::string text = read_file(log);
    INFO(text);
    CHECK(retrying);
    CHECK_THAT(text, Catch::Contains("locked by another") && Catch::Contains(db.string()));
    CHECK(!end.signalled);
    REQUIRE(end.code == 0);
    CHECK_THAT(last_event(text),
               Catch::Contains("\"phase\":\"finished\"") && !Catch::Contains("\"retries\":0"));
    crash::DatabaseDiff diff = crash::diff_databases(
        crash::read_database(dir / "reference.db", kJob), crash::read_database(db, kJob));
    INFO(diff.summary());
    CHECK(diff.empty());
}

TEST_CASE("Faults: a lock taken by another process mid-run is retried, then waited out or fatal",
          "[faults][sqlite][concurrency]") {
    const bool released = GENERATE(true, false);
    INFO((released ? "lock released at the first retry" : "lock kept"));
    const TestInput input = make_input(3000);
    TempDir dir;
    const fs::path db = dir / "site.db";
    auto inner = make_range_source(input.nodes);
    ObservedSource source(*inner);
    source.hold_at(1500);
    std::unique_ptr<SqliteStore> sqlite = open_sqlite(db, 20ms);
    const OpportunityScoring scoring;
    // Released: enough tries to outlast any delay in letting go. Kept: few, to fail quickly.
    BulkScorer engine(source, scoring, *sqlite, *sqlite, fault_options(2, released ? 1000 : 6));
    std::promise<void> first_retry;
    bool retry_seen = false;
    std::vector<ProgressPhase> phases;
    engine.on_progress([&](const ProgressEvent& event) {
        phases.push_back(event.phase);
        if (event.phase == ProgressPhase::kRetrying && !retry_seen) {
            retry_seen = true;
            first_retry.set_value();
        }
    });
    std::optional<SqliteLockHolder> lock;
    std::string why;
    std::jthread helper([&] {
        if (source.wait_until_held()) {
            if (auto held = SqliteLockHolder::hold(db, why)) {
                lock.emplace(std::move(*held));
            }
        }
        source.release();
        if (released && lock &&
            first_retry.get_future().wait_for(60s) == std::future_status::ready) {
            lock->release();
        }
    });

    const Result<RunSummary> summary = engine.run(job_spec());
    helper.join();
    REQUIRE(lock.has_value());
    lock->release();

    REQUIRE_OK(summary);
    CHECK(std::count(phases.begin(), phases.end(), ProgressPhase::kRetrying) > 0);
    CHECK(summary->retries > 0);
    if (released) {
        CHECK(summary->state == JobState::kFinished);
    } else {
        CHECK(summary->state == JobState::kFailed);
        CHECK(summary->error.code() == StatusCode::kUnavailable);
        CHECK_THAT(std::string(summary->error.message()),
                   Catch::Contains("locked by another") && Catch::Contains(db.string()));
        CHECK(phases.back() == ProgressPhase::kFailed);
        // The same job resumes once the other process is gone.
        auto again = make_range_source(input.nodes);
        BulkScorer resume(*again, scoring, *sqlite, *sqlite, fault_options(2, 6));
        const Result<RunSummary> resumed = resume.run(job_spec());
        REQUIRE_OK(resumed);
        CHECK(resumed->state == JobState::kFinished);
        CHECK(resumed->resumed);
    }
    sqlite.reset();
    check_database(db, expected_outcome(input), 3000);
}

// --- An input cut short while it is read -------------------------------------------------------

TEST_CASE("Faults: an input truncated while it is read fails by name and is not resumed",
          "[faults][sqlite][concurrency]") {
    TempDir dir;
    const fs::path input = dir / "site.csv";
    write_site(input, 6000);
    const std::uintmax_t full_size = fs::file_size(input);
    REQUIRE(run_cli({"score", input.string(), "--db", (dir / "reference.db").string(), "--progress",
                     "none"})
                .exit_code == 0);
    const fs::path db = dir / "site.db";
    {
        SourceOptions options;
        options.path = input;
        options.read_buffer_bytes = 4096;  // Little read ahead of the held reader.
        auto opened = open_source(options);
        REQUIRE_OK(opened);
        ObservedSource source(**opened);
        source.hold_at(2000);
        auto fingerprint = fingerprint_file(input);
        REQUIRE_OK(fingerprint);
        std::unique_ptr<SqliteStore> sqlite = open_sqlite(db);
        const OpportunityScoring scoring;
        BulkScorer engine(source, scoring, *sqlite, *sqlite, fault_options(2));
        int truncated = -1;
        std::jthread cutter([&] {
            if (source.wait_until_held()) {
                truncated = ::truncate(input.c_str(), static_cast<off_t>(full_size * 3 / 5));
            }
            source.release();
        });

        const Result<RunSummary> summary = engine.run(job_spec(*fingerprint));
        cutter.join();

        REQUIRE(truncated == 0);
        REQUIRE_OK(summary);
        CHECK(summary->state == JobState::kFailed);
        CHECK(summary->error.code() == StatusCode::kDataLoss);
        CHECK_THAT(std::string(summary->error.message()),
                   Catch::Contains(input.string()) &&
                       Catch::Contains("changed while it was being read") &&
                       Catch::Contains("shrank"));
        CHECK(summary->scored + summary->rejected < 6000);
    }

    // What was committed is exactly the reference's rows of the records before the checkpoint.
    const crash::DatabaseRows reference = crash::read_database(dir / "reference.db", kJob);
    const crash::DatabaseRows partial = crash::read_database(db, kJob);
    REQUIRE(partial.job.has_value());
    CHECK(partial.job->state == "failed");
    CHECK(partial.scores.size() + partial.rejections.size() == partial.job->ordinal);
    CHECK(partial.both == 0);
    for (const auto& [rows, all] : {std::pair{&partial.scores, &reference.scores},
                                    std::pair{&partial.rejections, &reference.rejections}}) {
        for (const crash::Row& row : *rows) {
            INFO(row.key);
            CHECK(std::binary_search(all->begin(), all->end(), row));
        }
    }

    // The input is no longer the one the job started with: the resume is refused by name.
    const auto refused =
        run_cli({"score", input.string(), "--db", db.string(), "--progress", "none"});
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Catch::Contains("changed") && Catch::Contains("--restart"));
    const auto restarted =
        run_cli({"score", input.string(), "--db", db.string(), "--restart", "--progress", "none"});
    INFO(restarted.err);
    CHECK(restarted.exit_code == 0);
}

}  // namespace bulkscore::testing
