// SPDX-License-Identifier: MIT
//
// `PgRangeStore`: the sink and checkpoint store of the engine run that scores ONE claimed
// range of a distributed job (pg_job.hpp). Results and rejections stream with COPY into the
// session's staging tables inside one open transaction on the work connection; nothing reaches
// `scores` or `rejections` before the range commits. The lease is renewed on the control
// connection (autocommit, so that a renewal never waits for the range's transaction, and the
// range's row stays unlocked for a takeover) whenever a third of the lease has passed since the
// last renewal and the engine writes a batch or a checkpoint. The final checkpoint (state
// finished) commits the range: a fenced `UPDATE` of the range's row (its lease token and
// `pending` state), the merge of the staged rows, the job's counts, one `COMMIT`. If the token
// changed (another worker took the range over), everything rolls back and the save fails.
//
// Checkpoints: `load` finds none (a range is always scored from its start); a checkpoint of
// state cancelled or failed rolls the range back.
//
// Thread safety: used by the engine's committer, one call at a time.

#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/result_sink.hpp"
#include "bulkscore/source_position.hpp"
#include "bulkscore/status.hpp"

#include "pg/pg_connection.hpp"
#include "pg/pg_job_sql.hpp"

namespace bulkscore::detail {

class PgRangeStore final : public ResultSink, public CheckpointStore {
public:
    /// `work` holds the staging tables (`kPgCreateStaging` run on it) and no open transaction;
    /// `control` is autocommit. Both must outlive the store.
    PgRangeStore(PgConnection& work,
                 PgConnection& control,
                 const PgJobSql& sql,
                 const std::string& job,
                 const PgRangeClaim& claim,
                 std::chrono::seconds lease);

    Status write(const ScoredBatch& batch) override;
    Result<std::string> flush() override;
    Status restore(std::string_view sink_state) override;
    Result<std::optional<Checkpoint>> load(std::string_view job) override;
    Status save(const Checkpoint& checkpoint) override;
    Status discard(std::string_view job) override;

    /// The range's results and its done mark were committed.
    bool committed() const noexcept { return committed_; }

    /// Another worker holds the range now (or it is no longer pending).
    bool lease_lost() const noexcept { return lease_lost_; }

    /// Rolls back anything uncommitted on the work connection.
    void roll_back() noexcept;

private:
    Status renew_if_due();
    Status fail(Status status);
    Status commit_range(const Checkpoint& checkpoint);
    Status lost_error() const;

    PgConnection& work_;
    PgConnection& control_;
    const PgJobSql& sql_;
    const std::string& job_;
    PgRangeClaim claim_;
    std::chrono::seconds lease_;
    std::string lease_seconds_;
    std::chrono::steady_clock::time_point renewed_at_;
    std::string copy_buffer_;  // Reused for every batch's COPY text.
    Status broken_;  // Ok until a failure lost the range's rows; then every call returns it.
    bool committed_ = false;
    bool lease_lost_ = false;
};

}  // namespace bulkscore::detail
