// SPDX-License-Identifier: MIT
//
// `bulkscore status --pg URL [--job J]`: where each distributed job of a PostgreSQL schema
// stands, read from its `ranges` and `jobs` rows, from any machine: state, percent, counts,
// ranges done, leased and set aside, every worker's share and rate, the job's rate and ETA,
// and the command that starts another worker.
//
// Thread safety: the main thread only.

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "bulkscore/pg_job.hpp"

#include "cli/commands.hpp"
#include "cli/pg_url.hpp"
#include "cli/progress_display.hpp"
#include "cli/shell_quote.hpp"

namespace bulkscore::cli {
namespace {

std::string percent_text(const Checkpoint& job) {
    const std::uint64_t done = job.scored + job.rejected;
    if (job.total == 0) {
        return fmt::format("{} records", group_thousands(done));
    }
    return fmt::format("{:.1f}% ({} of {} records)",
                       100.0 * static_cast<double>(done) / static_cast<double>(job.total),
                       group_thousands(done), group_thousands(job.total));
}

std::string when(std::int64_t unix_ms) {
    if (unix_ms <= 0) {
        return "never";
    }
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                       fmt::gmtime(static_cast<std::time_t>(unix_ms / 1000)));
}

void print_job(const StatusArgs& args, const PgJobStatus& status) {
    const Checkpoint& job = status.job;
    fmt::print("job {}: {}, {}\n", job.job, to_string(job.state), percent_text(job));
    fmt::print("  scored {}, rejected {}\n", group_thousands(job.scored),
               group_thousands(job.rejected));
    fmt::print("  ranges: {} of {} done, {} being scored, {} set aside ({} records each)\n",
               group_thousands(status.ranges_done), group_thousands(status.ranges),
               group_thousands(status.ranges_leased), group_thousands(status.ranges_set_aside),
               group_thousands(status.range_records));
    if (job.state == JobState::kRunning) {
        fmt::print("  rate {}/s over the workers active in the last minute{}\n",
                   group_thousands(static_cast<std::uint64_t>(status.rate)),
                   status.eta_s > 0 ? fmt::format(", {} left", format_duration(status.eta_s))
                                    : std::string());
    }
    for (const PgWorkerStatus& worker : status.workers) {
        fmt::print("  worker {}: {} range(s), {} records at {}/s, last commit {}{}\n",
                   worker.worker, worker.ranges_done, group_thousands(worker.records_done),
                   group_thousands(static_cast<std::uint64_t>(worker.rate)),
                   when(worker.last_done_at_ms),
                   worker.working ? fmt::format(", scoring range {}", worker.active_range)
                                  : std::string());
    }
    fmt::print("  started {}, last update {}\n", when(job.started_at_ms), when(job.updated_at_ms));
    fmt::print("  input {}\n", job.input.empty() ? "unknown" : job.input);
    if (!status.first_set_aside_reason.empty()) {
        fmt::print("  first range set aside: {}\n", status.first_set_aside_reason);
    }
    if (job.state != JobState::kFinished) {
        constexpr std::string_view kQueryInput = "postgresql query: ";
        const std::string input =
            std::string_view(job.input).starts_with(kQueryInput)
                ? fmt::format("--query {}", shell_quote(job.input.substr(kQueryInput.size())))
                : shell_quote_path(job.input);
        fmt::print("  another worker: bulkscore score {} --pg {} --job {}{}\n", input,
                   shell_quote(without_password(args.pg)), shell_quote(job.job),
                   args.pg_schema == "bulkscore"
                       ? std::string()
                       : fmt::format(" --schema {}", shell_quote(args.pg_schema)));
    }
}

}  // namespace

int run_status_pg(const StatusArgs& args) {
    auto statuses = read_pg_job_status(args.pg, args.pg_schema, args.job);
    if (!statuses.ok()) {
        fmt::print(stderr, "bulkscore status: {}\n", statuses.status().message());
        return exit_code_for_read(statuses.status());
    }
    if (statuses->empty()) {
        fmt::print(
            "no distributed jobs in schema {} of {} yet; start workers with `bulkscore "
            "score INPUT --pg URL --job NAME`\n",
            args.pg_schema, without_password(args.pg));
        return kExitOk;
    }
    for (std::size_t i = 0; i < statuses->size(); ++i) {
        if (i > 0) {
            fmt::print("\n");
        }
        print_job(args, (*statuses)[i]);
    }
    return kExitOk;
}

}  // namespace bulkscore::cli
