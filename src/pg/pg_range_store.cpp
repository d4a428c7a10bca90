// SPDX-License-Identifier: MIT
//
// `PgRangeStore` (see pg_range_store.hpp).

#include "pg/pg_range_store.hpp"

#include <string>

#include <fmt/format.h>

#include "bulkscore/logging.hpp"

#include "pg/pg_rows.hpp"

namespace bulkscore::detail {
namespace {

// Whether an UPDATE changed exactly one row.
bool changed_one_row(const PgResult& result) {
    return std::string_view(PQcmdTuples(result.get())) == "1";
}

}  // namespace

PgRangeStore::PgRangeStore(PgConnection& work,
                           PgConnection& control,
                           const PgJobSql& sql,
                           const std::string& job,
                           const PgRangeClaim& claim,
                           std::chrono::seconds lease)
    : work_(work),
      control_(control),
      sql_(sql),
      job_(job),
      claim_(claim),
      lease_(lease),
      lease_seconds_(std::to_string(lease.count())),
      renewed_at_(std::chrono::steady_clock::now()) {}

Status PgRangeStore::lost_error() const {
    return failed_precondition_error(fmt::format(
        "job \"{}\": range {} was taken over by another worker after this worker's lease ran "
        "out ({} s without a renewal); its results here were rolled back, the other worker's "
        "count",
        job_, claim_.range_no, lease_.count()));
}

Status PgRangeStore::renew_if_due() {
    if (lease_lost_) {
        return lost_error();
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - renewed_at_ < std::chrono::milliseconds(lease_) / 3) {
        return ok_status();
    }
    const std::string range = std::to_string(claim_.range_no);
    const char* const params[] = {job_.c_str(), range.c_str(), claim_.lease_token.c_str(),
                                  lease_seconds_.c_str()};
    auto result = control_.query(sql_.renew_lease.c_str(), params, "renewing the range's lease");
    if (!result.ok()) {
        return result.status();
    }
    if (!changed_one_row(*result)) {
        lease_lost_ = true;
        logger()->warn("range lease lost job={} range={} token={}", job_, claim_.range_no,
                       claim_.lease_token);
        return lost_error();
    }
    renewed_at_ = now;
    return ok_status();
}

// Any failure after the range's transaction began lost its rows, so the store refuses every
// later call: a retry must not commit the range without them. The worker gives the range back.
Status PgRangeStore::fail(Status status) {
    roll_back();
    if (broken_.ok()) {
        broken_ = failed_precondition_error(std::string(status.message()));
    }
    return status;
}

Status PgRangeStore::write(const ScoredBatch& batch) {
    if (!broken_.ok()) {
        return broken_;
    }
    if (Status renewed = renew_if_due(); !renewed.ok()) {
        return fail(std::move(renewed));
    }
    if (batch.results.empty() && batch.rejections.empty()) {
        return ok_status();
    }
    Status status = work_.in_transaction()
                        ? ok_status()
                        : work_.exec("BEGIN", "beginning the range's transaction");
    if (status.ok() && !batch.results.empty()) {
        copy_buffer_.clear();
        for (const ScoreResult& result : batch.results) {
            append_pg_result_row(copy_buffer_, result);
        }
        status = work_.copy_in(kPgCopyScores, copy_buffer_, "writing results");
    }
    if (status.ok() && !batch.rejections.empty()) {
        copy_buffer_.clear();
        for (const Rejection& rejection : batch.rejections) {
            append_pg_rejection_row(copy_buffer_, rejection);
        }
        status = work_.copy_in(kPgCopyRejections, copy_buffer_, "writing rejections");
    }
    return status.ok() ? status : fail(std::move(status));
}

Result<std::string> PgRangeStore::flush() {
    if (!broken_.ok()) {
        return broken_;
    }
    if (Status renewed = renew_if_due(); !renewed.ok()) {
        return fail(std::move(renewed));
    }
    return std::string("postgres-range");
}

Status PgRangeStore::restore(std::string_view /*sink_state*/) {
    roll_back();
    return ok_status();
}

Result<std::optional<Checkpoint>> PgRangeStore::load(std::string_view /*job*/) {
    return std::optional<Checkpoint>();
}

Status PgRangeStore::discard(std::string_view /*job*/) {
    return ok_status();
}

void PgRangeStore::roll_back() noexcept {
    if (!work_.broken() && work_.in_transaction()) {
        // A failing ROLLBACK leaves nothing to undo: the server has ended the transaction, or
        // the connection is gone and took it along.
        (void)work_.exec("ROLLBACK", "rolling back the range");
    }
}

Status PgRangeStore::save(const Checkpoint& checkpoint) {
    switch (checkpoint.state) {
        case JobState::kFinished:
            return commit_range(checkpoint);
        case JobState::kRunning:
            if (!broken_.ok()) {
                return broken_;
            }
            if (Status renewed = renew_if_due(); !renewed.ok()) {
                return fail(std::move(renewed));
            }
            return ok_status();
        default:
            roll_back();
            return ok_status();
    }
}

// One transaction: the fence first (it takes the range's row lock, so no claim can slip in
// between), then the rows, then the job's counts (the hot row, locked for the shortest time).
Status PgRangeStore::commit_range(const Checkpoint& checkpoint) {
    if (!broken_.ok()) {
        return broken_;
    }
    const std::string range = std::to_string(claim_.range_no);
    const std::string scored = std::to_string(checkpoint.scored);
    const std::string rejected = std::to_string(checkpoint.rejected);
    const std::string now_ms = std::to_string(unix_ms_now());

    Status status = work_.in_transaction()
                        ? ok_status()
                        : work_.exec("BEGIN", "beginning the range's transaction");
    if (status.ok()) {
        const char* const params[] = {job_.c_str(), range.c_str(), claim_.lease_token.c_str(),
                                      scored.c_str(), rejected.c_str()};
        auto marked = work_.query(sql_.mark_done.c_str(), params, "marking the range done");
        if (!marked.ok()) {
            status = marked.status();
        } else if (!changed_one_row(*marked)) {
            lease_lost_ = true;
            status = lost_error();
        }
    }
    const char* const job_param[] = {job_.c_str()};
    if (status.ok()) {
        status = work_.query(sql_.merge_scores.c_str(), job_param, "merging results").status();
    }
    if (status.ok()) {
        status =
            work_.query(sql_.merge_rejections.c_str(), job_param, "merging rejections").status();
    }
    if (status.ok()) {
        const char* const params[] = {job_.c_str(), scored.c_str(), rejected.c_str(),
                                      now_ms.c_str()};
        status =
            work_.query(sql_.add_to_job.c_str(), params, "counting the range in the job").status();
    }
    if (status.ok()) {
        auto committed = work_.query("COMMIT", {}, "committing the range");
        if (!committed.ok()) {
            status = committed.status();
        } else if (std::string_view(PQcmdStatus(committed->get())) != "COMMIT") {
            status = internal_error(fmt::format(
                "PostgreSQL server {}: the transaction of range {} of job \"{}\" was rolled "
                "back instead of committed",
                work_.where(), claim_.range_no, job_));
        }
    }
    if (!status.ok()) {
        return fail(std::move(status));
    }
    committed_ = true;
    return ok_status();
}

}  // namespace bulkscore::detail
