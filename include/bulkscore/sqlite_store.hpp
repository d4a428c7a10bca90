// SPDX-License-Identifier: MIT
//
// `SqliteStore`: the embedded default store. One SQLite database file holds the results
// (`scores`), the rejections (`rejections`) and the checkpoints (`jobs`) of any number of jobs;
// one `SqliteStore` writes one job. It is both the `ResultSink` and the `CheckpointStore` of a
// run, and commits a checkpoint interval's results, rejections and checkpoint in ONE
// transaction, which is what makes DESIGN.md's "exactly once" hold for it:
//
//     auto store = bulkscore::SqliteStore::open("site.db", "site");
//     bulkscore::BulkScorer engine(source, scorer, **store, **store);
//
// The read side (`read_jobs`, `read_top_scores`, `read_rejections`) opens the file read-only
// and serves the CLI's `top` and `status` and any host that reports on a database.
//
// Thread safety: a `SqliteStore` is used by one thread at a time (the engine's committer calls
// it, never concurrently). Distinct stores, in this process or others, may share a database
// file: SQLite serialises their writes (one writer at a time, readers never blocked in WAL
// mode); a writer that waits longer than `busy_timeout` gets `unavailable`. The read functions
// are free functions with their own connection and may be called from any thread.

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/rejection.hpp"
#include "bulkscore/result_sink.hpp"
#include "bulkscore/score_result.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore {

/// How hard a commit pushes to the disk (SQLite's `PRAGMA synchronous`, in WAL mode).
enum class SqliteDurability : std::uint8_t {
    /// `NORMAL`: a commit is written to the WAL without an fsync; the WAL is synced at each
    /// checkpoint of the WAL into the database. Power loss may undo the last commits, never
    /// tear one: the database comes back at an earlier commit, whose checkpoint matches its
    /// results exactly, so a resume still accounts for every record exactly once. A process
    /// crash (SIGKILL) loses nothing that was committed.
    kNormal,
    /// `FULL`: every commit is fsynced; power loss keeps every commit. Costs one fsync per
    /// checkpoint interval.
    kFull,
};

/// The settings of a `SqliteStore`.
struct SqliteStoreOptions {
    /// How long a write waits for another connection's write lock before it fails with
    /// `unavailable` (which the engine retries with backoff). >= 0.
    std::chrono::milliseconds busy_timeout{2000};

    SqliteDurability durability = SqliteDurability::kNormal;

    /// SQLite's page cache for this connection, in KiB (> 0). Fixed: memory does not grow with
    /// the input. Since results go in sorted (`sorted_insert_rows`), a small cache suffices: on
    /// 1M pages 8, 16 and 32 MiB measured within noise of each other (~6 s of CPU), where
    /// unsorted inserts took 8.3 s with 64 MiB and 10.5 s with 16 MiB.
    std::int64_t cache_kib = 16 * 1024;

    /// How many results the store holds before it inserts them, sorted by id (> 0); and at
    /// every commit. Sorted inserts walk the primary-key index once from left to right instead
    /// of jumping around it, so the page cache can stay small. Costs about 150 bytes a result.
    std::size_t sorted_insert_rows = 65536;

    /// The page size of a database the store creates, in bytes (a power of two from 512 to
    /// 65536); an existing database keeps its own. Inserting ids in random order dirties pages
    /// of the `scores` primary-key index all over the file at every commit: with 16 KiB pages
    /// a 1M-page run measured ~35% less time than with SQLite's default 4 KiB.
    std::uint32_t page_bytes = 16384;

    /// WAL size, in pages, after which a commit copies the WAL back into the database
    /// (`PRAGMA wal_autocheckpoint`; > 0). Larger means fewer syncs and a larger -wal file; the
    /// default (64 MiB of 16 KiB pages) measured ~15% less CPU per insert than 16 MiB.
    std::int64_t wal_autocheckpoint_pages = 4000;

    /// A cap on the database file's size in bytes (`PRAGMA max_page_count`), 0 for none. A
    /// write past it fails with `resource_exhausted`, as a full disk does.
    std::uint64_t max_database_bytes = 0;
};

/// One row of `scores`, as read back.
struct StoredScore {
    std::string id;
    std::string url;
    double score = 0;
    double potential_clicks = 0;
    Action action = Action::kMonitor;
    Components components;
    std::string scorer_version;
    std::string job;
};

/// One row of `rejections`, as read back. NULL columns read as 0 or empty.
struct StoredRejection {
    std::string job;
    std::uint64_t ordinal = 0;
    std::uint64_t line = 0;  ///< 0: NULL (the source has no lines).
    std::string id;          ///< Empty: NULL (the record had no id).
    std::string field;       ///< Empty: NULL (the record as a whole is at fault).
    RejectReason reason = RejectReason::kBadNumber;
    std::string message;

    friend bool operator==(const StoredRejection&, const StoredRejection&) = default;
};

/// What `read_top_scores` selects.
struct TopQuery {
    std::size_t limit = 20;          ///< At most this many rows.
    std::optional<Action> action;    ///< Only this action; every action when empty.
    std::optional<std::string> job;  ///< Only this job; every job when empty.
};

