// SPDX-License-Identifier: MIT
//
// `SqliteStore` and the read functions of the SQLite database (see sqlite_store.hpp for the
// contract). Layout of this file: the schema and the SQL, the identity checks that tell a
// bulkscore database from any other file, the store's `Impl` (connection setup, the write path,
// the transaction and failure rules), then the read side. It stays one file (over the usual
// 800 lines) because the read side shares the schema text, the row decoders and the identity
// check with the store, and splitting them would put the schema contract in two places.
//
// Thread safety: one `SqliteStore` is used by one thread at a time; the read functions open
// their own connection per call.

#include "bulkscore/sqlite_store.hpp"

#include <algorithm>
#include <bit>
#include <limits>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <fmt/std.h>

#include "bulkscore/logging.hpp"

#include "sinks/sorted_results.hpp"
#include "sinks/sqlite_db.hpp"
#include "sinks/sqlite_rows.hpp"

namespace bulkscore {
namespace {

using detail::kScoreColumns;
using detail::open_for_reading;
using detail::score_from_row;
using detail::SortedResults;
using detail::SqliteDb;
using detail::SqliteStatement;

// "BSCR" in the database header (`PRAGMA application_id`): tells a bulkscore database from any
// other SQLite file, so the store never writes its tables into someone else's database.
constexpr std::int64_t kApplicationId = 0x42534352;
constexpr std::int64_t kSchemaVersion = 1;

// The contract of DESIGN.md, "SQLite store". The unique index on rejections(job, ordinal)
// makes writing a record again (a retried batch, a replay after a resume) an update, never a
// second row. No index on scores beyond its primary key: every extra index costs each insert,
// and `top` is served by one scan.
constexpr const char* kCreateSchema = R"sql(
CREATE TABLE IF NOT EXISTS scores(
    id TEXT PRIMARY KEY, url TEXT, score REAL, potential_clicks REAL, action TEXT,
    upside REAL, striking REAL, ctr_gap REAL, demand REAL, decay REAL, ease REAL,
    staleness REAL, thinness REAL, link_need REAL, scorer_version TEXT, job TEXT);
CREATE TABLE IF NOT EXISTS rejections(
    job TEXT, ordinal INTEGER, line INTEGER, id TEXT, field TEXT, reason TEXT, message TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS rejections_by_job_ordinal ON rejections(job, ordinal);
CREATE TABLE IF NOT EXISTS jobs(
    job TEXT PRIMARY KEY, state TEXT NOT NULL,
    position_ordinal INTEGER, position_byte_offset INTEGER, position_line INTEGER,
    total INTEGER, scored INTEGER, rejected INTEGER,
    input TEXT, input_fingerprint TEXT, config_fingerprint TEXT, sink_state TEXT,
    started_at_ms INTEGER, updated_at_ms INTEGER, message TEXT);
PRAGMA application_id = 1112752978;
PRAGMA user_version = 1;
)sql";
static_assert(kApplicationId == 1112752978, "kCreateSchema spells the application id out");

constexpr const char* kInsertScore = R"sql(
INSERT INTO scores(id, url, score, potential_clicks, action, upside, striking, ctr_gap, demand,
                   decay, ease, staleness, thinness, link_need, scorer_version, job)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
ON CONFLICT(id) DO UPDATE SET
    url = excluded.url, score = excluded.score, potential_clicks = excluded.potential_clicks,
    action = excluded.action, upside = excluded.upside, striking = excluded.striking,
    ctr_gap = excluded.ctr_gap, demand = excluded.demand, decay = excluded.decay,
    ease = excluded.ease, staleness = excluded.staleness, thinness = excluded.thinness,
    link_need = excluded.link_need, scorer_version = excluded.scorer_version, job = excluded.job
)sql";

constexpr const char* kInsertRejection = R"sql(
INSERT INTO rejections(job, ordinal, line, id, field, reason, message)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT(job, ordinal) DO UPDATE SET
    line = excluded.line, id = excluded.id, field = excluded.field, reason = excluded.reason,
    message = excluded.message
)sql";

constexpr const char* kUpsertJob = R"sql(
INSERT INTO jobs(job, state, position_ordinal, position_byte_offset, position_line, total,
                 scored, rejected, input, input_fingerprint, config_fingerprint, sink_state,
                 started_at_ms, updated_at_ms, message)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
