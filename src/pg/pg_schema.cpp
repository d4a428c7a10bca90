// SPDX-License-Identifier: MIT
//
// The PostgreSQL store's schema and row decoders (see pg_schema.hpp), and the read functions
// of pg_store.hpp.

#include "pg/pg_schema.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bulkscore/pg_store.hpp"

namespace bulkscore::detail {
namespace {

// The comment on `jobs` that marks a schema as bulkscore's, with its version: the
// PostgreSQL counterpart of the SQLite store's application_id and user_version.
constexpr std::string_view kSchemaMark = "bulkscore schema ";
constexpr int kSchemaVersion = 1;

// "BSCR": the first key of the advisory lock that serialises schema creation.
constexpr std::int32_t kLockKey = 0x42534352;

// The contract of DESIGN.md, "SQLite store", with PostgreSQL's types, and the work table of
// distributed runs (`ranges`, see pg_job.hpp). `{0}` is the quoted schema. No index on scores
// beyond its primary key: every extra index costs each insert.
constexpr const char* kCreateSchema = R"sql(
CREATE SCHEMA IF NOT EXISTS {0};
CREATE TABLE IF NOT EXISTS {0}.scores(
    id text PRIMARY KEY, url text, score double precision, potential_clicks double precision,
    action text, upside double precision, striking double precision, ctr_gap double precision,
    demand double precision, decay double precision, ease double precision,
    staleness double precision, thinness double precision, link_need double precision,
    scorer_version text, job text);
CREATE TABLE IF NOT EXISTS {0}.rejections(
    job text, ordinal bigint, line bigint, id text, field text, reason text, message text);
CREATE UNIQUE INDEX IF NOT EXISTS rejections_by_job_ordinal ON {0}.rejections(job, ordinal);
CREATE TABLE IF NOT EXISTS {0}.jobs(
    job text PRIMARY KEY, state text NOT NULL,
    position_ordinal bigint, position_byte_offset bigint, position_line bigint,
    total bigint, scored bigint, rejected bigint,
    input text, input_fingerprint text, config_fingerprint text, sink_state text,
    started_at_ms bigint, updated_at_ms bigint, message text);
CREATE TABLE IF NOT EXISTS {0}.ranges(
    job text NOT NULL, range_no integer NOT NULL,
    first_ordinal bigint NOT NULL, end_ordinal bigint NOT NULL,
    position_byte_offset bigint NOT NULL, position_line bigint NOT NULL,
    state text NOT NULL DEFAULT 'pending', owner text, lease_token bigint NOT NULL DEFAULT 0,
    lease_expires_at timestamptz, attempts integer NOT NULL DEFAULT 0, last_error text,
    scored bigint NOT NULL DEFAULT 0, rejected bigint NOT NULL DEFAULT 0,
    claimed_at timestamptz, done_at timestamptz,
    PRIMARY KEY (job, range_no));
COMMENT ON TABLE {0}.jobs IS '{1}{2}';
)sql";

// The comment on `{schema}.jobs` (empty when it has none), or nothing when the table is missing.
Result<std::optional<std::string>> jobs_comment(PgConnection& connection,
                                                std::string_view quoted_schema) {
    const std::string jobs = fmt::format("{}.jobs", quoted_schema);
    const char* const params[] = {jobs.c_str()};
    auto result = connection.query(
        "SELECT to_regclass($1) IS NOT NULL, obj_description(to_regclass($1), 'pg_class')", params,
        "looking for the bulkscore tables");
    if (!result.ok()) {
        return result.status();
    }
    if (std::string_view(PQgetvalue(result->get(), 0, 0)) != "t") {
        return std::optional<std::string>();
    }
    return std::optional<std::string>(PQgetvalue(result->get(), 0, 1));
}

// Whether `comment` marks a bulkscore schema this code understands; the failure says why not.
Status check_mark(const std::string& comment,
                  const PgConnection& connection,
                  std::string_view schema) {
    int version = 0;
    const std::string_view text(comment);
    if (text.starts_with(kSchemaMark)) {
        const std::string_view number = text.substr(kSchemaMark.size());
        std::from_chars(number.data(), number.data() + number.size(), version);
    }
    if (version <= 0) {
        return failed_precondition_error(fmt::format(
            "PostgreSQL server {}: schema \"{}\" holds a jobs table that bulkscore did not "
            "create; choose another schema",
            connection.where(), schema));
    }
    if (version > kSchemaVersion) {
        return failed_precondition_error(fmt::format(
            "PostgreSQL server {}: schema \"{}\" has bulkscore schema version {}, newer than "
            "this bulkscore understands ({}); use a newer bulkscore",
            connection.where(), schema, version, kSchemaVersion));
    }
    return ok_status();
}

Status create_locked(PgConnection& connection,
                     std::string_view quoted_schema,
                     std::string_view schema) {
    const std::string key = fmt::format("{}", schema);
    const char* const params[] = {key.c_str()};
    const std::string lock_sql =
        fmt::format("SELECT pg_advisory_xact_lock({}, hashtext($1))", kLockKey);
    BULKSCORE_RETURN_IF_ERROR(
        connection.query(lock_sql.c_str(), params, "locking the schema for creation").status());
    auto comment = jobs_comment(connection, quoted_schema);
    if (!comment.ok()) {
        return comment.status();
    }
    if (comment->has_value()) {
        return check_mark(**comment, connection, schema);
    }
    const std::string create =
        fmt::format(fmt::runtime(kCreateSchema), quoted_schema, kSchemaMark, kSchemaVersion);
    return connection.exec(create.c_str(), "creating the bulkscore tables");
}

std::int64_t int_at(const PGresult* result, int row, int column) {
    if (PQgetisnull(result, row, column)) {
        return 0;
    }
    const char* text = PQgetvalue(result, row, column);
    std::int64_t value = 0;
    std::from_chars(text, text + PQgetlength(result, row, column), value);
    return value;
}

double double_at(const PGresult* result, int row, int column) {
    if (PQgetisnull(result, row, column)) {
        return 0;
    }
    const char* text = PQgetvalue(result, row, column);
    double value = 0;
    std::from_chars(text, text + PQgetlength(result, row, column), value);
    return value;
}

}  // namespace

