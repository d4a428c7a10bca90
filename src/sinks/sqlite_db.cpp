// SPDX-License-Identifier: MIT
//
// The SQLite RAII wrappers and the mapping of SQLite result codes to `Status` (see
// sqlite_db.hpp).

#include "sinks/sqlite_db.hpp"

#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <fmt/std.h>

namespace bulkscore::detail {
namespace {

// What SQLite itself says about the failure: the connection's message when there is one that
// belongs to `rc`, else the generic text of the code.
std::string sqlite_reason(int rc, sqlite3* db) {
    if (db != nullptr && sqlite3_errcode(db) == rc) {
        return sqlite3_errmsg(db);
    }
    return sqlite3_errstr(rc);
}

Status cant_open_status(const std::filesystem::path& path, const std::string& reason) {
    const std::filesystem::path parent =
        path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::error_code ignored;
    if (!std::filesystem::is_directory(parent, ignored)) {
        return not_found_error(
            fmt::format("cannot open database {}: directory {} does not exist; create it or "
                        "choose another --db path",
                        path, parent));
    }
    if (std::filesystem::is_directory(path, ignored)) {
        return failed_precondition_error(
            fmt::format("cannot open database {}: it is a directory; name a file with --db", path));
    }
    return failed_precondition_error(
        fmt::format("cannot open database {} ({}); check that the file and its directory may be "
                    "read and written, or choose another --db path",
                    path, reason));
}

}  // namespace

Status sqlite_status(int rc,
                     sqlite3* db,
                     const std::filesystem::path& path,
                     std::string_view doing) {
    const std::string reason = sqlite_reason(rc, db);
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return unavailable_error(fmt::format(
                "database {} is locked by another connection while {} ({}); wait for the other "
                "program (another bulkscore run, a sqlite3 shell) to finish, or close it",
                path, doing, reason));
        case SQLITE_FULL:
            return resource_exhausted_error(fmt::format(
                "the disk holding database {} is full while {} ({}); free some space and run the "
                "same command again to resume",
                path, doing, reason));
        case SQLITE_NOMEM:
            return resource_exhausted_error(fmt::format(
                "out of memory while {} on database {}; lower the cache size or free memory", doing,
                path));
        case SQLITE_READONLY:
            return failed_precondition_error(fmt::format(
                "database {} is read-only while {} ({}); check the permissions of the file and "
                "its directory, or choose another --db path",
                path, doing, reason));
        case SQLITE_CANTOPEN:
            return cant_open_status(path, reason);
        case SQLITE_NOTADB:
            return failed_precondition_error(fmt::format(
                "{} is not a SQLite database ({}); choose another --db path", path, reason));
        case SQLITE_CORRUPT:
            return data_loss_error(fmt::format(
                "database {} is damaged while {} ({}); restore it from a backup or start over "
                "with another --db path",
                path, doing, reason));
        default:
            return internal_error(
                fmt::format("SQLite failed while {} on database {}: {}", doing, path, reason));
    }
}

Result<SqliteDb> SqliteDb::open(const std::filesystem::path& path, int flags) {
    sqlite3* raw = nullptr;
    // Extended codes tell SQLITE_READONLY_* and SQLITE_IOERR_* apart in messages; the mapping
    // looks at the primary code only.
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    SqliteDb db;
    db.db_.reset(raw);  // SQLite hands out a handle even on failure; it must be closed.
    db.path_ = path;
    if (rc != SQLITE_OK) {
        return db.error(rc, "opening it");
    }
    sqlite3_extended_result_codes(raw, 1);
    return db;
}

Status SqliteDb::exec(const char* sql, std::string_view doing) {
    const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        return error(rc, doing);
    }
    return ok_status();
}

Result<std::string> SqliteDb::query_text(const char* sql, std::string_view doing) {
    auto statement = SqliteStatement::prepare(*this, sql);
    if (!statement.ok()) {
        return statement.status();
    }
    const int rc = statement->step();
    if (rc == SQLITE_ROW) {
        return statement->column_text(0);
    }
    if (rc != SQLITE_DONE) {
        return error(rc, doing);
    }
    return std::string();
}

Result<std::int64_t> SqliteDb::query_int(const char* sql, std::string_view doing) {
    auto statement = SqliteStatement::prepare(*this, sql);
    if (!statement.ok()) {
        return statement.status();
    }
    const int rc = statement->step();
    if (rc == SQLITE_ROW) {
        return statement->column_int(0);
    }
    if (rc != SQLITE_DONE) {
        return error(rc, doing);
    }
    return std::int64_t{0};
}

Result<SqliteStatement> SqliteStatement::prepare(SqliteDb& db, const char* sql) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    SqliteStatement statement;
    statement.stmt_.reset(raw);
    if (rc != SQLITE_OK) {
        return db.error(rc, "preparing a statement");
    }
    return statement;
}

void SqliteStatement::bind_static(int index, std::string_view text) noexcept {
    sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                      SQLITE_STATIC);
}

void SqliteStatement::bind_copy(int index, std::string_view text) noexcept {
    sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
}

void SqliteStatement::bind_double(int index, double value) noexcept {
    sqlite3_bind_double(stmt_.get(), index, value);
}

void SqliteStatement::bind_int(int index, std::int64_t value) noexcept {
    sqlite3_bind_int64(stmt_.get(), index, value);
}

void SqliteStatement::bind_null(int index) noexcept {
    sqlite3_bind_null(stmt_.get(), index);
}

Status SqliteStatement::run(const SqliteDb& db, std::string_view doing) {
    const int rc = sqlite3_step(stmt_.get());
    // The status is taken before the reset so that it carries this step's message.
    Status status = rc == SQLITE_DONE || rc == SQLITE_ROW ? ok_status() : db.error(rc, doing);
    sqlite3_reset(stmt_.get());
    return status;
}

std::string SqliteStatement::column_text(int index) const {
    const auto* text = sqlite3_column_text(stmt_.get(), index);
    if (text == nullptr) {
        return std::string();
    }
    const int size = sqlite3_column_bytes(stmt_.get(), index);
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

double SqliteStatement::column_double(int index) const noexcept {
    return sqlite3_column_double(stmt_.get(), index);
}

std::int64_t SqliteStatement::column_int(int index) const noexcept {
    return sqlite3_column_int64(stmt_.get(), index);
}

bool SqliteStatement::column_is_null(int index) const noexcept {
    return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL;
}

}  // namespace bulkscore::detail
