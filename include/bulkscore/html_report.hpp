// SPDX-License-Identifier: MIT
//
// The HTML report of a SQLite results database: `read_report_data` gathers what a report shows
// (totals, a score histogram and the split by action computed with SQL aggregates over every
// page; the best N pages; the first rejections; the jobs), and `render_html_report` turns it into
// one self-contained HTML page: inline CSS, charts as inline SVG drawn here (they show without
// JavaScript), and a small inline script that sorts and filters the table of best pages. The page
// loads nothing from the network.
//
//     auto data = bulkscore::read_report_data("site.db", {});
//     if (data.ok()) write(bulkscore::render_html_report(*data));
//
// Thread safety: both functions are free functions without shared state; `read_report_data`
// opens its own read-only connection, so any thread may call them concurrently.

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/rejection.hpp"
#include "bulkscore/score_result.hpp"
#include "bulkscore/sqlite_store.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore {

/// How many actions there are (`Action` values are 0 .. kActionCount - 1).
inline constexpr std::size_t kActionCount = 6;

/// How many bins the score histogram has; bin `i` holds scores in [5i, 5i + 5), the last one
/// also 100.
inline constexpr std::size_t kScoreBins = 20;

/// What `read_report_data` reads.
struct ReportQuery {
    std::optional<std::string> job;      ///< Only this job; every job when empty.
    std::size_t top = 1000;              ///< Rows of the best-pages table (> 0).
    std::size_t rejection_limit = 1000;  ///< Rejections listed (the total is always counted).
};

/// One action's share of the scored pages.
struct ActionTotal {
    std::uint64_t pages = 0;
    double potential_clicks = 0;
};

/// How many rejections have one reason.
struct ReasonCount {
    RejectReason reason = RejectReason::kBadNumber;
    std::uint64_t count = 0;
};

/// Everything a report shows, read from one consistent snapshot of the database.
struct ReportData {
    std::string database;            ///< The database as the caller named it.
    std::optional<std::string> job;  ///< The job filter, if any.
    std::vector<Checkpoint> jobs;    ///< The jobs covered (one with a filter), by name.

    // Aggregates over every selected page.
    std::uint64_t scored = 0;
    std::uint64_t rejected = 0;
    double potential_clicks = 0;  ///< Sum over every scored page.
    double score_sum = 0;         ///< Sum of the scores (the mean is `score_sum / scored`).
    /// Pages per score bin and action: `histogram[bin][static_cast<size_t>(action)]`.
    std::array<std::array<std::uint64_t, kActionCount>, kScoreBins> histogram{};
    std::array<ActionTotal, kActionCount> actions{};  ///< Indexed by `Action`.
    std::vector<ReasonCount> reasons;                 ///< Most frequent first.

    std::vector<StoredScore> top;             ///< The best pages, score descending then id.
    std::vector<StoredRejection> rejections;  ///< The first ones, by job and input order.
    std::int64_t generated_at_ms = 0;         ///< Unix time of the read, milliseconds.
};

/// Reads what a report of the database at `path` shows. The aggregates are computed by SQLite
/// over every page (one scan for the totals, histogram and action split); only `query.top`
/// score rows and `query.rejection_limit` rejections are loaded, so memory and the report's
/// size do not grow with the database. All reads run in one read transaction, so the numbers
/// agree with each other even while another process writes.
///
/// Errors: `not_found` when the file does not exist or has no job `query.job` (the message
/// lists its jobs); `invalid_argument` for `query.top == 0`; `failed_precondition` when it is
/// not a bulkscore database; `data_loss` for a row with an unknown action or reason;
/// `unavailable` when it stays locked.
Result<ReportData> read_report_data(const std::filesystem::path& path, const ReportQuery& query);

/// One component's share of a score, in score points.
struct ComponentShare {
    std::string_view name;  ///< As in SCORING.md (`"upside"`); static storage.
    double points = 0;      ///< weight * component * 100 / sum of weights.
};

/// The components that contributed most to a score under `weights`, largest first: at most
/// `limit`, each worth at least 0.05 points (the `top` command's "top components").
std::vector<ComponentShare> driving_components(const Components& components,
                                               const Components& weights,
                                               std::size_t limit = 3);

/// The scorer weights a job ran with, read from its checkpoint's configuration fingerprint;
/// SCORING.md's default weights when the fingerprint is not the built-in scorer's.
Components job_weights(const Checkpoint& job);

/// The report as one HTML document (UTF-8). Every text that comes from the data (ids, URLs,
/// job names, messages) is escaped for HTML, and for the JSON embedded in a `<script>` element
/// (`<`, `>`, `&` and line separators as `\u` escapes), so no input can end an element early.
/// The table's script reads `?selftest=1` from the page's address to run a self-check of its
/// sorting and filtering and write the outcome into the page (used by the browser test).
std::string render_html_report(const ReportData& data);

/// `text` escaped for HTML text and attribute values (`& < > " '`).
std::string html_escape(std::string_view text);

/// `text` as a JSON string literal (with quotes) that is also safe inside a `<script>` element.
std::string json_script_string(std::string_view text);

}  // namespace bulkscore