ON CONFLICT(job) DO UPDATE SET
    state = excluded.state, position_ordinal = excluded.position_ordinal,
    position_byte_offset = excluded.position_byte_offset,
    position_line = excluded.position_line, total = excluded.total, scored = excluded.scored,
    rejected = excluded.rejected, input = excluded.input,
    input_fingerprint = excluded.input_fingerprint,
    config_fingerprint = excluded.config_fingerprint, sink_state = excluded.sink_state,
    started_at_ms = excluded.started_at_ms, updated_at_ms = excluded.updated_at_ms,
    message = excluded.message
)sql";

// The columns `checkpoint_from_row` reads, in its order.
constexpr std::string_view kJobColumns =
    "job, state, position_ordinal, position_byte_offset, position_line, total, scored, "
    "rejected, input, input_fingerprint, config_fingerprint, sink_state, started_at_ms, "
    "updated_at_ms, message";

std::int64_t to_sql(std::uint64_t value) noexcept {
    return static_cast<std::int64_t>(value);
}
std::uint64_t from_sql(std::int64_t value) noexcept {
    return static_cast<std::uint64_t>(value);
}

// Binds text, or NULL when it is empty (`field`, `id` of a rejection).
void bind_text_or_null(SqliteStatement& statement, int index, std::string_view text) noexcept {
    if (text.empty()) {
        statement.bind_null(index);
    } else {
        statement.bind_static(index, text);
    }
}

Result<Checkpoint> checkpoint_from_row(const SqliteStatement& row, const SqliteDb& db) {
    Checkpoint checkpoint;
    checkpoint.job = row.column_text(0);
    const std::string state = row.column_text(1);
    const auto parsed = parse_job_state(state);
    if (!parsed) {
        return data_loss_error(fmt::format(
            "database {}: job \"{}\" has the unknown state \"{}\"; it was written by another "
            "program or version, start the job over with --restart",
            db.path(), checkpoint.job, state));
    }
    checkpoint.state = *parsed;
    checkpoint.position.ordinal = from_sql(row.column_int(2));
    checkpoint.position.byte_offset = from_sql(row.column_int(3));
    checkpoint.position.line = from_sql(row.column_int(4));
    checkpoint.total = from_sql(row.column_int(5));
    checkpoint.scored = from_sql(row.column_int(6));
    checkpoint.rejected = from_sql(row.column_int(7));
    checkpoint.input = row.column_text(8);
    checkpoint.input_fingerprint = row.column_text(9);
    checkpoint.config_fingerprint = row.column_text(10);
    checkpoint.sink_state = row.column_text(11);
    checkpoint.started_at_ms = row.column_int(12);
    checkpoint.updated_at_ms = row.column_int(13);
    checkpoint.message = row.column_text(14);
    return checkpoint;
}

// Reads every row of a prepared query with `convert`, collecting the values.
template <class T, class Convert>
Result<std::vector<T>> collect_rows(SqliteStatement& statement,
                                    const SqliteDb& db,
                                    std::string_view doing,
                                    Convert convert) {
    std::vector<T> rows;
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
        Result<T> row = convert(statement);
        if (!row.ok()) {
            statement.reset();
            return row.status();
        }
        rows.push_back(std::move(row).value());
    }
    statement.reset();
    return rows;
}

Status not_bulkscore_error(const std::filesystem::path& path, std::int64_t application_id) {
    return failed_precondition_error(fmt::format(
        "{} is a SQLite database of another program (application_id {:#x}), not a bulkscore "
        "database; choose another --db path",
        path, application_id));
}

