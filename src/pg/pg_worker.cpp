// SPDX-License-Identifier: MIT
//
// `PgWorker` (see pg_job.hpp). Layout: the worker's connections and its start (splitting the
// input once, or joining the job), the claim loop, one range through the engine, the job's end.
//
// Two connections: `control` (autocommit: claims, lease renewals, releases, the tally) and
// `work` (the open transaction of the range being scored). Renewals therefore never wait for
// the range's rows, and the range's row is not locked while it is scored, so that a takeover
// after an expired lease is possible at any time; the commit's fence settles who counts.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <boost/signals2/signal.hpp>
#include <fmt/format.h>

#include "bulkscore/logging.hpp"
#include "bulkscore/pg_job.hpp"

#include "pg/pg_connection.hpp"
#include "pg/pg_job_sql.hpp"
#include "pg/pg_range_store.hpp"
#include "pg/pg_rows.hpp"
#include "pg/pg_schema.hpp"
#include "sources/bounded_source.hpp"
#include <unistd.h>

namespace bulkscore {
namespace {

using detail::PgConnection;
using detail::PgRangeClaim;
using detail::PgResult;

// "BSJB": the first key of the advisory lock under which a job is split or joined.
constexpr std::int32_t kJobLockKey = 0x42534A42;

// Ranges sent per COPY while splitting, so that a tiny range size does not hold every range's
// line in memory at once.
constexpr std::size_t kRangesPerCopy = 10'000;

// Records read per call while splitting.
constexpr std::size_t kSplitReadRecords = 4096;

// Reconnections in a row before a lost server ends the worker.
constexpr int kReconnectAttempts = 5;

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string default_worker_name() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
        std::snprintf(host, sizeof host, "localhost");
    }
    return fmt::format("{}:{}", host, static_cast<long>(getpid()));
}

std::uint64_t unsigned_at(const PGresult* result, int row, int column) {
    if (PQgetisnull(result, row, column)) {
        return 0;
    }
    return std::strtoull(PQgetvalue(result, row, column), nullptr, 10);
}

std::string text_at(const PGresult* result, int row, int column) {
    return std::string(PQgetvalue(result, row, column),
                       static_cast<std::size_t>(PQgetlength(result, row, column)));
}

// How many ranges of the job are in which state right now.
struct Tally {
    std::uint64_t leased = 0;
    std::uint64_t claimable = 0;
    std::uint64_t set_aside = 0;
    std::string first_reason;
};

// The job's counts, for job-wide progress.
struct JobCounts {
    std::uint64_t total = 0;
    std::uint64_t scored = 0;
    std::uint64_t rejected = 0;
};

}  // namespace

class PgWorker::Impl {
public:
    Impl(std::string url, JobSpec job, PgWorkerOptions options)
        : url_(std::move(url)), job_(std::move(job)), options_(std::move(options)) {
        if (options_.worker_name.empty()) {
            options_.worker_name = default_worker_name();
        }
    }

    template <class AnyScorer>
    Result<PgWorkerSummary> run(NodeSource& source, AnyScorer& scorer);

    void cancel() noexcept {
        cancelled_.store(true);
        {
            const std::lock_guard lock(engine_mutex_);
            if (engine_ != nullptr) {
                engine_->cancel();
            }
        }
        idle_.notify_all();
    }

    boost::signals2::signal<void(const ProgressEvent&)> progress;

private:
    Status validate() const;
    Status connect();
    Status reconnect_if_broken();
    Status prepare_job(NodeSource& source, const std::string& scorer_fingerprint);
    Status check_joined(const Checkpoint& existing, const std::string& scorer_fingerprint);
    Status split(NodeSource& source, const std::string& scorer_fingerprint);
    Status delete_job_rows();
    Result<std::optional<PgRangeClaim>> claim();
    Result<Tally> tally();
    Result<JobCounts> job_counts();
    Status set_aside(const PgRangeClaim& claim, const std::string& reason);
    void release(const PgRangeClaim& claim, const std::string* error);
    template <class AnyScorer>
    Status score_range(NodeSource& source, AnyScorer& scorer, const PgRangeClaim& claim);
    void forward(const ProgressEvent& event);
    void emit_final();
    Status finish_job(const Tally& ranges);
    bool wait_idle();
    Status in_transaction(const std::function<Status()>& body, std::string_view doing);

