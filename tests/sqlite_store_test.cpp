// SPDX-License-Identifier: MIT
//
// Tests of `SqliteStore` and the SQLite read side, on real database files in a temporary
// directory: the store contract (tests/support/store_contract.hpp), the schema, the failure
// rules (locked, full, read-only, not a bulkscore database), and the `top`/`status` commands.

#include "bulkscore/sqlite_store.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sqlite3.h>

#include "support/store_contract.hpp"
#include "support/system_faults.hpp"
#include "support/test_support.hpp"
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace bulkscore::testing {
namespace {

using contract::commit;
using contract::open_or_fail;
using contract::require_same_scores;

// A harness over one database file in a fresh temporary directory.
struct SqliteFixture {
    TempDir dir;
    std::filesystem::path db = dir / "scores.db";
    SqliteStoreOptions options;

    StoreHarness harness() {
        return StoreHarness{
            [this](const std::string& job) -> Result<StoreHandle> {
                auto store = SqliteStore::open(db, job, options);
                if (!store.ok()) {
                    return store.status();
                }
                return StoreHandle(std::move(store).value());
            },
            [this](const std::string& job) {
                return read_top_scores(db, TopQuery{SIZE_MAX, std::nullopt, job});
            },
            [this](const std::string& job) { return read_rejections(db, job, SIZE_MAX); },
        };
    }
};

// A raw connection for looking at the file behind the store's back.
class RawDb {
public:
    explicit RawDb(const std::filesystem::path& path) {
        REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK);
    }
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;
    ~RawDb() { sqlite3_close(db_); }

    void exec(const std::string& sql) {
        INFO(sql);
        REQUIRE(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    }

    // Every row of `sql`, each column as text ("NULL" for NULL), columns joined by '|'.
    std::vector<std::string> rows(const std::string& sql) {
        sqlite3_stmt* statement = nullptr;
        INFO(sql);
        REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
        std::vector<std::string> result;
        while (sqlite3_step(statement) == SQLITE_ROW) {
            std::string row;
            for (int i = 0; i < sqlite3_column_count(statement); ++i) {
                const auto* text = sqlite3_column_text(statement, i);
                row += (i > 0 ? "|" : "");
                row += text == nullptr ? "NULL" : reinterpret_cast<const char*>(text);
            }
            result.push_back(row);
        }
        sqlite3_finalize(statement);
        return result;
    }

private:
    sqlite3* db_ = nullptr;
};

}  // namespace

// --- The store contract ----------------------------------------------------------------------

TEST_CASE("SqliteStore: results, rejections and checkpoint read back exactly",
          "[sqlite][storage]") {
    SqliteFixture fixture;
    contract::check_round_trip(fixture.harness());
}

TEST_CASE("SqliteStore: an id written twice keeps the later record", "[sqlite][storage]") {
    SqliteFixture fixture;
    contract::check_later_duplicate_wins(fixture.harness());
}

TEST_CASE("SqliteStore: results written without a save are lost on reopen", "[sqlite][storage]") {
    SqliteFixture fixture;
    contract::check_uncommitted_is_lost(fixture.harness());
}

TEST_CASE("SqliteStore: resume drops uncommitted rows and a replay adds none",
          "[sqlite][storage]") {
    SqliteFixture fixture;
    contract::check_resume_drops_uncommitted_and_replay_is_idempotent(fixture.harness());
}

TEST_CASE("SqliteStore: starting over empties one job and keeps another", "[sqlite][storage]") {
    SqliteFixture fixture;
    contract::check_restart_affects_one_job(fixture.harness());
}

TEST_CASE("SqliteStore: discard forgets one job's checkpoint", "[sqlite][storage]") {
    SqliteFixture fixture;
    contract::check_discard(fixture.harness());
}

TEST_CASE("SqliteStore: a later checkpoint replaces the earlier one", "[sqlite][storage]") {
    SqliteFixture fixture;
    contract::check_checkpoint_replaced(fixture.harness());
}

// --- The file itself -------------------------------------------------------------------------

TEST_CASE("SqliteStore: tables and columns are exactly the documented schema",
          "[sqlite][storage]") {
    SqliteFixture fixture;
    { open_or_fail(fixture.harness(), "site"); }
    RawDb raw(fixture.db);
    const auto columns = [&](const std::string& table) {
        return raw.rows("SELECT name, type, pk FROM pragma_table_info('" + table + "')");
    };
    CHECK(columns("scores") ==
          std::vector<std::string>{
              "id|TEXT|1", "url|TEXT|0", "score|REAL|0", "potential_clicks|REAL|0", "action|TEXT|0",
              "upside|REAL|0", "striking|REAL|0", "ctr_gap|REAL|0", "demand|REAL|0", "decay|REAL|0",
              "ease|REAL|0", "staleness|REAL|0", "thinness|REAL|0", "link_need|REAL|0",
              "scorer_version|TEXT|0", "job|TEXT|0"});
    CHECK(columns("rejections") ==
          std::vector<std::string>{"job|TEXT|0", "ordinal|INTEGER|0", "line|INTEGER|0", "id|TEXT|0",
                                   "field|TEXT|0", "reason|TEXT|0", "message|TEXT|0"});
    const auto jobs = columns("jobs");
    REQUIRE_FALSE(jobs.empty());
    CHECK(jobs.front() == "job|TEXT|1");
    for (const char* name :
         {"state", "position_ordinal", "position_byte_offset", "position_line", "total", "scored",
          "rejected", "input", "input_fingerprint", "config_fingerprint", "sink_state",
          "started_at_ms", "updated_at_ms", "message"}) {
        INFO(name);
        CHECK(raw.rows(std::string("SELECT 1 FROM pragma_table_info('jobs') WHERE name = '") +
                       name + "'")
                  .size() == 1);
    }
    CHECK(raw.rows("PRAGMA journal_mode") == std::vector<std::string>{"wal"});
}

TEST_CASE("SqliteStore: absent line, field and id are stored as NULL", "[sqlite][storage]") {
    SqliteFixture fixture;
    {
        StoreHandle store = open_or_fail(fixture.harness(), "nulls");
        TestBatch batch("nulls");
        batch.rejection(0, 0, "", "", RejectReason::kMissingId)
            .rejection(1, 7, "p1", "clicks", RejectReason::kBadNumber, "12x");
        commit(store, "nulls", {&batch}, 2);
    }
    RawDb raw(fixture.db);
    const auto rows = raw.rows(
        "SELECT job, ordinal, line, id, field, reason, message FROM rejections ORDER BY ordinal");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].rfind("nulls|0|NULL|NULL|NULL|missing_id|", 0) == 0);
    CHECK(rows[1] ==
          "nulls|1|7|p1|clicks|bad_number|clicks \"12x\" is not a number; write a "
          "plain number such as 12 or 3.5");
}

