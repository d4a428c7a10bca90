// SPDX-License-Identifier: MIT
//
// Tests of `PgStore` and the PostgreSQL read side against a real server (a private cluster
// started by scripts/pg-test-cluster; see tests/support/pg_cluster.hpp): the store contract
// (tests/support/store_contract.hpp), the schema option, two jobs in one schema, a connection
// killed by the server mid-run, the failure messages, and a whole engine run that resumes
// after its connection was killed. Each test works in a schema of its own.

#include "bulkscore/pg_store.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/site_generator.hpp"

#include "support/pg_cluster.hpp"
#include "support/store_contract.hpp"
#include "support/test_support.hpp"

namespace bulkscore::testing {
namespace {

using contract::commit;
using contract::open_or_fail;
using contract::require_same_scores;

// A harness over one fresh schema of the test server.
struct PgFixture {
    std::string url;
    PgTestSchema schema;
    PgStoreOptions options;

    PgFixture(std::string server_url, const std::string& label)
        : url(std::move(server_url)), schema(url, label) {
        options.schema = schema.name();
    }

    StoreHarness harness() {
        return StoreHarness{
            [this](const std::string& job) -> Result<StoreHandle> {
                auto store = PgStore::open(url, job, options);
                if (!store.ok()) {
                    return store.status();
                }
                return StoreHandle(std::move(store).value());
            },
            [this](const std::string& job) {
                return read_pg_top_scores(url, schema.name(),
                                          TopQuery{SIZE_MAX, std::nullopt, job});
            },
            [this](const std::string& job) {
                return read_pg_rejections(url, schema.name(), job, SIZE_MAX);
            },
        };
    }
};

// Runs `check` on a fresh schema, or skips when there is no server.
template <class Check>
void with_fixture(const std::string& label, Check check) {
    const auto url = pg_url_or_skip();
    if (!url) {
        return;
    }
    PgFixture fixture(*url, label);
    check(fixture);
}

// Ends every connection whose application_name is `name`, as an administrator or a crash of
// the server process would. Returns how many it ended.
int terminate_connections(PgTestConnection& admin, const std::string& name) {
    return std::stoi(
        admin.value(fmt::format("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE application_name = '{}'",
                                name)));
}

}  // namespace

// --- The store contract ----------------------------------------------------------------------

TEST_CASE("PgStore: results, rejections and checkpoint read back exactly", "[postgres][storage]") {
    with_fixture("round_trip", [](PgFixture& f) { contract::check_round_trip(f.harness()); });
}

TEST_CASE("PgStore: an id written twice keeps the later record", "[postgres][storage]") {
    with_fixture("dups", [](PgFixture& f) { contract::check_later_duplicate_wins(f.harness()); });
}

TEST_CASE("PgStore: results written without a save are lost on reopen", "[postgres][storage]") {
    with_fixture("lost", [](PgFixture& f) { contract::check_uncommitted_is_lost(f.harness()); });
}

TEST_CASE("PgStore: resume drops uncommitted rows and a replay adds none", "[postgres][storage]") {
    with_fixture("resume", [](PgFixture& f) {
        contract::check_resume_drops_uncommitted_and_replay_is_idempotent(f.harness());
    });
}

TEST_CASE("PgStore: starting over empties one job and keeps another", "[postgres][storage]") {
    with_fixture("restart",
                 [](PgFixture& f) { contract::check_restart_affects_one_job(f.harness()); });
}

TEST_CASE("PgStore: discard forgets one job's checkpoint", "[postgres][storage]") {
    with_fixture("discard", [](PgFixture& f) { contract::check_discard(f.harness()); });
}

TEST_CASE("PgStore: a later checkpoint replaces the earlier one", "[postgres][storage]") {
    with_fixture("replaced",
                 [](PgFixture& f) { contract::check_checkpoint_replaced(f.harness()); });
}

// --- The schema ----------------------------------------------------------------------------

TEST_CASE(
    "PgStore: the tables and columns of the SQLite store, and the ranges of distributed "
    "runs, in the named schema",
    "[postgres][storage]") {
    with_fixture("columns", [](PgFixture& f) {
        open_or_fail(f.harness(), "site");
        PgTestConnection raw(f.url);
        const auto columns =
            raw.rows(fmt::format("SELECT table_name || '.' || column_name || ' ' || data_type "
                                 "FROM information_schema.columns WHERE table_schema = '{}' "
                                 "ORDER BY table_name, ordinal_position",
                                 f.schema.name()));
        std::vector<std::string> expected;
        const auto add = [&](const char* table, std::vector<const char*> names, const char* type) {
            for (const char* name : names) {
                expected.push_back(fmt::format("{}.{} {}", table, name, type));
            }
        };
        add("jobs", {"job", "state"}, "text");
        add("jobs",
            {"position_ordinal", "position_byte_offset", "position_line", "total", "scored",
             "rejected"},
            "bigint");
        add("jobs", {"input", "input_fingerprint", "config_fingerprint", "sink_state"}, "text");
        add("jobs", {"started_at_ms", "updated_at_ms"}, "bigint");
        add("jobs", {"message"}, "text");
        add("ranges", {"job"}, "text");
        add("ranges", {"range_no"}, "integer");
        add("ranges", {"first_ordinal", "end_ordinal", "position_byte_offset", "position_line"},
            "bigint");
        add("ranges", {"state", "owner"}, "text");
        add("ranges", {"lease_token"}, "bigint");
        add("ranges", {"lease_expires_at"}, "timestamp with time zone");
        add("ranges", {"attempts"}, "integer");
        add("ranges", {"last_error"}, "text");
        add("ranges", {"scored", "rejected"}, "bigint");
        add("ranges", {"claimed_at", "done_at"}, "timestamp with time zone");
        add("rejections", {"job"}, "text");
        add("rejections", {"ordinal", "line"}, "bigint");
        add("rejections", {"id", "field", "reason", "message"}, "text");
        add("scores", {"id", "url"}, "text");
        add("scores", {"score", "potential_clicks"}, "double precision");
        add("scores", {"action"}, "text");
        add("scores",
            {"upside", "striking", "ctr_gap", "demand", "decay", "ease", "staleness", "thinness",
             "link_need"},
            "double precision");
        add("scores", {"scorer_version", "job"}, "text");
        CHECK(columns == expected);
    });
}

TEST_CASE("PgStore: a schema name that needs quoting holds the tables, and only it",
          "[postgres][storage]") {
    const auto url = pg_url_or_skip();
    if (!url) {
        return;
    }
    PgTestSchema other(*url, "untouched");
    PgStoreOptions options;
    options.schema = "Site \"Scores\"; DROP";  // Quoted, never spliced.
    PgTestConnection raw(*url);
    raw.exec("DROP SCHEMA IF EXISTS \"Site \"\"Scores\"\"; DROP\" CASCADE");
    {
        auto store = PgStore::open(*url, "site", options);
        REQUIRE_OK(store);
        TestBatch batch("site");
        batch.result(0, "a", 1.0);
        commit(StoreHandle(std::move(store).value()), "site", {&batch}, 1);
    }
    CHECK(raw.value("SELECT count(*) FROM \"Site \"\"Scores\"\"; DROP\".scores") == "1");
    auto scores = read_pg_top_scores(*url, options.schema, TopQuery{10, std::nullopt, "site"});
    REQUIRE_OK(scores);
    CHECK(scores->size() == 1);
    // Another schema has no tables of ours.
    auto elsewhere = read_pg_jobs(*url, other.name());
    CHECK(elsewhere.status().code() == StatusCode::kNotFound);
    CHECK_THAT(elsewhere.status().to_string(), Catch::Contains("no bulkscore tables"));
    raw.exec("DROP SCHEMA \"Site \"\"Scores\"\"; DROP\" CASCADE");
}

TEST_CASE("PgStore: a schema whose jobs table is not bulkscore's is refused",
          "[postgres][storage]") {
    with_fixture("foreign", [](PgFixture& f) {
        PgTestConnection raw(f.url);
        raw.exec(fmt::format("CREATE SCHEMA {0}; CREATE TABLE {0}.jobs(x int)", f.schema.quoted()));
        auto store = PgStore::open(f.url, "site", f.options);
        CHECK(store.status().code() == StatusCode::kFailedPrecondition);
        CHECK_THAT(store.status().to_string(),
                   Catch::Contains("did not create") && Catch::Contains("choose another schema"));
    });
}

TEST_CASE("PgStore: absent line, field and id are stored as NULL, bad text as U+FFFD",
          "[postgres][storage]") {
    with_fixture("nulls", [](PgFixture& f) {
        StoreHandle store = open_or_fail(f.harness(), "n");
        TestBatch batch("n");
        batch.rejection(0, 0, "", "", RejectReason::kMissingId)
            .result(1, std::string_view("bad\xff\0id\ttab", 11), 1.0);
        commit(store, "n", {&batch}, 2);
        Checkpoint odd_path = make_checkpoint("n", 2);
        odd_path.input = std::string("/data/bad\xff.csv");
        REQUIRE_OK(store.checkpoints().save(odd_path));
        auto loaded = store.checkpoints().load("n");
        REQUIRE_OK(loaded);
        REQUIRE(loaded->has_value());
        CHECK((*loaded)->input == "/data/bad\xEF\xBF\xBD.csv");
        PgTestConnection raw(f.url);
        CHECK(raw.rows(fmt::format("SELECT line, id, field, reason FROM {}.rejections",
                                   f.schema.quoted())) ==
              std::vector<std::string>{"NULL|NULL|NULL|missing_id"});
        CHECK(raw.rows(fmt::format("SELECT id FROM {}.scores", f.schema.quoted())) ==
              std::vector<std::string>{"bad\xEF\xBF\xBD\xEF\xBF\xBDid\ttab"});
    });
}

// --- Jobs, transactions, failures -------------------------------------------------------------

TEST_CASE("PgStore: two jobs write into one schema at once without mixing", "[postgres][storage]") {
    with_fixture("two_jobs", [](PgFixture& f) {
        StoreHandle a = open_or_fail(f.harness(), "a");
        StoreHandle b = open_or_fail(f.harness(), "b");
        TestBatch a1("a"), a2("a"), b1("b"), b2("b");
        a1.result(0, "a/0", 1.0).rejection(1, 2, "a/1", "clicks");
        b1.result(0, "b/0", 2.0).rejection(1, 2, "b/1", "position");
        a2.result(2, "a/2", 3.0);
        b2.result(2, "b/2", 4.0);
        // Both transactions are open at once, interleaved.
        REQUIRE_OK(a.sink().write(a1.batch()));
        REQUIRE_OK(b.sink().write(b1.batch()));
        REQUIRE_OK(a.sink().write(a2.batch()));
        REQUIRE_OK(b.sink().write(b2.batch()));
        const Checkpoint saved_b = commit(b, "b", {}, 3, JobState::kFinished);
        const Checkpoint saved_a = commit(a, "a", {}, 3);

        std::vector<StoredScore> expected_a = a1.expected_scores();
        expected_a.push_back(a2.expected_scores().front());
        require_same_scores(contract::scores_by_id(f.harness(), "a"), expected_a);
        CHECK(contract::rejections_by_ordinal(f.harness(), "b") == b1.expected_rejections());
        auto jobs = read_pg_jobs(f.url, f.schema.name());
        REQUIRE_OK(jobs);
        REQUIRE(jobs->size() == 2);
        require_same_checkpoint((*jobs)[0], saved_a);
        require_same_checkpoint((*jobs)[1], saved_b);
    });
}

TEST_CASE(
    "PgStore: a connection killed mid-interval loses only uncommitted rows and a reopen resumes",
    "[postgres][storage]") {
    with_fixture("killed", [](PgFixture& f) {
        const std::string victim = "bulkscore-victim-" + f.schema.name();
        const std::string victim_url = pg_url_with(f.url, "application_name=" + victim);
        auto opened = PgStore::open(victim_url, "k", f.options);
        REQUIRE_OK(opened);
        StoreHandle store(std::move(opened).value());
        TestBatch first("k");
        first.result(0, "k0", 1.0).rejection(1, 3, "k1", "clicks");
        const Checkpoint saved = commit(store, "k", {&first}, 2);
        TestBatch second("k");
        second.result(2, "k2", 2.0).result(3, "k3", 3.0);
        REQUIRE_OK(store.sink().write(second.batch()));

        PgTestConnection admin(f.url);
        REQUIRE(terminate_connections(admin, victim) == 1);

        // The open transaction is gone: the flush or the save fails, and no later save may
        // pretend that the lost rows are durable.
        Status failed = store.sink().flush().status();
        if (failed.ok()) {
            failed = store.checkpoints().save(make_checkpoint("k", 4));
        }
        CHECK(failed.code() == StatusCode::kFailedPrecondition);
        CHECK_THAT(failed.to_string(), Catch::Contains("connection") && Catch::Contains("resume"));
        CHECK(store.checkpoints().save(make_checkpoint("k", 4)).code() ==
              StatusCode::kFailedPrecondition);

        // A new store (the next run) finds the last saved checkpoint and exactly its rows.
        StoreHandle reopened = open_or_fail(f.harness(), "k");
        auto loaded = reopened.checkpoints().load("k");
        REQUIRE_OK(loaded);
        REQUIRE(loaded->has_value());
        require_same_checkpoint(**loaded, saved);
        require_same_scores(contract::scores_by_id(f.harness(), "k"), first.expected_scores());

        // The old store reconnects on restore and carries on from the checkpoint too.
        REQUIRE_OK(store.sink().restore(saved.sink_state));
        commit(store, "k", {&second}, 4);
        std::vector<StoredScore> expected = first.expected_scores();
        for (StoredScore& row : second.expected_scores()) {
            expected.push_back(row);
        }
        require_same_scores(contract::scores_by_id(f.harness(), "k"), contract::sorted(expected));
    });
}

TEST_CASE("PgStore: a connection lost between checkpoints is retried as unavailable",
          "[postgres][storage]") {
    with_fixture("idle_kill", [](PgFixture& f) {
        const std::string victim = "bulkscore-idle-" + f.schema.name();
        auto opened =
            PgStore::open(pg_url_with(f.url, "application_name=" + victim), "i", f.options);
        REQUIRE_OK(opened);
        PgStore& store = **opened;
        PgTestConnection admin(f.url);
        REQUIRE(terminate_connections(admin, victim) == 1);

        // Nothing was pending: the failed call may be made again, and it reconnects.
        TestBatch batch("i");
        batch.result(0, "i0", 1.0);
        Status status = store.write(batch.batch());
        if (!status.ok()) {
            CHECK(status.code() == StatusCode::kUnavailable);
            status = store.write(batch.batch());
        }
        REQUIRE_OK(status);
        REQUIRE_OK(store.flush());
        REQUIRE_OK(store.save(make_checkpoint("i", 1)));
        CHECK(contract::scores_by_id(f.harness(), "i").size() == 1);
    });
}

TEST_CASE("PgStore: a checkpoint behind the written rows drops them", "[postgres][storage]") {
    with_fixture("behind", [](PgFixture& f) {
        StoreHandle store = open_or_fail(f.harness(), "behind");
        TestBatch first("behind");
        first.result(0, "a", 1.0);
        const Checkpoint saved = commit(store, "behind", {&first}, 1);
        TestBatch second("behind");
        second.result(1, "b", 2.0).result(2, "c", 3.0);
        REQUIRE_OK(store.sink().write(second.batch()));

        Checkpoint failed = saved;
        failed.state = JobState::kFailed;
        REQUIRE_OK(store.checkpoints().save(failed));
        require_same_scores(contract::scores_by_id(f.harness(), "behind"), first.expected_scores());
    });
}

TEST_CASE("PgStore: save refuses another job's checkpoint, restore another sink's state",
          "[postgres][storage]") {
    with_fixture("refuse", [](PgFixture& f) {
        StoreHandle store = open_or_fail(f.harness(), "mine");
        CHECK(store.checkpoints().save(make_checkpoint("theirs", 0)).code() ==
              StatusCode::kInvalidArgument);
        const Status status = store.sink().restore("sqlite");
        CHECK(status.code() == StatusCode::kFailedPrecondition);
        CHECK_THAT(status.to_string(), Catch::Contains("--restart"));
    });
}

TEST_CASE("PgStore: open explains a refused connection, a missing database, an unknown user",
          "[postgres][storage]") {
    // Nothing listens on port 1 of the loopback address: no server needed for this one.
    PgStoreOptions quick;
    quick.connect_timeout = std::chrono::seconds(2);
    auto refused = PgStore::open("postgresql://nobody:secret@127.0.0.1:1/db", "j", quick);
    CHECK(refused.status().code() == StatusCode::kUnavailable);
    CHECK_THAT(refused.status().to_string(),
               Catch::Contains("check that the server is running") && !Catch::Contains("secret"));
    CHECK(PgStore::open("postgresql://[bad", "j").status().code() == StatusCode::kInvalidArgument);

    const auto url = pg_url_or_skip();
    if (!url) {
        return;
    }
    auto no_database = PgStore::open(pg_url_with(*url, "dbname=no_such_database"), "j");
    CHECK(no_database.status().code() == StatusCode::kNotFound);
    CHECK_THAT(no_database.status().to_string(), Catch::Contains("createdb"));
    auto no_user = PgStore::open(pg_url_with(*url, "user=no_such_user"), "j");
    CHECK(no_user.status().code() == StatusCode::kFailedPrecondition);
    CHECK_THAT(no_user.status().to_string(), Catch::Contains("check the user"));
}

TEST_CASE("PgStore: a user without privileges is told what to grant", "[postgres][storage]") {
    with_fixture("grants", [](PgFixture& f) {
        PgTestConnection admin(f.url);
        const std::string role = "bulkscore_reader_" + f.schema.name();
        admin.exec(fmt::format("DROP ROLE IF EXISTS \"{}\"", role));
        admin.exec(fmt::format("CREATE ROLE \"{}\" LOGIN", role));
        auto store = PgStore::open(pg_url_with(f.url, "user=" + role), "j", f.options);
        CHECK(store.status().code() == StatusCode::kFailedPrecondition);
        CHECK_THAT(store.status().to_string(),
                   Catch::Contains("42501") && Catch::Contains("grant"));
        admin.exec(fmt::format("DROP ROLE \"{}\"", role));
    });
}

// --- The engine on PostgreSQL -------------------------------------------------------------------

namespace {

constexpr std::uint64_t kEnginePages = 20000;

// Runs the engine over a generated site into `f`'s schema. With `kill_at_done` > 0, the
// store's connection is terminated (once) when the first progress event shows that many
// records done.
Result<RunSummary> run_engine(PgFixture& f,
                              std::chrono::milliseconds checkpoint_interval,
                              std::uint64_t kill_at_done) {
    const std::string victim = "bulkscore-engine-" + f.schema.name();
    auto store = PgStore::open(pg_url_with(f.url, "application_name=" + victim), "site", f.options);
    if (!store.ok()) {
        return store.status();
    }
    const OpportunityScoring scorer;
    BulkScorerOptions options;
    options.batch_size = 500;
    options.checkpoint_interval = checkpoint_interval;
    options.progress_interval = std::chrono::milliseconds(1);
    auto source = make_site_generator_source({kEnginePages, 5});
    BulkScorer engine(*source, scorer, **store, **store, options);
    PgTestConnection admin(f.url);
    bool killed = false;
    // Runs on the committer thread, between the store's calls.
    engine.on_progress([&](const ProgressEvent& event) {
        if (kill_at_done > 0 && event.done >= kill_at_done && !killed) {
            killed = terminate_connections(admin, victim) == 1;
        }
    });
    auto summary = engine.run(JobSpec{"site", "generated", "seed-5", false});
    if (kill_at_done > 0 && !killed) {
        return internal_error("the run ended before its connection could be killed");
    }
    return summary;
}

// Every generated page is in `scores` or `rejections` of job "site", once.
void require_exactly_once(PgFixture& f, const RunSummary& summary) {
    PgTestConnection raw(f.url);
    const std::uint64_t scores = std::stoull(raw.value(
        fmt::format("SELECT count(*) FROM {}.scores WHERE job = 'site'", f.schema.quoted())));
    const std::uint64_t rejections = std::stoull(raw.value(
        fmt::format("SELECT count(*) FROM {}.rejections WHERE job = 'site'", f.schema.quoted())));
    CHECK(scores + rejections == kEnginePages);
    CHECK(scores == summary.scored);
    CHECK(rejections == summary.rejected);
}

}  // namespace

TEST_CASE("PgStore: an engine run reconnects after losing its connection between checkpoints",
          "[postgres][storage][slow]") {
    with_fixture("engine_retry", [](PgFixture& f) {
        // A checkpoint after every batch: the kill lands with nothing uncommitted.
        auto summary = run_engine(f, std::chrono::milliseconds(0), 2000);
        REQUIRE_OK(summary);
        CHECK(summary->state == JobState::kFinished);
        CHECK(summary->retries > 0);
        require_exactly_once(f, *summary);
    });
}

TEST_CASE(
    "PgStore: an engine run killed mid-interval fails, and the next run finishes exactly "
    "once",
    "[postgres][storage][slow]") {
    with_fixture("engine_resume", [](PgFixture& f) {
        // One checkpoint at the start and one at the end: the kill lands with rows pending.
        auto failed = run_engine(f, std::chrono::minutes(10), 2000);
        REQUIRE_OK(failed);
        CHECK(failed->state == JobState::kFailed);
        CHECK_THAT(failed->error.to_string(), Catch::Contains("run the same command again"));

        auto resumed = run_engine(f, std::chrono::minutes(10), 0);
        REQUIRE_OK(resumed);
        CHECK(resumed->state == JobState::kFinished);
        CHECK(resumed->resumed);
        require_exactly_once(f, *resumed);
    });
}

// --- Write methods compared (hidden: run with "[benchmark]") ---------------------------------

namespace {

// The engine's write pattern, as the SQLite store's benchmark has it: 1000-record batches with
// one rejection per 100 records, a save every second, one final save. Ids are shuffled pages,
// so that the primary-key index takes random inserts. BULKSCORE_BENCH_ROWS changes the count.
struct BenchInput {
    std::uint64_t total = 0;
    std::vector<std::string> urls;

