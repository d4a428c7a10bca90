// SPDX-License-Identifier: MIT
//
// Tests of distributed runs (`PgWorker`, `score --pg`, `status --pg`) against a real server (a
// private cluster, tests/support/pg_cluster.hpp): workers in threads (over a file's records or
// a PostgreSQL table) and in processes end with exactly the rows of a single-process run; a worker
// SIGKILLed while it holds a range loses nothing and its range is scored once; a worker that was
// merely slow past its lease finds the range taken over and counts nothing; a range that keeps
// failing is set aside and retried by a later worker. Each test works in a schema of its own.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/pg_job.hpp"
#include "bulkscore/pg_source.hpp"
#include "bulkscore/pg_store.hpp"
#include "bulkscore/site_generator.hpp"
#include "bulkscore/sqlite_store.hpp"

#include "cli/pg_url.hpp"
#include "support/crash_harness.hpp"
#include "support/pg_cluster.hpp"
#include "support/store_contract.hpp"
#include "support/test_support.hpp"
#include <signal.h>

namespace bulkscore::testing {
namespace {

using namespace std::chrono_literals;
using contract::require_same_scores;

// Every row of `job` in a SQLite database, best first (the order of `read_pg_top_scores`).
std::vector<StoredScore> sqlite_scores(const std::filesystem::path& db, const std::string& job) {
    auto scores = read_top_scores(db, TopQuery{SIZE_MAX, std::nullopt, job});
    REQUIRE_OK(scores);
    return std::move(scores).value();
}

std::vector<StoredScore> pg_scores(const std::string& url,
                                   const PgTestSchema& schema,
                                   const std::string& job) {
    auto scores = read_pg_top_scores(url, schema.name(), TopQuery{SIZE_MAX, std::nullopt, job});
    REQUIRE_OK(scores);
    return std::move(scores).value();
}

// The single-process result of a generated site, scored by the engine into SQLite.
std::vector<StoredScore> single_process_scores(const SiteGeneratorOptions& site,
                                               const std::string& job) {
    TempDir dir;
    const auto db = dir.path() / "single.db";
    auto store = SqliteStore::open(db, job);
    REQUIRE_OK(store);
    auto source = make_site_generator_source(site);
    const OpportunityScoring scorer;
    BulkScorer engine(*source, scorer, **store, **store);
    auto summary = engine.run(JobSpec{job, "generated", "generated", false});
    REQUIRE_OK(summary);
    REQUIRE(summary->state == JobState::kFinished);
    store->reset();
    return sqlite_scores(db, job);
}

// What every range and the job's row say, checked against each other: each range counted
// once, the job's counts the sum of its ranges, every record of the input done.
void require_consistent_job(const std::string& url,
                            const PgTestSchema& schema,
                            const std::string& job,
                            std::uint64_t total) {
    PgTestConnection raw(url);
    const std::string q = schema.quoted();
    CHECK(raw.value(fmt::format("SELECT count(*) FROM {}.ranges WHERE job = '{}' AND state <> "
                                "'done'",
                                q, job)) == "0");
    CHECK(raw.value(fmt::format(
              "SELECT sum(end_ordinal - first_ordinal) = sum(scored + rejected) FROM {}.ranges "
              "WHERE job = '{}'",
              q, job)) == "t");
    CHECK(raw.value(fmt::format("SELECT state || '|' || total || '|' || (scored + rejected) || "
                                "'|' || position_ordinal FROM {}.jobs WHERE job = '{}'",
                                q, job)) == fmt::format("finished|{}|{}|{}", total, total, total));
    CHECK(raw.value(fmt::format("SELECT (SELECT sum(scored) FROM {0}.ranges WHERE job = '{1}') = "
                                "scored AND (SELECT count(*) FROM {0}.scores WHERE job = '{1}') "
                                "= scored AND (SELECT count(*) FROM {0}.rejections WHERE job = "
                                "'{1}') = rejected FROM {0}.jobs WHERE job = '{1}'",
                                q, job)) == "t");
}

PgWorkerOptions worker_options(const PgTestSchema& schema, std::string name) {
    PgWorkerOptions options;
    options.schema = schema.name();
    options.worker_name = std::move(name);
    options.range_records = 1500;
    options.lease = 5s;
    options.idle_poll = 20ms;
    options.engine.batch_size = 500;
    options.engine.worker_threads = 1;
    return options;
}

// A source that fails every read of records in [fail_from, fail_to): a range that cannot be
// read, whoever claims it.
class FailingRangeSource final : public NodeSource {
public:
    FailingRangeSource(std::unique_ptr<NodeSource> inner,
                       std::uint64_t fail_from,
                       std::uint64_t fail_to)
        : inner_(std::move(inner)), fail_from_(fail_from), fail_to_(fail_to) {}

