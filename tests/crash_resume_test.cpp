// SPDX-License-Identifier: MIT
//
// Exactly once across SIGKILL and SIGINT, end to end (DESIGN.md, "Guarantees" 1 and 2): the
// `bulkscore` executable runs as a child process (fork/exec, no shell) scoring a generated site
// with bad rows mixed in, into a SQLite database or a CSV file. It is killed at random moments
// (a seeded PRNG picks the delays, spread over the run, and about half the kills then wait for the
// store's next write; short checkpoint intervals make many kills land inside a commit) and
// resumed each time, with varied checkpoint intervals, batch sizes and thread counts, and the last
// resume runs to its end. The output must then equal an uninterrupted reference run row for row:
// every column of every `scores` and `rejections` row (doubles bit for bit), nothing missing,
// nothing twice.
//
// Timing only decides where the kills land, never the verdict: the figures (kills, kills after
// a checkpoint, kills inside a commit) are printed, and the waits are hang guards (each child
// must end within 60 s), not assertions on time. The comparison is shown able to fail by running
// it on deliberately perturbed copies of the result.
//
// Thread safety: test code; one thread.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sqlite3.h>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/file_checkpoint_store.hpp"
#include "bulkscore/file_sink.hpp"

#include "support/crash_harness.hpp"
#include "support/test_support.hpp"
#include <signal.h>

namespace bulkscore {
namespace {

using namespace testing::crash;
using testing::TempDir;

// The job name `score` derives from the input's file name (`site.csv`).
constexpr std::string_view kJob = "site";

// ---------------------------------------------------------------------------------------------
// The input: a generated site with bad rows mixed in.

struct Site {
    fs::path input;
    std::uint64_t records = 0;  ///< Records in the input, good and bad.
    std::uint64_t bad = 0;      ///< Records that break SCORING.md's rules on purpose.
};

std::vector<std::string> split_header(std::string_view header) {
    std::vector<std::string> columns;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = header.find(',', start);
        columns.emplace_back(header.substr(start, comma - start));
        if (comma == std::string_view::npos) {
            return columns;
        }
        start = comma + 1;
    }
}

// One CSV row in the generated header's column order; `values` are already CSV-encoded.
std::string make_row(const std::vector<std::string>& columns,
                     const std::map<std::string, std::string>& values) {
    std::string row;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i > 0) {
            row.push_back(',');
        }
        if (const auto found = values.find(columns[i]); found != values.end()) {
            row += found->second;
        }
    }
    row.push_back('\n');
    return row;
}

// The extra row number `k`: one of eight ways to break the rules, or (kind 8) a good record
// spread over two lines by a quoted id (the generated header has no `url` column). Every id is
// unique, so that a duplicate row in the output can only be a bug.
std::string extra_row(const std::vector<std::string>& columns, std::uint64_t k, bool& bad) {
    std::map<std::string, std::string> values{
        {"id", fmt::format("https://www.example.com/extra/{}", k)},
        {"impressions", "100"},
        {"clicks", "5"},
        {"position", "7.5"},
    };
    bad = true;
    switch (k % 9) {
        case 0:
            values["impressions"] = "lots";  // bad_number
            break;
        case 1:
            values["clicks"] = "500";  // clicks_exceed_impressions
            break;
        case 2:
            values["inlinks"] = "-3";  // negative
            break;
        case 3:
            values["id"] = "";  // missing_id: NULL id in `rejections`
            break;
        case 4:
            values["position"] = "0";  // bad_position
            break;
        case 5:
            values["difficulty"] = "150";  // bad_difficulty
            break;
        case 6:
            values["id"] = fmt::format("long-{}-{}", k, std::string(2100, 'x'));  // id_too_long
            break;
        case 7:
            // Two lines, and a message that needs quoting: bad_number on "1,5".
            values["id"] = fmt::format("\"https://www.example.com/odd\npage, \"\"{}\"\"\"", k);
            values["impressions"] = "\"1,5\"";
            break;
        default:
            values["id"] = fmt::format("\"https://www.example.com/two\nlines/{}\"", k);
            bad = false;
            break;
    }
    return make_row(columns, values);
}

