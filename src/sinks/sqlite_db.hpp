// SPDX-License-Identifier: MIT
//
// Thin RAII wrappers over the SQLite C API for the SQLite store: `SqliteDb` (a connection),
// `SqliteStatement` (a prepared statement, reused with fresh bindings) and
// `sqlite_status` (an SQLite result code turned into a `Status` whose message names the
// database file and says what to do).
//
// Thread safety: none; a connection and its statements belong to one thread at a time.

#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "bulkscore/status.hpp"

namespace bulkscore::detail {

/// A `Status` for the failed SQLite call that returned `rc` on `db` (may be null) while
/// `doing` something (a phrase such as "writing results") to the database at `path`.
///
/// Busy and locked are `unavailable`; full disk and out of memory `resource_exhausted`;
/// read-only `failed_precondition`; a file that cannot be opened `not_found` when its
/// directory is missing, else `failed_precondition`; not a database `failed_precondition`;
/// corruption `data_loss`; anything else `internal`.
Status sqlite_status(int rc,
                     sqlite3* db,
                     const std::filesystem::path& path,
                     std::string_view doing);

/// An open connection; closes it on destruction.
class SqliteDb {
public:
    SqliteDb() = default;

    /// Opens `path` with `flags` (`SQLITE_OPEN_*`). Errors: see `sqlite_status`.
    static Result<SqliteDb> open(const std::filesystem::path& path, int flags);

    sqlite3* get() const noexcept { return db_.get(); }
    const std::filesystem::path& path() const noexcept { return path_; }

    /// Runs `sql` (one or more statements without results).
    Status exec(const char* sql, std::string_view doing);

    /// Runs `sql` and returns the first column of its first row as text (a PRAGMA's answer);
    /// empty when there is no row.
    Result<std::string> query_text(const char* sql, std::string_view doing);

    /// As `query_text`, as an integer (0 when there is no row).
    Result<std::int64_t> query_int(const char* sql, std::string_view doing);

    /// A `Status` for `rc` returned on this connection.
    Status error(int rc, std::string_view doing) const {
        return sqlite_status(rc, db_.get(), path_, doing);
    }

private:
    struct Closer {
        void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
    };

    std::unique_ptr<sqlite3, Closer> db_;
    std::filesystem::path path_;
};

/// A prepared statement, reset (not re-prepared) between uses.
///
/// Lifetime: text bound with `bind_static` must stay alive until the statement is stepped and
/// reset; the owning connection must outlive the statement.
class SqliteStatement {
public:
    SqliteStatement() = default;

    /// Prepares `sql` (one statement) on `db`, for repeated use.
    static Result<SqliteStatement> prepare(SqliteDb& db, const char* sql);

    sqlite3_stmt* get() const noexcept { return stmt_.get(); }

    // Binders take 1-based parameter indexes, as SQLite does. They cannot fail on a valid
    // index and a text shorter than 2 GiB, which the callers guarantee; a failure would
    // surface as an error from `step`.
    void bind_static(int index, std::string_view text) noexcept;
    void bind_copy(int index, std::string_view text) noexcept;
    void bind_double(int index, double value) noexcept;
    void bind_int(int index, std::int64_t value) noexcept;
    void bind_null(int index) noexcept;

    /// Steps once: `SQLITE_ROW`, `SQLITE_DONE` or an error code.
    int step() noexcept { return sqlite3_step(stmt_.get()); }

    /// Runs a statement that returns no rows to completion and resets it. Errors: see
    /// `sqlite_status`.
    Status run(const SqliteDb& db, std::string_view doing);

    /// Makes the statement ready for new bindings (keeps the old ones until rebound).
    void reset() noexcept { sqlite3_reset(stmt_.get()); }

    // Column readers for a row from `step`; 0-based column indexes, as SQLite does.
    std::string column_text(int index) const;
    double column_double(int index) const noexcept;
    std::int64_t column_int(int index) const noexcept;
    bool column_is_null(int index) const noexcept;

private:
    struct Finalizer {
        void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
    };

    std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
};

}  // namespace bulkscore::detail
