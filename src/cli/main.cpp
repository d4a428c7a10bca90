// SPDX-License-Identifier: MIT
//
// Entry point of the `bulkscore` command: parses the command line with CLI11 into the argument
// structs of commands.hpp, sets up the `bulkscore` logger on stderr (the CLI owns the sinks; the
// library installs none) and runs one subcommand. Usage errors exit with status 2.

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "bulkscore/logging.hpp"

#include "cli/commands.hpp"

namespace bulkscore::cli {
namespace {

constexpr const char* kVersion = "bulkscore 0.1.0";

void add_score(CLI::App& app, ScoreArgs& args) {
    CLI::App* score = app.add_subcommand("score", "Score every page of an input file");
    CLI::Option* input =
        score->add_option("INPUT", args.input, "The export to score (CSV, JSON, JSON Lines)");
    CLI::Option* db = score->add_option("--db", args.db, "Write to this SQLite database");
    CLI::Option* out = score->add_option(
        "--out", args.out,
        "Write CSV (or JSON Lines for .jsonl) to this file, rejections beside it");
    CLI::Option* pg = score->add_option(
        "--pg", args.pg,
        "Work on the distributed job --job in this PostgreSQL server (postgresql://...): start "
        "as many such processes as you like, on any machine");
    db->excludes(out);
    db->excludes(pg);
    out->excludes(db);
    out->excludes(pg);
    pg->excludes(db);
    pg->excludes(out);
    CLI::Option* query = score->add_option(
        "--query", args.query,
        "--pg: score the rows of this SELECT on the --pg server instead of INPUT (columns named "
        "as the native CSV's; ORDER BY a unique key)");
    input->excludes(query);
    query->excludes(input);
    query->needs(pg);
    score->add_option("--schema", args.pg_schema, "--pg: the schema of the tables")
        ->capture_default_str();
    score->add_option("--worker-name", args.worker_name, "--pg: this worker's name (HOST:PID)");
    score
        ->add_option("--range-records", args.range_records,
                     "--pg: records per range, when this worker splits the input")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    score
        ->add_option("--lease-s", args.lease_s,
                     "--pg: seconds a range stays claimed without a renewal")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    score
        ->add_option("--max-attempts", args.max_attempts,
                     "--pg: claims of a range before it is set aside")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    score->add_option("--format", args.format, "Input format (auto: from the extension and header)")
        ->check(CLI::IsMember({"auto", "csv", "gsc", "gsc-api", "sf", "jsonl"}))
        ->capture_default_str();
    score->add_option("--rows-key", args.json_rows_key,
                      "gsc-api: key of the array of rows (default: rows)");
    score->add_option("--crawl", args.crawl,
                      "Screaming Frog Internal > All export: fills in word count and inlinks by "
                      "URL");
    score->add_option("--job", args.job, "Job name (default: the input's file name stem)");
    score->add_option("--batch-size", args.batch_size, "Records per batch")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    score->add_option("--workers", args.workers, "Scoring threads (0: one per hardware thread)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    score->add_option("--in-flight", args.in_flight, "Batches alive at once (>= 2; bounds memory)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    score
        ->add_option("--async-in-flight", args.async_in_flight,
                     "Concurrent calls of an asynchronous scorer")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    score
        ->add_option("--checkpoint-interval-ms", args.checkpoint_interval_ms,
                     "Milliseconds between checkpoints (0: as often as possible)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    score
        ->add_option("--progress-interval-ms", args.progress_interval_ms,
                     "Milliseconds between progress events (0: at every opportunity)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    score
        ->add_option("--progress", args.progress,
                     "auto: a bar on a terminal; bar; json: events on stdout; none")
        ->check(CLI::IsMember({"auto", "bar", "json", "none"}))
        ->capture_default_str();
    score->add_flag("--restart", args.restart, "Discard the job's checkpoint and results first");
    score->add_option("--config", args.config, "Scorer configuration file (JSON)");
    score->add_flag("--no-count", args.no_count,
                    "Do not count the input first (percent and ETA stay unknown)");
    // Exactly one of --db, --out and --pg; CLI11 reports it as a usage error.
    score->callback([input, query, db, out, pg] {
        if (input->count() == 0 && query->count() == 0) {
            throw CLI::RequiredError("INPUT");
        }
        if (db->count() == 0 && out->count() == 0 && pg->count() == 0) {
            throw CLI::RequiredError("--db, --out or --pg");
        }
    });
}

void add_top(CLI::App& app, TopArgs& args) {
    CLI::App* top = app.add_subcommand("top", "List the best opportunities of a database");
    top->add_option("--db", args.db, "The SQLite database")->required();
    top->add_option("-n,--limit", args.limit, "How many rows")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    top->add_option("--action", args.action, "Only this action")
        ->check(CLI::IsMember(
            {"fix_ctr", "push_to_top", "refresh", "expand", "build_links", "monitor"}));
    top->add_option("--job", args.job, "Only this job");
    top->add_option("--format", args.format, "table, csv or json")
        ->check(CLI::IsMember({"table", "csv", "json"}))
        ->capture_default_str();
}

void add_status(CLI::App& app, StatusArgs& args) {
    CLI::App* status = app.add_subcommand("status", "Show the jobs of a database");
    CLI::Option* db = status->add_option("--db", args.db, "The SQLite database");
    CLI::Option* pg = status->add_option(
        "--pg", args.pg, "The distributed jobs of this PostgreSQL server (postgresql://...)");
    db->excludes(pg);
    pg->excludes(db);
    status->add_option("--schema", args.pg_schema, "--pg: the schema of the tables")
        ->capture_default_str();
    status->add_option("--job", args.job, "Only this job");
    status->callback([db, pg] {
        if (db->count() == 0 && pg->count() == 0) {
            throw CLI::RequiredError("--db or --pg");
        }
    });
}

void add_generate(CLI::App& app, GenerateArgs& args) {
    CLI::App* generate =
        app.add_subcommand("generate", "Write a synthetic site as native CSV (demos, benchmarks)");
    generate->add_option("N", args.pages, "Number of pages")
        ->required()
        ->check(CLI::PositiveNumber);
    generate->add_option("OUT", args.out, "The CSV file to write")->required();
    generate->add_option("--seed", args.seed, "Different seeds give different sites")
        ->capture_default_str();
}

void add_report(CLI::App& app, ReportArgs& args) {
    CLI::App* report =
        app.add_subcommand("report", "Write a self-contained HTML report of a database");
    report->add_option("--db", args.db, "The SQLite database")->required();
    report->add_option("-o,--out", args.out, "The HTML file to write")->required();
    report->add_option("--job", args.job, "Only this job");
    report->add_option("--top", args.top, "Rows of the best-pages table")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
}

void install_logger(const std::string& level) {
    auto logger = spdlog::stderr_color_mt(kLoggerName);
    logger->set_pattern("bulkscore: %^%l%$: %v");
    logger->set_level(spdlog::level::from_str(level));
    set_logger(std::move(logger));
}

int run(int argc, char** argv) {
    CLI::App app{"Scores the search opportunity of every page of a site, in bulk", "bulkscore"};
    app.set_version_flag("--version", kVersion);
    app.require_subcommand(1);
    // Options of the main command may also follow the subcommand (`score x --log-level debug`).
    app.fallthrough();
    std::string log_level = "warn";
    app.add_option("--log-level", log_level, "Library log level on stderr")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
        ->capture_default_str();

    ScoreArgs score;
    TopArgs top;
    StatusArgs status;
    GenerateArgs generate;
    ReportArgs report;
    add_score(app, score);
    add_top(app, top);
    add_status(app, status);
    add_generate(app, generate);
    add_report(app, report);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        const int code = app.exit(error);
        return code == 0 ? kExitOk : kExitUsage;
    }
    install_logger(log_level);

    const std::string command = app.get_subcommands().front()->get_name();
    if (command == "score") {
        return run_score(score);
    }
    if (command == "top") {
        return run_top(top);
    }
    if (command == "status") {
        return run_status(status);
    }
    if (command == "report") {
        return run_report(report);
    }
    return run_generate(generate);
}

}  // namespace
}  // namespace bulkscore::cli

int main(int argc, char** argv) {
    // Nothing may escape main: a stray exception (out of memory, a bug) becomes a message and
    // status 1 instead of an abort.
    // A reader of `--progress json` or `top` that goes away must not kill a run half-way: writes
    // to the closed pipe fail quietly instead, and the run ends normally with its checkpoint.
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return bulkscore::cli::run(argc, argv);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bulkscore: internal error: %s\n", error.what());
    } catch (...) {
        std::fprintf(stderr, "bulkscore: internal error\n");
    }
    return bulkscore::cli::kExitFailed;
}