// Generates `pages` pages with `bulkscore generate` and writes `site.csv`: those rows with one
// extra row (mostly bad) after every 500.
Site make_site(const TempDir& dir, std::uint64_t pages, std::uint64_t seed) {
    const fs::path generated = dir / "generated.csv";
    const auto result = testing::run_cli(
        {"generate", std::to_string(pages), generated.string(), "--seed", std::to_string(seed)});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const std::string text = testing::read_file(generated);
    const std::size_t header_end = text.find('\n');
    REQUIRE(header_end != std::string::npos);
    const std::vector<std::string> columns = split_header(text.substr(0, header_end));

    Site site;
    site.input = dir / "site.csv";
    std::string out;
    out.reserve(text.size() + text.size() / 50);
    out.append(text, 0, header_end + 1);
    std::uint64_t extra = 0;
    std::size_t start = header_end + 1;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        end = end == std::string::npos ? text.size() : end + 1;
        out.append(text, start, end - start);
        start = end;
        ++site.records;
        if (site.records % 500 == 0) {
            bool bad = false;
            out += extra_row(columns, extra++, bad);
            site.bad += bad ? 1 : 0;
        }
    }
    REQUIRE(site.records == pages);
    site.records += extra;
    testing::write_file(site.input, out);
    return site;
}

// ---------------------------------------------------------------------------------------------
// What a kill left behind.

// The job's last checkpoint as a resume would find it.
struct Durable {
    bool present = false;
    std::string state;
    std::uint64_t ordinal = 0;
    std::int64_t updated_at_ms = 0;
    std::string sink_state;
};

Durable read_durable_sqlite(const fs::path& db_path) {
    Durable durable;
    std::error_code error;
    if (!fs::exists(db_path, error)) {
        return durable;
    }
    const Database db(db_path);
    if (!db.ok()) {
        return durable;
    }
    // A kill before the schema was created leaves no `jobs` table: no checkpoint either.
    db.query(fmt::format("SELECT state, position_ordinal, updated_at_ms FROM jobs WHERE job = "
                         "'{}'",
                         kJob),
             [&](sqlite3_stmt* row) {
                 durable.present = true;
                 durable.state = reinterpret_cast<const char*>(sqlite3_column_text(row, 0));
                 durable.ordinal = static_cast<std::uint64_t>(sqlite3_column_int64(row, 1));
                 durable.updated_at_ms = sqlite3_column_int64(row, 2);
             });
    return durable;
}

Durable read_durable_csv(const fs::path& out) {
    Durable durable;
    FileCheckpointStore store(FileCheckpointStore::path_for(out));
    const Result<std::optional<Checkpoint>> loaded = store.load(kJob);
    REQUIRE_OK(loaded);
    if (loaded->has_value()) {
        const Checkpoint& checkpoint = **loaded;
        durable.present = true;
        durable.state = std::string(to_string(checkpoint.state));
        durable.ordinal = checkpoint.position.ordinal;
        durable.updated_at_ms = checkpoint.updated_at_ms;
        durable.sink_state = checkpoint.sink_state;
    }
    return durable;
}

// True when a kill left a file output past its checkpoint: a checkpoint save cut short (its
// temporary file is newer than the child's start), or bytes past the recorded durable lengths
// (flushed, or spilled, but not yet checkpointed); a resume must truncate them away.
bool csv_left_uncheckpointed(const fs::path& out,
                             const Durable& durable,
                             fs::file_time_type child_started) {
    std::error_code error;
    fs::path temporary = FileCheckpointStore::path_for(out);
    temporary += ".tmp";
    if (fs::exists(temporary, error) && fs::last_write_time(temporary, error) >= child_started) {
        return true;
    }
    if (!durable.present) {
        return false;
    }
    // The sink state ends in the two durable lengths ("... RESULTS REJECTIONS").
    const std::size_t space = durable.sink_state.rfind(' ');
    const std::size_t before = durable.sink_state.rfind(' ', space - 1);
    if (space == std::string::npos || before == std::string::npos) {
        return false;
    }
    const std::uint64_t results = std::stoull(durable.sink_state.substr(before + 1));
    const std::uint64_t rejections = std::stoull(durable.sink_state.substr(space + 1));
    return fs::file_size(out) > results ||
           fs::file_size(FileSink::rejections_path(out)) > rejections;
}