    BenchInput() {
        const char* rows_env = std::getenv("BULKSCORE_BENCH_ROWS");
        total = rows_env ? std::stoull(rows_env) : 1000000;
        urls.resize(total);
        for (std::uint64_t i = 0; i < total; ++i) {
            const std::uint64_t page = i * 7919 % total;
            urls[i] =
                fmt::format("https://www.example.com/category-{:02}/page-{:07}", page % 97, page);
        }
    }

    void fill(ScoredBatch& batch, std::uint64_t first, std::uint64_t end) const {
        batch.clear();
        batch.first_ordinal = first;
        for (std::uint64_t i = first; i < end; ++i) {
            if (i % 100 == 99) {
                batch.rejections.push_back(
                    {i, i + 2, urls[i], "clicks", RejectReason::kBadNumber, "12x"});
                continue;
            }
            const double x = static_cast<double>(i % 1000) / 1000.0;
            batch.results.push_back(
                {urls[i], urls[i], 100 * x, 1000 * x, Action::kPushToTop,
                 Components{x, x / 2, x / 3, x / 4, x / 5, x / 6, x / 7, x / 8, x / 9},
                 "opportunity-v1", i});
        }
    }
};

// Drives `write` and `save` over the whole input; returns seconds and the number of saves.
template <class Write, class Save>
std::pair<double, std::uint64_t> drive(const BenchInput& input, Write write, Save save) {
    constexpr std::uint64_t kBatch = 1000;
    ScoredBatch batch;
    std::uint64_t saves = 0;
    const auto start = std::chrono::steady_clock::now();
    auto last_save = start;
    for (std::uint64_t first = 0; first < input.total; first += kBatch) {
        const std::uint64_t end = std::min(input.total, first + kBatch);
        input.fill(batch, first, end);
        write(batch);
        const auto now = std::chrono::steady_clock::now();
        if (now - last_save >= std::chrono::seconds(1)) {
            save(end, JobState::kRunning);
            ++saves;
            last_save = now;
        }
    }
    save(input.total, JobState::kFinished);
    return {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
            saves + 1};
}

// The alternative to the store's COPY + merge: one multi-row `INSERT ... ON CONFLICT DO
// UPDATE` per batch of results (and one per batch of rejections) with text parameters, a
// prepared statement per row count, in one transaction per checkpoint interval.
class MultiRowUpsert {
public:
    MultiRowUpsert(const std::string& url, const std::string& quoted_schema)
        : conn_(PQconnectdb(url.c_str())), schema_(quoted_schema) {
        REQUIRE(PQstatus(conn_) == CONNECTION_OK);
        exec("SET extra_float_digits = 3");
    }
    ~MultiRowUpsert() { PQfinish(conn_); }