TEST_CASE("SqliteStore: a database locked by another writer is unavailable until released",
          "[sqlite][storage]") {
    SqliteFixture fixture;
    fixture.options.busy_timeout = std::chrono::milliseconds(20);
    StoreHandle store = open_or_fail(fixture.harness(), "locked");
    RawDb other(fixture.db);
    other.exec("BEGIN IMMEDIATE; INSERT INTO jobs(job, state) VALUES('other', 'running')");

    TestBatch batch("locked");
    batch.result(0, "x", 1.0);
    const Status busy = store.sink().write(batch.batch());
    CHECK(busy.code() == StatusCode::kUnavailable);
    CHECK_THAT(std::string(busy.message()), Catch::Contains(fixture.db.string()));

    other.exec("COMMIT");
    commit(store, "locked", {&batch}, 1);  // The same call again now succeeds.
    CHECK(contract::scores_by_id(fixture.harness(), "locked").size() == 1);
}

TEST_CASE("SqliteStore: a reader does not block a save, and saving again is harmless",
          "[sqlite][storage]") {
    SqliteFixture fixture;
    fixture.options.busy_timeout = std::chrono::milliseconds(20);
    StoreHandle store = open_or_fail(fixture.harness(), "retry");
    TestBatch batch("retry");
    batch.result(0, "x", 1.0).result(1, "y", 2.0);
    REQUIRE_OK(store.sink().write(batch.batch()));
    auto state = store.sink().flush();
    REQUIRE_OK(state);

    // A reader in the middle of a read transaction does not block a WAL commit, and the save
    // goes through; a second save (the engine's retry after a lost answer) is harmless.
    RawDb reader(fixture.db);
    reader.exec("BEGIN; SELECT count(*) FROM scores");
    Checkpoint checkpoint = make_checkpoint("retry", 2);
    checkpoint.sink_state = *state;
    REQUIRE_OK(store.checkpoints().save(checkpoint));
    REQUIRE_OK(store.checkpoints().save(checkpoint));
    reader.exec("COMMIT");
    CHECK(contract::scores_by_id(fixture.harness(), "retry").size() == 2);
}

