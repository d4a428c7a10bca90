// SPDX-License-Identifier: MIT
//
// `bulkscore status`: where each job of a SQLite database stands: its state, percent done,
// counts, last checkpoint time, input, first rejections, and the exact command that resumes
// it when it is unfinished.
//
// Thread safety: runs on the main thread only.

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/sqlite_store.hpp"

#include "cli/commands.hpp"

namespace bulkscore::cli {
namespace {

constexpr std::size_t kRejectionsShown = 3;

// Missing or foreign databases and unknown jobs are the user's to fix (2); a busy or broken
// database is a failure (1).
int exit_code_for(const Status& status) {
    switch (status.code()) {
        case StatusCode::kNotFound:
        case StatusCode::kInvalidArgument:
        case StatusCode::kFailedPrecondition:
            return kExitUsage;
        default:
            return kExitFailed;
    }
}

// 1234567 -> "1,234,567".
std::string with_commas(std::uint64_t value) {
    const std::string digits = std::to_string(value);
    std::string grouped;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            grouped += ',';
        }
        grouped += digits[i];
    }
    return grouped;
}

// ISO 8601 in UTC, to the second: "2024-05-01T12:00:00Z".
std::string iso_time(std::int64_t unix_ms) {
    if (unix_ms <= 0) {
        return "unknown";
    }
    const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(seconds));
}

// Quotes `word` for a POSIX shell when it needs it, so the printed command can be pasted.
std::string shell_word(std::string_view word) {
    const bool plain = !word.empty() && word.find_first_not_of(
                                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
                                            "wxyz0123456789_-./:=@%+,") == std::string_view::npos;
    if (plain) {
        return std::string(word);
    }
    std::string quoted = "'";
    for (char c : word) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    quoted += "'";
    return quoted;
}

std::string state_text(JobState state) {
    // A running row is also what a killed process leaves behind: the file cannot tell.
    return state == JobState::kRunning ? "running (or interrupted)" : std::string(to_string(state));
}

std::string progress_text(const Checkpoint& job) {
    const std::uint64_t done = job.scored + job.rejected;
    if (job.total > 0) {
        const double percent = 100.0 * static_cast<double>(done) / static_cast<double>(job.total);
        return fmt::format("{:.1f}% ({} of {} records)", percent, with_commas(done),
                           with_commas(job.total));
    }
    if (job.state == JobState::kFinished) {
        return fmt::format("100% ({} records)", with_commas(done));
    }
    return fmt::format("{} records done, total not counted", with_commas(done));
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

void print_job(const StatusArgs& args, const Checkpoint& job) {
    fmt::print("job {}: {}, {}\n", job.job, state_text(job.state), progress_text(job));
    fmt::print("  scored {}, rejected {}\n", with_commas(job.scored), with_commas(job.rejected));
    fmt::print("  last checkpoint {} (started {})\n", iso_time(job.updated_at_ms),
               iso_time(job.started_at_ms));
    fmt::print("  input {}\n", job.input.empty() ? "unknown" : job.input);
    if (job.state == JobState::kFailed && !job.message.empty()) {
        fmt::print("  error: {}\n", job.message);
    }
    print_rejections(args, job);
    if (job.state != JobState::kFinished) {
        fmt::print("  resume: bulkscore score {} --db {} --job {}\n", shell_word(job.input),
                   shell_word(args.db), shell_word(job.job));
    }
}

}  // namespace

int run_status(const StatusArgs& args) {
    auto jobs = read_jobs(args.db);
    if (!jobs.ok()) {
        fmt::print(stderr, "bulkscore status: {}\n", jobs.status().message());
        return exit_code_for(jobs.status());
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
                   shell_word(args.db));
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