    void write(const ScoredBatch& batch) {
        if (!in_transaction_) {
            exec("BEGIN");
            in_transaction_ = true;
        }
        values_.clear();
        for (const ScoreResult& r : batch.results) {
            values_.emplace_back(r.id);
            values_.emplace_back(r.url);
            for (double v : {r.score, r.potential_clicks}) {
                values_.push_back(fmt::format("{}", v));
            }
            values_.emplace_back(to_string(r.action));
            const Components& c = r.components;
            for (double v : {c.upside, c.striking, c.ctr_gap, c.demand, c.decay, c.ease,
                             c.staleness, c.thinness, c.link_need}) {
                values_.push_back(fmt::format("{}", v));
            }
            values_.emplace_back(r.scorer_version);
            values_.emplace_back("bench");
        }
        run_prepared("s", batch.results.size(), 16, kScoresInsert, kScoresConflict);
        values_.clear();
        for (const Rejection& r : batch.rejections) {
            values_.emplace_back("bench");
            values_.push_back(std::to_string(r.ordinal));
            values_.push_back(std::to_string(r.line));
            values_.emplace_back(r.id);
            values_.emplace_back(r.field);
            values_.emplace_back(to_string(r.reason));
            values_.push_back(render_message(r));
        }
        run_prepared("r", batch.rejections.size(), 7, kRejectionsInsert, kRejectionsConflict);
    }

