// SPDX-License-Identifier: MIT
//
// `bulkscore status`: where each job of a SQLite database stands: its state, percent done,
// counts, last checkpoint (time and position), input, first rejections, and the exact command
// that resumes it when it is unfinished (or that it is finished).
//
// Limitation: a checkpoint records the input, the job, the scorer's configuration and the crawl
// of `--crawl` (in the input fingerprint), not the `--format`, `--rows-key` or `--config` flags
// `score` was given, so the printed command carries `--crawl` but none of those. `--format` matters
// only when it overrode what the file's name and header say; a custom configuration is detected and
// named in a note, since its file cannot be.
//
// Thread safety: runs on the main thread only.

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/scorer.hpp"
#include "bulkscore/sqlite_store.hpp"

#include "cli/commands.hpp"
#include "cli/progress_display.hpp"
#include "cli/shell_quote.hpp"
#include "sources/crawl_join_source.hpp"

namespace bulkscore::cli {
namespace {

constexpr std::size_t kRejectionsShown = 3;

// ISO 8601 in UTC, to the second: "2024-05-01T12:00:00Z".
std::string iso_time(std::int64_t unix_ms) {
    if (unix_ms <= 0) {
        return "unknown";
    }
    const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(seconds));
}

std::string state_text(JobState state) {
    // A running row is also what a killed process leaves behind: the file cannot tell.
    return state == JobState::kRunning ? "running (or interrupted)" : std::string(to_string(state));
}

std::string progress_text(const Checkpoint& job) {
    const std::uint64_t done = job.scored + job.rejected;
    if (job.total > 0) {
        const double percent = 100.0 * static_cast<double>(done) / static_cast<double>(job.total);
        return fmt::format("{:.1f}% ({} of {} records)", percent, group_thousands(done),
                           group_thousands(job.total));
    }
    if (job.state == JobState::kFinished) {
        return fmt::format("100% ({} records)", group_thousands(done));
    }
    return fmt::format("{} records done, total not counted", group_thousands(done));
}

void print_rejections(const StatusArgs& args, const Checkpoint& job) {
    if (job.rejected == 0) {
        return;
    }
    auto rejections = read_rejections(args.db, job.job, kRejectionsShown);
    if (!rejections.ok() || rejections->empty()) {
        return;  // The summary above already counts them; the samples are a courtesy.
    }
    fmt::print("  first rejections:\n");
    for (const StoredRejection& rejection : *rejections) {
        const std::string where = rejection.line > 0
                                      ? fmt::format("line {}", rejection.line)
                                      : fmt::format("record {}", rejection.ordinal + 1);
        fmt::print("    {}{}: {}\n", where,
                   rejection.id.empty() ? "" : fmt::format(" (id {})", rejection.id),
                   rejection.message);
    }
}

// Where the checkpoint stands in the input: records before it are saved, the next run starts at
// it.
std::string position_text(const Checkpoint& job) {
    const std::uint64_t saved = job.position.ordinal;
    if (job.state == JobState::kFinished) {
        return fmt::format("at the end of the input ({} record{})", group_thousands(saved),
                           saved == 1 ? "" : "s");
    }
    std::string text = fmt::format("{} records in; the next run starts at record {}",
                                   group_thousands(saved), group_thousands(saved + 1));
    if (job.position.line > 0) {
        text += fmt::format(", line {}", group_thousands(job.position.line));
    }
    return text;
}

// The exact command that continues `job`, or why there is none.
void print_resume(const StatusArgs& args, const Checkpoint& job) {
    if (job.state == JobState::kFinished) {
        fmt::print(
            "  resume: nothing to resume, the job is finished (`--restart` scores it again)\n");
        return;
    }
    const std::string_view fingerprint = job.config_fingerprint;
    if (!fingerprint.starts_with(OpportunityScorer::kVersion)) {
        fmt::print("  resume: from the program that started it (it used its own scorer, \"{}\")\n",
                   fingerprint.substr(0, fingerprint.find(' ')));
        return;
    }
    const std::optional<std::string> crawl = detail::crawl_path(job.input_fingerprint);
    fmt::print("  resume: bulkscore score {} --db {}{} --job {}\n", shell_quote_path(job.input),
               shell_quote_path(args.db),
               crawl ? fmt::format(" --crawl {}", shell_quote_path(*crawl)) : std::string(),
               shell_quote(job.job));
    if (job.state == JobState::kRunning) {
        // A running row is also what a killed process leaves behind: say when the command is safe.
        fmt::print("  note: run it once no process is scoring the job any more\n");
    }
    if (fingerprint != OpportunityScoring().fingerprint()) {
        fmt::print(
            "  note: the job was scored with a --config file; add `--config FILE` with the "
            "same settings\n");
    }
    std::error_code error;
    if (!std::filesystem::exists(job.input, error)) {
        fmt::print("  note: the input is no longer at {}; the command needs it there, unchanged\n",
                   job.input);
    }
    if (crawl && !std::filesystem::exists(*crawl, error)) {
        fmt::print("  note: the crawl is no longer at {}; the command needs it there, unchanged\n",
                   *crawl);
    }
}

void print_job(const StatusArgs& args, const Checkpoint& job) {
    fmt::print("job {}: {}, {}\n", job.job, state_text(job.state), progress_text(job));
    fmt::print("  scored {}, rejected {}\n", group_thousands(job.scored),
               group_thousands(job.rejected));
    fmt::print("  last checkpoint {}: {}; job started {}\n", iso_time(job.updated_at_ms),
               position_text(job), iso_time(job.started_at_ms));
    fmt::print("  input {}\n", job.input.empty() ? "unknown" : job.input);
    if (job.state == JobState::kFailed && !job.message.empty()) {
        fmt::print("  error: {}\n", job.message);
    }
    print_rejections(args, job);
    print_resume(args, job);
}

}  // namespace

int exit_code_for_read(const Status& status) {
    switch (status.code()) {
        case StatusCode::kNotFound:
        case StatusCode::kInvalidArgument:
        case StatusCode::kFailedPrecondition:
            return kExitUsage;
        default:
            return kExitFailed;
    }
}

int run_status(const StatusArgs& args) {
    if (!args.pg.empty()) {
#if defined(BULKSCORE_WITH_POSTGRES)
        return run_status_pg(args);
#else
        fmt::print(stderr,
                   "bulkscore status: --pg: this bulkscore was built without the PostgreSQL "
                   "store; install libpq (scripts/install-deps --pg) and build it again\n");
        return kExitUsage;
#endif
    }
    auto jobs = read_jobs(args.db);
    if (!jobs.ok()) {
        fmt::print(stderr, "bulkscore status: {}\n", jobs.status().message());
        return exit_code_for_read(jobs.status());
    }
    if (!args.job.empty()) {
        std::string names;
        for (const Checkpoint& job : *jobs) {
            if (job.job == args.job) {
                print_job(args, job);
                return kExitOk;
            }
            names += names.empty() ? "" : ", ";
            names += job.job;
        }
        fmt::print(stderr, "bulkscore status: no job \"{}\" in {}; its jobs: {}\n", args.job,
                   args.db, names.empty() ? "none" : names);
        return kExitUsage;
    }
    if (jobs->empty()) {
        fmt::print("no jobs in {} yet; start one with `bulkscore score INPUT --db {}`\n", args.db,
                   shell_quote_path(args.db));
        return kExitOk;
    }
    for (std::size_t i = 0; i < jobs->size(); ++i) {
        if (i > 0) {
            fmt::print("\n");
        }
        print_job(args, (*jobs)[i]);
    }
    return kExitOk;
}

}  // namespace bulkscore::cli
