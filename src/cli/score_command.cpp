// SPDX-License-Identifier: MIT
//
// `bulkscore score`: opens the input, the scorer configuration and the store, runs the engine
// with a progress display and SIGINT handling, and reports how the job ended.
//
// Human messages go to stderr, so that stdout carries nothing but `--progress json` events.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/file_checkpoint_store.hpp"
#include "bulkscore/file_sink.hpp"
#include "bulkscore/logging.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/scorer.hpp"
#include "bulkscore/scorer_config.hpp"
#include "bulkscore/sqlite_store.hpp"

#include "cli/commands.hpp"
#include "cli/progress_display.hpp"
#include "cli/score_common.hpp"
#include "cli/shell_quote.hpp"
#include "cli/signals.hpp"
#include "sources/crawl_join_source.hpp"

namespace bulkscore::cli {
namespace {

namespace fs = std::filesystem;

// The command that continues this job: what decides the job's identity and its scoring, and
// never `--restart` (which would throw the finished part away).
std::string resume_command(const ScoreArgs& args) {
    std::string command = "bulkscore score " + shell_quote_path(args.input);
    const auto add = [&](std::string_view flag, const std::string& value) {
        if (!value.empty()) {
            command += fmt::format(" {} {}", flag, shell_quote(value));
        }
    };
    const auto add_path = [&](std::string_view flag, const std::string& value) {
        if (!value.empty()) {
            command += fmt::format(" {} {}", flag, shell_quote_path(value));
        }
    };
    add_path("--db", args.db);
    add_path("--out", args.out);
    if (args.format != "auto") {
        add("--format", args.format);
    }
    add("--rows-key", args.json_rows_key);
    add_path("--crawl", args.crawl);
    add("--job", args.job);
    add_path("--config", args.config);
    return command;
}

// The sink and checkpoint store of the run: one SQLite store, or a file sink beside its
// checkpoint file.
struct Store {
    std::unique_ptr<SqliteStore> sqlite;
    std::unique_ptr<FileSink> file;
    std::unique_ptr<FileCheckpointStore> file_checkpoints;