    void save(std::uint64_t end) {
        if (!in_transaction_) {
            exec("BEGIN");
        }
        exec(
            fmt::format("INSERT INTO {}.jobs(job, state, position_ordinal) VALUES('bench', "
                        "'running', {}) ON CONFLICT (job) DO UPDATE SET position_ordinal = "
                        "excluded.position_ordinal",
                        schema_, end));
        exec("COMMIT");
        in_transaction_ = false;
    }

private:
    static constexpr const char* kScoresInsert =
        "INSERT INTO {}.scores(id, url, score, potential_clicks, action, upside, striking, "
        "ctr_gap, demand, decay, ease, staleness, thinness, link_need, scorer_version, job) "
        "VALUES ";
    static constexpr const char* kScoresConflict =
        " ON CONFLICT (id) DO UPDATE SET url = excluded.url, score = excluded.score, "
        "potential_clicks = excluded.potential_clicks, action = excluded.action, upside = "
        "excluded.upside, striking = excluded.striking, ctr_gap = excluded.ctr_gap, demand = "
        "excluded.demand, decay = excluded.decay, ease = excluded.ease, staleness = "
        "excluded.staleness, thinness = excluded.thinness, link_need = excluded.link_need, "
        "scorer_version = excluded.scorer_version, job = excluded.job";
    static constexpr const char* kRejectionsInsert =
        "INSERT INTO {}.rejections(job, ordinal, line, id, field, reason, message) VALUES ";
    static constexpr const char* kRejectionsConflict =
        " ON CONFLICT (job, ordinal) DO UPDATE SET line = excluded.line, id = excluded.id, "
        "field = excluded.field, reason = excluded.reason, message = excluded.message";

