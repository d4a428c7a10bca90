// SPDX-License-Identifier: MIT
//
// The `bulkscore` subcommands. `main` parses the command line (CLI11) into these argument
// structs and calls one `run_*` function, whose return value is the process's exit status:
// 0 finished, 1 failed, 2 usage or configuration error, 130 cancelled by SIGINT.

#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "bulkscore/status.hpp"

namespace bulkscore::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCancelled = 130;

/// The exit status of a command that reads results (`top`, `status`, `report`) and could not:
/// a missing or foreign database, an unknown job or a bad argument is the user's to fix (2); a
/// busy or broken database or server is a failure (1).
int exit_code_for_read(const Status& status);

struct ScoreArgs {
    std::string input;
    std::string db;   ///< `--db PATH`; empty when `--out` is used.
    std::string out;  ///< `--out FILE`; empty when `--db` is used.
    std::string format = "auto";
    std::string json_rows_key;
    std::string crawl;  ///< `--crawl PATH`: a crawl joined by URL; empty for none.
    std::string job;    ///< Empty: derived from the input path.
    std::size_t batch_size = 1000;
    std::size_t workers = 0;
    std::size_t in_flight = 5;
    std::size_t async_in_flight = 64;
    /// `--checkpoint-interval-ms`; 0 checkpoints at every chance.
    std::uint64_t checkpoint_interval_ms = 1000;
    /// `--progress-interval-ms`; 0 emits an event at every chance.
    std::uint64_t progress_interval_ms = 100;
    std::string progress = "auto";  ///< auto|bar|json|none
    bool restart = false;
    std::string config;  ///< `--config FILE`; empty for the defaults.
    bool no_count = false;

    // A distributed run (`--pg URL`, instead of `--db` or `--out`): this process is one worker.
    std::string pg;     ///< The PostgreSQL server's URL.
    std::string query;  ///< `--query SQL`: the rows of this query on `pg` instead of INPUT.
    std::string pg_schema = "bulkscore";    ///< `--schema`.
    std::string worker_name;                ///< `--worker-name`; empty: HOST:PID.
    std::uint64_t range_records = 100'000;  ///< `--range-records`.
    std::uint64_t lease_s = 30;             ///< `--lease-s`.
    std::uint32_t max_attempts = 3;         ///< `--max-attempts`.
};

struct TopArgs {
    std::string db;
    std::size_t limit = 20;
    std::string action;            ///< Empty: every action.
    std::string job;               ///< Empty: every job.
    std::string format = "table";  ///< table|csv|json
};

struct StatusArgs {
    std::string db;
    std::string job;  ///< Empty: every job.
    std::string pg;   ///< `--pg URL`: the distributed jobs of a PostgreSQL schema instead.
    std::string pg_schema = "bulkscore";
};

struct GenerateArgs {
    std::uint64_t pages = 0;
    std::string out;
    std::uint64_t seed = 1;
};

struct ReportArgs {
    std::string db;
    std::string out;         ///< `-o, --out FILE`: the HTML file to write.
    std::string job;         ///< Empty: every job.
    std::size_t top = 1000;  ///< Rows of the best-pages table.
};

int run_score(const ScoreArgs& args);
/// `score --pg`: one worker of a distributed job (pg_score_command.cpp).
int run_score_pg(const ScoreArgs& args);
int run_top(const TopArgs& args);
int run_status(const StatusArgs& args);
/// `status --pg`: the distributed jobs of a PostgreSQL schema (pg_status_command.cpp).
int run_status_pg(const StatusArgs& args);
int run_generate(const GenerateArgs& args);
int run_report(const ReportArgs& args);

}  // namespace bulkscore::cli