    std::string url_;
    JobSpec job_;
    PgWorkerOptions options_;

    std::optional<PgConnection> control_;
    std::optional<PgConnection> work_;
    std::optional<detail::PgJobSql> sql_;

    PgWorkerSummary summary_;
    std::chrono::steady_clock::time_point started_;
    std::uint32_t failures_in_a_row_ = 0;  // Distinct ranges failed since the last success.
    std::int64_t last_failed_range_ = -1;
    std::uint64_t first_done_ = 0;  // The job's records done when this worker started.

    // Job-wide progress: the job's counts when the range in hand was claimed.
    JobCounts base_;
    std::uint64_t retries_before_range_ = 0;
    std::uint64_t range_retries_ = 0;
    bool started_event_sent_ = false;

    std::atomic<bool> cancelled_{false};
    std::mutex engine_mutex_;
    BulkScorer* engine_ = nullptr;  // The engine of the range in hand, for `cancel`.
    std::condition_variable idle_;
};

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
            const bool has_ranges = unsigned_at(ranges->get(), 0, 0) > 0;
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

Result<std::optional<PgRangeClaim>> PgWorker::Impl::claim() {
    const std::string lease = std::to_string(options_.lease.count());
    const char* const params[] = {job_.job.c_str(), options_.worker_name.c_str(), lease.c_str()};
    auto result = control_->query(sql_->claim.c_str(), params, "claiming a range");
    if (!result.ok()) {
        return result.status();
    }
    if (PQntuples(result->get()) == 0) {
        return std::optional<PgRangeClaim>();
    }
    const PGresult* row = result->get();
    PgRangeClaim claim;
    claim.range_no = static_cast<std::int64_t>(unsigned_at(row, 0, 0));
    claim.start.ordinal = unsigned_at(row, 0, 1);
    claim.end_ordinal = unsigned_at(row, 0, 2);
    claim.start.byte_offset = unsigned_at(row, 0, 3);
    claim.start.line = unsigned_at(row, 0, 4);
    claim.lease_token = text_at(row, 0, 5);
    claim.attempts = static_cast<std::uint32_t>(unsigned_at(row, 0, 6));
    return std::optional<PgRangeClaim>(std::move(claim));
}

Result<Tally> PgWorker::Impl::tally() {
    const char* const params[] = {job_.job.c_str()};
    auto result = control_->query(sql_->tally.c_str(), params, "reading the job's ranges");
    if (!result.ok()) {
        return result.status();
    }
    Tally counts;
    counts.leased = unsigned_at(result->get(), 0, 0);
    counts.claimable = unsigned_at(result->get(), 0, 1);
    counts.set_aside = unsigned_at(result->get(), 0, 2);
    counts.first_reason = text_at(result->get(), 0, 3);
    return counts;
}

Result<JobCounts> PgWorker::Impl::job_counts() {
    const char* const params[] = {job_.job.c_str()};
    auto result = control_->query(sql_->select_job.c_str(), params, "reading the job's counts");
    if (!result.ok()) {
        return result.status();
    }
    if (PQntuples(result->get()) == 0) {
        return not_found_error(
            fmt::format("PostgreSQL server {}: job \"{}\" disappeared (another worker ran it with "
                        "--restart?)",
                        control_->where(), job_.job));
    }
    auto checkpoint = detail::pg_checkpoint_from_row(result->get(), 0, *control_);
    if (!checkpoint.ok()) {
        return checkpoint.status();
    }
    return JobCounts{checkpoint->total, checkpoint->scored, checkpoint->rejected};
}