TEST_CASE("SqliteStore: a full database fails the run and keeps the last checkpoint",
          "[sqlite][storage]") {
    SqliteFixture fixture;
    Checkpoint saved;
    {
        StoreHandle store = open_or_fail(fixture.harness(), "full");
        TestBatch first("full");
        first.result(0, "first", 1.0);
        saved = commit(store, "full", {&first}, 1);
    }
    fixture.options.max_database_bytes = std::filesystem::file_size(fixture.db) + 8192;
    fixture.options.sorted_insert_rows = 1;  // Each result goes in at its write.
    StoreHandle store = open_or_fail(fixture.harness(), "full");
    TestBatch big("full");
    const std::string padding(2000, 'p');
    for (std::uint64_t i = 1; i <= 200; ++i) {
        big.result(i, "page-" + std::to_string(i) + padding, static_cast<double>(i));
    }
    const Status full = store.sink().write(big.batch());
    REQUIRE(full.code() == StatusCode::kResourceExhausted);
    CHECK_THAT(std::string(full.message()), Catch::Contains("full"));

    // The lost rows must not be claimed by a later checkpoint; a state-only save is allowed.
    Checkpoint past = make_checkpoint("full", 201, JobState::kFailed);
    CHECK(store.checkpoints().save(past).code() == StatusCode::kFailedPrecondition);
    CHECK(store.sink().write(big.batch()).code() == StatusCode::kFailedPrecondition);
    Checkpoint failed = saved;
    failed.state = JobState::kFailed;
    failed.message = std::string(full.message());
    REQUIRE_OK(store.checkpoints().save(failed));

    auto loaded = store.checkpoints().load("full");
    REQUIRE_OK(loaded);
    REQUIRE(loaded->has_value());
    require_same_checkpoint(**loaded, failed);
    CHECK(contract::scores_by_id(fixture.harness(), "full").size() == 1);
    REQUIRE_OK(store.sink().restore(failed.sink_state));  // Resuming clears the refusal.
}

TEST_CASE("SqliteStore: held results that do not fit fail the flush and are never committed",
          "[sqlite][storage]") {
    SqliteFixture fixture;
    Checkpoint saved;
    {
        StoreHandle store = open_or_fail(fixture.harness(), "held");
        TestBatch first("held");
        first.result(0, "first", 1.0);
        saved = commit(store, "held", {&first}, 1);
    }
    fixture.options.max_database_bytes = std::filesystem::file_size(fixture.db) + 8192;
    StoreHandle store = open_or_fail(fixture.harness(), "held");
    TestBatch big("held");
    const std::string padding(2000, 'p');
    for (std::uint64_t i = 1; i <= 200; ++i) {
        big.result(i, "page-" + std::to_string(i) + padding, static_cast<double>(i));
    }
    REQUIRE_OK(store.sink().write(big.batch()));  // Held for sorting: nothing inserted yet.

    const auto flushed = store.sink().flush();
    REQUIRE(flushed.status().code() == StatusCode::kResourceExhausted);
    Checkpoint past = make_checkpoint("held", 201, JobState::kFailed);
    CHECK(store.checkpoints().save(past).code() == StatusCode::kFailedPrecondition);
    Checkpoint failed = saved;
    failed.state = JobState::kFailed;
    REQUIRE_OK(store.checkpoints().save(failed));
    CHECK(contract::scores_by_id(fixture.harness(), "held").size() == 1);
}

