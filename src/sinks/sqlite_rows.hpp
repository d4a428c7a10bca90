// SPDX-License-Identifier: MIT
//
// Reading rows of the SQLite store's `scores` table, shared by the store's read side and the
// HTML report's queries, so that both decode a row the same way.
//
// Thread safety: a function over a statement the caller owns.

#pragma once

#include <string_view>

#include "bulkscore/sqlite_store.hpp"
#include "bulkscore/status.hpp"

#include "sinks/sqlite_db.hpp"

namespace bulkscore::detail {

/// The `scores` columns, in the order `score_from_row` reads them.
inline constexpr std::string_view kScoreColumns =
    "id, url, score, potential_clicks, action, upside, striking, ctr_gap, demand, decay, ease, "
    "staleness, thinness, link_need, scorer_version, job";

/// The row `row` stands on, from a statement that selects `kScoreColumns` in that order.
/// `data_loss` (naming the database and the id) for an action this version does not know.
Result<StoredScore> score_from_row(const SqliteStatement& row, const SqliteDb& db);

}  // namespace bulkscore::detail
