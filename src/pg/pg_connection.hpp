// SPDX-License-Identifier: MIT
//
// `PgConnection`: one libpq connection with bulkscore's error model. Every failure becomes a
// `Status` whose code follows the SQLSTATE (a lost connection, a deadlock or a timeout is
// `unavailable`; a full disk `resource_exhausted`; a missing privilege `failed_precondition`)
// and whose message names the server (its URL without the password), what was being done,
// the server's words, and what to do.
//
// Thread safety: one `PgConnection` is used by one thread at a time (libpq's rule for a
// `PGconn`); distinct connections are independent.

#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <libpq-fe.h>

#include "bulkscore/status.hpp"

namespace bulkscore::detail {

struct PgResultDeleter {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
};
/// An owned libpq result.
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

/// A text parameter of a query: `value` must stay alive and NUL-terminated until the call
/// returns; a null `value` is SQL NULL.
using PgParams = std::span<const char* const>;

class PgConnection {
public:
    /// Connects to `url` (a libpq URL or `key=value` string), with UTF-8 as the client encoding
    /// and doubles sent at full precision.
    ///
    /// Errors: `unavailable` when the server cannot be reached (not running, refusing, timed
    /// out); `failed_precondition` when it refuses the user (password, pg_hba.conf);
    /// `not_found` when the database does not exist; `invalid_argument` for a malformed URL.
    static Result<PgConnection> open(std::string_view url, std::chrono::seconds connect_timeout);

    PgConnection(PgConnection&&) noexcept = default;
    PgConnection& operator=(PgConnection&&) noexcept = default;

    PGconn* get() const noexcept { return conn_.get(); }

    /// The URL without its password, for messages.
    const std::string& where() const noexcept { return where_; }

    /// Whether the connection is gone (the server closed it, or the network failed).
    bool broken() const noexcept { return PQstatus(conn_.get()) != CONNECTION_OK; }

    /// Whether a transaction is open (possibly failed).
    bool in_transaction() const noexcept;

    /// Reconnects with the same settings. Errors: as `open`.
    Status reconnect();

    /// Runs `sql` (one or more commands without parameters), discarding any rows.
    Status exec(const char* sql, std::string_view doing);

    /// Runs one command with text parameters and returns its result (rows or none).
    Result<PgResult> query(const char* sql, PgParams params, std::string_view doing);

    /// Runs a prepared statement `name` with text parameters.
    Result<PgResult> query_prepared(const char* name, PgParams params, std::string_view doing);

    /// Prepares `sql` as statement `name` on this connection.
    Status prepare(const char* name, const char* sql, std::string_view doing);

    /// Runs `copy_sql` (a `COPY ... FROM STDIN`) and sends `data` in COPY text format.
    Status copy_in(const char* copy_sql, std::string_view data, std::string_view doing);

    /// `name` quoted as an SQL identifier (`"my schema"`).
    Result<std::string> quote_identifier(std::string_view name) const;

    /// The failure a result (or the lack of one) stands for, with what was being `doing`.
    Status error(const PGresult* result, std::string_view doing) const;

private:
    struct ConnDeleter {
        void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
    };

    PgConnection(std::unique_ptr<PGconn, ConnDeleter> conn, std::string where)
        : conn_(std::move(conn)), where_(std::move(where)) {}

    Status configure_session();
    Result<PgResult> check(PgResult result, std::string_view doing) const;

    std::unique_ptr<PGconn, ConnDeleter> conn_;
    std::string where_;
};

}  // namespace bulkscore::detail