/// The ResultSink and CheckpointStore of one job in one SQLite database file.
///
/// Schema (DESIGN.md, "SQLite store"; created when missing, checked when present):
/// `scores(id TEXT PRIMARY KEY, url, score, potential_clicks, action, upside, striking, ctr_gap,
/// demand, decay, ease, staleness, thinness, link_need, scorer_version, job)`;
/// `rejections(job, ordinal, line, id, field, reason, message)` with `line`, `id` and `field`
/// NULL when absent and a unique index on `(job, ordinal)`; `jobs(job TEXT PRIMARY KEY, state,
/// position_ordinal, position_byte_offset, position_line, total, scored, rejected, input,
/// input_fingerprint, config_fingerprint, sink_state, started_at_ms, updated_at_ms, message)`.
///
/// Transactions: `write` begins one (`BEGIN IMMEDIATE`) when none is open and upserts into it;
/// `flush` stages nothing and returns `kSinkState`; `save` upserts the `jobs` row and commits,
/// so a checkpoint and the results it covers become durable together or not at all. Writes
/// are upserts (by `id` for scores, by `(job, ordinal)` for rejections), so writing a batch
/// again after a failed attempt, or replaying records, never duplicates a row.
///
/// Errors and retries: a busy or locked database is `unavailable`, and the failed call may
/// simply be called again: its open transaction is kept. Any other failure (or SQLite rolling
/// the transaction back by itself) discards the uncommitted results, returns a code other than
/// `unavailable`, and leaves the store refusing writes and refusing a `save` past the last
/// committed checkpoint until `restore`: the run fails with its last checkpoint intact, and the
/// next run resumes from it. A full disk is `resource_exhausted`, a read-only file
/// `failed_precondition`, a missing directory `not_found`; messages name the database file.
///
/// Limitation: `id` is the primary key of the whole `scores` table (the schema contract), so
/// two jobs in one database must score disjoint ids: a page scored by a second job moves to
/// that job's rows. Give each site its own database or its own id prefix.
///
/// Limitation: results become durable only in `save`, so the store must also be the run's
/// `CheckpointStore`; paired with another checkpoint store it would commit nothing.
class SqliteStore final : public ResultSink, public CheckpointStore {
public:
    /// What `flush` returns. Not empty, because an empty sink state means "start over" to
    /// `restore`; it carries nothing else because the results are committed with the checkpoint.
    static constexpr std::string_view kSinkState = "sqlite";

    /// Opens (creating when missing) the database at `path` for writing `job`'s results:
    /// WAL mode, the schema, and the prepared statements.
    ///
    /// Errors: `invalid_argument` for an empty job or bad options; `not_found` when the
    /// directory does not exist; `failed_precondition` for a read-only file, a file that is not
    /// a bulkscore database, or one written by a newer schema; `unavailable` when another
    /// connection holds the write lock past `busy_timeout`.
    static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& path,
                                                     std::string job,
                                                     SqliteStoreOptions options = {});

    ~SqliteStore() override;

    /// Upserts `batch`'s results and rejections (tagged with this store's job) into the open
    /// transaction, beginning one when needed. Binds text straight from the batch's views and
    /// renders only rejection messages, so it allocates nothing per scored node.
    Status write(const ScoredBatch& batch) override;

    /// Returns `kSinkState`; the results are staged in the open transaction for `save`.
    Result<std::string> flush() override;

    /// Drops any uncommitted results. A non-empty `sink_state` (a resume) keeps what is
    /// committed; an empty one (start over) deletes this job's scores, rejections and
    /// checkpoint. Errors: `failed_precondition` for a state another sink produced.
    Status restore(std::string_view sink_state) override;

    Result<std::optional<Checkpoint>> load(std::string_view job) override;

    /// Upserts the checkpoint's `jobs` row and commits it together with every result written
    /// since the last commit. Requires `checkpoint.job` to be this store's job.
    Status save(const Checkpoint& checkpoint) override;

    /// Deletes `job`'s checkpoint row (its results stay until `restore("")` or a new run).
    Status discard(std::string_view job) override;

    /// The database file.
    const std::filesystem::path& path() const noexcept;

    /// The job this store writes.
    const std::string& job() const noexcept;

private:
    class Impl;
    explicit SqliteStore(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

/// Every job's checkpoint in the database at `path`, ordered by job name.
///
/// Errors: `not_found` when the file does not exist; `failed_precondition` when it is not a
/// bulkscore database; `unavailable` when it stays locked past the busy timeout.
Result<std::vector<Checkpoint>> read_jobs(const std::filesystem::path& path);

/// The best scores: ordered by score descending, then id ascending, filtered by `query`.
/// Errors: as `read_jobs`.
Result<std::vector<StoredScore>> read_top_scores(const std::filesystem::path& path,
                                                 const TopQuery& query);

/// `job`'s first `limit` rejections in input order. Errors: as `read_jobs`.
Result<std::vector<StoredRejection>> read_rejections(const std::filesystem::path& path,
                                                     std::string_view job,
                                                     std::size_t limit);

}  // namespace bulkscore
