// SPDX-License-Identifier: MIT
//
// A `NodeSource` that reads the rows of a PostgreSQL query through a server-side cursor, one
// `FETCH` per batch, so that memory does not grow with the result:
//
//     bulkscore::PgSourceOptions options;
//     options.url = "postgresql://scorer@db.example/seo";
//     options.query = "SELECT page AS id, impressions, clicks, position FROM gsc ORDER BY page";
//     auto source = bulkscore::open_pg_source(options);
//
// Columns are matched by name to the native CSV columns (`id`, `url`, `impressions`, `clicks`,
// `position`, `search_volume`, `difficulty`, `prev_clicks`, `word_count`, `inlinks`,
// `days_since_update`; rename with `AS`); others are ignored. Values go through the same
// parsing and input rules as CSV cells, NULL being an empty cell, so a bad row becomes a
// rejection naming its column, and `line` is 0.
//
// Consistency: the source reads in one read-only REPEATABLE READ transaction, so the count and
// every batch see one snapshot of the data. A position is a row number; `seek` skips that many
// rows on the server (`MOVE`), without sending them.
//
// Limitation: resuming in a later process reads a new snapshot, so the query must return the
// same rows in the same order as before (an `ORDER BY` on a unique key over data that did not
// change); otherwise rows are skipped or read twice. The source cannot check this.
//
// Available when bulkscore is built with BULKSCORE_WITH_POSTGRES.
//
// Thread safety: as every `NodeSource`, used by one thread at a time.

#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "bulkscore/node_source.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore {

/// How to open a PostgreSQL query source.
struct PgSourceOptions {
    /// The server: `postgresql://USER:PASSWORD@HOST:PORT/DATABASE` or libpq's `key=value`.
    std::string url;

    /// One SELECT (or VALUES) statement, without a trailing semicolon being required. It runs
    /// as the URL's user, read-only; it should `ORDER BY` a unique key (see "Limitation").
    std::string query;

    /// How long connecting may take before it fails with `unavailable`. >= 1 s.
    std::chrono::seconds connect_timeout{10};
};

/// Connects, opens the query's cursor and checks its columns.
///
/// Errors: the connection errors of `PgStore::open`; `invalid_argument` when the query is
/// empty, does not run (its SQL error is quoted), or returns no `id` column.
Result<std::unique_ptr<NodeSource>> open_pg_source(const PgSourceOptions& options);

}  // namespace bulkscore