    void exec(const std::string& sql) {
        PGresult* result = PQexec(conn_, sql.c_str());
        INFO(sql << ": " << PQresultErrorMessage(result));
        CHECK((PQresultStatus(result) == PGRES_COMMAND_OK ||
               PQresultStatus(result) == PGRES_TUPLES_OK));
        PQclear(result);
    }

    void run_prepared(const std::string& prefix,
                      std::size_t rows,
                      std::size_t columns,
                      const char* insert,
                      const char* conflict) {
        if (rows == 0) {
            return;
        }
        const std::string name = fmt::format("{}{}", prefix, rows);
        if (std::find(prepared_.begin(), prepared_.end(), name) == prepared_.end()) {
            std::string sql = fmt::format(fmt::runtime(insert), schema_);
            for (std::size_t row = 0; row < rows; ++row) {
                sql += row > 0 ? ",(" : "(";
                for (std::size_t column = 0; column < columns; ++column) {
                    sql += fmt::format("{}${}", column > 0 ? "," : "", row * columns + column + 1);
                }
                sql += ")";
            }
            sql += conflict;
            PGresult* result = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
            REQUIRE(PQresultStatus(result) == PGRES_COMMAND_OK);
            PQclear(result);
            prepared_.push_back(name);
        }
        pointers_.clear();
        for (const std::string& value : values_) {
            pointers_.push_back(value.c_str());
        }
        PGresult* result = PQexecPrepared(conn_, name.c_str(), static_cast<int>(pointers_.size()),
                                          pointers_.data(), nullptr, nullptr, 0);
        INFO(PQresultErrorMessage(result));
        CHECK(PQresultStatus(result) == PGRES_COMMAND_OK);
        PQclear(result);
    }

