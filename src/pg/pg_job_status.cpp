// SPDX-License-Identifier: MIT
//
// `read_pg_job_status` (see pg_job.hpp): a distributed job's progress from its `ranges` and
// `jobs` rows, in three queries over one connection of its own.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <string>

#include <fmt/format.h>

#include "bulkscore/pg_job.hpp"

#include "pg/pg_connection.hpp"
#include "pg/pg_job_sql.hpp"
#include "pg/pg_schema.hpp"

namespace bulkscore {
namespace {

using detail::PgConnection;

// The jobs of `job_filter` ('' for all) that have ranges, with their range counts.
Result<std::map<std::string, PgJobStatus>> read_ranges(PgConnection& connection,
                                                       const detail::PgJobSql& sql,
                                                       const std::string& job_filter) {
    const char* const params[] = {job_filter.c_str()};
    auto result = connection.query(sql.status_ranges.c_str(), params, "reading the ranges");
    if (!result.ok()) {
        return result.status();
    }
    std::map<std::string, PgJobStatus> jobs;
    for (int row = 0; row < PQntuples(result->get()); ++row) {
        PgJobStatus status;
        status.ranges = detail::pg_unsigned_at(result->get(), row, 1);
        status.ranges_done = detail::pg_unsigned_at(result->get(), row, 2);
        status.ranges_leased = detail::pg_unsigned_at(result->get(), row, 3);
        status.ranges_set_aside = detail::pg_unsigned_at(result->get(), row, 4);
        status.range_records = detail::pg_unsigned_at(result->get(), row, 5);
        status.first_set_aside_reason = detail::pg_text_at(result->get(), row, 6);
        jobs.emplace(detail::pg_text_at(result->get(), row, 0), std::move(status));
    }
    return jobs;
}

Status read_workers(PgConnection& connection,
                    const detail::PgJobSql& sql,
                    const std::string& job_filter,
                    std::map<std::string, PgJobStatus>& jobs) {
    const char* const params[] = {job_filter.c_str()};
    auto result = connection.query(sql.status_workers.c_str(), params, "reading the workers");
    if (!result.ok()) {
        return result.status();
    }
    for (int row = 0; row < PQntuples(result->get()); ++row) {
        const auto job = jobs.find(detail::pg_text_at(result->get(), row, 0));
        if (job == jobs.end()) {
            continue;
        }
        PgWorkerStatus worker;
        worker.worker = detail::pg_text_at(result->get(), row, 1);
        worker.ranges_done = detail::pg_unsigned_at(result->get(), row, 2);
        worker.records_done = detail::pg_unsigned_at(result->get(), row, 3);
        worker.working = !PQgetisnull(result->get(), row, 4);
        worker.active_range =
            worker.working
                ? static_cast<std::int64_t>(detail::pg_unsigned_at(result->get(), row, 4))
                : -1;
        const double seconds = std::strtod(PQgetvalue(result->get(), row, 5), nullptr);
        worker.rate = seconds > 0 ? static_cast<double>(worker.records_done) / seconds : 0;
        worker.last_done_at_ms =
            static_cast<std::int64_t>(detail::pg_unsigned_at(result->get(), row, 6));
        const bool active = detail::pg_text_at(result->get(), row, 7) == "t";
        if (active) {
            job->second.rate += worker.rate;
        }
        job->second.workers.push_back(std::move(worker));
    }
    return ok_status();
}

Status read_job_rows(PgConnection& connection,
                     const detail::PgJobSql& sql,
                     std::map<std::string, PgJobStatus>& jobs) {
    for (auto& [name, status] : jobs) {
        const char* const params[] = {name.c_str()};
        auto result = connection.query(sql.select_job.c_str(), params, "reading the job");
        if (!result.ok()) {
            return result.status();
        }
        if (PQntuples(result->get()) == 0) {
            status.job.job = name;  // Split, and its row deleted by hand: show the ranges alone.
            continue;
        }
        auto checkpoint = detail::pg_checkpoint_from_row(result->get(), 0, connection);
        if (!checkpoint.ok()) {
            return checkpoint.status();
        }
        status.job = std::move(checkpoint).value();
        const std::uint64_t done = status.job.scored + status.job.rejected;
        status.eta_s =
            status.rate > 0 && status.job.total > done && status.job.state == JobState::kRunning
                ? static_cast<double>(status.job.total - done) / status.rate
                : 0;
    }
    return ok_status();
}

}  // namespace

Result<std::vector<PgJobStatus>> read_pg_job_status(std::string_view url,
                                                    std::string_view schema,
                                                    std::string_view job) {
    auto reader = detail::open_pg_reader(url, schema);
    if (!reader.ok()) {
        return reader.status();
    }
    PgConnection& connection = reader->connection;
    const detail::PgJobSql sql(reader->quoted_schema);
    const std::string job_filter(job);

    auto jobs = read_ranges(connection, sql, job_filter);
    if (!jobs.ok()) {
        return jobs.status();
    }
    if (!job.empty() && jobs->empty()) {
        return not_found_error(fmt::format(
            "PostgreSQL server {}: schema \"{}\" has no distributed job \"{}\"; `bulkscore "
            "status --pg URL` without --job lists them",
            connection.where(), schema, job));
    }
    BULKSCORE_RETURN_IF_ERROR(read_workers(connection, sql, job_filter, *jobs));
    BULKSCORE_RETURN_IF_ERROR(read_job_rows(connection, sql, *jobs));

    std::vector<PgJobStatus> statuses;
    statuses.reserve(jobs->size());
    for (auto& entry : *jobs) {
        statuses.push_back(std::move(entry.second));
    }
    return statuses;
}

}  // namespace bulkscore
