// SPDX-License-Identifier: MIT
//
// The PostgreSQL store's schema: the SQL of its tables in a named schema, creating them once
// even when many workers start together, and decoding rows of `jobs`, `scores` and
// `rejections`. Shared by `PgStore` and the read functions.
//
// Thread safety: functions over a connection the caller owns.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/sqlite_store.hpp"
#include "bulkscore/status.hpp"

#include "pg/pg_connection.hpp"

namespace bulkscore::detail {

/// The `jobs` columns, in the order `checkpoint_from_row` reads them.
inline constexpr std::string_view kPgJobColumns =
    "job, state, position_ordinal, position_byte_offset, position_line, total, scored, "
    "rejected, input, input_fingerprint, config_fingerprint, sink_state, started_at_ms, "
    "updated_at_ms, message";

/// The `scores` columns, in the order `pg_score_from_row` reads them.
inline constexpr std::string_view kPgScoreColumns =
    "id, url, score, potential_clicks, action, upside, striking, ctr_gap, demand, decay, ease, "
    "staleness, thinness, link_need, scorer_version, job";

/// The `rejections` columns, in the order `pg_rejection_from_row` reads them.
inline constexpr std::string_view kPgRejectionColumns =
    "job, ordinal, line, id, field, reason, message";

/// Creates the schema and its tables when missing (one transaction, under an advisory lock),
/// and checks that an existing one is bulkscore's, of a version this code understands.
/// `quoted_schema` is the schema's quoted identifier, `schema` its name for messages.
Status ensure_pg_schema(PgConnection& connection,
                        std::string_view quoted_schema,
                        std::string_view schema);

/// Checks, without creating anything, that `schema` holds bulkscore's tables.
/// `not_found` when it does not.
Status check_pg_schema(PgConnection& connection,
                       std::string_view quoted_schema,
                       std::string_view schema);

/// A read-only look at a schema: a connection of its own and the schema's quoted name.
struct PgReader {
    PgConnection connection;
    std::string quoted_schema;
};

/// Connects to `url` for reading `schema`, checking that it holds bulkscore's tables. Errors: as
/// `PgConnection::open`; `not_found` when the schema has no bulkscore tables.
Result<PgReader> open_pg_reader(std::string_view url, std::string_view schema);

/// The text of a cell (empty for NULL).
std::string pg_text_at(const PGresult* result, int row, int column);

/// A cell as an unsigned integer (0 for NULL).
std::uint64_t pg_unsigned_at(const PGresult* result, int row, int column);

/// Row `row` of a result selecting `kPgJobColumns`. `data_loss` for an unknown state.
Result<Checkpoint> pg_checkpoint_from_row(const PGresult* result,
                                          int row,
                                          const PgConnection& connection);

/// Row `row` of a result selecting `kPgScoreColumns`. `data_loss` for an unknown action.
Result<StoredScore> pg_score_from_row(const PGresult* result,
                                      int row,
                                      const PgConnection& connection);

/// Row `row` of a result selecting `kPgRejectionColumns`. `data_loss` for an unknown reason.
Result<StoredRejection> pg_rejection_from_row(const PGresult* result,
                                              int row,
                                              const PgConnection& connection);

}  // namespace bulkscore::detail
