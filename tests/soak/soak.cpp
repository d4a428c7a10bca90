// SPDX-License-Identifier: MIT
//
// `bulkscore_soak`: the crash soak behind `tests/soak/run`. It generates a site with `bulkscore
// generate`, scores it once without interruption (the reference), then scores it again into a
// fresh store while sending SIGKILL at random moments, a share of them timed to land inside a
// commit or a checkpoint write, resuming after each kill until the job finishes. The interrupted
// job's output is then compared with the reference record by record (every column, doubles by
// their bits): records lost, duplicated, changed or unexpected, for the SQLite store (`--db`)
// and the CSV file sink (`--out`). It prints a table, writes `summary.md` and `summary.json`,
// and exits 1 when anything differs or a child ended in a way a kill cannot explain.
//
// The child processes, the row encodings and the comparison come from the crash tests'
// harness (tests/support/crash_harness.hpp), so both check exactly-once the same way; only its
// Catch2-free parts are used here. Timing decides where the kills land, never the verdict.
//
// Thread safety: a tool with one thread.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <sqlite3.h>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/file_checkpoint_store.hpp"
#include "bulkscore/file_sink.hpp"

#include "support/crash_harness.hpp"
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bulkscore::soak {
namespace {

namespace crash = testing::crash;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kJob = "soak";

/// A hang guard: a child that outlives it is killed and the soak fails.
constexpr auto kChildLimit = 600s;

struct Options {
    std::uint64_t pages = 1'000'000;
    int kills = 50;
    bool sqlite = true;
    bool csv = true;
    std::uint64_t seed = 1;
    double commit_share = 1.0 / 3.0;  ///< Share of the kills timed to land on a write.
    fs::path cli;
    fs::path work;
    fs::path results;
};

constexpr const char* kUsage =
    "usage: bulkscore_soak --cli PATH --work DIR --results DIR [--pages N] [--kills K]\n"
    "                      [--sink sqlite|csv|both] [--seed S] [--commit-share F]\n";

std::optional<Options> parse_options(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (i + 1 >= argc) {
            fmt::print(stderr, "bulkscore_soak: {} needs a value\n{}", flag, kUsage);
            return std::nullopt;
        }
        const std::string value = argv[++i];
        try {
            if (flag == "--pages") {
                options.pages = std::stoull(value);
            } else if (flag == "--kills") {
                options.kills = std::stoi(value);
            } else if (flag == "--seed") {
                options.seed = std::stoull(value);
            } else if (flag == "--commit-share") {
                options.commit_share = std::stod(value);
            } else if (flag == "--cli") {
                options.cli = value;
            } else if (flag == "--work") {
                options.work = value;
            } else if (flag == "--results") {
                options.results = value;
            } else if (flag == "--sink" &&
                       (value == "sqlite" || value == "csv" || value == "both")) {
                options.sqlite = value != "csv";
                options.csv = value != "sqlite";
            } else {
                fmt::print(stderr, "bulkscore_soak: bad option {} {}\n{}", flag, value, kUsage);
                return std::nullopt;
            }
        } catch (const std::exception&) {
            fmt::print(stderr, "bulkscore_soak: {} needs a number, not '{}'\n", flag, value);
            return std::nullopt;
        }
    }
    if (options.cli.empty() || options.work.empty() || options.results.empty() ||
        options.pages == 0 || options.kills < 0) {
        fmt::print(stderr, "{}", kUsage);
        return std::nullopt;
    }
    return options;
}

// ---------------------------------------------------------------------------------------------
// Children.

/// Starts the CLI with `arguments` (no shell), stdin from /dev/null, output appended to `log`.
pid_t spawn(const Options& options,
            const std::vector<std::string>& arguments,
            const fs::path& log) {
    std::vector<std::string> storage{options.cli.string()};
    storage.insert(storage.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (std::string& argument : storage) {
        argv.push_back(argument.data());
    }
    argv.push_back(nullptr);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        return -1;
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Only async-signal-safe calls between fork and exec.
        const int null_in = ::open("/dev/null", O_RDONLY);
        ::dup2(null_in, STDIN_FILENO);
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(log_fd);
    return pid;
}

std::optional<crash::ChildEnd> try_reap(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) != pid) {
        return std::nullopt;
    }
    return crash::decode(status);
}