    PGconn* conn_;
    std::string schema_;
    bool in_transaction_ = false;
    std::vector<std::string> values_;
    std::vector<const char*> pointers_;
    std::vector<std::string> prepared_;
};

}  // namespace

TEST_CASE("PgStore: COPY and merge against multi-row upserts on a million results",
          "[.][benchmark][postgres]") {
    const auto url = pg_url_or_skip();
    if (!url) {
        return;
    }
    const BenchInput input;
    const std::string count_sql = "SELECT count(*) FROM {}.scores";
    // One method per section, so that each can run alone on a fresh cluster:
    //     scripts/pg-test-cluster run -- bulkscore_tests "PgStore: COPY and merge*" -c "upsert"
    SECTION("COPY + merge") {
        PgFixture f(*url, "bench_copy");
        auto opened = PgStore::open(f.url, "bench", f.options);
        REQUIRE_OK(opened);
        PgStore& store = **opened;
        const auto [seconds, saves] = drive(
            input, [&](const ScoredBatch& batch) { REQUIRE_OK(store.write(batch)); },
            [&](std::uint64_t end, JobState state) {
                auto state_text = store.flush();
                REQUIRE_OK(state_text);
                Checkpoint checkpoint = make_checkpoint("bench", end, state);
                checkpoint.sink_state = *state_text;
                REQUIRE_OK(store.save(checkpoint));
            });
        PgTestConnection raw(f.url);
        CHECK(raw.value(fmt::format(fmt::runtime(count_sql), f.schema.quoted())) ==
              std::to_string(input.total - input.total / 100));
        WARN(fmt::format("COPY + merge: {} records in {:.2f} s ({:.0f} records/s), {} commits",
                         input.total, seconds, static_cast<double>(input.total) / seconds, saves));
    }
    SECTION("multi-row upsert") {
        PgFixture f(*url, "bench_upsert");
        open_or_fail(f.harness(), "bench");  // Creates the tables.
        MultiRowUpsert upsert(f.url, f.schema.quoted());
        const auto [seconds, saves] = drive(
            input, [&](const ScoredBatch& batch) { upsert.write(batch); },
            [&](std::uint64_t end, JobState) { upsert.save(end); });
        PgTestConnection raw(f.url);
        CHECK(raw.value(fmt::format(fmt::runtime(count_sql), f.schema.quoted())) ==
              std::to_string(input.total - input.total / 100));
        WARN(fmt::format("multi-row upsert: {} records in {:.2f} s ({:.0f} records/s), {} commits",
                         input.total, seconds, static_cast<double>(input.total) / seconds, saves));
    }
}

}  // namespace bulkscore::testing