// ---------------------------------------------------------------------------------------------
// The scenario.

enum class StoreKind { kSqlite, kCsv };

std::string_view name_of(StoreKind kind) {
    return kind == StoreKind::kSqlite ? "sqlite" : "csv";
}

std::vector<std::string> score_arguments(const Site& site, StoreKind kind, const fs::path& out) {
    return {"score",      site.input.string(), kind == StoreKind::kSqlite ? "--db" : "--out",
            out.string(), "--progress",        "none"};
}

// The figures of one interrupted job.
struct Interruptions {
    int signals = 0;             ///< Signals delivered to a live child.
    int after_checkpoint = 0;    ///< ... to a child that had saved at least one checkpoint.
    int inside_commit = 0;       ///< ... that left a commit or checkpoint half done.
    int cancelled = 0;           ///< SIGINT: children that exited 130 (a clean cancel).
    int ended_on_their_own = 0;  ///< Children that finished before their signal.
};

// Runs the job in `kind`'s store to `out`, sending `signal` to `rounds` children at random
// moments, then lets one last resume finish.
Interruptions interrupt_and_resume(const TempDir& dir,
                                   const Site& site,
                                   StoreKind kind,
                                   const fs::path& out,
                                   int signal,
                                   int rounds,
                                   std::chrono::microseconds reference_duration,
                                   std::uint64_t seed) {
    std::mt19937_64 random(seed);
    constexpr std::uint64_t kIntervalsMs[] = {0, 2, 5, 10, 20};
    constexpr std::uint64_t kBatchSizes[] = {200, 500, 1000};
    const auto pick = [&](const auto& choices) {
        return choices[random() % std::size(choices)];
    };
    const auto read_durable = [&] {
        return kind == StoreKind::kSqlite ? read_durable_sqlite(out) : read_durable_csv(out);
    };
    const fs::path log = dir / fmt::format("{}-{}.log", name_of(kind), signal);

    // How long a child would take for the whole job, in microseconds: the reference's time at
    // first, then the fastest pace a killed child was seen to checkpoint at (its start-up
    // included, so never an underestimate by much). It only scales the delays.
    double job_us = static_cast<double>(reference_duration.count());
    Interruptions figures;
    Durable before = read_durable();
    for (int round = 0; round < rounds; ++round) {
        if (before.present && before.state == "finished") {
            break;  // Nothing left to interrupt.
        }
        // Delays spread over what is left of the job, so that the kills cover all of it: about
        // twice the remaining share per remaining round, plus a little for the child's start.
        const double remaining =
            1.0 - static_cast<double>(before.ordinal) / static_cast<double>(site.records);
        const double window = job_us * (2.0 * remaining / (rounds - round) + 0.1);
        const auto delay = std::chrono::microseconds(
            static_cast<std::int64_t>(std::uniform_real_distribution<double>(0, window)(random)));

        const std::uint64_t interval_ms = pick(kIntervalsMs);
        const std::uint64_t batch_size = pick(kBatchSizes);
        const std::uint64_t workers = 1 + random() % 2;
        std::vector<std::string> arguments = score_arguments(site, kind, out);
        arguments.insert(arguments.end(),
                         {"--checkpoint-interval-ms", std::to_string(interval_ms), "--batch-size",
                          std::to_string(batch_size), "--workers", std::to_string(workers)});
        // About half the rounds wait for the store's next write after the delay, so that the
        // signal lands while a commit is under way.
        const bool aim_at_commit = random() % 2 == 0;
        std::optional<fs::path> watch;
        if (aim_at_commit) {
            watch = out;
            if (kind == StoreKind::kSqlite) {
                *watch += "-wal";
            }
        }
        const auto started = fs::file_time_type::clock::now();
        const SignalledRun run = run_and_signal(arguments, log, delay, signal, watch);
        const bool mid_commit = kind == StoreKind::kSqlite ? wal_ends_mid_commit(out) : false;
        const Durable after = read_durable();

        INFO(name_of(kind) << " round " << round << " ("
                           << fmt::format("{}", fmt::join(arguments, " ")) << ") after "
                           << delay.count() << " us ended with " << describe(run.end) << "; log:\n"
                           << log_tail(log));
        const bool by_signal = run.end.signalled && run.end.code == signal;
        const bool cancelled = signal == SIGINT && !run.end.signalled && run.end.code == 130;
        const bool finished = !run.end.signalled && run.end.code == 0;
        REQUIRE((by_signal || cancelled || finished));
        if (cancelled) {
            // A clean cancel commits what is complete and says so in its checkpoint.
            REQUIRE(after.present);
            REQUIRE(after.state == "cancelled");
            ++figures.cancelled;
        }
        if (run.signal_sent && !finished) {
            ++figures.signals;
            // A changed `updated_at_ms` means this child saved a checkpoint (the first one
            // comes before any batch).
            if (after.present && (!before.present || after.updated_at_ms != before.updated_at_ms)) {
                ++figures.after_checkpoint;
            }
            if (mid_commit ||
                (kind == StoreKind::kCsv && csv_left_uncheckpointed(out, after, started))) {
                ++figures.inside_commit;
            }
        } else {
            ++figures.ended_on_their_own;
        }
        // Progress never goes back: a checkpoint is never lost.
        if (before.present) {
            REQUIRE(after.present);
            REQUIRE(after.ordinal >= before.ordinal);
        }
        fmt::print(
            "  {} round {:2} (every {:2} ms, batch {:4}, {} workers): {:6} us{:15}, {:>9}, "
            "checkpoint at {:7}{}\n",
            name_of(kind), round, interval_ms, batch_size, workers, delay.count(),
            aim_at_commit ? " + next write" : "", describe(run.end), after.ordinal,
            mid_commit ? " (WAL ends mid-commit)" : "");
        if (run.signal_sent && after.ordinal > before.ordinal) {
            job_us = std::min(job_us, static_cast<double>(delay.count()) *
                                          static_cast<double>(site.records) /
                                          static_cast<double>(after.ordinal - before.ordinal));
        }
        before = after;
    }
    run_to_end(score_arguments(site, kind, out), log);
    return figures;
}