TEST_CASE("SqliteStore: results go in sorted by id and a repeated id keeps its later record",
          "[sqlite][storage]") {
    SqliteFixture fixture;
    fixture.options.sorted_insert_rows = 3;  // Sorted in groups of three, and at the commit.
    StoreHandle store = open_or_fail(fixture.harness(), "sorted");
    TestBatch first("sorted");
    first.result(0, "m", 1.0).result(1, "c", 2.0).result(2, "x", 3.0).result(3, "c", 4.0);
    TestBatch second("sorted");
    second.result(4, "a", 5.0).result(5, "x", 6.0).result(6, "c", 7.0);
    commit(store, "sorted", {&first, &second}, 7);

    const auto scores = contract::scores_by_id(fixture.harness(), "sorted");
    // In id order: a, c, m, x; the seed of each row's values shows which record won.
    REQUIRE(scores.size() == 4);
    CHECK(scores[0].id == "a");
    CHECK(scores[0].potential_clicks == 5.0 * 1000.0 / 3.0);
    CHECK(scores[1].id == "c");
    CHECK(scores[1].potential_clicks == 7.0 * 1000.0 / 3.0);
    CHECK(scores[2].id == "m");
    CHECK(scores[2].potential_clicks == 1.0 * 1000.0 / 3.0);
    CHECK(scores[3].id == "x");
    CHECK(scores[3].potential_clicks == 6.0 * 1000.0 / 3.0);
}

TEST_CASE("SqliteStore: a checkpoint behind the written rows drops them", "[sqlite][storage]") {
    SqliteFixture fixture;
    StoreHandle store = open_or_fail(fixture.harness(), "behind");
    TestBatch first("behind");
    first.result(0, "a", 1.0);
    const Checkpoint saved = commit(store, "behind", {&first}, 1);
    TestBatch second("behind");
    second.result(1, "b", 2.0).result(2, "c", 3.0);
    REQUIRE_OK(store.sink().write(second.batch()));

    // The engine gives up and records the failure at the last durable position.
    Checkpoint failed = saved;
    failed.state = JobState::kFailed;
    REQUIRE_OK(store.checkpoints().save(failed));
    require_same_scores(contract::scores_by_id(fixture.harness(), "behind"),
                        first.expected_scores());
}

TEST_CASE("SqliteStore: save refuses a checkpoint of another job", "[sqlite][storage]") {
    SqliteFixture fixture;
    StoreHandle store = open_or_fail(fixture.harness(), "mine");
    CHECK(store.checkpoints().save(make_checkpoint("theirs", 0)).code() ==
          StatusCode::kInvalidArgument);
}