std::string pg_text_at(const PGresult* result, int row, int column) {
    return std::string(PQgetvalue(result, row, column),
                       static_cast<std::size_t>(PQgetlength(result, row, column)));
}

std::uint64_t pg_unsigned_at(const PGresult* result, int row, int column) {
    return static_cast<std::uint64_t>(int_at(result, row, column));
}

Status ensure_pg_schema(PgConnection& connection,
                        std::string_view quoted_schema,
                        std::string_view schema) {
    // Fast path without a lock or a write: the tables are there (the usual case, and the only
    // one that works for a user without CREATE privileges).
    auto comment = jobs_comment(connection, quoted_schema);
    if (!comment.ok()) {
        return comment.status();
    }
    if (comment->has_value()) {
        return check_mark(**comment, connection, schema);
    }
    BULKSCORE_RETURN_IF_ERROR(connection.exec("BEGIN", "creating the bulkscore tables"));
    Status status = create_locked(connection, quoted_schema, schema);
    if (status.ok()) {
        status = connection.exec("COMMIT", "creating the bulkscore tables");
    }
    if (!status.ok() && !connection.broken()) {
        (void)connection.exec("ROLLBACK", "rolling back the creation of the tables");
    }
    return status;
}

Result<PgReader> open_pg_reader(std::string_view url, std::string_view schema) {
    // Reading is quick: a server that does not answer in this time is unavailable.
    constexpr std::chrono::seconds kConnectTimeout{10};
    auto connection = PgConnection::open(url, kConnectTimeout);
    if (!connection.ok()) {
        return connection.status();
    }
    auto quoted = connection->quote_identifier(schema);
    if (!quoted.ok()) {
        return quoted.status();
    }
    BULKSCORE_RETURN_IF_ERROR(check_pg_schema(*connection, *quoted, schema));
    return PgReader{std::move(connection).value(), std::move(quoted).value()};
}

