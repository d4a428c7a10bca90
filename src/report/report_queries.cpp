// SPDX-License-Identifier: MIT
//
// `read_report_data`: the read queries behind the HTML report. Totals, the score histogram, the
// split by action and the rejection reasons are SQL aggregates over every page; only the best N
// score rows and the first rejections are loaded. Everything is read in one read transaction of
// one read-only connection, so the figures of a report agree with each other.
//
// Thread safety: no shared state; each call owns its connection.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <fmt/std.h>
#include <sqlite3.h>

#include "bulkscore/html_report.hpp"

#include "sinks/sqlite_db.hpp"
#include "sinks/sqlite_rows.hpp"

namespace bulkscore {
namespace {

using detail::open_for_reading;
using detail::SqliteDb;
using detail::SqliteStatement;

// `?1` is the job filter in every query: NULL selects every job.
constexpr const char* kSelectJobs =
    "SELECT job, state, total, scored, rejected, input, config_fingerprint, started_at_ms, "
    "updated_at_ms, message FROM jobs WHERE (?1 IS NULL OR job = ?1) ORDER BY job";

// One scan gives the totals, the histogram and the action split: at most 6 x 20 groups.
// Limitation: SQLite has no hash aggregation, so GROUP BY sorts every row first: about 1.2 s of
// CPU per million pages, which is most of the time `bulkscore report` takes on a large database.
constexpr const char* kSelectAggregates =
    "SELECT action, MAX(0, MIN(CAST(score / 5 AS INTEGER), 19)) AS bin, COUNT(*), "
    "TOTAL(potential_clicks), TOTAL(score) FROM scores WHERE (?1 IS NULL OR job = ?1) "
    "GROUP BY action, bin";

constexpr const char* kSelectReasons =
    "SELECT reason, COUNT(*) FROM rejections WHERE (?1 IS NULL OR job = ?1) GROUP BY reason "
    "ORDER BY 2 DESC, reason";

// Limitation: there is no index on score (it would slow every insert of a run), so this scans
// the table with a bounded top-N sort, as `bulkscore top` does.
constexpr const char* kSelectTop =
    "SELECT id, url, score, potential_clicks, action, upside, striking, ctr_gap, demand, decay, "
    "ease, staleness, thinness, link_need, scorer_version, job FROM scores "
    "WHERE (?1 IS NULL OR job = ?1) ORDER BY score DESC, id LIMIT ?2";

// The unique index on rejections(job, ordinal) serves this order without a sort.
constexpr const char* kSelectRejections =
    "SELECT job, ordinal, line, id, field, reason, message FROM rejections "
    "WHERE (?1 IS NULL OR job = ?1) ORDER BY job, ordinal LIMIT ?2";

std::uint64_t count_of(std::int64_t value) noexcept {
    return value < 0 ? 0 : static_cast<std::uint64_t>(value);
}

std::int64_t sql_limit(std::size_t limit) noexcept {
    return static_cast<std::int64_t>(
        std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

Status unknown_value(const SqliteDb& db, std::string_view what, const std::string& value) {
    return data_loss_error(fmt::format(
        "database {}: a row has the unknown {} \"{}\"; it was written by another program or "
        "version of bulkscore",
        db.path(), what, value));
}

// Steps `statement` to its end, handing each row to `on_row` (which returns a Status).
template <class OnRow>
Status for_each_row(SqliteStatement& statement,
                    const SqliteDb& db,
                    std::string_view doing,
                    OnRow on_row) {
    while (true) {
        const int rc = statement.step();
        if (rc == SQLITE_DONE) {
            break;
        }
        if (rc != SQLITE_ROW) {
            Status status = db.error(rc, doing);
            statement.reset();
            return status;
        }
        if (Status status = on_row(statement); !status.ok()) {
            statement.reset();
            return status;
        }
    }
    statement.reset();
    return Status();
}

// Prepares `sql` and binds the job filter (`?1`) and, when given, a limit (`?2`).
Result<SqliteStatement> prepare(SqliteDb& db,
                                const char* sql,
                                const std::optional<std::string>& job,
                                std::optional<std::size_t> limit = std::nullopt) {
    auto statement = SqliteStatement::prepare(db, sql);
    if (!statement.ok()) {
        return statement.status();
    }
    if (job) {
        statement->bind_copy(1, *job);
    } else {
        statement->bind_null(1);
    }
    if (limit) {
        statement->bind_int(2, sql_limit(*limit));
    }
    return statement;
}

Status read_jobs_into(SqliteDb& db, ReportData& data) {
    auto select = prepare(db, kSelectJobs, data.job);
    if (!select.ok()) {
        return select.status();
    }
    return for_each_row(*select, db, "reading the jobs", [&](const SqliteStatement& row) {
        Checkpoint job;
        job.job = row.column_text(0);
        const std::string state = row.column_text(1);
        const auto parsed = parse_job_state(state);
        if (!parsed) {
            return unknown_value(db, "job state", state);
        }
        job.state = *parsed;
        job.total = count_of(row.column_int(2));
        job.scored = count_of(row.column_int(3));
        job.rejected = count_of(row.column_int(4));
        job.input = row.column_text(5);
        job.config_fingerprint = row.column_text(6);
        job.started_at_ms = row.column_int(7);
        job.updated_at_ms = row.column_int(8);
        job.message = row.column_text(9);
        data.jobs.push_back(std::move(job));
        return Status();
    });
}

// A job filter that names no job is a typo to report, not an empty report.
Status check_job_exists(SqliteDb& db, const ReportData& data) {
    if (!data.job || !data.jobs.empty()) {
        return Status();
    }
    ReportData all;
    BULKSCORE_RETURN_IF_ERROR(read_jobs_into(db, all));
    std::string names;
    for (const Checkpoint& job : all.jobs) {
        names += names.empty() ? "" : ", ";
        names += job.job;
    }
    return not_found_error(fmt::format("no job \"{}\" in {}; its jobs: {}", *data.job,
                                       data.database, names.empty() ? "none" : names));
}

Status read_aggregates(SqliteDb& db, ReportData& data) {
    auto select = prepare(db, kSelectAggregates, data.job);
    if (!select.ok()) {
        return select.status();
    }
    return for_each_row(*select, db, "summing the scores", [&](const SqliteStatement& row) {
        const std::string name = row.column_text(0);
        const auto action = parse_action(name);
        if (!action) {
            return unknown_value(db, "action", name);
        }
        const auto index = static_cast<std::size_t>(*action);
        const auto bin = static_cast<std::size_t>(std::clamp<std::int64_t>(
            row.column_int(1), 0, static_cast<std::int64_t>(kScoreBins) - 1));
        const std::uint64_t pages = count_of(row.column_int(2));
        const double potential = row.column_double(3);
        data.histogram[bin][index] += pages;
        data.actions[index].pages += pages;
        data.actions[index].potential_clicks += potential;
        data.scored += pages;
        data.potential_clicks += potential;
        data.score_sum += row.column_double(4);
        return Status();
    });
}

Status read_reasons(SqliteDb& db, ReportData& data) {
    auto select = prepare(db, kSelectReasons, data.job);
    if (!select.ok()) {
        return select.status();
    }
    return for_each_row(*select, db, "counting the rejections", [&](const SqliteStatement& row) {
        const std::string name = row.column_text(0);
        const auto reason = parse_reject_reason(name);
        if (!reason) {
            return unknown_value(db, "rejection reason", name);
        }
        const std::uint64_t count = count_of(row.column_int(1));
        data.reasons.push_back({*reason, count});
        data.rejected += count;
        return Status();
    });
}

Status read_top(SqliteDb& db, std::size_t limit, ReportData& data) {
    auto select = prepare(db, kSelectTop, data.job, limit);
    if (!select.ok()) {
        return select.status();
    }
    data.top.reserve(std::min<std::size_t>(limit, 100000));
    return for_each_row(*select, db, "reading the best scores", [&](const SqliteStatement& row) {
        auto score = score_from_row(row, db);
        if (!score.ok()) {
            return score.status();
        }
        data.top.push_back(std::move(score).value());
        return Status();
    });
}

Status read_rejection_rows(SqliteDb& db, std::size_t limit, ReportData& data) {
    auto select = prepare(db, kSelectRejections, data.job, limit);
    if (!select.ok()) {
        return select.status();
    }
    return for_each_row(*select, db, "reading the rejections", [&](const SqliteStatement& row) {
        StoredRejection rejection;
        rejection.job = row.column_text(0);
        rejection.ordinal = count_of(row.column_int(1));
        rejection.line = row.column_is_null(2) ? 0 : count_of(row.column_int(2));
        rejection.id = row.column_text(3);
        rejection.field = row.column_text(4);
        const std::string name = row.column_text(5);
        const auto reason = parse_reject_reason(name);
        if (!reason) {
            return unknown_value(db, "rejection reason", name);
        }
        rejection.reason = *reason;
        rejection.message = row.column_text(6);
        data.rejections.push_back(std::move(rejection));
        return Status();
    });
}

}  // namespace

Result<ReportData> read_report_data(const std::filesystem::path& path, const ReportQuery& query) {
    if (query.top == 0) {
        return invalid_argument_error("the report needs at least one row of best pages (top > 0)");
    }
    auto db = open_for_reading(path);
    if (!db.ok()) {
        return db.status();
    }
    ReportData data;
    data.database = path.string();
    data.job = query.job;
    data.generated_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();

    // A deferred transaction on a WAL database: every SELECT below reads the same snapshot.
    BULKSCORE_RETURN_IF_ERROR(db->exec("BEGIN", "starting a read"));
    BULKSCORE_RETURN_IF_ERROR(read_jobs_into(*db, data));
    BULKSCORE_RETURN_IF_ERROR(check_job_exists(*db, data));
    BULKSCORE_RETURN_IF_ERROR(read_aggregates(*db, data));
    BULKSCORE_RETURN_IF_ERROR(read_reasons(*db, data));
    BULKSCORE_RETURN_IF_ERROR(read_top(*db, query.top, data));
    BULKSCORE_RETURN_IF_ERROR(read_rejection_rows(*db, query.rejection_limit, data));
    BULKSCORE_RETURN_IF_ERROR(db->exec("COMMIT", "ending a read"));
    return data;
}

}  // namespace bulkscore