// Runs the uninterrupted reference; returns how long it took, which only scales the delays.
std::chrono::microseconds run_reference(const TempDir& dir,
                                        const Site& site,
                                        StoreKind kind,
                                        const fs::path& out) {
    const auto start = Clock::now();
    run_to_end(score_arguments(site, kind, out),
               dir / fmt::format("{}-reference.log", name_of(kind)));
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

void print_figures(StoreKind kind, int signal, const Interruptions& figures) {
    fmt::print(
        "{} with {}: {} signals delivered, {} after the child's first checkpoint, {} inside a "
        "commit, {} clean cancels, {} children ended on their own\n",
        name_of(kind), signal == SIGKILL ? "SIGKILL" : "SIGINT", figures.signals,
        figures.after_checkpoint, figures.inside_commit, figures.cancelled,
        figures.ended_on_their_own);
}

// Perturbs a finished database in place: one score's `ease` one ulp up, the last rejection
// deleted, and one score copied under a new id.
void perturb_database(const fs::path& path) {
    const Database db(path, SQLITE_OPEN_READWRITE);
    REQUIRE(db.ok());
    std::string id;
    double ease = 0;
    db.query("SELECT id, ease FROM scores ORDER BY id LIMIT 1", [&](sqlite3_stmt* row) {
        id = reinterpret_cast<const char*>(sqlite3_column_text(row, 0));
        ease = sqlite3_column_double(row, 1);
    });
    REQUIRE(!id.empty());
    sqlite3_stmt* update = nullptr;
    REQUIRE(sqlite3_prepare_v2(db.get(), "UPDATE scores SET ease = ?1 WHERE id = ?2", -1, &update,
                               nullptr) == SQLITE_OK);
    sqlite3_bind_double(update, 1, std::nextafter(ease, 2.0));
    sqlite3_bind_text(update, 2, id.c_str(), -1, SQLITE_TRANSIENT);
    const int rc = sqlite3_step(update);
    sqlite3_finalize(update);
    REQUIRE(rc == SQLITE_DONE);
    db.exec("DELETE FROM rejections WHERE ordinal = (SELECT max(ordinal) FROM rejections)");
    db.exec(
        "INSERT INTO scores SELECT id || '#copy', url, score, potential_clicks, action, upside, "
        "striking, ctr_gap, demand, decay, ease, staleness, thinness, link_need, scorer_version, "
        "job FROM scores ORDER BY id LIMIT 1");
}

// The whole scenario for the SQLite store: reference, interruptions, comparison, self-check.
void check_sqlite(
    const TempDir& dir, const Site& site, int signal, int rounds, std::uint64_t seed) {
    const fs::path reference = dir / "reference.db";
    const auto duration = run_reference(dir, site, StoreKind::kSqlite, reference);
    fmt::print("sqlite reference run: {} ms\n", duration.count() / 1000);
    const DatabaseRows want = read_database(reference, kJob);
    // The reference itself accounts for every record, and rejects exactly the bad ones.
    REQUIRE(want.job.has_value());
    CHECK(want.job->state == "finished");
    CHECK(want.job->rejected == site.bad);
    CHECK(want.job->scored == site.records - site.bad);
    CHECK(want.scores.size() == want.job->scored);
    CHECK(want.rejections.size() == site.bad);

    const fs::path interrupted = dir / fmt::format("interrupted-{}.db", signal);
    const Interruptions figures = interrupt_and_resume(dir, site, StoreKind::kSqlite, interrupted,
                                                       signal, rounds, duration, seed);
    print_figures(StoreKind::kSqlite, signal, figures);
    const DatabaseDiff diff = diff_databases(want, read_database(interrupted, kJob));
    fmt::print(
        "sqlite with {}: lost {}, duplicated {}, changed {}, extra {}\n",
        signal == SIGKILL ? "SIGKILL" : "SIGINT", diff.scores.missing + diff.rejections.missing,
        diff.scores.duplicated + diff.rejections.duplicated,
        diff.scores.changed + diff.rejections.changed, diff.scores.extra + diff.rejections.extra);
    INFO(diff.summary());
    CHECK(diff.empty());
    CHECK(figures.signals > 0);
    if (!diff.empty()) {
        return;  // The comparison has shown it can fail; the self-check would only add noise.
    }

    // The comparison can fail: the same database with one score one ulp off, one rejection gone
    // and one score too many must show exactly those three differences.
    perturb_database(interrupted);
    const DatabaseDiff self_check = diff_databases(want, read_database(interrupted, kJob));
    INFO(self_check.summary());
    CHECK(self_check.scores.changed == 1);
    CHECK(self_check.scores.extra == 1);
    CHECK(self_check.rejections.missing == 1);
    CHECK(self_check.scores.missing + self_check.scores.duplicated == 0);
}

// The whole scenario for the CSV file sink.
void check_csv(const TempDir& dir, const Site& site, int signal, int rounds, std::uint64_t seed) {
    const fs::path reference = dir / "reference.csv";
    const auto duration = run_reference(dir, site, StoreKind::kCsv, reference);
    fmt::print("csv reference run: {} ms\n", duration.count() / 1000);
    const std::string want_results = testing::read_file(reference);
    const std::string want_rejections = testing::read_file(FileSink::rejections_path(reference));
    // One header row plus one row per record, and exactly the bad ones rejected.
    CHECK(split_records(want_results).size() == 1 + site.records - site.bad);
    CHECK(split_records(want_rejections).size() == 1 + site.bad);

    const fs::path interrupted = dir / fmt::format("interrupted-{}.csv", signal);
    const Interruptions figures = interrupt_and_resume(dir, site, StoreKind::kCsv, interrupted,
                                                       signal, rounds, duration, seed);
    print_figures(StoreKind::kCsv, signal, figures);
    const std::string got_results = testing::read_file(interrupted);
    const std::string got_rejections = testing::read_file(FileSink::rejections_path(interrupted));
    const FileDiff diff =
        diff_csv_texts(want_results, got_results, want_rejections, got_rejections);
    fmt::print("csv with {}: lost {}, duplicated {}, changed {}, extra {}, same bytes {}\n",
               signal == SIGKILL ? "SIGKILL" : "SIGINT",
               diff.results.missing + diff.rejections.missing,
               diff.results.duplicated + diff.rejections.duplicated,
               diff.results.changed + diff.rejections.changed,
               diff.results.extra + diff.rejections.extra, diff.same_bytes);
    INFO(diff.summary());
    CHECK(diff.empty());
    CHECK(read_durable_csv(interrupted).state == "finished");
    CHECK(figures.signals > 0);
    if (!diff.empty()) {
        return;  // The comparison has shown it can fail; the self-check would only add noise.
    }

    // The comparison can fail: a copy with one row written twice, one digit changed and one
    // rejection gone must show exactly those differences.
    std::string results = got_results;
    const std::size_t second_row = results.find('\n') + 1;
    const std::size_t third_row = results.find('\n', second_row) + 1;
    results.insert(results.size(), results.substr(second_row, third_row - second_row));
    const std::size_t digit = results.find_first_of("123456789", results.find(',', third_row));
    results[digit] = results[digit] == '9' ? '8' : static_cast<char>(results[digit] + 1);
    std::string rejections = got_rejections;
    rejections.erase(rejections.rfind('\n', rejections.size() - 2) + 1);
    const FileDiff self_check = diff_csv_texts(want_results, results, want_rejections, rejections);
    INFO(self_check.summary());
    CHECK(self_check.results.duplicated == 1);
    CHECK(self_check.results.changed == 1);
    CHECK(self_check.rejections.missing == 1);
    CHECK(!self_check.same_bytes);
}

}  // namespace