Status check_pg_schema(PgConnection& connection,
                       std::string_view quoted_schema,
                       std::string_view schema) {
    auto comment = jobs_comment(connection, quoted_schema);
    if (!comment.ok()) {
        return comment.status();
    }
    if (!comment->has_value()) {
        return not_found_error(fmt::format(
            "PostgreSQL server {}: schema \"{}\" has no bulkscore tables; score into it first, "
            "or name the schema the run used",
            connection.where(), schema));
    }
    return check_mark(**comment, connection, schema);
}

Result<Checkpoint> pg_checkpoint_from_row(const PGresult* result,
                                          int row,
                                          const PgConnection& connection) {
    Checkpoint checkpoint;
    checkpoint.job = pg_text_at(result, row, 0);
    const std::string state = pg_text_at(result, row, 1);
    const auto parsed = parse_job_state(state);
    if (!parsed) {
        return data_loss_error(fmt::format(
            "PostgreSQL server {}: job \"{}\" has the unknown state \"{}\"; it was written by "
            "another program or version, start the job over with --restart",
            connection.where(), checkpoint.job, state));
    }
    checkpoint.state = *parsed;
    checkpoint.position.ordinal = pg_unsigned_at(result, row, 2);
    checkpoint.position.byte_offset = pg_unsigned_at(result, row, 3);
    checkpoint.position.line = pg_unsigned_at(result, row, 4);
    checkpoint.total = pg_unsigned_at(result, row, 5);
    checkpoint.scored = pg_unsigned_at(result, row, 6);
    checkpoint.rejected = pg_unsigned_at(result, row, 7);
    checkpoint.input = pg_text_at(result, row, 8);
    checkpoint.input_fingerprint = pg_text_at(result, row, 9);
    checkpoint.config_fingerprint = pg_text_at(result, row, 10);
    checkpoint.sink_state = pg_text_at(result, row, 11);
    checkpoint.started_at_ms = int_at(result, row, 12);
    checkpoint.updated_at_ms = int_at(result, row, 13);
    checkpoint.message = pg_text_at(result, row, 14);
    return checkpoint;
}

Result<StoredScore> pg_score_from_row(const PGresult* result,
                                      int row,
                                      const PgConnection& connection) {
    StoredScore score;
    score.id = pg_text_at(result, row, 0);
    score.url = pg_text_at(result, row, 1);
    score.score = double_at(result, row, 2);
    score.potential_clicks = double_at(result, row, 3);
    const std::string action = pg_text_at(result, row, 4);
    const auto parsed = parse_action(action);
    if (!parsed) {
        return data_loss_error(fmt::format(
            "PostgreSQL server {}: the score of id \"{}\" has the unknown action \"{}\"; it was "
            "written by another program or version",
            connection.where(), score.id, action));
    }
    score.action = *parsed;
    Components& c = score.components;
    double* const components[] = {&c.upside, &c.striking,  &c.ctr_gap,  &c.demand,   &c.decay,
                                  &c.ease,   &c.staleness, &c.thinness, &c.link_need};
    int column = 5;
    for (double* component : components) {
        *component = double_at(result, row, column++);
    }
    score.scorer_version = pg_text_at(result, row, 14);
    score.job = pg_text_at(result, row, 15);
    return score;
}