Status PgWorker::Impl::set_aside(const PgRangeClaim& claim, const std::string& reason) {
    const std::string range = std::to_string(claim.range_no);
    const char* const params[] = {job_.job.c_str(), range.c_str(), claim.lease_token.c_str(),
                                  reason.c_str()};
    logger()->warn("range set aside job={} range={} reason={}", job_.job, claim.range_no, reason);
    return control_->query(sql_->set_aside.c_str(), params, "setting a range aside").status();
}

// Gives the range back: after an error (counted, and set aside at the last attempt), or after
// a cancellation (`error` null: the attempt is given back). Best effort: if it fails, the lease
// simply expires.
void PgWorker::Impl::release(const PgRangeClaim& claim, const std::string* error) {
    if (reconnect_if_broken().ok()) {
        const std::string range = std::to_string(claim.range_no);
        const std::string max_attempts = std::to_string(options_.max_attempts);
        const std::string reason = error != nullptr ? detail::valid_pg_text(*error) : "";
        const char* const params[] = {job_.job.c_str(), range.c_str(), claim.lease_token.c_str(),
                                      max_attempts.c_str(),
                                      error != nullptr ? reason.c_str() : nullptr};
        Status status =
            control_->query(sql_->release.c_str(), params, "giving the range back").status();
        if (status.ok()) {
            return;
        }
        logger()->warn("range release failed job={} range={}: {}", job_.job, claim.range_no,
                       status.message());
    }
}

void PgWorker::Impl::forward(const ProgressEvent& event) {
    ProgressEvent out = event;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    out.phase = event.phase == ProgressPhase::kRetrying ? ProgressPhase::kRetrying
                : started_event_sent_                   ? ProgressPhase::kRunning
                                                        : ProgressPhase::kStarted;
    started_event_sent_ = true;
    out.total = base_.total;
    out.scored = base_.scored + event.scored;
    out.rejected = base_.rejected + event.rejected;
    out.done = out.scored + out.rejected;
    out.committed = base_.scored + base_.rejected;
    out.percent =
        out.total > 0 ? 100.0 * static_cast<double>(out.done) / static_cast<double>(out.total) : 0;
    const std::uint64_t mine = summary_.scored + summary_.rejected + event.done;
    out.rate = elapsed > 0 ? static_cast<double>(mine) / elapsed : 0;
    // The job's rate: what every worker did since this one started, as far as it has seen.
    const double job_rate =
        elapsed > 0 ? static_cast<double>(out.done - std::min(out.done, first_done_)) / elapsed : 0;
    const double rate = std::max(out.rate, job_rate);
    out.eta_s =
        rate > 0 && out.total > out.done ? static_cast<double>(out.total - out.done) / rate : 0;
    out.elapsed_s = elapsed;
    range_retries_ = event.retries;
    out.retries = retries_before_range_ + event.retries;
    progress(out);
}

void PgWorker::Impl::emit_final() {
    ProgressEvent out;
    switch (summary_.state) {
        case JobState::kFinished:
            out.phase = ProgressPhase::kFinished;
            break;
        case JobState::kCancelled:
            out.phase = ProgressPhase::kCancelled;
            break;
        default:
            out.phase = ProgressPhase::kFailed;
    }
    out.total = summary_.job_total;
    out.done = summary_.job_done;
    out.committed = summary_.job_done;
    out.scored = base_.scored;
    out.rejected = base_.rejected;
    out.percent =
        out.total > 0 ? 100.0 * static_cast<double>(out.done) / static_cast<double>(out.total) : 0;
    out.elapsed_s = summary_.elapsed_s;
    out.retries = retries_before_range_;
    progress(out);
}

