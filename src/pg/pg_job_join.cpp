// SPDX-License-Identifier: MIT
//
// Starting a worker of a distributed job (pg_worker_impl.hpp): its settings, its connections,
// and joining the job: under the job's advisory lock, the first worker (or one with `restart`)
// splits the input into ranges and records the job; any other checks that it brings the job's
// input and scorer, and reopens a failed job's ranges set aside.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "bulkscore/logging.hpp"

#include "pg/pg_rows.hpp"
#include "pg/pg_schema.hpp"
#include "pg/pg_worker_impl.hpp"
#include <unistd.h>

namespace bulkscore {
namespace {

using detail::PgConnection;

// "BSJB": the first key of the advisory lock under which a job is split or joined.
constexpr std::int32_t kJobLockKey = 0x42534A42;

// Ranges sent per COPY while splitting, so that a tiny range size does not hold every range's
// line in memory at once.
constexpr std::size_t kRangesPerCopy = 10'000;

// Records read per call while splitting.
constexpr std::size_t kSplitReadRecords = 4096;

std::string default_worker_name() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
        std::snprintf(host, sizeof host, "localhost");
    }
    return fmt::format("{}:{}", host, static_cast<long>(getpid()));
}

}  // namespace

PgWorker::Impl::Impl(std::string url, JobSpec job, PgWorkerOptions options)
    : url_(std::move(url)), job_(std::move(job)), options_(std::move(options)) {
    if (options_.worker_name.empty()) {
        options_.worker_name = default_worker_name();
    }
}

Status PgWorker::Impl::validate() const {
    if (job_.job.empty()) {
        return invalid_argument_error("a distributed run needs a job name; name the job");
    }
    if (detail::valid_pg_text(job_.job) != job_.job) {
        return invalid_argument_error(
            "the job name is not valid UTF-8 text; name the job in UTF-8 without NUL bytes");
    }
    if (options_.schema.empty()) {
        return invalid_argument_error("the schema name is empty; name a schema");
    }
    if (options_.range_records == 0) {
        return invalid_argument_error("the range size must be at least 1 record");
    }
    if (options_.lease.count() < 1) {
        return invalid_argument_error("the lease must be at least 1 second");
    }
    if (options_.max_attempts == 0) {
        return invalid_argument_error("the attempts per range must be at least 1");
    }
    BulkScorerOptions engine = options_.engine;
    engine.count_total = false;
    return engine.validate();
}

Status PgWorker::Impl::connect() {
    auto control = PgConnection::open(url_, options_.connect_timeout);
    if (!control.ok()) {
        return control.status();
    }
    auto quoted = control->quote_identifier(options_.schema);
    if (!quoted.ok()) {
        return quoted.status();
    }
    BULKSCORE_RETURN_IF_ERROR(detail::ensure_pg_schema(*control, *quoted, options_.schema));
    auto work = PgConnection::open(url_, options_.connect_timeout);
    if (!work.ok()) {
        return work.status();
    }
    BULKSCORE_RETURN_IF_ERROR(
        work->exec(detail::kPgCreateStaging, "creating the session's staging tables"));
    control_.emplace(std::move(control).value());
    work_.emplace(std::move(work).value());
    sql_.emplace(*quoted);
    return ok_status();
}

Status PgWorker::Impl::reconnect_if_broken() {
    if (control_->broken()) {
        logger()->warn("worker reconnecting control connection server={} job={}", control_->where(),
                       job_.job);
        BULKSCORE_RETURN_IF_ERROR(control_->reconnect());
    }
    if (work_->broken()) {
        logger()->warn("worker reconnecting work connection server={} job={}", work_->where(),
                       job_.job);
        BULKSCORE_RETURN_IF_ERROR(work_->reconnect());
        BULKSCORE_RETURN_IF_ERROR(
            work_->exec(detail::kPgCreateStaging, "creating the session's staging tables"));
    }
    return ok_status();
}