Result<StoredRejection> pg_rejection_from_row(const PGresult* result,
                                              int row,
                                              const PgConnection& connection) {
    StoredRejection rejection;
    rejection.job = pg_text_at(result, row, 0);
    rejection.ordinal = pg_unsigned_at(result, row, 1);
    rejection.line = pg_unsigned_at(result, row, 2);
    rejection.id = pg_text_at(result, row, 3);
    rejection.field = pg_text_at(result, row, 4);
    const std::string reason = pg_text_at(result, row, 5);
    const auto parsed = parse_reject_reason(reason);
    if (!parsed) {
        return data_loss_error(fmt::format(
            "PostgreSQL server {}: rejection {} of job \"{}\" has the unknown reason \"{}\"; it "
            "was written by another program or version",
            connection.where(), rejection.ordinal, rejection.job, reason));
    }
    rejection.reason = *parsed;
    rejection.message = pg_text_at(result, row, 6);
    return rejection;
}

}  // namespace bulkscore::detail

// ---------------------------------------------------------------------------------------------
// The read side.

namespace bulkscore {
namespace {

using detail::PgConnection;

// Every row that `sql_for(quoted schema)` selects from `schema` on `url`, decoded by
// `convert`, over a connection of its own.
template <class T, class SqlFor, class Convert>
Result<std::vector<T>> read_rows(std::string_view url,
                                 std::string_view schema,
                                 SqlFor sql_for,
                                 detail::PgParams params,
                                 std::string_view doing,
                                 Convert convert) {
    auto reader = detail::open_pg_reader(url, schema);
    if (!reader.ok()) {
        return reader.status();
    }
    PgConnection& connection = reader->connection;
    const std::string sql = sql_for(reader->quoted_schema);
    auto result = connection.query(sql.c_str(), params, doing);
    if (!result.ok()) {
        return result.status();
    }
    std::vector<T> rows;
    const int count = PQntuples(result->get());
    rows.reserve(static_cast<std::size_t>(count));
    for (int row = 0; row < count; ++row) {
        Result<T> value = convert(result->get(), row, connection);
        if (!value.ok()) {
            return value.status();
        }
        rows.push_back(std::move(value).value());
    }
    return rows;
}

std::string sql_limit(std::size_t limit) {
    return std::to_string(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

}  // namespace

Result<std::vector<Checkpoint>> read_pg_jobs(std::string_view url, std::string_view schema) {
    return read_rows<Checkpoint>(
        url, schema,
        [](const std::string& quoted) {
            return fmt::format("SELECT {} FROM {}.jobs ORDER BY job", detail::kPgJobColumns,
                               quoted);
        },
        {}, "reading the jobs", detail::pg_checkpoint_from_row);
}

Result<std::vector<StoredScore>> read_pg_top_scores(std::string_view url,
                                                    std::string_view schema,
                                                    const TopQuery& query) {
    const std::string action = query.action ? std::string(to_string(*query.action)) : "";
    const std::string limit = sql_limit(query.limit);
    const char* const params[] = {query.action ? action.c_str() : nullptr,
                                  query.job ? query.job->c_str() : nullptr, limit.c_str()};
    // `$1 IS NULL OR ...` keeps one statement for every combination of filters.
    return read_rows<StoredScore>(
        url, schema,
        [](const std::string& quoted) {
            return fmt::format(
                "SELECT {} FROM {}.scores WHERE ($1::text IS NULL OR action = $1) AND ($2::text "
                "IS NULL OR job = $2) ORDER BY score DESC, id COLLATE \"C\" LIMIT $3::bigint",
                detail::kPgScoreColumns, quoted);
        },
        params, "reading the scores", detail::pg_score_from_row);
}

Result<std::vector<StoredRejection>> read_pg_rejections(std::string_view url,
                                                        std::string_view schema,
                                                        std::string_view job,
                                                        std::size_t limit) {
    const std::string job_text(job);
    const std::string limit_text = sql_limit(limit);
    const char* const params[] = {job_text.c_str(), limit_text.c_str()};
    return read_rows<StoredRejection>(
        url, schema,
        [](const std::string& quoted) {
            return fmt::format(
                "SELECT {} FROM {}.rejections WHERE job = $1 ORDER BY ordinal LIMIT $2",
                detail::kPgRejectionColumns, quoted);
        },
        params, "reading the rejections", detail::pg_rejection_from_row);
}

}  // namespace bulkscore
