// SPDX-License-Identifier: MIT
//
// The SQLite store's read side as other readers use it (the HTML report's queries): opening a
// database for reading and decoding `scores` rows, so that every reader checks and decodes the
// same way.
//
// Thread safety: a function over a statement the caller owns.

#pragma once

#include <filesystem>
#include <string_view>

#include "bulkscore/sqlite_store.hpp"
#include "bulkscore/status.hpp"

#include "sinks/sqlite_db.hpp"

namespace bulkscore::detail {

/// Opens an existing bulkscore database read-only, with a busy timeout for a writer's commits.
/// `not_found` when there is no file, `failed_precondition` when it is not a bulkscore database
/// (or its schema is newer than this version).
Result<SqliteDb> open_for_reading(const std::filesystem::path& path);

/// The `scores` columns, in the order `score_from_row` reads them.
inline constexpr std::string_view kScoreColumns =
    "id, url, score, potential_clicks, action, upside, striking, ctr_gap, demand, decay, ease, "
    "staleness, thinness, link_need, scorer_version, job";

/// The row `row` stands on, from a statement that selects `kScoreColumns` in that order.
/// `data_loss` (naming the database and the id) for an action this version does not know.
Result<StoredScore> score_from_row(const SqliteStatement& row, const SqliteDb& db);

}  // namespace bulkscore::detail
