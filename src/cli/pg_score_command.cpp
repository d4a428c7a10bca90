// SPDX-License-Identifier: MIT
//
// `bulkscore score INPUT --pg URL --job J`: this process becomes one worker of the distributed
// job J (pg_job.hpp). Start the same command on as many processes and machines as you like;
// each exits once no range is left to claim and none is leased by another worker.
//
// With `--query SQL` instead of INPUT, the workers split and score the rows of a query on the
// same server (each range runs the query again and skips to its start on the server).
//
// Limitation: `--crawl` is not available with `--pg` (every worker would index the crawl
// itself); join the crawl in a single-process run instead.
//
// Thread safety: the main thread only.

#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "bulkscore/pg_job.hpp"
#include "bulkscore/pg_source.hpp"

#include "cli/commands.hpp"
#include "cli/pg_url.hpp"
#include "cli/progress_display.hpp"
#include "cli/score_common.hpp"
#include "cli/shell_quote.hpp"
#include "cli/signals.hpp"

namespace bulkscore::cli {
namespace {

// How a job reading a query names its input in `jobs.input`, and the prefix that tells it
// from a file's path (`status --pg` prints `--query` for it).
constexpr std::string_view kQueryInput = "postgresql query: ";

// The input and the scorer of a worker: the file of INPUT, or the rows of `--query` on the
// `--pg` server. A query's fingerprint is its text: every worker must run the same query.
Result<ScoreInputs> open_worker_inputs(const ScoreArgs& args) {
    if (args.query.empty()) {
        return open_score_inputs(args);
    }
    PgSourceOptions options;
    options.url = args.pg;
    options.query = args.query;
    Result<std::unique_ptr<NodeSource>> source = open_pg_source(options);
    if (!source.ok()) {
        return source.status();
    }
    Result<std::unique_ptr<OpportunityScoring>> scoring = make_scoring(args);
    if (!scoring.ok()) {
        return scoring.status();
    }
    return ScoreInputs{std::move(source).value(), std::move(scoring).value(),
                       fmt::format("{}{}", kQueryInput, args.query)};
}

// The command that starts another worker of the job (or continues it), without the password.
std::string worker_command(const ScoreArgs& args) {
    const std::string input = args.query.empty()
                                  ? shell_quote_path(args.input)
                                  : fmt::format("--query {}", shell_quote(args.query));
    std::string command =
        fmt::format("bulkscore score {} --pg {} --job {}", input,
                    shell_quote(without_password(args.pg)), shell_quote(args.job));
    if (args.pg_schema != "bulkscore") {
        command += fmt::format(" --schema {}", shell_quote(args.pg_schema));
    }
    if (args.format != "auto") {
        command += fmt::format(" --format {}", shell_quote(args.format));
    }
    if (!args.json_rows_key.empty()) {
        command += fmt::format(" --rows-key {}", shell_quote(args.json_rows_key));
    }
    if (!args.config.empty()) {
        command += fmt::format(" --config {}", shell_quote_path(args.config));
    }
    if (has_password(args.pg)) {
        command += "   (password: from PGPASSWORD or ~/.pgpass)";
    }
    return command;
}

PgWorkerOptions worker_options(const ScoreArgs& args) {
    PgWorkerOptions options;
    options.schema = args.pg_schema;
    options.worker_name = args.worker_name;
    options.range_records = args.range_records;
    options.lease = std::chrono::seconds(args.lease_s);
    options.max_attempts = args.max_attempts;
    options.engine = engine_options(args);
    return options;
}

int report(const ScoreArgs& args, const PgWorkerSummary& summary) {
    const std::uint64_t mine = summary.scored + summary.rejected;
    if (summary.already_finished) {
        say("job '{}' already finished: {} records; use --restart (with every other worker "
            "stopped) to score it again",
            args.job, group_thousands(summary.job_done));
        return kExitOk;
    }
    const std::string share = fmt::format(
        "this worker scored {} range(s), {} records ({} scored, {} rejected) in {}{}{}",
        summary.ranges_done, group_thousands(mine), group_thousands(summary.scored),
        group_thousands(summary.rejected), format_duration(summary.elapsed_s),
        summary.ranges_lost > 0
            ? fmt::format("; {} range(s) lost to another worker after its lease ran out",
                          summary.ranges_lost)
            : std::string(),
        summary.split_input ? "; it split the input" : "");
    switch (summary.state) {
        case JobState::kFinished:
            say("job '{}' finished: {} of {} records; {}; results in schema '{}' of {}", args.job,
                group_thousands(summary.job_done), group_thousands(summary.job_total), share,
                args.pg_schema, without_password(args.pg));
            return kExitOk;
        case JobState::kCancelled:
            say("worker interrupted: the range in hand was given back; job '{}' stands at {} of "
                "{} records; {}; continue with:\n  {}",
                args.job, group_thousands(summary.job_done), group_thousands(summary.job_total),
                share, worker_command(args));
            return kExitCancelled;
        default:
            say("job '{}' failed: {}\n  {}; the job stands at {} of {} records; fix the cause and "
                "continue with:\n  {}",
                args.job, summary.error.message(), share, group_thousands(summary.job_done),
                group_thousands(summary.job_total), worker_command(args));
            return kExitFailed;
    }
}

}  // namespace

int run_score_pg(const ScoreArgs& args) {
    if (args.job.empty()) {
        return usage_or_failure(invalid_argument_error(
            "--pg needs --job: every worker of a distributed run names the job it works on"));
    }
    if (!args.crawl.empty()) {
        return usage_or_failure(invalid_argument_error(
            "--crawl is not available with --pg; join the crawl in a run with --db or --out"));
    }
    Result<ScoreInputs> inputs = open_worker_inputs(args);
    if (!inputs.ok()) {
        return usage_or_failure(inputs.status());
    }
    std::unique_ptr<ProgressDisplay> display = make_progress_display(args.progress);
    if (!display) {
        return usage_or_failure(invalid_argument_error(
            fmt::format("--progress {} is not one of auto, bar, json, none", args.progress)));
    }

    JobSpec spec;
    spec.job = args.job;
    spec.input = args.query.empty() ? stored_input_path(args.input)
                                    : fmt::format("{}{}", kQueryInput, args.query);
    spec.input_fingerprint = std::move(inputs->fingerprint);
    spec.restart = args.restart;
    PgWorker worker(args.pg, std::move(spec), worker_options(args));
    const auto connection =
        worker.on_progress([&](const ProgressEvent& event) { display->show(event); });
    Result<std::unique_ptr<InterruptWatcher>> watcher =
        InterruptWatcher::start([&worker] { worker.cancel(); });
    if (!watcher.ok()) {
        return usage_or_failure(watcher.status());
    }
    Result<PgWorkerSummary> summary = worker.run(*inputs->source, *inputs->scoring);
    display->finish();
    watcher->reset();
    if (!summary.ok()) {
        return usage_or_failure(summary.status());
    }
    return report(args, *summary);
}

}  // namespace bulkscore::cli
