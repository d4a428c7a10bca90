// SPDX-License-Identifier: MIT
//
// `PgStore`: the PostgreSQL store, for runs that outgrow one machine. It has the tables and
// columns of the SQLite store (DESIGN.md, "SQLite store"), in a schema the user names, and the
// same contract: one `PgStore` writes one job, is both the run's `ResultSink` and its
// `CheckpointStore`, and commits a checkpoint interval's results, rejections and checkpoint in
// ONE transaction:
//
//     auto store = bulkscore::PgStore::open("postgresql://scorer@db.example/seo", "site");
//     bulkscore::BulkScorer engine(source, scorer, **store, **store);
//
// The read side (`read_pg_jobs`, `read_pg_top_scores`, `read_pg_rejections`) opens its own
// connection per call.
//
// Available when bulkscore is built with BULKSCORE_WITH_POSTGRES (the macro is then defined
// for users of the library too).
//
// Thread safety: a `PgStore` is used by one thread at a time (the engine's committer calls it,
// never concurrently). Any number of stores, in this process or others, on this machine or
// others, may share a database and a schema: PostgreSQL serialises their writes row by row.
// The read functions may be called from any thread.

#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/result_sink.hpp"
#include "bulkscore/sqlite_store.hpp"  // StoredScore, StoredRejection, TopQuery
#include "bulkscore/status.hpp"

namespace bulkscore {

/// The settings of a `PgStore`.
struct PgStoreOptions {
    /// The schema that holds `scores`, `rejections` and `jobs`; created with them when
    /// missing. Any name PostgreSQL accepts (it is quoted), not empty.
    std::string schema = "bulkscore";

    /// How long connecting may take before it fails with `unavailable`. >= 1 s.
    std::chrono::seconds connect_timeout{10};
};

/// The ResultSink and CheckpointStore of one job in one PostgreSQL schema.
///
/// Schema (created when missing, in one transaction under an advisory lock so that workers
/// starting together create it once; recognised by the comment on `jobs`):
/// `scores(id text PRIMARY KEY, url text, score double precision, potential_clicks double
/// precision, action text, upside .. link_need double precision, scorer_version text, job
/// text)`; `rejections(job text, ordinal bigint, line bigint, id text, field text, reason text,
/// message text)` with `line`, `id` and `field` NULL when absent and a unique index on `(job,
/// ordinal)`; `jobs(job text PRIMARY KEY, state, position_ordinal, position_byte_offset,
/// position_line, total, scored, rejected, input, input_fingerprint, config_fingerprint,
/// sink_state, started_at_ms, updated_at_ms, message)`.
///
/// Transactions: `write` begins one when none is open and streams the batch with `COPY` into
/// session-private staging tables; `flush` merges the staged rows into `scores` and
/// `rejections` (`INSERT ... SELECT ... ON CONFLICT DO UPDATE`, the later record of an id
/// winning) and returns `kSinkState`; `save` upserts the `jobs` row and commits. The
/// checkpoint and the results it covers become durable together or not at all: a connection
/// lost at any point, a killed process or a failed statement leaves the last committed
/// checkpoint and exactly its results.
///
/// Errors and retries: PostgreSQL aborts a transaction at its first error, so any failure
/// while results are uncommitted rolls them back, and the store then refuses writes and any
/// `save` past the last committed checkpoint until `restore` (code `failed_precondition` when
/// the cause was transient): the run fails with its last checkpoint intact and the next run
/// resumes from it. A failure with nothing uncommitted keeps its code; `unavailable` (a lost
/// connection, a deadlock, a timeout) may be retried, and the next call reconnects. A full
/// disk is `resource_exhausted`, a missing privilege `failed_precondition`; messages name the
/// server by its URL without the password.
///
/// Limitation: PostgreSQL text holds neither NUL bytes nor invalid UTF-8, so such bytes in
/// ids, URLs and rejection details are stored as U+FFFD. Two ids that differ only there are
/// stored as one.
///
/// Limitation: `id` is the primary key of the whole `scores` table (the schema contract), so
/// two jobs in one schema must score disjoint ids: a page scored by a second job moves to
/// that job's rows. Give each site its own schema.
class PgStore final : public ResultSink, public CheckpointStore {
public:
    /// What `flush` returns (not empty: an empty state means "start over" to `restore`).
    static constexpr std::string_view kSinkState = "postgres";

    /// Connects to `url` (`postgresql://USER:PASSWORD@HOST:PORT/DATABASE`, or libpq's
    /// `key=value` form) to write `job`'s results, creating the schema and tables when missing.
    ///
    /// Errors: `invalid_argument` for an empty job or schema or a malformed URL; `unavailable`
    /// when the server cannot be reached; `failed_precondition` when it refuses the user or a
    /// privilege is missing, or the schema holds a `jobs` table that bulkscore did not create;
    /// `not_found` when the database does not exist.
    static Result<std::unique_ptr<PgStore>> open(std::string_view url,
                                                 std::string job,
                                                 PgStoreOptions options = {});

    ~PgStore() override;

    /// Streams `batch`'s results and rejections (tagged with this store's job) into the open
    /// transaction, beginning one when needed. Renders rows into one reused buffer.
    Status write(const ScoredBatch& batch) override;

    /// Merges the written rows into the tables, inside the open transaction; returns
    /// `kSinkState`.
    Result<std::string> flush() override;

    /// Rolls back anything uncommitted. A non-empty `sink_state` (a resume) keeps what is
    /// committed; an empty one (start over) deletes this job's scores, rejections and
    /// checkpoint in one transaction. Errors: `failed_precondition` for a state another sink
    /// produced.
    Status restore(std::string_view sink_state) override;

    Result<std::optional<Checkpoint>> load(std::string_view job) override;

    /// Upserts the checkpoint's `jobs` row and commits it together with every result written
    /// since the last commit. Requires `checkpoint.job` to be this store's job.
    Status save(const Checkpoint& checkpoint) override;

    /// Deletes `job`'s checkpoint row (its results stay until `restore("")` or a new run).
    Status discard(std::string_view job) override;

    /// The server, as its URL without the password.
    const std::string& where() const noexcept;

    /// The job this store writes.
    const std::string& job() const noexcept;

private:
    class Impl;
    explicit PgStore(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

/// Every job's checkpoint in `schema`, ordered by job name.
///
/// Errors: as `PgStore::open`'s connection errors; `not_found` when the schema has no
/// bulkscore tables.
Result<std::vector<Checkpoint>> read_pg_jobs(std::string_view url, std::string_view schema);

/// The best scores: ordered by score descending, then id ascending, filtered by `query`.
/// Errors: as `read_pg_jobs`.
Result<std::vector<StoredScore>> read_pg_top_scores(std::string_view url,
                                                    std::string_view schema,
                                                    const TopQuery& query);

/// `job`'s first `limit` rejections in input order. Errors: as `read_pg_jobs`.
Result<std::vector<StoredRejection>> read_pg_rejections(std::string_view url,
                                                        std::string_view schema,
                                                        std::string_view job,
                                                        std::size_t limit);

}  // namespace bulkscore