Status PgWorker::Impl::in_transaction(const std::function<Status()>& body, std::string_view doing) {
    BULKSCORE_RETURN_IF_ERROR(control_->exec("BEGIN", doing));
    Status status = body();
    if (status.ok()) {
        auto committed = control_->query("COMMIT", {}, doing);
        status = committed.status();
        if (status.ok() && std::string_view(PQcmdStatus(committed->get())) != "COMMIT") {
            status = internal_error(
                fmt::format("PostgreSQL server {}: {} was rolled back", control_->where(), doing));
        }
    }
    if (!status.ok() && !control_->broken() && control_->in_transaction()) {
        (void)control_->exec("ROLLBACK", "rolling back");
    }
    return status;
}

// Joining a job: under the job's advisory lock, either split the input (the first worker, or
// `restart`) or check that this worker brings the job's input and scorer configuration.
Status PgWorker::Impl::prepare_job(NodeSource& source, const std::string& scorer_fingerprint) {
    return in_transaction(
        [&]() -> Status {
            const std::string lock_key = fmt::format("{}/{}", options_.schema, job_.job);
            const char* const lock_params[] = {lock_key.c_str()};
            const std::string lock_sql =
                fmt::format("SELECT pg_advisory_xact_lock({}, hashtext($1))", kJobLockKey);
            BULKSCORE_RETURN_IF_ERROR(
                control_->query(lock_sql.c_str(), lock_params, "locking the job").status());
            if (job_.restart) {
                BULKSCORE_RETURN_IF_ERROR(delete_job_rows());
            }

            const char* const params[] = {job_.job.c_str()};
            auto ranges =
                control_->query(sql_->count_ranges.c_str(), params, "looking for the job's ranges");
            if (!ranges.ok()) {
                return ranges.status();
            }
            auto existing =
                control_->query(sql_->select_job.c_str(), params, "looking for the job");
            if (!existing.ok()) {
                return existing.status();
            }
            const bool has_ranges = detail::pg_unsigned_at(ranges->get(), 0, 0) > 0;
            const bool has_job = PQntuples(existing->get()) > 0;
            if (has_job && !has_ranges) {
                return failed_precondition_error(fmt::format(
                    "PostgreSQL server {}: job \"{}\" in schema \"{}\" was scored by a single "
                    "process, not split into ranges; name another job, or run with --restart "
                    "to score it again as a distributed job",
                    control_->where(), job_.job, options_.schema));
            }
            if (!has_job) {
                return split(source, scorer_fingerprint);
            }
            auto checkpoint = detail::pg_checkpoint_from_row(existing->get(), 0, *control_);
            if (!checkpoint.ok()) {
                return checkpoint.status();
            }
            return check_joined(*checkpoint, scorer_fingerprint);
        },
        "preparing the distributed job");
}

Status PgWorker::Impl::check_joined(const Checkpoint& existing,
                                    const std::string& scorer_fingerprint) {
    if (existing.input_fingerprint != job_.input_fingerprint) {
        return failed_precondition_error(fmt::format(
            "job \"{}\" was split from input {} ({}), and this worker reads {} ({}): every "
            "worker must read the same, unchanged input; point it at the same file, or start "
            "the job over with --restart once the other workers are stopped",
            job_.job, existing.input, existing.input_fingerprint, job_.input,
            job_.input_fingerprint));
    }
    if (existing.config_fingerprint != scorer_fingerprint) {
        return failed_precondition_error(fmt::format(
            "job \"{}\" is scored with another scorer configuration than this worker's (a "
            "different scorer version, CTR curve, weights or constants); give every worker the "
            "same --config, or start the job over with --restart once the other workers are "
            "stopped",
            job_.job));
    }
    summary_.job_total = existing.total;
    if (existing.state == JobState::kFinished) {
        summary_.already_finished = true;
        summary_.state = JobState::kFinished;
        summary_.job_done = existing.scored + existing.rejected;
        return ok_status();
    }
    if (existing.state == JobState::kFailed) {
        // A new worker on a failed job is a retry: the ranges set aside get their attempts back.
        const char* const params[] = {job_.job.c_str()};
        BULKSCORE_RETURN_IF_ERROR(
            control_
                ->query(sql_->reopen_set_aside.c_str(), params, "reopening the ranges set aside")
                .status());
        const std::string now = std::to_string(unix_ms_now());
        const char* const state_params[] = {job_.job.c_str(), "running", "", now.c_str()};
        BULKSCORE_RETURN_IF_ERROR(
            control_->query(sql_->finish_job.c_str(), state_params, "reopening the job").status());
        logger()->info("distributed job reopened job={} worker={}", job_.job, options_.worker_name);
    }
    return ok_status();
}

