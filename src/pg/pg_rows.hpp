// SPDX-License-Identifier: MIT
//
// The rows of the PostgreSQL store on their way in: results and rejections rendered in COPY's
// text format into session-private staging tables, and the SQL that merges those into the
// schema's tables. Shared by `PgStore` (one job on one process) and the range store of
// distributed runs (pg_range_store.hpp).
//
// PostgreSQL text holds neither NUL nor invalid UTF-8: such bytes become U+FFFD (the limitation
// stated in pg_store.hpp) instead of failing the whole batch.
//
// Thread safety: pure functions and constants.

#pragma once

#include <string>
#include <string_view>

#include "bulkscore/rejection.hpp"
#include "bulkscore/score_result.hpp"

namespace bulkscore::detail {

/// `text` as PostgreSQL accepts it in a parameter: NUL and invalid UTF-8 become U+FFFD.
std::string valid_pg_text(std::string_view text);

/// Appends one line for `bulkscore_staged_scores` (the columns of `kPgCopyScores`).
void append_pg_result_row(std::string& out, const ScoreResult& result);

/// Appends one line for `bulkscore_staged_rejections` (the columns of `kPgCopyRejections`).
void append_pg_rejection_row(std::string& out, const Rejection& rejection);

// `{0}` is the quoted schema. The staging tables are temporary (private to the session, gone
// with it) and emptied at every commit.

inline constexpr const char* kPgCreateStaging = R"sql(
CREATE TEMP TABLE IF NOT EXISTS bulkscore_staged_scores(
    id text, url text, score double precision, potential_clicks double precision, action text,
    upside double precision, striking double precision, ctr_gap double precision,
    demand double precision, decay double precision, ease double precision,
    staleness double precision, thinness double precision, link_need double precision,
    scorer_version text, ordinal bigint) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS bulkscore_staged_rejections(
    ordinal bigint, line bigint, id text, field text, reason text, message text)
    ON COMMIT DELETE ROWS;
)sql";

inline constexpr const char* kPgCopyScores =
    "COPY pg_temp.bulkscore_staged_scores(id, url, score, potential_clicks, action, upside, "
    "striking, ctr_gap, demand, decay, ease, staleness, thinness, link_need, scorer_version, "
    "ordinal) FROM STDIN";
inline constexpr const char* kPgCopyRejections =
    "COPY pg_temp.bulkscore_staged_rejections(ordinal, line, id, field, reason, message) "
    "FROM STDIN";

// DISTINCT ON keeps the record with the highest ordinal of each id: the later record wins,
// and no id reaches ON CONFLICT twice in one statement (which PostgreSQL refuses). The sort
// by id also makes the primary-key index take its inserts in order.
inline constexpr const char* kPgMergeScores = R"sql(
INSERT INTO {0}.scores(id, url, score, potential_clicks, action, upside, striking, ctr_gap,
                       demand, decay, ease, staleness, thinness, link_need, scorer_version, job)
SELECT DISTINCT ON (id) id, url, score, potential_clicks, action, upside, striking, ctr_gap,
       demand, decay, ease, staleness, thinness, link_need, scorer_version, $1
FROM pg_temp.bulkscore_staged_scores ORDER BY id, ordinal DESC
ON CONFLICT (id) DO UPDATE SET
    url = excluded.url, score = excluded.score, potential_clicks = excluded.potential_clicks,
    action = excluded.action, upside = excluded.upside, striking = excluded.striking,
    ctr_gap = excluded.ctr_gap, demand = excluded.demand, decay = excluded.decay,
    ease = excluded.ease, staleness = excluded.staleness, thinness = excluded.thinness,
    link_need = excluded.link_need, scorer_version = excluded.scorer_version, job = excluded.job
)sql";

inline constexpr const char* kPgMergeRejections = R"sql(
INSERT INTO {0}.rejections(job, ordinal, line, id, field, reason, message)
SELECT DISTINCT ON (ordinal) $1, ordinal, line, id, field, reason, message
FROM pg_temp.bulkscore_staged_rejections ORDER BY ordinal
ON CONFLICT (job, ordinal) DO UPDATE SET
    line = excluded.line, id = excluded.id, field = excluded.field, reason = excluded.reason,
    message = excluded.message
)sql";

inline constexpr const char* kPgEmptyStaging =
    "TRUNCATE pg_temp.bulkscore_staged_scores, pg_temp.bulkscore_staged_rejections";

}  // namespace bulkscore::detail