TEST_CASE("SqliteStore: restore refuses a state from another kind of sink", "[sqlite][storage]") {
    SqliteFixture fixture;
    StoreHandle store = open_or_fail(fixture.harness(), "mine");
    CHECK(store.sink().restore("csv:123:456").code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("SqliteStore: open explains a missing directory, a read-only file and a foreign file",
          "[sqlite][storage]") {
    SqliteFixture fixture;

    SECTION("missing directory") {
        auto store = SqliteStore::open(fixture.dir / "no-such-dir" / "x.db", "job");
        REQUIRE(store.status().code() == StatusCode::kNotFound);
        CHECK_THAT(std::string(store.status().message()), Catch::Contains("no-such-dir"));
    }
    SECTION("empty job name") {
        CHECK(SqliteStore::open(fixture.db, "").status().code() == StatusCode::kInvalidArgument);
    }
    SECTION("another program's SQLite database") {
        { RawDb(fixture.db).exec("CREATE TABLE notes(body TEXT)"); }
        auto store = SqliteStore::open(fixture.db, "job");
        REQUIRE(store.status().code() == StatusCode::kFailedPrecondition);
        CHECK_THAT(std::string(store.status().message()), Catch::Contains("not a bulkscore"));
        CHECK(read_jobs(fixture.db).status().code() == StatusCode::kFailedPrecondition);
    }
    SECTION("a text file") {
        write_file(fixture.db, "id,url\nnot,a database at all\n" + std::string(600, 'x'));
        auto store = SqliteStore::open(fixture.db, "job");
        REQUIRE(store.status().code() == StatusCode::kFailedPrecondition);
        CHECK_THAT(std::string(store.status().message()), Catch::Contains("not a SQLite database"));
        CHECK(read_top_scores(fixture.db, {}).status().code() == StatusCode::kFailedPrecondition);
    }
    SECTION("read-only file") {
        { open_or_fail(fixture.harness(), "job"); }
        ImmutableFile immutable(fixture.db);
        if (!immutable.applied()) {
            if (::geteuid() == 0) {
                WARN("skipped: cannot make the file immutable here and root ignores permissions");
                return;
            }
            std::filesystem::permissions(fixture.db, std::filesystem::perms::owner_read);
        }
        auto store = SqliteStore::open(fixture.db, "job");
        REQUIRE(store.status().code() == StatusCode::kFailedPrecondition);
        CHECK_THAT(std::string(store.status().message()), Catch::Contains("read"));
        CHECK_THAT(std::string(store.status().message()), Catch::Contains(fixture.db.string()));
        CHECK(read_jobs(fixture.db).ok());  // Reading still works.
        if (!immutable.applied()) {
            std::filesystem::permissions(fixture.db, std::filesystem::perms::owner_all);
        }
    }
}

// --- The read side ---------------------------------------------------------------------------

TEST_CASE("SqliteStore: read side orders by score then id and filters by action and job",
          "[sqlite][storage]") {
    SqliteFixture fixture;
    {
        StoreHandle a = open_or_fail(fixture.harness(), "a");
        StoreHandle b = open_or_fail(fixture.harness(), "b");
        TestBatch batch_a("a");
        // seeds give score = fmod(seed * 37.123456789, 100): 1 -> 37.1, 2 -> 74.2, 3 -> 11.4
        batch_a.result(0, "a-low", 3.0, Action::kRefresh)
            .result(1, "a-high", 2.0, Action::kFixCtr)
            .result(2, "a-mid", 1.0, Action::kRefresh);
        TestBatch batch_b("b");
        batch_b.result(0, "b-tie", 2.0, Action::kRefresh).result(1, "b-mid", 1.5);
        commit(a, "a", {&batch_a}, 3);
        commit(b, "b", {&batch_b}, 2);
    }
    const auto ids = [&](const TopQuery& query) {
        auto rows = read_top_scores(fixture.db, query);
        REQUIRE_OK(rows);
        std::vector<std::string> result;
        for (const StoredScore& row : *rows) {
            result.push_back(row.id);
        }
        return result;
    };
    CHECK(ids({}) == std::vector<std::string>{"a-high", "b-tie", "b-mid", "a-mid", "a-low"});
    CHECK(ids({2, std::nullopt, std::nullopt}) == std::vector<std::string>{"a-high", "b-tie"});
    CHECK(ids({20, Action::kRefresh, std::nullopt}) ==
          std::vector<std::string>{"b-tie", "a-mid", "a-low"});
    CHECK(ids({20, Action::kRefresh, std::string("a")}) ==
          std::vector<std::string>{"a-mid", "a-low"});
    CHECK(ids({20, Action::kExpand, std::nullopt}).empty());

    auto jobs = read_jobs(fixture.db);
    REQUIRE_OK(jobs);
    REQUIRE(jobs->size() == 2);
    CHECK((*jobs)[0].job == "a");
    CHECK((*jobs)[1].job == "b");
}

TEST_CASE("SqliteStore: read side reports a missing database as not found", "[sqlite][storage]") {
    TempDir dir;
    const auto missing = read_jobs(dir / "absent.db");
    REQUIRE(missing.status().code() == StatusCode::kNotFound);
    CHECK_THAT(std::string(missing.status().message()), Catch::Contains("absent.db"));
    CHECK_FALSE(std::filesystem::exists(dir / "absent.db"));
}

// --- The `top` and `status` commands ---------------------------------------------------------

namespace {

// A database with a running job "site" (3 scores, 1 rejection, 4 of 10 records) and a finished
// job "done".
std::filesystem::path make_cli_database(const TempDir& dir) {
    const auto db = dir / "cli.db";
    auto site = SqliteStore::open(db, "site");
    REQUIRE_OK(site);
    StoreHandle site_store(std::move(site).value());
    TestBatch batch("site");
    batch.result(0, "low", 3.0, Action::kRefresh)
        .result(1, "high", 2.0, Action::kFixCtr)
        .result(2, "mid, with comma", 1.0, Action::kRefresh)
        .rejection(3, 5, "bad", "clicks");
    Checkpoint checkpoint = commit(site_store, "site", {&batch}, 4);
    checkpoint.total = 10;
    checkpoint.scored = 3;
    checkpoint.rejected = 1;
    REQUIRE_OK(site_store.checkpoints().save(checkpoint));

    auto done = SqliteStore::open(db, "done");
    REQUIRE_OK(done);
    StoreHandle done_store(std::move(done).value());
    TestBatch finished("done");
    finished.result(0, "other", 1.5);
    commit(done_store, "done", {&finished}, 1, JobState::kFinished);
    return db;
}

}  // namespace

TEST_CASE("CLI top: a table of the best pages with their main components", "[sqlite][cli]") {
    TempDir dir;
    const auto db = make_cli_database(dir).string();
    const ProcessResult top = run_cli({"top", "--db", db, "-n", "2"});
    INFO(top.err);
    REQUIRE(top.exit_code == 0);
    const auto lines = lines_of(top.out);
    REQUIRE(lines.size() == 3);
    CHECK_THAT(lines[0],
               Catch::Contains("rank") && Catch::Contains("score") && Catch::Contains("url"));
    // seed 2 scores fmod(2 * 37.123456789, 100) = 74.2469...
    CHECK_THAT(lines[1], Catch::StartsWith("   1   74.2  fix_ctr") &&
                             Catch::EndsWith("https://example.com/high"));
    CHECK_THAT(lines[1], Catch::Contains("upside"));
    CHECK_THAT(lines[2], Catch::Contains("https://example.com/other"));
}

TEST_CASE("CLI top: CSV with the scores columns and JSON", "[sqlite][cli]") {
    TempDir dir;
    const auto db = make_cli_database(dir).string();
    const ProcessResult csv =
        run_cli({"top", "--db", db, "--action", "refresh", "--format", "csv"});
    INFO(csv.err);
    REQUIRE(csv.exit_code == 0);
    const auto lines = lines_of(csv.out);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] ==
          "id,url,score,potential_clicks,action,upside,striking,ctr_gap,demand,decay,ease,"
          "staleness,thinness,link_need,scorer_version,job");
    CHECK_THAT(lines[1], Catch::StartsWith("\"mid, with comma\",\"https://example.com/mid, "
                                           "with comma\",37.123456789,"));
    CHECK_THAT(lines[2], Catch::StartsWith("low,") && Catch::EndsWith(",opportunity-v1,site"));

    const ProcessResult json = run_cli({"top", "--db", db, "-n", "1", "--format", "json"});
    REQUIRE(json.exit_code == 0);
    CHECK_THAT(json.out, Catch::StartsWith("[{") && Catch::Contains("\"id\":\"high\"") &&
                             Catch::Contains("\"action\":\"fix_ctr\""));
}