Status PgWorker::Impl::delete_job_rows() {
    const char* const params[] = {job_.job.c_str()};
    for (const std::string* sql : {&sql_->delete_ranges, &sql_->delete_scores,
                                   &sql_->delete_rejections, &sql_->delete_job}) {
        BULKSCORE_RETURN_IF_ERROR(
            control_->query(sql->c_str(), params, "deleting the job's earlier results").status());
    }
    logger()->info("distributed job restarted job={} worker={}", job_.job, options_.worker_name);
    return ok_status();
}

// Reads the input once, noting where every `range_records`-th record starts, and writes the
// ranges and the job's row. Memory: one read batch and at most `kRangesPerCopy` range lines.
Status PgWorker::Impl::split(NodeSource& source, const std::string& scorer_fingerprint) {
    const auto split_started = std::chrono::steady_clock::now();
    const SourcePosition beginning = source.position();
    const std::string& job = job_.job;
    std::string lines;
    std::size_t lines_pending = 0;
    std::uint64_t ranges = 0;
    const auto add_range = [&](const SourcePosition& start, std::uint64_t end) -> Status {
        fmt::format_to(std::back_inserter(lines), "{}\t{}\t{}\t{}\t{}\t{}\n", job, ranges,
                       start.ordinal, end, start.byte_offset, start.line);
        ++ranges;
        if (++lines_pending == kRangesPerCopy) {
            BULKSCORE_RETURN_IF_ERROR(
                control_->copy_in(sql_->copy_ranges.c_str(), lines, "writing the ranges"));
            lines.clear();
            lines_pending = 0;
        }
        return ok_status();
    };
    if (detail::valid_pg_text(job).find_first_of("\t\n\r\\") != std::string::npos) {
        return invalid_argument_error(fmt::format(
            "the job name \"{}\" holds a tab, a line break or a backslash; name the job "
            "without them",
            job));
    }

    NodeBatch batch;
    SourcePosition range_start = beginning;
    std::uint64_t in_range = 0;
    while (true) {
        const std::uint64_t room = options_.range_records - in_range;
        BULKSCORE_RETURN_IF_ERROR(source.read(
            batch, static_cast<std::size_t>(std::min<std::uint64_t>(room, kSplitReadRecords))));
        if (batch.record_count == 0) {
            break;
        }
        in_range += batch.record_count;
        if (in_range == options_.range_records) {
            BULKSCORE_RETURN_IF_ERROR(add_range(range_start, batch.end.ordinal));
            range_start = batch.end;
            in_range = 0;
        }
        if (cancelled_.load()) {
            return cancelled_error("cancelled while splitting the input");
        }
    }
    if (in_range > 0) {
        BULKSCORE_RETURN_IF_ERROR(add_range(range_start, range_start.ordinal + in_range));
    }
    if (lines_pending > 0) {
        BULKSCORE_RETURN_IF_ERROR(
            control_->copy_in(sql_->copy_ranges.c_str(), lines, "writing the ranges"));
    }
    const std::uint64_t total = source.position().ordinal - beginning.ordinal;
    BULKSCORE_RETURN_IF_ERROR(source.seek(beginning));

    const std::string total_text = std::to_string(total);
    const std::string input = detail::valid_pg_text(job_.input);
    const std::string input_fingerprint = detail::valid_pg_text(job_.input_fingerprint);
    const std::string config_fingerprint = detail::valid_pg_text(scorer_fingerprint);
    const std::string now = std::to_string(unix_ms_now());
    const char* const params[] = {job.c_str(),
                                  total_text.c_str(),
                                  input.c_str(),
                                  input_fingerprint.c_str(),
                                  config_fingerprint.c_str(),
                                  now.c_str()};
    BULKSCORE_RETURN_IF_ERROR(
        control_->query(sql_->insert_job.c_str(), params, "recording the job").status());
    summary_.split_input = true;
    summary_.job_total = total;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - split_started).count();
    logger()->info(
        "distributed job split job={} worker={} records={} ranges={} range_records={} "
        "seconds={:.2f}",
        job, options_.worker_name, total, ranges, options_.range_records, seconds);
    return ok_status();
}

}  // namespace bulkscore