// The site sizes: large enough that a run lasts long enough for many kills at different
// moments, small enough for the whole file to stay well under a minute on two cores.
constexpr std::uint64_t kKillPages = 200000;
constexpr std::uint64_t kCancelPages = 100000;
constexpr int kKills = 20;
constexpr int kCancels = 6;

TEST_CASE("Crash resume: the SQLite store is exactly once across SIGKILLs at random moments",
          "[crash][slow][storage]") {
    TempDir dir;
    check_sqlite(dir, make_site(dir, kKillPages, 7), SIGKILL, kKills, 0x5eed01);
}

TEST_CASE("Crash resume: the CSV file sink is exactly once across SIGKILLs at random moments",
          "[crash][slow][storage]") {
    TempDir dir;
    check_csv(dir, make_site(dir, kKillPages, 7), SIGKILL, kKills, 0x5eed02);
}

TEST_CASE("Crash resume: the SQLite store gives the same result across SIGINT cancels",
          "[crash][slow][storage]") {
    TempDir dir;
    check_sqlite(dir, make_site(dir, kCancelPages, 11), SIGINT, kCancels, 0x5eed03);
}

TEST_CASE("Crash resume: the CSV file sink gives the same result across SIGINT cancels",
          "[crash][slow][storage]") {
    TempDir dir;
    check_csv(dir, make_site(dir, kCancelPages, 11), SIGINT, kCancels, 0x5eed04);
}

}  // namespace bulkscore
