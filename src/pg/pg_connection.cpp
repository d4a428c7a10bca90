// SPDX-License-Identifier: MIT
//
// `PgConnection` (see pg_connection.hpp): connecting, running commands, COPY, and turning
// libpq's failures into `Status` values with advice.

#include "pg/pg_connection.hpp"

#include <algorithm>
#include <climits>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "bulkscore/logging.hpp"

namespace bulkscore::detail {
namespace {

// libpq's messages end with a line break; ours are one line.
std::string trimmed(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.remove_suffix(1);
    }
    std::string line(text);
    std::replace(line.begin(), line.end(), '\n', ' ');
    return line;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

// How the server is named in messages: user, host (or socket directory), port and database,
// never the password.
std::string describe(const PGconn* conn) {
    const auto text = [](const char* value) {
        return value == nullptr ? "" : value;
    };
    return fmt::format("postgresql://{}@{}:{}/{}", text(PQuser(conn)), text(PQhost(conn)),
                       text(PQport(conn)), text(PQdb(conn)));
}

Status connect_error(const PGconn* conn, std::string_view where) {
    const std::string reason = trimmed(PQerrorMessage(conn));
    if (contains(reason, "authentication failed") || contains(reason, "pg_hba.conf") ||
        contains(reason, "password") ||
        (contains(reason, "role \"") && contains(reason, "exist"))) {
        return failed_precondition_error(fmt::format(
            "PostgreSQL server {} refused the connection: {}; check the user and password in the "
            "URL (or ~/.pgpass) and the server's pg_hba.conf",
            where, reason));
    }
    if (contains(reason, "database \"") && contains(reason, "does not exist")) {
        return not_found_error(
            fmt::format("PostgreSQL server {}: {}; create the database (createdb) or fix the URL",
                        where, reason));
    }
    return unavailable_error(fmt::format(
        "cannot connect to the PostgreSQL server {}: {}; check that the server is running and "
        "that the URL's host and port are right",
        where, reason));
}

// The code and advice for an SQLSTATE (PostgreSQL's error codes, appendix A of its manual).
struct Diagnosis {
    StatusCode code;
    std::string_view advice;
};

Diagnosis diagnose(std::string_view sqlstate) {
    const auto is_class = [&](std::string_view prefix) {
        return sqlstate.starts_with(prefix);
    };
    if (is_class("08") || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") {
        return {StatusCode::kUnavailable,
                "the connection was lost; check that the server is running, then run the same "
                "command again to resume from the last checkpoint"};
    }
    if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" || sqlstate == "57014" ||
        sqlstate == "53300") {
        return {StatusCode::kUnavailable, "a transient conflict or timeout; try again"};
    }
    if (sqlstate == "53100") {
        return {StatusCode::kResourceExhausted,
                "the server's disk is full; free space on it, then run the same command again to "
                "resume from the last checkpoint"};
    }
    if (is_class("53") || is_class("54")) {
        return {StatusCode::kResourceExhausted,
                "the server ran out of a resource; ask its administrator, then run the same "
                "command again to resume"};
    }
    if (sqlstate == "42501") {
        return {StatusCode::kFailedPrecondition,
                "the user lacks a privilege; grant it USAGE and CREATE on the schema (or CREATE "
                "on the database to create the schema), or choose another schema"};
    }
    if (sqlstate == "25006") {
        return {StatusCode::kFailedPrecondition,
                "the server only accepts reads (a standby?); connect to the primary"};
    }
    if (is_class("28")) {
        return {StatusCode::kFailedPrecondition, "check the user and password in the URL"};
    }
    if (sqlstate == "3D000" || sqlstate == "3F000") {
        return {StatusCode::kNotFound, "create it or fix the URL"};
    }
    return {StatusCode::kInternal, "see the server's log"};
}

}  // namespace

Result<PgConnection> PgConnection::open(std::string_view url,
                                        std::chrono::seconds connect_timeout) {
    const std::string url_text(url);
    char* parse_error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(url_text.c_str(), &parse_error);
    if (parsed == nullptr) {
        std::string reason = parse_error ? trimmed(parse_error) : "out of memory";
        PQfreemem(parse_error);
        return invalid_argument_error(
            fmt::format("the PostgreSQL URL is malformed: {}; write it as "
                        "postgresql://USER:PASSWORD@HOST:PORT/DATABASE",
                        reason));
    }
    PQconninfoFree(parsed);

    // Our defaults first: the URL's own settings come later and win.
    const std::string timeout = std::to_string(std::max<long long>(1, connect_timeout.count()));
    const char* const keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* const values[] = {timeout.c_str(), "bulkscore", url_text.c_str(), nullptr};
    std::unique_ptr<PGconn, ConnDeleter> conn(PQconnectdbParams(keywords, values, 1));
    if (conn == nullptr) {
        return resource_exhausted_error("connecting to PostgreSQL: libpq is out of memory");
    }
    std::string where = describe(conn.get());
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        return connect_error(conn.get(), where);
    }
    PgConnection connection(std::move(conn), std::move(where));
    BULKSCORE_RETURN_IF_ERROR(connection.configure_session());
    return connection;
}