    Status read(NodeBatch& batch, std::size_t max_records) override {
        const std::uint64_t next = inner_->position().ordinal;
        if (next >= fail_from_ && next < fail_to_ && failing_.load()) {
            return data_loss_error(fmt::format("record {} cannot be read (a test fault)", next));
        }
        return inner_->read(batch, max_records);
    }
    Result<std::uint64_t> count_records() override { return inner_->count_records(); }
    SourcePosition position() const noexcept override { return inner_->position(); }
    Status seek(const SourcePosition& position) override { return inner_->seek(position); }
    std::string_view description() const noexcept override { return "failing generator"; }

    // Splitting reads every record once: the fault starts after that. Called from the engine's
    // committer thread while its reader reads.
    void start_failing() { failing_.store(true); }

private:
    std::unique_ptr<NodeSource> inner_;
    std::uint64_t fail_from_;
    std::uint64_t fail_to_;
    std::atomic<bool> failing_{false};
};

}  // namespace

TEST_CASE("PgWorker: two workers in threads end with exactly the rows of a single process",
          "[postgres][distributed]") {
    const auto url = pg_url_or_skip();
    if (!url) {
        return;
    }
    PgTestSchema schema(*url, "two_workers");
    const SiteGeneratorOptions site{20'000, 5};
    const OpportunityScoring scorer;

    std::vector<PgWorkerSummary> summaries(2);
    std::vector<Status> errors(2);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < 2; ++i) {
        threads.emplace_back([&, i] {
            auto source = make_site_generator_source(site);
            PgWorker worker(*url, JobSpec{"site", "generated", "seed-5", false},
                            worker_options(schema, fmt::format("w{}", i + 1)));
            auto summary = worker.run(*source, scorer);
            errors[i] = summary.status();
            if (summary.ok()) {
                summaries[i] = *summary;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (std::size_t i = 0; i < 2; ++i) {
        INFO("worker " << i + 1 << ": " << errors[i].message());
        REQUIRE(errors[i].ok());
        CHECK(summaries[i].state == JobState::kFinished);
        CHECK(summaries[i].job_done == site.pages);
    }
    CHECK(summaries[0].split_input != summaries[1].split_input);
    CHECK(summaries[0].ranges_done + summaries[1].ranges_done == 14);  // ceil(20000 / 1500)
    CHECK(summaries[0].scored + summaries[0].rejected + summaries[1].scored +
              summaries[1].rejected ==
          site.pages);

    require_same_scores(pg_scores(*url, schema, "site"), single_process_scores(site, "site"));
    require_consistent_job(*url, schema, "site", site.pages);

    auto status = read_pg_job_status(*url, schema.name(), "site");
    REQUIRE_OK(status);
    REQUIRE(status->size() == 1);
    const PgJobStatus& job = status->front();
    CHECK(job.job.state == JobState::kFinished);
    CHECK(job.ranges == 14);
    CHECK(job.ranges_done == 14);
    CHECK(job.ranges_leased == 0);
    CHECK(job.range_records == 1500);
    std::uint64_t ranges_by_workers = 0;
    for (const PgWorkerStatus& worker : job.workers) {
        ranges_by_workers += worker.ranges_done;
        CHECK(!worker.working);
    }
    CHECK(ranges_by_workers == 14);

    SECTION("a worker that comes after the end finds the job finished") {
        auto source = make_site_generator_source(site);
        PgWorker late(*url, JobSpec{"site", "generated", "seed-5", false},
                      worker_options(schema, "late"));
        auto summary = late.run(*source, scorer);
        REQUIRE_OK(summary);
        CHECK(summary->already_finished);
        CHECK(summary->job_done == site.pages);
    }
    SECTION("a worker with another input is refused, saying how to start over") {
        auto source = make_site_generator_source(site);
        PgWorker other(*url, JobSpec{"site", "generated", "seed-6", false},
                       worker_options(schema, "other"));
        auto summary = other.run(*source, scorer);
        REQUIRE(!summary.ok());
        CHECK(summary.status().code() == StatusCode::kFailedPrecondition);
        CHECK_THAT(std::string(summary.status().message()),
                   Catch::Contains("same, unchanged input") && Catch::Contains("--restart"));
    }
}

TEST_CASE("PgWorker: a range that keeps failing is set aside, and a later worker retries it",
          "[postgres][distributed]") {
    const auto url = pg_url_or_skip();
    if (!url) {
        return;
    }
    PgTestSchema schema(*url, "set_aside");
    const SiteGeneratorOptions site{6'000, 7};
    const OpportunityScoring scorer;
    PgWorkerOptions options = worker_options(schema, "faulty");
    options.max_attempts = 2;

    {
        // Ranges of 1500: range 2 holds records [3000, 4500) and cannot be read.
        FailingRangeSource source(make_site_generator_source(site), 3000, 4500);
        PgWorker worker(*url, JobSpec{"site", "generated", "seed-7", false}, options);
        bool armed = false;
        worker.on_progress([&](const ProgressEvent&) {
            if (!armed) {
                source.start_failing();
                armed = true;
            }
        });
        auto summary = worker.run(source, scorer);
        REQUIRE_OK(summary);
        CHECK(summary->state == JobState::kFailed);
        CHECK(summary->job_set_aside == 1);
        CHECK(summary->ranges_failed == 2);
        CHECK(summary->ranges_done == 3);
        CHECK(summary->job_done == 4500);
        CHECK_THAT(std::string(summary->error.message()),
                   Catch::Contains("set aside") && Catch::Contains("a test fault"));

        auto status = read_pg_job_status(*url, schema.name(), "site");
        REQUIRE_OK(status);
        CHECK(status->front().job.state == JobState::kFailed);
        CHECK(status->front().ranges_set_aside == 1);
        CHECK_THAT(status->front().first_set_aside_reason,
                   Catch::Contains("attempt 2 by faulty") && Catch::Contains("a test fault"));
    }

    auto source = make_site_generator_source(site);
    PgWorker retry(*url, JobSpec{"site", "generated", "seed-7", false},
                   worker_options(schema, "healthy"));
    auto summary = retry.run(*source, scorer);
    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFinished);
    CHECK(summary->ranges_done == 1);
    require_same_scores(pg_scores(*url, schema, "site"), single_process_scores(site, "site"));
    require_consistent_job(*url, schema, "site", site.pages);
}

TEST_CASE("PgWorker: cancelling gives the range in hand back without counting an attempt",
          "[postgres][distributed]") {
    const auto url = pg_url_or_skip();
    if (!url) {
        return;
    }
    PgTestSchema schema(*url, "cancel");
    const SiteGeneratorOptions site{6'000, 8};
    const OpportunityScoring scorer;
    {
        auto source = make_site_generator_source(site);
        PgWorker worker(*url, JobSpec{"site", "generated", "seed-8", false},
                        worker_options(schema, "cancelled"));
        worker.on_progress([&](const ProgressEvent& event) {
            if (event.done >= 2000) {
                worker.cancel();
            }
        });
        auto summary = worker.run(*source, scorer);
        REQUIRE_OK(summary);
        CHECK(summary->state == JobState::kCancelled);
        CHECK(summary->job_done < site.pages);
        PgTestConnection raw(*url);
        CHECK(raw.value(fmt::format("SELECT count(*) FROM {}.ranges WHERE job = 'site' AND "
                                    "state = 'pending' AND (attempts > 0 OR lease_expires_at IS "
                                    "NOT NULL)",
                                    schema.quoted())) == "0");
    }
    auto source = make_site_generator_source(site);
    PgWorker worker(*url, JobSpec{"site", "generated", "seed-8", false},
                    worker_options(schema, "finisher"));
    auto summary = worker.run(*source, scorer);
    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFinished);
    require_same_scores(pg_scores(*url, schema, "site"), single_process_scores(site, "site"));
    require_consistent_job(*url, schema, "site", site.pages);
}

TEST_CASE("PgWorker: two workers split a PostgreSQL table and score it like a single process",
          "[postgres][distributed]") {
    const auto url = pg_url_or_skip();
    if (!url) {
        return;
    }
    PgTestSchema schema(*url, "table_input");
    const SiteGeneratorOptions site{12'000, 9};
    TempDir dir;
    const auto csv = dir.path() / "site.csv";
    REQUIRE_OK(write_site_csv(csv, site));

    // The pages as a table of the native columns, loaded from the same CSV.
    PgTestConnection raw(*url);
    raw.exec(fmt::format("CREATE SCHEMA {}", schema.quoted()));
    raw.exec(fmt::format(
        "CREATE TABLE {}.pages(ord bigserial, id text PRIMARY KEY, url text, impressions bigint, "
        "clicks bigint, "
        "position double precision, search_volume bigint, difficulty double precision, "
        "prev_clicks bigint, word_count bigint, inlinks bigint, days_since_update bigint)",
        schema.quoted()));
    const std::string text = read_file(csv);
    const std::string header = text.substr(0, text.find('\n'));
    raw.copy_in(fmt::format("COPY {}.pages({}) FROM STDIN WITH (FORMAT csv, HEADER true)",
                            schema.quoted(), header),
                text);

    // In file order (`ord` numbers the rows as COPY read them), so that the single-process run
    // over the file is the reference; the source ignores the `ord` column.
    PgSourceOptions source_options;
    source_options.url = *url;
    source_options.query = fmt::format("SELECT * FROM {}.pages ORDER BY ord", schema.quoted());
    const OpportunityScoring scorer;
    std::vector<Status> errors(2);
    std::vector<std::uint64_t> ranges(2);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < 2; ++i) {
        threads.emplace_back([&, i] {
            auto source = open_pg_source(source_options);
            if (!source.ok()) {
                errors[i] = source.status();
                return;
            }
            PgWorker worker(*url, JobSpec{"site", "pages table", "pages-v1", false},
                            worker_options(schema, fmt::format("t{}", i + 1)));
            auto summary = worker.run(**source, scorer);
            errors[i] = summary.status();
            if (summary.ok()) {
                ranges[i] = summary->ranges_done;
                if (summary->state != JobState::kFinished) {
                    errors[i] = summary->error;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (const Status& error : errors) {
        INFO(error.message());
        REQUIRE(error.ok());
    }
    CHECK(ranges[0] + ranges[1] == 8);  // ceil(12000 / 1500)

    SourceOptions file_options;
    file_options.path = csv;
    auto file_source = open_source(file_options);
    REQUIRE_OK(file_source);
    TempDir single_dir;
    const auto db = single_dir.path() / "single.db";
    {
        auto store = SqliteStore::open(db, "site");
        REQUIRE_OK(store);
        BulkScorer engine(**file_source, scorer, **store, **store);
        auto summary = engine.run(JobSpec{"site", csv.string(), "file", false});
        REQUIRE_OK(summary);
        REQUIRE(summary->state == JobState::kFinished);
    }
    const std::vector<StoredScore> expected = sqlite_scores(db, "site");
    require_same_scores(pg_scores(*url, schema, "site"), expected);
    require_consistent_job(*url, schema, "site", site.pages);

    SECTION("the CLI's workers split the same query (--query), into another schema") {
        PgTestSchema out(*url, "table_input_cli");
        std::vector<pid_t> workers;
        for (const char* name : {"q1", "q2"}) {
            workers.push_back(
                crash::spawn_cli({"score", "--query", source_options.query, "--pg", *url,
                                  "--schema", out.name(), "--job", "site", "--worker-name", name,
                                  "--range-records", "1500", "--progress", "none"},
                                 dir.path() / (std::string(name) + ".log")));
        }
        for (std::size_t i = 0; i < workers.size(); ++i) {
            const auto log = dir.path() / fmt::format("q{}.log", i + 1);
            const crash::ChildEnd end = crash::wait_child(workers[i], log);
            INFO(crash::describe(end) << "\n" << crash::log_tail(log));
            REQUIRE(end.code == 0);
            REQUIRE(!end.signalled);
        }
        require_same_scores(pg_scores(*url, out, "site"), expected);
        require_consistent_job(*url, out, "site", site.pages);
        const ProcessResult status =
            run_cli({"status", "--pg", *url, "--schema", out.name(), "--job", "site"});
        CHECK_THAT(status.out, Catch::Contains("input postgresql query: SELECT * FROM"));
    }
    SECTION("--query without --pg is a usage error") {
        const ProcessResult run = run_cli({"score", "--query", "SELECT 1", "--db", "x.db"});
        CHECK(run.exit_code == 2);
        CHECK_THAT(run.err, Catch::Contains("--query requires --pg"));
    }
}

// --- Worker processes ----------------------------------------------------------------------------

namespace {

namespace fs = std::filesystem;

// A job of worker processes on one generated file, in one schema.
struct ProcessJob {
    std::string url;
    PgTestSchema schema;
    TempDir dir;
    fs::path input;
    std::uint64_t pages;

    ProcessJob(std::string server, const std::string& label, std::uint64_t page_count)
        : url(std::move(server)),
          schema(url, label),
          input(dir.path() / "site.csv"),
          pages(page_count) {
        REQUIRE_OK(write_site_csv(input, {pages, 11}));
    }

    std::vector<std::string> worker_arguments(const std::string& name) const {
        return {"score",
                input.string(),
                "--pg",
                url,
                "--schema",
                schema.name(),
                "--job",
                "site",
                "--worker-name",
                name,
                "--range-records",
                "5000",
                "--lease-s",
                "2",
                "--workers",
                "1",
                "--progress",
                "none"};
    }

    fs::path log(const std::string& name) const { return dir.path() / (name + ".log"); }

    pid_t start(const std::string& name) const {
        return crash::spawn_cli(worker_arguments(name), log(name));
    }

    // The expected rows: one process, into SQLite.
    std::vector<StoredScore> single_process() const {
        const fs::path db = dir.path() / "single.db";
        const ProcessResult run =
            run_cli({"score", input.string(), "--db", db.string(), "--job", "site"});
        INFO(run.err);
        REQUIRE(run.exit_code == 0);
        return sqlite_scores(db, "site");
    }

    // Waits until `name` holds a range and stops it there (SIGSTOP), confirming afterwards that
    // the range is still pending under the same token: the process is frozen mid-range.
    // Returns the range, or nothing when `pid` ended first.
    std::optional<std::string> stop_mid_range(pid_t pid, const std::string& name) const {
        PgTestConnection raw(url);
        const std::string held = fmt::format(
            "SELECT range_no || ':' || lease_token FROM {}.ranges WHERE job = 'site' AND owner = "
            "'{}' AND state = 'pending' AND lease_expires_at > now()",
            schema.quoted(), name);
        const std::string split = fmt::format(
            "SELECT to_regclass('{}.ranges') IS NOT NULL AND EXISTS (SELECT 1 FROM {}.jobs WHERE "
            "job = 'site')",
            schema.quoted(), schema.quoted());
        const auto deadline = crash::Clock::now() + crash::child_limit();
        bool tables = false;
        while (crash::Clock::now() < deadline) {
            if (crash::try_reap(pid)) {
                return std::nullopt;
            }
            // The first worker creates the tables: until then there is nothing to ask.
            tables = tables || raw.value(fmt::format("SELECT to_regclass('{}.jobs') IS NOT NULL",
                                                     schema.quoted())) == "t";
            if (!tables || raw.value(split) != "t") {
                std::this_thread::sleep_for(1ms);
                continue;
            }
            const std::vector<std::string> before = raw.rows(held);
            if (!before.empty()) {
                REQUIRE(::kill(pid, SIGSTOP) == 0);
                std::this_thread::sleep_for(50ms);  // Any commit in flight lands meanwhile.
                if (raw.rows(held) == before) {
                    return before.front().substr(0, before.front().find(':'));
                }
                REQUIRE(::kill(pid, SIGCONT) == 0);
            }
            std::this_thread::sleep_for(1ms);
        }
        FAIL("worker " << name << " never held a range");
        return std::nullopt;
    }
};

void require_worker_finished(const ProcessJob& job, pid_t pid, const std::string& name) {
    const crash::ChildEnd end = crash::wait_child(pid, job.log(name));
    INFO("worker " << name << ": " << crash::describe(end) << "\n"
                   << crash::log_tail(job.log(name)));
    REQUIRE(!end.signalled);
    REQUIRE(end.code == 0);
}

}  // namespace

TEST_CASE(
    "score --pg: three worker processes, one SIGKILLed mid-range, end with exactly the rows of "
    "a single-process run",
    "[postgres][distributed][crash][slow]") {
    const auto url = pg_url_or_skip();
    if (!url) {
        return;
    }
    ProcessJob job(*url, "three_processes", 60'000);

    const pid_t victim = job.start("w1");
    const std::optional<std::string> range = job.stop_mid_range(victim, "w1");
    REQUIRE(range);
    const pid_t second = job.start("w2");
    const pid_t third = job.start("w3");
    REQUIRE(::kill(victim, SIGKILL) == 0);
    const crash::ChildEnd killed = crash::wait_child(victim, job.log("w1"));
    CHECK(killed.signalled);
    require_worker_finished(job, second, "w2");
    require_worker_finished(job, third, "w3");

    require_same_scores(pg_scores(job.url, job.schema, "site"), job.single_process());
    require_consistent_job(job.url, job.schema, "site", job.pages);

    // The killed worker's range went to another worker after its lease expired.
    PgTestConnection raw(job.url);
    CHECK(raw.value(fmt::format("SELECT owner <> 'w1' AND attempts >= 2 FROM {}.ranges WHERE "
                                "job = 'site' AND range_no = {}",
                                job.schema.quoted(), *range)) == "t");

    const ProcessResult status =
        run_cli({"status", "--pg", job.url, "--schema", job.schema.name(), "--job", "site"});
    INFO(status.err);
    CHECK(status.exit_code == 0);
    CHECK_THAT(status.out, Catch::Contains("job site: finished, 100.0% (60,000 of 60,000") &&
                               Catch::Contains("ranges: 12 of 12 done") &&
                               Catch::Contains("worker w2:") && Catch::Contains("worker w3:"));
}

TEST_CASE(
    "score --pg: a worker slower than its lease finds its range taken over and counts nothing "
    "twice",
    "[postgres][distributed][crash][slow]") {
    const auto url = pg_url_or_skip();
    if (!url) {
        return;
    }
    ProcessJob job(*url, "slow_worker", 30'000);

    const pid_t slow = job.start("slow");
    const std::optional<std::string> range = job.stop_mid_range(slow, "slow");
    REQUIRE(range);
    const pid_t other = job.start("quick");
    require_worker_finished(job, other, "quick");  // Takes the range over once the lease expires.

    REQUIRE(::kill(slow, SIGCONT) == 0);
    require_worker_finished(job, slow, "slow");
    CHECK_THAT(read_file(job.log("slow")), Catch::Contains("lost to another worker"));

    require_same_scores(pg_scores(job.url, job.schema, "site"), job.single_process());
    require_consistent_job(job.url, job.schema, "site", job.pages);
    PgTestConnection raw(job.url);
    CHECK(raw.value(fmt::format("SELECT owner FROM {}.ranges WHERE job = 'site' AND range_no = {}",
                                job.schema.quoted(), *range)) == "quick");
}

TEST_CASE("score --pg: commands printed for the user carry no password", "[cli]") {
    using cli::has_password;
    using cli::without_password;
    CHECK(without_password("postgresql://scorer:s3cret@db.example:5432/seo") ==
          "postgresql://scorer@db.example:5432/seo");
    CHECK(without_password("postgresql://scorer@db.example/seo?password=s3cret&sslmode=require") ==
          "postgresql://scorer@db.example/seo?sslmode=require");
    CHECK(without_password("postgresql://db.example/seo?sslmode=require&password=s3cret") ==
          "postgresql://db.example/seo?sslmode=require");
    CHECK(without_password("host=db dbname=seo password='a b\\'c' user=scorer") ==
          "host=db dbname=seo user=scorer");
    CHECK(without_password("postgresql://scorer@/seo?host=/tmp/x") ==
          "postgresql://scorer@/seo?host=/tmp/x");
    CHECK(has_password("postgresql://u:p@h/d"));
    CHECK(!has_password("postgresql://u@h/d"));
}

}  // namespace bulkscore::testing