/// Waits for `pid`; a child past `kChildLimit` is killed and reported as signal 0 (a hang).
crash::ChildEnd wait_child(pid_t pid) {
    const auto deadline = Clock::now() + kChildLimit;
    while (Clock::now() < deadline) {
        if (const auto end = try_reap(pid)) {
            return *end;
        }
        std::this_thread::sleep_for(1ms);
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {true, 0};
}

struct KilledRun {
    crash::ChildEnd end;
    bool killed = false;  ///< False: the child ended before its kill was due.
};

/// Runs the CLI and SIGKILLs it after `delay`; with `watch`, only at the next change of that
/// file after the delay (size or modification time, or its appearance), for at most 5 s.
KilledRun run_and_kill(const Options& options,
                       const std::vector<std::string>& arguments,
                       const fs::path& log,
                       std::chrono::microseconds delay,
                       const std::optional<fs::path>& watch) {
    const pid_t pid = spawn(options, arguments, log);
    if (pid < 0) {
        return {{false, 127}, false};
    }
    std::this_thread::sleep_for(delay);
    if (watch) {
        const auto baseline = crash::file_stamp(*watch);
        const auto give_up = Clock::now() + 5s;
        while (crash::file_stamp(*watch) == baseline && Clock::now() < give_up) {
            if (const auto end = try_reap(pid)) {
                return {*end, false};
            }
            std::this_thread::sleep_for(20us);
        }
    }
    if (const auto end = try_reap(pid)) {
        return {*end, false};
    }
    ::kill(pid, SIGKILL);  // Unreaped, so `pid` is still this child even if it just ended.
    return {wait_child(pid), true};
}

std::string log_tail(const fs::path& log) {
    std::ifstream in(log, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    const std::string all = text.str();
    return all.size() <= 1500 ? all : "..." + all.substr(all.size() - 1500);
}

// ---------------------------------------------------------------------------------------------
// Sinks.

enum class Sink { kSqlite, kCsv };

std::string_view name_of(Sink sink) {
    return sink == Sink::kSqlite ? "sqlite" : "csv";
}

std::vector<std::string> score_arguments(const fs::path& input, Sink sink, const fs::path& out) {
    return {"score",      input.string(), sink == Sink::kSqlite ? "--db" : "--out",
            out.string(), "--job",        std::string(kJob),
            "--progress", "none"};
}

/// Removes a store and every file that belongs to it.
void remove_store(const fs::path& out) {
    for (const char* suffix :
         {"", "-wal", "-shm", "-journal", ".checkpoint", ".checkpoint.tmp", ".rejections.csv"}) {
        fs::path path = out;
        path += suffix;
        std::error_code ignored;
        fs::remove(path, ignored);
    }
}

/// The job's last checkpoint as a resume would find it.
struct Durable {
    bool present = false;
    std::string state;
    std::uint64_t ordinal = 0;
    std::int64_t updated_at_ms = 0;
    std::string sink_state;
};

Durable read_durable(Sink sink, const fs::path& out) {
    Durable durable;
    std::error_code error;
    if (sink == Sink::kSqlite) {
        if (!fs::exists(out, error)) {
            return durable;
        }
        const crash::Database db(out);
        // A kill before the schema existed leaves no `jobs` table: no checkpoint either.
        db.query(fmt::format("SELECT state, position_ordinal, updated_at_ms FROM jobs WHERE "
                             "job = '{}'",
                             kJob),
                 [&](sqlite3_stmt* row) {
                     durable.present = true;
                     durable.state = reinterpret_cast<const char*>(sqlite3_column_text(row, 0));
                     durable.ordinal = static_cast<std::uint64_t>(sqlite3_column_int64(row, 1));
                     durable.updated_at_ms = sqlite3_column_int64(row, 2);
                 });
        return durable;
    }
    FileCheckpointStore store(FileCheckpointStore::path_for(out));
    const Result<std::optional<Checkpoint>> loaded = store.load(kJob);
    if (loaded.ok() && loaded->has_value()) {
        const Checkpoint& checkpoint = **loaded;
        durable.present = true;
        durable.state = std::string(to_string(checkpoint.state));
        durable.ordinal = checkpoint.position.ordinal;
        durable.updated_at_ms = checkpoint.updated_at_ms;
        durable.sink_state = checkpoint.sink_state;
    }
    return durable;
}

/// True when a kill left file output past its checkpoint (bytes beyond the recorded durable
/// lengths) or a checkpoint save cut short: a resume must roll them back.
bool csv_left_torn(const fs::path& out, const Durable& durable) {
    std::error_code error;
    fs::path temporary = FileCheckpointStore::path_for(out);
    temporary += ".tmp";
    if (fs::exists(temporary, error)) {
        return true;
    }
    // The sink state ends in the two durable lengths ("... RESULTS REJECTIONS").
    const std::size_t space = durable.sink_state.rfind(' ');
    if (!durable.present || space == std::string::npos || space == 0) {
        return false;
    }
    const std::size_t before = durable.sink_state.rfind(' ', space - 1);
    if (before == std::string::npos) {
        return false;
    }
    const std::uint64_t results = std::stoull(durable.sink_state.substr(before + 1));
    const std::uint64_t rejections = std::stoull(durable.sink_state.substr(space + 1));
    return fs::file_size(out, error) > results ||
           fs::file_size(FileSink::rejections_path(out), error) > rejections;
}

// ---------------------------------------------------------------------------------------------
// One sink's soak.

struct SinkReport {
    Sink sink = Sink::kSqlite;
    std::uint64_t records = 0;  ///< Results plus rejections in the reference.
    double reference_s = 0;
    double interrupted_s = 0;  ///< All children of the interrupted job, the last resume included.
    int kills = 0;             ///< SIGKILLs delivered to a live child.
    int aimed = 0;             ///< ... of which timed to land on a write.
    int after_checkpoint = 0;  ///< ... to a child that had saved a checkpoint.
    int torn = 0;              ///< ... that left a commit or checkpoint half written.
    int finished_early = 0;    ///< Children that finished before their kill was due.
    crash::RowDiff results;
    crash::RowDiff rejections;
    bool same_bytes = true;  ///< CSV only: the files are byte-identical.
    bool self_check_ok = true;
    std::vector<std::string> problems;  ///< Unexplained child ends, lost checkpoints, job row.

    std::uint64_t lost() const { return results.missing + rejections.missing; }
    std::uint64_t duplicated() const { return results.duplicated + rejections.duplicated; }
    std::uint64_t changed() const { return results.changed + rejections.changed; }
    std::uint64_t extra() const { return results.extra + rejections.extra; }
    bool passed() const {
        return lost() + duplicated() + changed() + extra() == 0 && same_bytes && self_check_ok &&
               problems.empty();
    }
};

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The file whose next change an aimed kill waits for: the SQLite log, or for the CSV sink
/// either the results file (a flush) or the checkpoint's temporary file (a checkpoint save).
fs::path aim_target(Sink sink, const fs::path& out, std::mt19937_64& random) {
    fs::path target = out;
    if (sink == Sink::kSqlite) {
        target += "-wal";
    } else if (random() % 2 == 0) {
        target = FileCheckpointStore::path_for(out);
        target += ".tmp";
    }
    return target;
}

/// Sends `options.kills` SIGKILLs to successive resumes of the job, then lets one finish.
void interrupt_and_resume(const Options& options,
                          const fs::path& input,
                          Sink sink,
                          const fs::path& out,
                          SinkReport& report) {
    std::mt19937_64 random(options.seed * 7919 + (sink == Sink::kSqlite ? 1 : 2));
    constexpr std::uint64_t kIntervalsMs[] = {0, 5, 20, 100, 1000};
    constexpr std::uint64_t kBatchSizes[] = {500, 1000, 5000};
    const auto pick = [&](const auto& choices) {
        return choices[random() % std::size(choices)];
    };
    const fs::path log = options.work / fmt::format("{}-interrupted.log", name_of(sink));
    const auto started = Clock::now();

    // The delays spread over what is left of the job: the reference's duration at first, then
    // the fastest pace a killed child was seen to make (its start-up included).
    double job_us = report.reference_s * 1e6;
    Durable before;
    for (int round = 0; round < options.kills * 3 && report.kills < options.kills; ++round) {
        const int left = options.kills - report.kills;
        const double remaining =
            1.0 - static_cast<double>(before.ordinal) / static_cast<double>(report.records);
        // About twice the remaining share per remaining kill, but never past most of what is
        // left, so that the last kills rarely come after the job has finished.
        const double window = job_us * (remaining * std::min(1.6 / left, 0.8) + 0.02);
        const auto delay = std::chrono::microseconds(
            static_cast<std::int64_t>(std::uniform_real_distribution<double>(0, window)(random)));
        std::vector<std::string> arguments = score_arguments(input, sink, out);
        arguments.insert(
            arguments.end(),
            {"--checkpoint-interval-ms", std::to_string(pick(kIntervalsMs)), "--batch-size",
             std::to_string(pick(kBatchSizes)), "--workers", std::to_string(1 + random() % 2)});
        // The aimed kills are spread evenly: kill k is aimed when k * share crosses an integer.
        const bool aimed = static_cast<int>((report.kills + 1) * options.commit_share) >
                           static_cast<int>(report.kills * options.commit_share);
        std::optional<fs::path> watch;
        if (aimed) {
            watch = aim_target(sink, out, random);
        }
        const KilledRun run = run_and_kill(options, arguments, log, delay, watch);
        const Durable after = read_durable(sink, out);
        const bool finished = !run.end.signalled && run.end.code == 0;
        if (!(run.killed && run.end.signalled && run.end.code == SIGKILL) && !finished) {
            report.problems.push_back(fmt::format("round {} ended with {}; log: {}", round,
                                                  crash::describe(run.end), log_tail(log)));
            return;
        }
        if (before.present && (!after.present || after.ordinal < before.ordinal)) {
            report.problems.push_back(
                fmt::format("round {}: the checkpoint went back from {} to {}", round,
                            before.ordinal, after.ordinal));
        }
        if (finished) {
            ++report.finished_early;
            // A finished job cannot be interrupted again: score it anew into the same store
            // only if kills are still owed, which the window makes rare.
            break;
        }
        ++report.kills;
        report.aimed += aimed ? 1 : 0;
        if (after.present && (!before.present || after.updated_at_ms != before.updated_at_ms)) {
            ++report.after_checkpoint;
        }
        const bool torn =
            sink == Sink::kSqlite ? crash::wal_ends_mid_commit(out) : csv_left_torn(out, after);
        report.torn += torn ? 1 : 0;
        if (after.ordinal > before.ordinal) {
            job_us = std::min(job_us, static_cast<double>(delay.count()) *
                                          static_cast<double>(report.records) /
                                          static_cast<double>(after.ordinal - before.ordinal));
        }
        before = after;
    }
    const crash::ChildEnd end = wait_child(spawn(options, score_arguments(input, sink, out), log));
    if (end.signalled || end.code != 0) {
        report.problems.push_back(fmt::format("the last resume ended with {}; log: {}",
                                              crash::describe(end), log_tail(log)));
    }
    report.interrupted_s = seconds_since(started);
}

// ---------------------------------------------------------------------------------------------
// Comparing.

crash::Rows read_rows(const fs::path& path, const char* sql, std::vector<std::string>& problems) {
    crash::Rows rows;
    const crash::Database db(path);
    std::string error;
    const bool ok =
        db.ok() &&
        db.query(
            sql,
            [&](sqlite3_stmt* row) {
                const auto* key = reinterpret_cast<const char*>(sqlite3_column_text(row, 0));
                rows.push_back({key != nullptr ? key : "<NULL>", crash::encode_row(row)});
            },
            &error);
    if (!ok) {
        problems.push_back(fmt::format("{}: {}: {}", path.string(), sql, error));
    }
    return crash::sort_rows(std::move(rows));
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Perturbs `rows` (one changed, one duplicated, the last dropped, order kept) and requires the
/// comparison to find exactly that: a comparison that cannot fail would prove nothing.
bool comparison_can_fail(const crash::Rows& expected, crash::Rows rows) {
    if (rows.size() < 3) {
        return true;
    }
    rows[0].text += "#";
    rows.insert(rows.begin() + 2, rows[1]);
    rows.pop_back();
    const crash::RowDiff diff = crash::diff_rows(expected, rows);
    return diff.changed == 1 && diff.duplicated == 1 && diff.missing == 1 && diff.extra == 0;
}

void compare_sqlite(const fs::path& reference, const fs::path& out, SinkReport& report) {
    const crash::Rows want = read_rows(reference, crash::kScoresQuery, report.problems);
    const crash::Rows got = read_rows(out, crash::kScoresQuery, report.problems);
    report.results = crash::diff_rows(want, got);
    report.self_check_ok = comparison_can_fail(want, got);
    report.rejections =
        crash::diff_rows(read_rows(reference, crash::kRejectionsQuery, report.problems),
                         read_rows(out, crash::kRejectionsQuery, report.problems));
    const crash::Database want_db(reference);
    const crash::Database got_db(out);
    const auto want_job = crash::read_job_row(want_db, kJob);
    const auto got_job = crash::read_job_row(got_db, kJob);
    if (!want_job || !got_job || got_job->state != "finished" ||
        got_job->ordinal != want_job->ordinal || got_job->scored != want_job->scored ||
        got_job->rejected != want_job->rejected || got_job->total != want_job->total) {
        report.problems.push_back("the `jobs` row differs from the reference's");
    }
}

void compare_csv(const fs::path& reference, const fs::path& out, SinkReport& report) {
    const std::string want_results = read_text(reference);
    const std::string got_results = read_text(out);
    const std::string want_rejections = read_text(FileSink::rejections_path(reference));
    const std::string got_rejections = read_text(FileSink::rejections_path(out));
    const crash::FileDiff diff =
        crash::diff_csv_texts(want_results, got_results, want_rejections, got_rejections);
    report.results = diff.results;
    report.rejections = diff.rejections;
    report.same_bytes = diff.same_bytes;
    report.self_check_ok =
        comparison_can_fail(crash::key_csv(want_results, 0), crash::key_csv(got_results, 0));
    const Durable durable = read_durable(Sink::kCsv, out);
    if (!durable.present || durable.state != "finished") {
        report.problems.push_back("the checkpoint does not say the job finished");
    }
}

std::uint64_t count_records(Sink sink, const fs::path& reference) {
    std::vector<std::string> ignored;
    if (sink == Sink::kSqlite) {
        return read_rows(reference, crash::kScoresQuery, ignored).size() +
               read_rows(reference, crash::kRejectionsQuery, ignored).size();
    }
    // Minus the two header rows.
    return crash::split_records(read_text(reference)).size() +
           crash::split_records(read_text(FileSink::rejections_path(reference))).size() - 2;
}

SinkReport soak_sink(const Options& options, const fs::path& input, Sink sink) {
    SinkReport report;
    report.sink = sink;
    const std::string extension = sink == Sink::kSqlite ? "db" : "csv";
    const fs::path reference = options.work / fmt::format("reference.{}", extension);
    const fs::path out = options.work / fmt::format("interrupted.{}", extension);
    remove_store(reference);
    remove_store(out);

    fmt::print("{}: reference run\n", name_of(sink));
    std::fflush(stdout);
    const auto started = Clock::now();
    const fs::path log = options.work / fmt::format("{}-reference.log", name_of(sink));
    const crash::ChildEnd end =
        wait_child(spawn(options, score_arguments(input, sink, reference), log));
    report.reference_s = seconds_since(started);
    if (end.signalled || end.code != 0) {
        report.problems.push_back(fmt::format("the reference run ended with {}; log: {}",
                                              crash::describe(end), log_tail(log)));
        return report;
    }
    report.records = count_records(sink, reference);

    fmt::print("{}: {} SIGKILLs and resumes\n", name_of(sink), options.kills);
    std::fflush(stdout);
    interrupt_and_resume(options, input, sink, out, report);
    if (!report.problems.empty()) {
        return report;
    }
    if (sink == Sink::kSqlite) {
        compare_sqlite(reference, out, report);
    } else {
        compare_csv(reference, out, report);
    }
    return report;
}

// ---------------------------------------------------------------------------------------------
// The summary.

std::string table(const Options& options, const std::vector<SinkReport>& reports) {
    std::string out = fmt::format(
        "Crash soak: {} generated pages (seed {}), {} SIGKILLs per sink, {:.0f}% aimed at a "
        "write\n\n",
        options.pages, options.seed, options.kills, options.commit_share * 100);
    out +=
        "| sink | records | kills | aimed at a write | after a checkpoint | torn commit or "
        "checkpoint | lost | duplicated | changed | extra | same bytes | reference s | "
        "interrupted job s | verdict |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: "
        "| --- |\n";
    for (const SinkReport& r : reports) {
        out += fmt::format(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1f} | {:.1f} | {} |\n",
            name_of(r.sink), r.records, r.kills, r.aimed, r.after_checkpoint, r.torn, r.lost(),
            r.duplicated(), r.changed(), r.extra(),
            r.sink == Sink::kCsv ? (r.same_bytes ? "yes" : "no") : "n/a", r.reference_s,
            r.interrupted_s, r.passed() ? "pass" : "FAIL");
    }
    for (const SinkReport& r : reports) {
        for (const std::string& problem : r.problems) {
            out += fmt::format("\n- {}: {}", name_of(r.sink), problem);
        }
        if (!r.results.empty() || !r.rejections.empty()) {
            out += fmt::format("\n- {} results: {}\n- {} rejections: {}", name_of(r.sink),
                               r.results.summary(), name_of(r.sink), r.rejections.summary());
        }
        if (!r.self_check_ok) {
            out +=
                fmt::format("\n- {}: the comparison missed a deliberate change", name_of(r.sink));
        }
        if (r.kills < options.kills) {
            out += fmt::format("\n- {}: only {} of {} kills landed before the job finished",
                               name_of(r.sink), r.kills, options.kills);
        }
    }
    return out + "\n";
}

boost::json::value to_json(const Options& options, const std::vector<SinkReport>& reports) {
    boost::json::array sinks;
    for (const SinkReport& r : reports) {
        boost::json::array problems;
        for (const std::string& problem : r.problems) {
            problems.emplace_back(problem);
        }
        sinks.push_back(boost::json::object{
            {"sink", name_of(r.sink)},
            {"records", r.records},
            {"kills", r.kills},
            {"aimed_at_write", r.aimed},
            {"after_checkpoint", r.after_checkpoint},
            {"torn_commit_or_checkpoint", r.torn},
            {"finished_before_kill", r.finished_early},
            {"lost", r.lost()},
            {"duplicated", r.duplicated()},
            {"changed", r.changed()},
            {"extra", r.extra()},
            {"same_bytes", r.sink == Sink::kCsv ? boost::json::value(r.same_bytes) : nullptr},
            {"comparison_self_check", r.self_check_ok},
            {"reference_s", r.reference_s},
            {"interrupted_job_s", r.interrupted_s},
            {"problems", std::move(problems)},
            {"passed", r.passed()},
        });
    }
    return boost::json::object{{"pages", options.pages},
                               {"seed", options.seed},
                               {"kills_per_sink", options.kills},
                               {"commit_share", options.commit_share},
                               {"sinks", std::move(sinks)}};
}

bool write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    return out.good();
}

int run(const Options& options) {
    std::error_code error;
    fs::create_directories(options.work, error);
    fs::create_directories(options.results, error);
    // The job name comes from --job, so the input's name only has to say what it holds.
    const fs::path input =
        options.work / fmt::format("site-{}-{}.csv", options.pages, options.seed);
    if (!fs::exists(input, error)) {
        const fs::path log = options.work / "generate.log";
        const crash::ChildEnd end =
            wait_child(spawn(options,
                             {"generate", std::to_string(options.pages), input.string(), "--seed",
                              std::to_string(options.seed)},
                             log));
        if (end.signalled || end.code != 0) {
            fmt::print(stderr, "bulkscore_soak: generate failed: {}\n", log_tail(log));
            fs::remove(input, error);
            return 2;
        }
    }
    std::vector<SinkReport> reports;
    if (options.sqlite) {
        reports.push_back(soak_sink(options, input, Sink::kSqlite));
    }
    if (options.csv) {
        reports.push_back(soak_sink(options, input, Sink::kCsv));
    }
    const std::string summary = table(options, reports);
    fmt::print("\n{}", summary);
    const bool written = write_text(options.results / "summary.md", summary) &&
                         write_text(options.results / "summary.json",
                                    boost::json::serialize(to_json(options, reports)) + "\n");
    if (!written) {
        fmt::print(stderr, "bulkscore_soak: cannot write the summary to {}\n",
                   options.results.string());
        return 2;
    }
    fmt::print("summary: {} and summary.json\n", (options.results / "summary.md").string());
    const bool passed =
        std::all_of(reports.begin(), reports.end(), [](const SinkReport& r) { return r.passed(); });
    return passed ? 0 : 1;
}

}  // namespace
}  // namespace bulkscore::soak

int main(int argc, char** argv) {
    const auto options = bulkscore::soak::parse_options(argc, argv);
    if (!options) {
        return 2;
    }
    try {
        return bulkscore::soak::run(*options);
    } catch (const std::exception& error) {
        // Filesystem and allocation failures of the tool itself, not findings.
        fmt::print(stderr, "bulkscore_soak: {}\n", error.what());
        return 2;
    }
}
