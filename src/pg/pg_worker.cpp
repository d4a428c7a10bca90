// SPDX-License-Identifier: MIT
//
// `PgWorker` (see pg_job.hpp and pg_worker_impl.hpp): the claim loop, one range through the
// engine, job-wide progress, and the job's end. Connecting and joining the job (the split) are
// in pg_job_join.cpp.

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
#include "pg/pg_worker_impl.hpp"
#include "sources/bounded_source.hpp"
#include <unistd.h>

namespace bulkscore {
namespace {

using detail::PgJobCounts;
using detail::PgRangeClaim;
using detail::PgRangeTally;

// Reconnections in a row before a lost server ends the worker.
constexpr int kReconnectAttempts = 5;

}  // namespace
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
    claim.range_no = static_cast<std::int64_t>(detail::pg_unsigned_at(row, 0, 0));
    claim.start.ordinal = detail::pg_unsigned_at(row, 0, 1);
    claim.end_ordinal = detail::pg_unsigned_at(row, 0, 2);
    claim.start.byte_offset = detail::pg_unsigned_at(row, 0, 3);
    claim.start.line = detail::pg_unsigned_at(row, 0, 4);
    claim.lease_token = detail::pg_text_at(row, 0, 5);
    claim.attempts = static_cast<std::uint32_t>(detail::pg_unsigned_at(row, 0, 6));
    return std::optional<PgRangeClaim>(std::move(claim));
}

Result<PgRangeTally> PgWorker::Impl::tally() {
    const char* const params[] = {job_.job.c_str()};
    auto result = control_->query(sql_->tally.c_str(), params, "reading the job's ranges");
    if (!result.ok()) {
        return result.status();
    }
    PgRangeTally counts;
    counts.leased = detail::pg_unsigned_at(result->get(), 0, 0);
    counts.claimable = detail::pg_unsigned_at(result->get(), 0, 1);
    counts.set_aside = detail::pg_unsigned_at(result->get(), 0, 2);
    counts.first_reason = detail::pg_text_at(result->get(), 0, 3);
    return counts;
}

Result<PgJobCounts> PgWorker::Impl::job_counts() {
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
    return PgJobCounts{checkpoint->total, checkpoint->scored, checkpoint->rejected};
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

Status PgWorker::Impl::finish_job(const PgRangeTally& ranges) {
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