// Checks that the database is a bulkscore one of a schema this code understands. With
// `allow_empty`, a database without any table passes too (the store then creates the schema).
// Returns true when the schema must be created.
Result<bool> check_identity(SqliteDb& db, bool allow_empty) {
    const auto application_id = db.query_int("PRAGMA application_id", "reading its header");
    if (!application_id.ok()) {
        return application_id.status();
    }
    if (*application_id == kApplicationId) {
        const auto version = db.query_int("PRAGMA user_version", "reading its header");
        if (!version.ok()) {
            return version.status();
        }
        if (*version > kSchemaVersion) {
            return failed_precondition_error(fmt::format(
                "database {} has schema version {}, newer than this bulkscore understands ({}); "
                "use a newer bulkscore",
                db.path(), *version, kSchemaVersion));
        }
        return false;
    }
    const auto tables =
        db.query_int("SELECT count(*) FROM sqlite_schema", "reading its list of tables");
    if (!tables.ok()) {
        return tables.status();
    }
    if (*tables == 0 && allow_empty) {
        return true;
    }
    if (*tables == 0) {
        return failed_precondition_error(fmt::format(
            "{} is an empty SQLite database, not a bulkscore one; score into it first with "
            "`bulkscore score INPUT --db {}`",
            db.path(), db.path().string()));
    }
    return not_bulkscore_error(db.path(), *application_id);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The store.

class SqliteStore::Impl {
public:
    Impl(SqliteDb db, std::string job, SqliteStoreOptions options)
        : db_(std::move(db)),
          job_(std::move(job)),
          options_(options),
          held_results_(options.sorted_insert_rows) {}

    Status configure();
    Status prepare_statements();
    Status write(const ScoredBatch& batch);
    Result<std::string> flush();
    Status restore(std::string_view sink_state);
    Result<std::optional<Checkpoint>> load(std::string_view job);
    Status save(const Checkpoint& checkpoint);
    Status discard(std::string_view job);

    const std::filesystem::path& path() const noexcept { return db_.path(); }
    const std::string& job() const noexcept { return job_; }

private:
    bool in_transaction() const noexcept { return sqlite3_get_autocommit(db_.get()) == 0; }
    Status begin_if_needed();
    Status write_result(const ScoreResult& result);
    Status insert_held_results();
    Status write_rejection(const Rejection& rejection);
    Status step_failed(SqliteStatement& statement, int rc, std::string_view doing);
    Status after_failure(Status status);
    void roll_back() noexcept;
    void lose_pending_rows();
    Status delete_job_rows();
    Status reload_committed_end();
    Status poisoned_error() const;

    SqliteDb db_;
    std::string job_;
    SqliteStoreOptions options_;

    SqliteStatement begin_;
    SqliteStatement commit_;
    SqliteStatement rollback_;
    SqliteStatement insert_score_;
    SqliteStatement insert_rejection_;
    SqliteStatement upsert_job_;
    SqliteStatement select_job_;
    SqliteStatement delete_job_;
    SqliteStatement delete_scores_;
    SqliteStatement delete_rejections_;

    // Reused for every rejection's message, so that its text outlives the statement's step.
    std::string message_;

    // Results written but not yet inserted: they go in sorted by id (see sorted_results.hpp),
    // at the latest before the next commit.
    SortedResults held_results_;

    // The write path's bookkeeping, in record ordinals of the input. `committed_end_`: the
    // position of the last committed checkpoint of this job. `written_end_`: one past the last
    // record written (committed or not). `pending_rows_`: the open transaction holds rows.
    // `poisoned_`: rows written since the last commit were lost to a rollback; the engine
    // believes them written, so nothing may be committed past `committed_end_` until a
    // `restore` realigns the run with the database.
    std::uint64_t committed_end_ = 0;
    std::uint64_t written_end_ = 0;
    bool pending_rows_ = false;
    bool poisoned_ = false;
};

Status SqliteStore::Impl::configure() {
    sqlite3_busy_timeout(db_.get(),
                         static_cast<int>(std::min<std::int64_t>(options_.busy_timeout.count(),
                                                                 std::numeric_limits<int>::max())));
    if (sqlite3_db_readonly(db_.get(), "main") == 1) {
        return failed_precondition_error(fmt::format(
            "database {} can only be read (file permissions, or a read-only file system); "
            "make it writable or choose another --db path",
            db_.path()));
    }
    auto must_create = check_identity(db_, /*allow_empty=*/true);
    if (!must_create.ok()) {
        return must_create.status();
    }
    if (*must_create) {
        // The page size only takes effect while the file is still empty, so it is set here.
        const std::string page_size = fmt::format("PRAGMA page_size = {}", options_.page_bytes);
        BULKSCORE_RETURN_IF_ERROR(db_.exec(page_size.c_str(), "setting its page size"));

        // One transaction, and IF NOT EXISTS throughout: two processes creating the same new
        // database at once both succeed, with one schema.
        BULKSCORE_RETURN_IF_ERROR(db_.exec("BEGIN IMMEDIATE", "creating its tables"));
        Status created = db_.exec(kCreateSchema, "creating its tables");
        if (created.ok()) {
            created = db_.exec("COMMIT", "creating its tables");
        }
        if (!created.ok()) {
            roll_back();
            return created;
        }
    }

    // WAL: readers (`bulkscore status` while a run writes) never block the writer, and a
    // commit appends to the log instead of rewriting pages twice. It is a property of the file.
    const auto mode = db_.query_text("PRAGMA journal_mode = WAL", "switching it to WAL mode");
    if (!mode.ok()) {
        return mode.status();
    }
    if (*mode != "wal") {
        logger()->warn("sqlite store could not use WAL mode; path={} journal_mode={}",
                       db_.path().string(), *mode);
    }
    const std::string pragmas = fmt::format(
        "PRAGMA synchronous = {}; PRAGMA cache_size = -{}; PRAGMA temp_store = MEMORY; "
        "PRAGMA wal_autocheckpoint = {};",
        options_.durability == SqliteDurability::kFull ? "FULL" : "NORMAL", options_.cache_kib,
        options_.wal_autocheckpoint_pages);
    BULKSCORE_RETURN_IF_ERROR(db_.exec(pragmas.c_str(), "configuring the connection"));
    if (options_.max_database_bytes == 0) {
        return ok_status();
    }
    const auto page_size = db_.query_int("PRAGMA page_size", "reading its page size");
    if (!page_size.ok()) {
        return page_size.status();
    }
    const std::string limit =
        fmt::format("PRAGMA max_page_count = {}",
                    std::max<std::uint64_t>(
                        1, options_.max_database_bytes / static_cast<std::uint64_t>(*page_size)));
    return db_.query_int(limit.c_str(), "limiting its size").status();
}

Status SqliteStore::Impl::prepare_statements() {
    const std::string select_job = fmt::format("SELECT {} FROM jobs WHERE job = ?1", kJobColumns);
    const std::pair<SqliteStatement*, const char*> statements[] = {
        {&begin_, "BEGIN IMMEDIATE"},
        {&commit_, "COMMIT"},
        {&rollback_, "ROLLBACK"},
        {&insert_score_, kInsertScore},
        {&insert_rejection_, kInsertRejection},
        {&upsert_job_, kUpsertJob},
        {&select_job_, select_job.c_str()},
        {&delete_job_, "DELETE FROM jobs WHERE job = ?1"},
        {&delete_scores_, "DELETE FROM scores WHERE job = ?1"},
        {&delete_rejections_, "DELETE FROM rejections WHERE job = ?1"},
    };
    for (const auto& [statement, sql] : statements) {
        auto prepared = SqliteStatement::prepare(db_, sql);
        if (!prepared.ok()) {
            return prepared.status();
        }
        *statement = std::move(prepared).value();
    }
    return reload_committed_end();
}

Status SqliteStore::Impl::reload_committed_end() {
    auto checkpoint = load(job_);
    if (!checkpoint.ok()) {
        return checkpoint.status();
    }
    committed_end_ = checkpoint->has_value() ? (*checkpoint)->position.ordinal : 0;
    written_end_ = committed_end_;
    return ok_status();
}

Status SqliteStore::Impl::poisoned_error() const {
    return failed_precondition_error(fmt::format(
        "database {}: the results of job \"{}\" written since its last checkpoint were rolled "
        "back after an earlier error, so nothing past that checkpoint can be saved; run the same "
        "command again to resume from the checkpoint",
        db_.path(), job_));
}

Status SqliteStore::Impl::begin_if_needed() {
    if (in_transaction()) {
        return ok_status();
    }
    const int rc = begin_.step();
    if (rc != SQLITE_DONE) {
        return step_failed(begin_, rc, "beginning a transaction");
    }
    begin_.reset();
    return ok_status();
}

Status SqliteStore::Impl::write(const ScoredBatch& batch) {
    if (poisoned_) {
        return poisoned_error();
    }
    if (batch.results.empty() && batch.rejections.empty()) {
        return ok_status();
    }
    BULKSCORE_RETURN_IF_ERROR(begin_if_needed());

    // Counted as written before the first row goes in: a batch that fails half-way has rows in
    // the transaction, and `save` must know that they lie past its checkpoint.
    pending_rows_ = true;
    const std::uint64_t last_result = batch.results.empty() ? 0 : batch.results.back().ordinal + 1;
    const std::uint64_t last_rejection =
        batch.rejections.empty() ? 0 : batch.rejections.back().ordinal + 1;
    written_end_ = std::max({written_end_, last_result, last_rejection});

    // A batch that comes again after a failed insert of the held results is held already.
    const bool held =
        !batch.results.empty() && batch.results.front().ordinal < held_results_.end_ordinal();
    if (!held) {
        for (const ScoreResult& result : batch.results) {
            held_results_.append(result);
        }
    }

    Status status;
    for (const Rejection& rejection : batch.rejections) {
        status = write_rejection(rejection);
        if (!status.ok()) {
            break;
        }
    }
    // The bound views point into the batch, which the engine recycles after this call.
    sqlite3_clear_bindings(insert_rejection_.get());
    if (status.ok() && held_results_.full()) {
        status = insert_held_results();
    }
    return status;
}

Status SqliteStore::Impl::insert_held_results() {
    if (held_results_.empty()) {
        return ok_status();
    }
    BULKSCORE_RETURN_IF_ERROR(begin_if_needed());
    Status status;
    for (const ScoreResult* result : held_results_.sorted()) {
        status = write_result(*result);
        if (!status.ok()) {
            break;
        }
    }
    sqlite3_clear_bindings(insert_score_.get());
    // On failure the held results stay for a retry, unless a rollback dropped them already.
    if (status.ok()) {
        held_results_.clear();
    }
    return status;
}

Status SqliteStore::Impl::write_result(const ScoreResult& result) {
    SqliteStatement& insert = insert_score_;
    insert.bind_static(1, result.id);
    insert.bind_static(2, result.url);
    insert.bind_double(3, result.score);
    insert.bind_double(4, result.potential_clicks);
    insert.bind_static(5, to_string(result.action));
    const Components& c = result.components;
    insert.bind_double(6, c.upside);
    insert.bind_double(7, c.striking);
    insert.bind_double(8, c.ctr_gap);
    insert.bind_double(9, c.demand);
    insert.bind_double(10, c.decay);
    insert.bind_double(11, c.ease);
    insert.bind_double(12, c.staleness);
    insert.bind_double(13, c.thinness);
    insert.bind_double(14, c.link_need);
    insert.bind_static(15, result.scorer_version);
    insert.bind_static(16, job_);
    const int rc = insert.step();
    if (rc != SQLITE_DONE) {
        return step_failed(insert, rc, "writing results");
    }
    insert.reset();
    return ok_status();
}

Status SqliteStore::Impl::write_rejection(const Rejection& rejection) {
    SqliteStatement& insert = insert_rejection_;
    message_ = render_message(rejection);
    insert.bind_static(1, job_);
    insert.bind_int(2, to_sql(rejection.ordinal));
    if (rejection.line == 0) {
        insert.bind_null(3);
    } else {
        insert.bind_int(3, to_sql(rejection.line));
    }
    bind_text_or_null(insert, 4, rejection.id);
    bind_text_or_null(insert, 5, rejection.field);
    insert.bind_static(6, to_string(rejection.reason));
    insert.bind_static(7, message_);
    const int rc = insert.step();
    if (rc != SQLITE_DONE) {
        return step_failed(insert, rc, "writing rejections");
    }
    insert.reset();
    return ok_status();
}

Status SqliteStore::Impl::step_failed(SqliteStatement& statement, int rc, std::string_view doing) {
    Status status = db_.error(rc, doing);  // Before the reset, which may change the message.
    statement.reset();
    return after_failure(std::move(status));
}

// The failure rules. A busy database with the transaction still open is returned as is: the
// engine calls the same method again, and since every write is an upsert, re-running a batch
// or a save on top of a partial attempt leaves exactly the rows of one complete attempt.
// Anything else rolls the transaction back, and if that lost written rows, the store refuses
// to commit past the last checkpoint (`poisoned_`) and never answers `unavailable`: a retry of
// the one failed call could not bring back the batches written before it.
Status SqliteStore::Impl::after_failure(Status status) {
    const bool retryable = status.code() == StatusCode::kUnavailable;
    if (retryable && (in_transaction() || !pending_rows_)) {
        return status;
    }
    roll_back();
    if (!pending_rows_) {
        return status;
    }
    lose_pending_rows();
    if (retryable) {
        return failed_precondition_error(fmt::format(
            "{}; SQLite rolled the transaction back, so the results since the last checkpoint "
            "were dropped: run the same command again to resume from it",
            status.message()));
    }
    return status;
}

void SqliteStore::Impl::roll_back() noexcept {
    if (in_transaction()) {
        // A failing ROLLBACK leaves nothing to do: SQLite then has already ended the
        // transaction, or the connection is unusable and every later call reports it.
        rollback_.step();
        rollback_.reset();
    }
}

void SqliteStore::Impl::lose_pending_rows() {
    if (pending_rows_) {
        logger()->warn(
            "sqlite store rolled back uncommitted results; path={} job={} committed_end={} "
            "written_end={}",
            db_.path().string(), job_, committed_end_, written_end_);
        poisoned_ = true;
    }
    held_results_.clear();
    pending_rows_ = false;
    written_end_ = committed_end_;
}

Result<std::string> SqliteStore::Impl::flush() {
    if (poisoned_) {
        return poisoned_error();
    }
    BULKSCORE_RETURN_IF_ERROR(insert_held_results());
    return std::string(kSinkState);
}

Status SqliteStore::Impl::save(const Checkpoint& checkpoint) {
    if (checkpoint.job != job_) {
        return invalid_argument_error(
            fmt::format("the SQLite store of {} writes job \"{}\" and cannot save a checkpoint "
                        "of job \"{}\"; open one store per job",
                        db_.path(), job_, checkpoint.job));
    }
    const std::uint64_t position = checkpoint.position.ordinal;
    if (pending_rows_ && position < written_end_) {
        // Rows past the checkpoint would become durable with it and be written again on
        // resume: drop them, and with them every uncommitted row (they are not told apart).
        roll_back();
        lose_pending_rows();
    }
    if (poisoned_ && position > committed_end_) {
        return poisoned_error();
    }

    BULKSCORE_RETURN_IF_ERROR(begin_if_needed());
    BULKSCORE_RETURN_IF_ERROR(insert_held_results());
    SqliteStatement& upsert = upsert_job_;
    upsert.bind_static(1, checkpoint.job);
    upsert.bind_static(2, to_string(checkpoint.state));
    upsert.bind_int(3, to_sql(checkpoint.position.ordinal));
    upsert.bind_int(4, to_sql(checkpoint.position.byte_offset));
    upsert.bind_int(5, to_sql(checkpoint.position.line));
    upsert.bind_int(6, to_sql(checkpoint.total));
    upsert.bind_int(7, to_sql(checkpoint.scored));
    upsert.bind_int(8, to_sql(checkpoint.rejected));
    upsert.bind_static(9, checkpoint.input);
    upsert.bind_static(10, checkpoint.input_fingerprint);
    upsert.bind_static(11, checkpoint.config_fingerprint);
    upsert.bind_static(12, checkpoint.sink_state);
    upsert.bind_int(13, checkpoint.started_at_ms);
    upsert.bind_int(14, checkpoint.updated_at_ms);
    upsert.bind_static(15, checkpoint.message);
    int rc = upsert.step();
    sqlite3_clear_bindings(upsert.get());
    if (rc != SQLITE_DONE) {
        return step_failed(upsert, rc, "saving the checkpoint");
    }
    upsert.reset();

    // A COMMIT that fails busy keeps the transaction open (SQLite's rule), so the engine's
    // retry of `save` upserts the same row again and commits.
    rc = commit_.step();
    if (rc != SQLITE_DONE) {
        return step_failed(commit_, rc, "committing results with their checkpoint");
    }
    commit_.reset();
    committed_end_ = position;
    written_end_ = std::max(written_end_, position);
    pending_rows_ = false;
    return ok_status();
}

Status SqliteStore::Impl::delete_job_rows() {
    for (SqliteStatement* statement : {&delete_scores_, &delete_rejections_, &delete_job_}) {
        statement->bind_static(1, job_);
        Status status = statement->run(db_, "deleting the job's earlier results");
        if (!status.ok()) {
            return status;
        }
    }
    return ok_status();
}

Status SqliteStore::Impl::restore(std::string_view sink_state) {
    // Nothing uncommitted survives a crash either: dropping it is what a resume expects.
    roll_back();
    held_results_.clear();
    pending_rows_ = false;
    poisoned_ = false;
    if (!sink_state.empty()) {
        if (sink_state != kSinkState) {
            return failed_precondition_error(fmt::format(
                "the checkpoint of job \"{}\" was written by another kind of sink (state \"{}\"), "
                "not the SQLite store of {}; start the job over with --restart",
                job_, sink_state, db_.path()));
        }
        return reload_committed_end();
    }

    BULKSCORE_RETURN_IF_ERROR(begin_if_needed());
    Status status = delete_job_rows();
    if (status.ok()) {
        const int rc = commit_.step();
        status =
            rc == SQLITE_DONE ? ok_status() : db_.error(rc, "deleting the job's earlier results");
        commit_.reset();
    }
    if (!status.ok()) {
        roll_back();  // One call, all or nothing: a retry starts from scratch.
        return status;
    }
    committed_end_ = 0;
    written_end_ = 0;
    return ok_status();
}

Result<std::optional<Checkpoint>> SqliteStore::Impl::load(std::string_view job) {
    select_job_.bind_static(1, job);
    const int rc = select_job_.step();
    if (rc == SQLITE_DONE) {
        select_job_.reset();
        return std::optional<Checkpoint>();
    }
    if (rc != SQLITE_ROW) {
        Status status = db_.error(rc, "loading the checkpoint");
        select_job_.reset();
        return status;
    }
    auto checkpoint = checkpoint_from_row(select_job_, db_);
    select_job_.reset();
    if (!checkpoint.ok()) {
        return checkpoint.status();
    }
    return std::optional<Checkpoint>(std::move(checkpoint).value());
}

Status SqliteStore::Impl::discard(std::string_view job) {
    delete_job_.bind_static(1, job);
    BULKSCORE_RETURN_IF_ERROR(delete_job_.run(db_, "discarding the checkpoint"));
    if (job == job_) {
        committed_end_ = 0;  // No checkpoint left: nothing is committed for a poisoned save.
    }
    return ok_status();
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& path,
                                                       std::string job,
                                                       SqliteStoreOptions options) {
    if (job.empty()) {
        return invalid_argument_error(
            fmt::format("opening database {}: the job name is empty; name the job", path));
    }
    if (options.busy_timeout.count() < 0 || options.cache_kib <= 0 ||
        options.wal_autocheckpoint_pages <= 0 || options.sorted_insert_rows == 0) {
        return invalid_argument_error(fmt::format(
            "opening database {}: busy_timeout must be >= 0, cache_kib, wal_autocheckpoint_pages "
            "and sorted_insert_rows > 0 (got {} ms, {}, {}, {})",
            path, options.busy_timeout.count(), options.cache_kib, options.wal_autocheckpoint_pages,
            options.sorted_insert_rows));
    }
    if (options.page_bytes < 512 || options.page_bytes > 65536 ||
        !std::has_single_bit(options.page_bytes)) {
        return invalid_argument_error(
            fmt::format("opening database {}: page_bytes must be a power of two from 512 to "
                        "65536 (got {})",
                        path, options.page_bytes));
    }
    auto db = SqliteDb::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!db.ok()) {
        return db.status();
    }
    auto impl = std::make_unique<Impl>(std::move(db).value(), std::move(job), options);
    BULKSCORE_RETURN_IF_ERROR(impl->configure());
    BULKSCORE_RETURN_IF_ERROR(impl->prepare_statements());
    return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

Status SqliteStore::write(const ScoredBatch& batch) {
    return impl_->write(batch);
}
Result<std::string> SqliteStore::flush() {
    return impl_->flush();
}
Status SqliteStore::restore(std::string_view sink_state) {
    return impl_->restore(sink_state);
}
Result<std::optional<Checkpoint>> SqliteStore::load(std::string_view job) {
    return impl_->load(job);
}
Status SqliteStore::save(const Checkpoint& checkpoint) {
    return impl_->save(checkpoint);
}
Status SqliteStore::discard(std::string_view job) {
    return impl_->discard(job);
}
const std::filesystem::path& SqliteStore::path() const noexcept {
    return impl_->path();
}
const std::string& SqliteStore::job() const noexcept {
    return impl_->job();
}

// ---------------------------------------------------------------------------------------------
// The read side.

namespace {

constexpr std::chrono::milliseconds kReadBusyTimeout{5000};

}  // namespace

Result<SqliteDb> detail::open_for_reading(const std::filesystem::path& path) {
    std::error_code ignored;
    if (!std::filesystem::exists(path, ignored)) {
        return not_found_error(fmt::format(
            "no database at {}; create it with `bulkscore score INPUT --db {}`, or check the path",
            path, path.string()));
    }
    auto db = SqliteDb::open(path, SQLITE_OPEN_READONLY);
    if (!db.ok()) {
        return db.status();
    }
    sqlite3_busy_timeout(db->get(), static_cast<int>(kReadBusyTimeout.count()));
    auto must_create = check_identity(*db, /*allow_empty=*/false);
    if (!must_create.ok()) {
        return must_create.status();
    }
    return db;
}

Result<StoredScore> detail::score_from_row(const SqliteStatement& row, const SqliteDb& db) {
    StoredScore score;
    score.id = row.column_text(0);
    score.url = row.column_text(1);
    score.score = row.column_double(2);
    score.potential_clicks = row.column_double(3);
    const std::string action = row.column_text(4);
    const auto parsed = parse_action(action);
    if (!parsed) {
        return data_loss_error(fmt::format(
            "database {}: the score of id \"{}\" has the unknown action \"{}\"; it was written by "
            "another program or version",
            db.path(), score.id, action));
    }
    score.action = *parsed;
    Components& c = score.components;
    c.upside = row.column_double(5);
    c.striking = row.column_double(6);
    c.ctr_gap = row.column_double(7);
    c.demand = row.column_double(8);
    c.decay = row.column_double(9);
    c.ease = row.column_double(10);
    c.staleness = row.column_double(11);
    c.thinness = row.column_double(12);
    c.link_need = row.column_double(13);
    score.scorer_version = row.column_text(14);
    score.job = row.column_text(15);
    return score;
}

namespace {

Result<StoredRejection> rejection_from_row(const SqliteStatement& row, const SqliteDb& db) {
    StoredRejection rejection;
    rejection.job = row.column_text(0);
    rejection.ordinal = from_sql(row.column_int(1));
    rejection.line = row.column_is_null(2) ? 0 : from_sql(row.column_int(2));
    rejection.id = row.column_text(3);
    rejection.field = row.column_text(4);
    const std::string reason = row.column_text(5);
    const auto parsed = parse_reject_reason(reason);
    if (!parsed) {
        return data_loss_error(fmt::format(
            "database {}: rejection {} of job \"{}\" has the unknown reason \"{}\"; it was "
            "written by another program or version",
            db.path(), rejection.ordinal, rejection.job, reason));
    }
    rejection.reason = *parsed;
    rejection.message = row.column_text(6);
    return rejection;
}

std::int64_t sql_limit(std::size_t limit) noexcept {
    return static_cast<std::int64_t>(
        std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

}  // namespace

Result<std::vector<Checkpoint>> read_jobs(const std::filesystem::path& path) {
    auto db = open_for_reading(path);
    if (!db.ok()) {
        return db.status();
    }
    const std::string sql = fmt::format("SELECT {} FROM jobs ORDER BY job", kJobColumns);
    auto select = SqliteStatement::prepare(*db, sql.c_str());
    if (!select.ok()) {
        return select.status();
    }
    return collect_rows<Checkpoint>(
        *select, *db, "reading the jobs",
        [&](const SqliteStatement& row) { return checkpoint_from_row(row, *db); });
}

Result<std::vector<StoredScore>> read_top_scores(const std::filesystem::path& path,
                                                 const TopQuery& query) {
    auto db = open_for_reading(path);
    if (!db.ok()) {
        return db.status();
    }
    // `?1 IS NULL OR ...` keeps one statement for every combination of filters.
    // Limitation: there is no index on score (it would slow every insert of a run), so this
    // scans the table: about a second per few million rows, with a bounded top-N sort.
    const std::string sql = fmt::format(
        "SELECT {} FROM scores WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR job = ?2) "
        "ORDER BY score DESC, id LIMIT ?3",
        kScoreColumns);
    auto select = SqliteStatement::prepare(*db, sql.c_str());
    if (!select.ok()) {
        return select.status();
    }
    if (query.action) {
        select->bind_static(1, to_string(*query.action));
    }
    if (query.job) {
        select->bind_static(2, *query.job);
    }
    select->bind_int(3, sql_limit(query.limit));
    return collect_rows<StoredScore>(
        *select, *db, "reading the scores",
        [&](const SqliteStatement& row) { return score_from_row(row, *db); });
}

Result<std::vector<StoredRejection>> read_rejections(const std::filesystem::path& path,
                                                     std::string_view job,
                                                     std::size_t limit) {
    auto db = open_for_reading(path);
    if (!db.ok()) {
        return db.status();
    }
    auto select = SqliteStatement::prepare(
        *db,
        "SELECT job, ordinal, line, id, field, reason, message FROM rejections WHERE job = ?1 "
        "ORDER BY ordinal LIMIT ?2");
    if (!select.ok()) {
        return select.status();
    }
    select->bind_static(1, job);
    select->bind_int(2, sql_limit(limit));
    return collect_rows<StoredRejection>(
        *select, *db, "reading the rejections",
        [&](const SqliteStatement& row) { return rejection_from_row(row, *db); });
}

}  // namespace bulkscore