    ResultSink& sink() { return sqlite ? static_cast<ResultSink&>(*sqlite) : *file; }
    CheckpointStore& checkpoints() {
        return sqlite ? static_cast<CheckpointStore&>(*sqlite) : *file_checkpoints;
    }
};

Result<Store> open_store(const ScoreArgs& args, const std::string& job) {
    Store store;
    if (!args.db.empty()) {
        Result<std::unique_ptr<SqliteStore>> sqlite = SqliteStore::open(args.db, job);
        if (!sqlite.ok()) {
            return sqlite.status();
        }
        store.sqlite = std::move(sqlite).value();
        return store;
    }
    std::error_code error;
    if (fs::equivalent(args.input, args.out, error)) {
        return invalid_argument_error(fmt::format(
            "--out {} is the input file itself; name another file for the results", args.out));
    }
    Result<std::unique_ptr<FileSink>> file = FileSink::open(args.out, job);
    if (!file.ok()) {
        return file.status();
    }
    store.file = std::move(file).value();
    store.file_checkpoints =
        std::make_unique<FileCheckpointStore>(FileCheckpointStore::path_for(args.out));
    return store;
}

std::string where_results_are(const ScoreArgs& args, const std::string& job) {
    if (!args.db.empty()) {
        return fmt::format("results in {} (job '{}'); see the best with: bulkscore top --db {}",
                           args.db, job, shell_quote(args.db));
    }
    return fmt::format("results in {}, rejections in {}", args.out,
                       FileSink::rejections_path(args.out).string());
}

std::string of_total(std::uint64_t total) {
    return total > 0 ? fmt::format(" of {}", group_thousands(total)) : std::string();
}

int report(const ScoreArgs& args, const std::string& job, const RunSummary& summary) {
    const std::uint64_t done = summary.scored + summary.rejected;
    if (summary.already_finished) {
        say("job '{}' already finished: {} scored, {} rejected; use --restart to score it again",
            job, group_thousands(summary.scored), group_thousands(summary.rejected));
        return kExitOk;
    }
    switch (summary.state) {
        case JobState::kFinished: {
            const std::uint64_t this_run = done - std::min(done, summary.resumed_from);
            const double rate =
                summary.elapsed_s > 0 ? static_cast<double>(this_run) / summary.elapsed_s : 0;
            say("job '{}' finished: {} records ({} scored, {} rejected) in {} at {}/s; {}", job,
                group_thousands(done), group_thousands(summary.scored),
                group_thousands(summary.rejected), format_duration(summary.elapsed_s),
                group_thousands(static_cast<std::uint64_t>(rate)), where_results_are(args, job));
            return kExitOk;
        }
        case JobState::kCancelled:
            say("job '{}' interrupted: {}{} records saved; resume with:\n  {}", job,
                group_thousands(done), of_total(summary.total), resume_command(args));
            return kExitCancelled;
        default:
            say("job '{}' failed: {}\n  {}{} records are saved; fix the cause and resume with:\n"
                "  {}",
                job, summary.error.message(), group_thousands(done), of_total(summary.total),
                resume_command(args));
            return kExitFailed;
    }
}

// The job's checkpoint before the run, to say up front that the run resumes and to check the
// crawl before indexing it; none with `--restart`.
std::optional<Checkpoint> previous_checkpoint(CheckpointStore& store,
                                              const std::string& job,
                                              bool restart) {
    if (restart) {
        return std::nullopt;
    }
    Result<std::optional<Checkpoint>> loaded = store.load(job);
    if (!loaded.ok()) {
        return std::nullopt;  // The engine loads it again and reports any problem itself.
    }
    return std::move(loaded).value();
}

// Where the crawl index's temporary files go: $TMPDIR when set, else beside the output, which
// is where the user already expects files of the size of the site.
fs::path crawl_temp_dir(const ScoreArgs& args) {
    if (const char* tmpdir = std::getenv("TMPDIR"); tmpdir != nullptr && *tmpdir != '\0') {
        return tmpdir;
    }
    const fs::path parent = fs::path(args.db.empty() ? args.out : args.db).parent_path();
    return parent.empty() ? fs::path(".") : parent;
}

// Refuses a resume whose crawl differs from the one the job started with, before the new one
// is indexed; the engine would refuse it too, less clearly, as a changed input.
Status check_same_crawl(const std::string& job,
                        const Checkpoint& previous,
                        std::string_view crawl_fingerprint) {
    const std::string_view before = detail::crawl_part(previous.input_fingerprint);
    if (previous.state == JobState::kFinished || before == crawl_fingerprint) {
        return Status();
    }
    const auto describe = [](std::string_view crawl) {
        const std::size_t path = crawl.find(" path=");
        return path == std::string_view::npos
                   ? std::string("no --crawl")
                   : fmt::format("--crawl {} ({})", crawl.substr(path + 6), crawl.substr(0, path));
    };
    return failed_precondition_error(fmt::format(
        "cannot resume job '{}': it was started with {}, and this run has {}; resume with the "
        "same crawl file, unchanged, or run again with --restart to score it from the beginning",
        job, describe(before), describe(crawl_fingerprint)));
}

// Indexes the crawl of `--crawl` and wraps `source` in the join.
//
// Limitation: SIGINT is handled from the engine's start on, so Ctrl-C while the crawl is indexed
// ends the process at once: nothing was scored yet, and the index's temporary files stay behind
// (crawl_index.hpp names them).
Result<std::unique_ptr<detail::CrawlJoinSource>> join_crawl(const ScoreArgs& args,
                                                            std::unique_ptr<NodeSource> source) {
    detail::CrawlIndexOptions options;
    options.crawl = args.crawl;
    options.temp_dir = crawl_temp_dir(args);
    say("indexing crawl {} (temporary files in {})", args.crawl, options.temp_dir.string());
    Result<std::unique_ptr<detail::CrawlIndex>> index = detail::CrawlIndex::build(options);
    if (!index.ok()) {
        return index.status();
    }
    const detail::CrawlIndexStats& stats = (*index)->stats();
    say("crawl index: {} pages from {} rows in {} ({} not HTML pages answering 200, {} "
        "unreadable, {} without values, {} repeated URLs replaced)",
        group_thousands(stats.pages), group_thousands(stats.rows), format_duration(stats.seconds),
        group_thousands(stats.not_a_page), group_thousands(stats.unreadable),
        group_thousands(stats.no_values), group_thousands(stats.replaced));
    logger()->info(
        "crawl index built file={} rows={} pages={} not_a_page={} unreadable={} no_values={} "
        "replaced={} seconds={:.1f}",
        args.crawl, stats.rows, stats.pages, stats.not_a_page, stats.unreadable, stats.no_values,
        stats.replaced, stats.seconds);
    if (stats.unreadable > 0) {
        logger()->warn("crawl rows skipped with unreadable values file={} count={} first={}",
                       args.crawl, stats.unreadable, stats.first_unreadable);
    }
    return std::make_unique<detail::CrawlJoinSource>(std::move(source), std::move(*index));
}

// Applies `--crawl` (or its absence): adds the crawl to the input fingerprint, refuses a resume
// with another crawl, and wraps `input` in the join unless the job is finished.
Status apply_crawl(const ScoreArgs& args,
                   const std::string& job,
                   const std::optional<Checkpoint>& previous,
                   std::unique_ptr<NodeSource>& input,
                   std::string& input_fingerprint,
                   detail::CrawlJoinSource*& join) {
    std::string crawl;
    if (!args.crawl.empty()) {
        Result<std::string> fingerprint = detail::crawl_fingerprint(args.crawl);
        if (!fingerprint.ok()) {
            return fingerprint.status();
        }
        crawl = std::move(fingerprint).value();
    }
    if (previous) {
        BULKSCORE_RETURN_IF_ERROR(check_same_crawl(job, *previous, crawl));
    }
    if (crawl.empty()) {
        return Status();
    }
    input_fingerprint = detail::with_crawl(std::move(input_fingerprint), crawl);
    if (previous && previous->state == JobState::kFinished) {
        return Status();  // The engine runs nothing: indexing the crawl would be wasted.
    }
    Result<std::unique_ptr<detail::CrawlJoinSource>> joined = join_crawl(args, std::move(input));
    if (!joined.ok()) {
        return joined.status();
    }
    join = joined->get();
    input = std::move(joined).value();
    return Status();
}

void report_crawl(const ScoreArgs& args,
                  const detail::CrawlJoinSource& join,
                  const RunSummary& summary) {
    say("crawl: {} of {} pages matched{}", group_thousands(join.pages_matched()),
        group_thousands(join.pages_read()), summary.resumed ? " in this run" : "");
    logger()->info("crawl join file={} pages={} matched={} resumed={}", args.crawl,
                   join.pages_read(), join.pages_matched(), summary.resumed);
}

Result<OpportunityScorer> make_scorer(const ScoreArgs& args) {
    if (args.config.empty()) {
        return OpportunityScorer();
    }
    Result<ScorerConfig> config = load_scorer_config(args.config);
    if (!config.ok()) {
        return config.status();
    }
    return OpportunityScorer::create(std::move(config).value());
}

}  // namespace

// The exit status for a status that stopped the command before the run.
int usage_or_failure(const Status& status) {
    say("error: {}", status.message());
    switch (status.code()) {
        case StatusCode::kInvalidArgument:
        case StatusCode::kNotFound:
        case StatusCode::kFailedPrecondition:
        case StatusCode::kDataLoss:
            return kExitUsage;
        default:
            return kExitFailed;
    }
}
std::string job_name(const ScoreArgs& args) {
    if (!args.job.empty()) {
        return args.job;
    }
    std::string stem = fs::path(args.input).stem().string();
    return stem.empty() ? std::string("job") : stem;
}
BulkScorerOptions engine_options(const ScoreArgs& args) {
    BulkScorerOptions options;
    options.batch_size = args.batch_size;
    options.worker_threads = args.workers;
    options.batches_in_flight = args.in_flight;
    options.async_nodes_in_flight = args.async_in_flight;
    options.checkpoint_interval = std::chrono::milliseconds(args.checkpoint_interval_ms);
    options.progress_interval = std::chrono::milliseconds(args.progress_interval_ms);
    options.count_total = !args.no_count;
    return options;
}

Result<ScoreInputs> open_score_inputs(const ScoreArgs& args) {
    Result<InputFormat> format = parse_input_format(args.format);
    if (!format.ok()) {
        return format.status();
    }
    SourceOptions options;
    options.path = args.input;
    options.format = *format;
    options.json_rows_key = args.json_rows_key;
    Result<std::unique_ptr<NodeSource>> source = open_source(options);
    if (!source.ok()) {
        return source.status();
    }
    Result<std::unique_ptr<OpportunityScoring>> scoring = make_scoring(args);
    if (!scoring.ok()) {
        return scoring.status();
    }
    Result<std::string> fingerprint = fingerprint_file(args.input);
    if (!fingerprint.ok()) {
        return fingerprint.status();
    }
    return ScoreInputs{std::move(source).value(), std::move(scoring).value(),
                       std::move(fingerprint).value()};
}

Result<std::unique_ptr<OpportunityScoring>> make_scoring(const ScoreArgs& args) {
    Result<OpportunityScorer> scorer = make_scorer(args);
    if (!scorer.ok()) {
        return scorer.status();
    }
    return std::make_unique<OpportunityScoring>(std::move(scorer).value());
}

std::string stored_input_path(const std::string& input) {
    std::error_code error;
    const fs::path absolute = fs::absolute(input, error);
    return error ? input : absolute.lexically_normal().string();
}

int run_score(const ScoreArgs& args) {
    if (!args.pg.empty()) {
#if defined(BULKSCORE_WITH_POSTGRES)
        return run_score_pg(args);
#else
        return usage_or_failure(failed_precondition_error(
            "--pg: this bulkscore was built without the PostgreSQL store; install libpq "
            "(scripts/install-deps --pg) and build it again"));
#endif
    }
    Result<ScoreInputs> inputs = open_score_inputs(args);
    if (!inputs.ok()) {
        return usage_or_failure(inputs.status());
    }
    const BulkScorerOptions options = engine_options(args);
    if (Status valid = options.validate(); !valid.ok()) {
        return usage_or_failure(valid);
    }
    const std::string job = job_name(args);
    Result<Store> store = open_store(args, job);
    if (!store.ok()) {
        return usage_or_failure(store.status());
    }
    std::unique_ptr<ProgressDisplay> display = make_progress_display(args.progress);
    if (!display) {
        return usage_or_failure(invalid_argument_error(
            fmt::format("--progress {} is not one of auto, bar, json, none", args.progress)));
    }

    std::optional<Checkpoint> previous =
        previous_checkpoint(store->checkpoints(), job, args.restart);
    std::string input_fingerprint = std::move(inputs->fingerprint);
    std::unique_ptr<NodeSource> input = std::move(inputs->source);
    detail::CrawlJoinSource* join = nullptr;
    if (Status crawl = apply_crawl(args, job, previous, input, input_fingerprint, join);
        !crawl.ok()) {
        return usage_or_failure(crawl);
    }
    if (previous && previous->state == JobState::kFinished) {
        previous.reset();
    }
    const std::optional<Checkpoint>& resuming = previous;
    BulkScorer engine(*input, *inputs->scoring, store->sink(), store->checkpoints(), options);
    const auto connection = engine.on_progress([&](const ProgressEvent& event) {
        // The started event comes once the engine has accepted the checkpoint.
        if (event.phase == ProgressPhase::kStarted && resuming) {
            say("resuming job '{}' at record {}{}", job,
                group_thousands(resuming->position.ordinal), of_total(event.total));
        }
        display->show(event);
    });
    Result<std::unique_ptr<InterruptWatcher>> watcher =
        InterruptWatcher::start([&engine] { engine.cancel(); });
    if (!watcher.ok()) {
        return usage_or_failure(watcher.status());
    }

    JobSpec spec;
    spec.job = job;
    spec.input = stored_input_path(args.input);
    spec.input_fingerprint = std::move(input_fingerprint);
    spec.restart = args.restart;
    Result<RunSummary> summary = engine.run(spec);
    display->finish();
    watcher->reset();
    if (!summary.ok()) {
        return usage_or_failure(summary.status());
    }
    if (join != nullptr && !summary->already_finished) {
        report_crawl(args, *join, *summary);
    }
    return report(args, job, *summary);
}

}  // namespace bulkscore::cli