template <class AnyScorer>
Status PgWorker::Impl::score_range(NodeSource& source,
                                   AnyScorer& scorer,
                                   const PgRangeClaim& claim) {
    auto counts = job_counts();
    if (!counts.ok()) {
        release(claim, nullptr);
        return counts.status();
    }
    base_ = *counts;

    std::string error;
    auto bounded = detail::BoundedSource::open(source, claim.start, claim.end_ordinal);
    if (!bounded.ok()) {
        error = std::string(bounded.status().message());
    } else {
        detail::PgRangeStore store(*work_, *control_, *sql_, job_.job, claim, options_.lease);
        BulkScorerOptions engine_options = options_.engine;
        engine_options.count_total = false;
        engine_options.checkpoint_interval = std::min<std::chrono::milliseconds>(
            engine_options.checkpoint_interval, std::chrono::milliseconds(options_.lease) / 3);
        BulkScorer engine(**bounded, scorer, store, store, engine_options);
        const auto connection = engine.on_progress([this](const ProgressEvent& e) { forward(e); });
        {
            const std::lock_guard lock(engine_mutex_);
            engine_ = &engine;
            if (cancelled_.load()) {
                engine.cancel();
            }
        }
        JobSpec spec = job_;
        spec.restart = false;
        Result<RunSummary> ran = engine.run(spec);
        {
            const std::lock_guard lock(engine_mutex_);
            engine_ = nullptr;
        }
        retries_before_range_ += range_retries_;
        range_retries_ = 0;
        store.roll_back();

        if (store.committed()) {
            ++summary_.ranges_done;
            summary_.scored += ran->scored;
            summary_.rejected += ran->rejected;
            failures_in_a_row_ = 0;
            last_failed_range_ = -1;
            logger()->debug("range done job={} range={} scored={} rejected={}", job_.job,
                            claim.range_no, ran->scored, ran->rejected);
            return ok_status();
        }
        if (store.lease_lost()) {
            ++summary_.ranges_lost;
            logger()->warn("range lost to another worker job={} range={} worker={}", job_.job,
                           claim.range_no, options_.worker_name);
            return ok_status();
        }
        if (ran.ok() && ran->state == JobState::kCancelled) {
            release(claim, nullptr);
            return ok_status();
        }
        error = std::string(ran.ok() ? ran->error.message() : ran.status().message());
    }

    ++summary_.ranges_failed;
    // Failures of one range again and again are the range's (it is set aside); failures of one
    // range after another are this worker's (its input or scorer), and stop it.
    if (claim.range_no != last_failed_range_) {
        ++failures_in_a_row_;
    }
    last_failed_range_ = claim.range_no;
    const std::string reason =
        fmt::format("attempt {} by {}: {}", claim.attempts, options_.worker_name, error);
    logger()->warn("range failed job={} range={} {}", job_.job, claim.range_no, reason);
    release(claim, &reason);
    if (failures_in_a_row_ >= options_.max_attempts) {
        return internal_error(fmt::format(
            "this worker failed on {} different ranges in a row, the last with: {}; it stops, "
            "the other workers go on",
            failures_in_a_row_, error));
    }
    return ok_status();
}

Status PgWorker::Impl::finish_job(const Tally& ranges) {
    const bool failed = ranges.set_aside > 0;
    const std::string message = failed ? fmt::format("{} range(s) set aside; the first: {}",
                                                     ranges.set_aside, ranges.first_reason)
                                       : std::string();
    const std::string now = std::to_string(unix_ms_now());
    const char* const params[] = {job_.job.c_str(), failed ? "failed" : "finished", message.c_str(),
                                  now.c_str()};
    BULKSCORE_RETURN_IF_ERROR(
        control_->query(sql_->finish_job.c_str(), params, "ending the job").status());
    summary_.job_set_aside = ranges.set_aside;
    if (failed) {
        summary_.state = JobState::kFailed;
        summary_.error = failed_precondition_error(
            fmt::format("job \"{}\": {}; fix the cause and run a worker again to retry them",
                        job_.job, message));
    } else {
        summary_.state = JobState::kFinished;
    }
    return ok_status();
}

// Waits `idle_poll` or until cancelled; false when cancelled.
bool PgWorker::Impl::wait_idle() {
    std::unique_lock lock(engine_mutex_);
    idle_.wait_for(lock, options_.idle_poll, [this] { return cancelled_.load(); });
    return !cancelled_.load();
}