TEST_CASE("CLI top: an unknown action or a missing database is a usage error", "[sqlite][cli]") {
    TempDir dir;
    const auto db = make_cli_database(dir).string();
    const ProcessResult bad_action = run_cli({"top", "--db", db, "--action", "rewrite"});
    CHECK(bad_action.exit_code == 2);
    CHECK_THAT(bad_action.err, Catch::Contains("rewrite") && Catch::Contains("push_to_top") &&
                                   Catch::Contains("build_links"));
    const auto missing = (dir / "missing.db").string();
    const ProcessResult no_db = run_cli({"top", "--db", missing});
    CHECK(no_db.exit_code == 2);
    CHECK_THAT(no_db.err, Catch::Contains(missing));
    CHECK(no_db.out.empty());
}

TEST_CASE("CLI status: state, percent, counts, time and the command that resumes",
          "[sqlite][cli]") {
    TempDir dir;
    const auto db = make_cli_database(dir).string();
    const ProcessResult status = run_cli({"status", "--db", db});
    INFO(status.err);
    REQUIRE(status.exit_code == 0);
    CHECK_THAT(status.out, Catch::Contains("job site: running (or interrupted), 40.0% (4 of 10 "
                                           "records)"));
    CHECK_THAT(status.out, Catch::Contains("scored 3, rejected 1"));
    CHECK_THAT(status.out, Catch::Contains("last checkpoint 2024-04-24T23:06:40Z"));
    CHECK_THAT(status.out, Catch::Contains("resume: bulkscore score /data/site.csv --db " + db +
                                           " --job site\n"));
    CHECK_THAT(status.out, Catch::Contains("line 5 (id bad): clicks \"12x\" is not a number"));
    CHECK_THAT(status.out, Catch::Contains("job done: finished"));
    CHECK_THAT(status.out, !Catch::Contains("--job done"));

    const ProcessResult one = run_cli({"status", "--db", db, "--job", "done"});
    REQUIRE(one.exit_code == 0);
    CHECK_THAT(one.out, !Catch::Contains("job site"));
}