Status PgConnection::configure_session() {
    // The server's notices ("already exists, skipping") go to the library's logger at debug
    // level, never to the host's stderr (libpq's default).
    PQsetNoticeProcessor(
        conn_.get(),
        [](void*, const char* message) {
            logger()->debug("postgres notice; message={}", trimmed(message));
        },
        nullptr);
    if (PQsetClientEncoding(conn_.get(), "UTF8") != 0) {
        return error(nullptr, "setting the client encoding to UTF-8");
    }
    // Shortest text that reads back to the same double (the default since PostgreSQL 12, made
    // explicit): results round-trip bit for bit.
    return exec("SET extra_float_digits = 3", "configuring the session");
}

bool PgConnection::in_transaction() const noexcept {
    const PGTransactionStatusType status = PQtransactionStatus(conn_.get());
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

Status PgConnection::reconnect() {
    PQreset(conn_.get());
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        return connect_error(conn_.get(), where_);
    }
    return configure_session();
}

Result<PgResult> PgConnection::check(PgResult result, std::string_view doing) const {
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN) {
        return result;
    }
    return error(result.get(), doing);
}

Status PgConnection::exec(const char* sql, std::string_view doing) {
    return check(PgResult(PQexec(conn_.get(), sql)), doing).status();
}

Result<PgResult> PgConnection::query(const char* sql, PgParams params, std::string_view doing) {
    return check(PgResult(PQexecParams(conn_.get(), sql, static_cast<int>(params.size()), nullptr,
                                       params.data(), nullptr, nullptr, 0)),
                 doing);
}

Result<PgResult> PgConnection::query_prepared(const char* name,
                                              PgParams params,
                                              std::string_view doing) {
    return check(PgResult(PQexecPrepared(conn_.get(), name, static_cast<int>(params.size()),
                                         params.data(), nullptr, nullptr, 0)),
                 doing);
}

Status PgConnection::prepare(const char* name, const char* sql, std::string_view doing) {
    return check(PgResult(PQprepare(conn_.get(), name, sql, 0, nullptr)), doing).status();
}

Status PgConnection::copy_in(const char* copy_sql, std::string_view data, std::string_view doing) {
    PgResult started(PQexec(conn_.get(), copy_sql));
    if (!started || PQresultStatus(started.get()) != PGRES_COPY_IN) {
        return error(started.get(), doing);
    }
    // Sent in pieces: PQputCopyData takes an int length.
    constexpr std::size_t kPiece = 1 << 20;
    const char* end_error = nullptr;
    for (std::size_t offset = 0; offset < data.size(); offset += kPiece) {
        const std::size_t length = std::min(kPiece, data.size() - offset);
        if (PQputCopyData(conn_.get(), data.data() + offset, static_cast<int>(length)) != 1) {
            end_error = "sending the rows failed";
            break;
        }
    }
    if (PQputCopyEnd(conn_.get(), end_error) != 1) {
        return error(nullptr, doing);
    }

    // The COPY's outcome, then the end of the command (libpq's protocol: read until null).
    Status status;
    bool first = true;
    while (PgResult result{PQgetResult(conn_.get())}) {
        if (first) {
            status = check(std::move(result), doing).status();
            first = false;
        }
    }
    if (first) {
        return error(nullptr, doing);
    }
    return status;
}

Result<std::string> PgConnection::quote_identifier(std::string_view name) const {
    char* quoted = PQescapeIdentifier(conn_.get(), name.data(), name.size());
    if (quoted == nullptr) {
        return invalid_argument_error(fmt::format("\"{}\" cannot be used as a PostgreSQL name: {}",
                                                  name, trimmed(PQerrorMessage(conn_.get()))));
    }
    std::string text(quoted);
    PQfreemem(quoted);
    return text;
}

Status PgConnection::error(const PGresult* result, std::string_view doing) const {
    const char* sqlstate_field = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    const std::string reason = trimmed(primary ? primary : PQerrorMessage(conn_.get()));
    // Without an SQLSTATE the failure happened on the client side: most often the connection.
    std::string_view sqlstate = sqlstate_field ? sqlstate_field : "";
    if (sqlstate.empty() && broken()) {
        sqlstate = "08006";
    }
    const Diagnosis diagnosis = diagnose(sqlstate);
    return Status(diagnosis.code,
                  fmt::format("PostgreSQL server {}: {} failed: {}{}{}{}; {}", where_, doing,
                              reason, sqlstate.empty() ? "" : " (SQLSTATE ",
                              sqlstate.empty() ? std::string_view() : sqlstate,
                              sqlstate.empty() ? "" : ")", diagnosis.advice));
}

}  // namespace bulkscore::detail
