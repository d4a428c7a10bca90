// SPDX-License-Identifier: MIT
//
// What `bulkscore score` shares between its single-process run (score_command.cpp) and its
// distributed run on PostgreSQL (pg_score_command.cpp): messages, exit codes, the scorer and
// the engine settings from the command line.
//
// Thread safety: the main thread only.

#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/scorer.hpp"
#include "bulkscore/status.hpp"

#include "cli/commands.hpp"

namespace bulkscore::cli {

/// A human message on stderr, prefixed `bulkscore: ` (stdout carries `--progress json` only).
template <class... Args>
void say(fmt::format_string<Args...> format, Args&&... args) {
    fmt::print(stderr, "bulkscore: {}\n", fmt::format(format, std::forward<Args>(args)...));
    std::fflush(stderr);
}

/// Says `status` and returns the exit code of a command that could not start: 2 for what the
/// user must fix (a bad argument, a missing file, a refused resume), 1 otherwise.
int usage_or_failure(const Status& status);

/// What every run of `score` starts from: its input, its scorer and the input's fingerprint.
struct ScoreInputs {
    std::unique_ptr<NodeSource> source;
    std::unique_ptr<OpportunityScoring> scoring;
    std::string fingerprint;
};

/// Opens the input (`--format`, `--rows-key`), makes the scorer (`--config`) and fingerprints
/// the input. Errors: as `open_source`, `load_scorer_config` and `fingerprint_file`.
Result<ScoreInputs> open_score_inputs(const ScoreArgs& args);

/// The scorer of `--config`, or the default one. Errors: as `load_scorer_config`.
Result<std::unique_ptr<OpportunityScoring>> make_scoring(const ScoreArgs& args);

/// `--job`, or the input's file name stem.
std::string job_name(const ScoreArgs& args);

/// The engine settings of the command line.
BulkScorerOptions engine_options(const ScoreArgs& args);

/// The input's absolute path, as stored in checkpoints (so that `status` prints commands that
/// work from any directory).
std::string stored_input_path(const std::string& input);

}  // namespace bulkscore::cli