TEST_CASE("CLI status: an unknown job or a missing database is a usage error", "[sqlite][cli]") {
    TempDir dir;
    const auto db = make_cli_database(dir).string();
    const ProcessResult unknown = run_cli({"status", "--db", db, "--job", "nope"});
    CHECK(unknown.exit_code == 2);
    CHECK_THAT(unknown.err, Catch::Contains("nope") && Catch::Contains("done, site"));
    const ProcessResult missing = run_cli({"status", "--db", (dir / "missing.db").string()});
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.err, Catch::Contains("missing.db"));
}

// --- Throughput (hidden: run with "[benchmark]") ---------------------------------------------

// Prints the insert rate of the engine's write pattern: 1000-result batches (one rejection
// per 100 records), a flush and a save every second, one final save. Text is prepared before
// the clock starts; the store binds it from views as it would from a batch's arena. Set
// BULKSCORE_BENCH_ROWS to change the count and BULKSCORE_BENCH_DB to keep the database.
TEST_CASE("SqliteStore: insert rate of a million results", "[.][benchmark]") {
    const char* rows_env = std::getenv("BULKSCORE_BENCH_ROWS");
    const std::uint64_t total = rows_env ? std::stoull(rows_env) : 1000000;
    TempDir dir;
    const char* db_env = std::getenv("BULKSCORE_BENCH_DB");
    const std::filesystem::path db = db_env ? std::filesystem::path(db_env) : dir / "bench.db";
    std::filesystem::remove(db);

    // Pages in a shuffled order by default (BULKSCORE_BENCH_ORDER=sorted for input sorted by
    // id): the primary-key index then takes random inserts, its worst case.
    const bool sorted = std::getenv("BULKSCORE_BENCH_ORDER") != nullptr &&
                        std::string(std::getenv("BULKSCORE_BENCH_ORDER")) == "sorted";
    std::vector<std::string> urls(total);
    for (std::uint64_t i = 0; i < total; ++i) {
        const std::uint64_t page = sorted ? i : i * 7919 % total;
        urls[i] = fmt::format("https://www.example.com/category-{:02}/page-{:07}", page % 97, page);
    }
    if (sorted) {
        std::sort(urls.begin(), urls.end());
    }
    SqliteStoreOptions options;
    if (const char* cache = std::getenv("BULKSCORE_BENCH_CACHE_KIB")) {
        options.cache_kib = std::stoll(cache);
    }
    auto opened = SqliteStore::open(db, "bench", options);
    REQUIRE_OK(opened);
    SqliteStore& store = **opened;

    constexpr std::uint64_t kBatch = 1000;
    ScoredBatch batch;
    std::uint64_t saves = 0;
    const auto start = std::chrono::steady_clock::now();
    auto last_save = start;
    const auto save = [&](std::uint64_t end, JobState state) {
        auto state_text = store.flush();
        REQUIRE_OK(state_text);
        Checkpoint checkpoint = make_checkpoint("bench", end, state);
        checkpoint.total = total;
        checkpoint.sink_state = *state_text;
        REQUIRE_OK(store.save(checkpoint));
        ++saves;
    };
    for (std::uint64_t first = 0; first < total; first += kBatch) {
        batch.clear();
        batch.first_ordinal = first;
        for (std::uint64_t i = first; i < std::min(total, first + kBatch); ++i) {
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
        REQUIRE_OK(store.write(batch));
        const auto now = std::chrono::steady_clock::now();
        if (now - last_save >= std::chrono::seconds(1)) {
            save(std::min(total, first + kBatch), JobState::kRunning);
            last_save = now;
        }
    }
    save(total, JobState::kFinished);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    opened->reset();  // Closing checkpoints the WAL into the database, as a finished run does.
    const double with_close =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    RawDb raw(db);
    CHECK(raw.rows("SELECT count(*) FROM scores") ==
          std::vector<std::string>{std::to_string(total - total / 100)});
    WARN(fmt::format("{} records in {:.2f} s ({:.0f} records/s; {:.2f} s with close), {} commits",
                     total, seconds, static_cast<double>(total) / seconds, with_close, saves));
}

}  // namespace bulkscore::testing