template <class AnyScorer>
Result<PgWorkerSummary> PgWorker::Impl::run(NodeSource& source, AnyScorer& scorer) {
    started_ = std::chrono::steady_clock::now();
    BULKSCORE_RETURN_IF_ERROR(validate());
    BULKSCORE_RETURN_IF_ERROR(connect());
    const std::string scorer_fingerprint = scorer.fingerprint();
    BULKSCORE_RETURN_IF_ERROR(prepare_job(source, scorer_fingerprint));
    logger()->info("distributed worker started job={} worker={} server={} schema={}", job_.job,
                   options_.worker_name, control_->where(), options_.schema);
    if (summary_.already_finished) {
        return summary_;
    }
    if (auto counts = job_counts(); counts.ok()) {
        base_ = *counts;
        first_done_ = base_.scored + base_.rejected;
    }

    int reconnects = 0;
    Status stopped;
    while (summary_.state == JobState::kRunning) {
        if (cancelled_.load()) {
            summary_.state = JobState::kCancelled;
            break;
        }
        Status step = reconnect_if_broken();
        std::optional<PgRangeClaim> claimed;
        if (step.ok()) {
            auto next = claim();
            step = next.status();
            if (next.ok()) {
                claimed = std::move(*next);
            }
        }
        if (step.ok() && claimed && claimed->attempts > options_.max_attempts) {
            step = set_aside(*claimed,
                             fmt::format("claimed {} times without a commit: its workers "
                                         "stopped renewing the {} s lease (killed, or slower "
                                         "than the lease)",
                                         claimed->attempts - 1, options_.lease.count()));
        } else if (step.ok() && claimed) {
            step = score_range(source, scorer, *claimed);
        } else if (step.ok()) {
            auto ranges = tally();
            step = ranges.status();
            if (ranges.ok() && ranges->claimable == 0 && ranges->leased == 0) {
                step = finish_job(*ranges);
            } else if (ranges.ok() && ranges->claimable == 0 && !wait_idle()) {
                summary_.state = JobState::kCancelled;
            }
        }
        if (step.ok()) {
            reconnects = 0;
            continue;
        }
        if (step.code() == StatusCode::kUnavailable && ++reconnects <= kReconnectAttempts) {
            logger()->warn("worker lost the server, retrying job={} worker={} attempt={}: {}",
                           job_.job, options_.worker_name, reconnects, step.message());
            std::this_thread::sleep_for(std::chrono::seconds(1));
            continue;
        }
        summary_.state = JobState::kFailed;
        summary_.error = std::move(step);
    }

    if (auto counts = job_counts(); counts.ok()) {
        base_ = *counts;
        summary_.job_done = counts->scored + counts->rejected;
        summary_.job_total = counts->total;
    }
    summary_.elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    emit_final();
    logger()->info(
        "distributed worker ended job={} worker={} state={} ranges_done={} ranges_lost={} "
        "ranges_failed={} scored={} rejected={} job_done={} job_total={} seconds={:.1f}",
        job_.job, options_.worker_name, to_string(summary_.state), summary_.ranges_done,
        summary_.ranges_lost, summary_.ranges_failed, summary_.scored, summary_.rejected,
        summary_.job_done, summary_.job_total, summary_.elapsed_s);
    return summary_;
}

PgWorker::PgWorker(std::string url, JobSpec job, PgWorkerOptions options)
    : impl_(std::make_unique<Impl>(std::move(url), std::move(job), std::move(options))) {}

PgWorker::~PgWorker() = default;

boost::signals2::connection PgWorker::on_progress(
    std::function<void(const ProgressEvent&)> observer) {
    return impl_->progress.connect(std::move(observer));
}

Result<PgWorkerSummary> PgWorker::run(NodeSource& source, const Scorer& scorer) {
    return impl_->run(source, scorer);
}

Result<PgWorkerSummary> PgWorker::run(NodeSource& source, AsyncScorer& scorer) {
    return impl_->run(source, scorer);
}

void PgWorker::cancel() noexcept {
    impl_->cancel();
}

}  // namespace bulkscore
