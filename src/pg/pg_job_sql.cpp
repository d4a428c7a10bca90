// SPDX-License-Identifier: MIT
//
// The statements of distributed runs (see pg_job_sql.hpp). `{0}` is the quoted schema; times
// come from the server's clock (`now()`), so that workers on machines whose clocks disagree
// still agree on when a lease expires.

#include "pg/pg_job_sql.hpp"

#include <fmt/format.h>

#include "pg/pg_rows.hpp"
#include "pg/pg_schema.hpp"

namespace bulkscore::detail {
namespace {

// $1 job, $2 range, $3 lease token, $4 lease in seconds.
constexpr const char* kRenewLease = R"sql(
UPDATE {0}.ranges SET lease_expires_at = now() + make_interval(secs => $4::double precision)
WHERE job = $1 AND range_no = $2::integer AND lease_token = $3::bigint AND state = 'pending'
)sql";

// $1 job, $2 range, $3 lease token, $4 scored, $5 rejected. The owner stays: it committed.
constexpr const char* kMarkDone = R"sql(
UPDATE {0}.ranges SET state = 'done', done_at = now(), lease_expires_at = NULL,
    scored = $4::bigint, rejected = $5::bigint, last_error = NULL
WHERE job = $1 AND range_no = $2::integer AND lease_token = $3::bigint AND state = 'pending'
)sql";

// $1 job, $2 scored, $3 rejected, $4 unix ms. An increment, not a sum over ranges: under READ
// COMMITTED two ranges committing at once each add their own counts to the row's latest version.
constexpr const char* kAddToJob = R"sql(
UPDATE {0}.jobs SET scored = scored + $2::bigint, rejected = rejected + $3::bigint,
    position_ordinal = position_ordinal + $2::bigint + $3::bigint, updated_at_ms = $4::bigint
WHERE job = $1
)sql";

// $1 job, $2 worker, $3 lease in seconds. The first claimable range in input order, skipping
// rows another worker is claiming or committing at this moment.
constexpr const char* kClaim = R"sql(
WITH candidate AS (
    SELECT range_no FROM {0}.ranges
    WHERE job = $1 AND state = 'pending'
      AND (lease_expires_at IS NULL OR lease_expires_at < now())
    ORDER BY range_no LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE {0}.ranges AS r
SET owner = $2, lease_token = r.lease_token + 1,
    lease_expires_at = now() + make_interval(secs => $3::double precision),
    attempts = r.attempts + 1, claimed_at = now()
FROM candidate WHERE r.job = $1 AND r.range_no = candidate.range_no
RETURNING r.range_no, r.first_ordinal, r.end_ordinal, r.position_byte_offset, r.position_line,
          r.lease_token, r.attempts
)sql";

// $1 job, $2 range, $3 lease token, $4 max attempts, $5 the error (NULL: a cancellation, which
// gives the attempt back). The range is free to claim at once.
constexpr const char* kRelease = R"sql(
UPDATE {0}.ranges SET lease_expires_at = NULL,
    attempts = attempts - CASE WHEN $5::text IS NULL THEN 1 ELSE 0 END,
    last_error = coalesce($5::text, last_error),
    state = CASE WHEN $5::text IS NOT NULL AND attempts >= $4::integer THEN 'set_aside'
                 ELSE 'pending' END
WHERE job = $1 AND range_no = $2::integer AND lease_token = $3::bigint AND state = 'pending'
)sql";

// $1 job, $2 range, $3 lease token, $4 reason.
constexpr const char* kSetAside = R"sql(
UPDATE {0}.ranges SET state = 'set_aside', lease_expires_at = NULL, last_error = $4
WHERE job = $1 AND range_no = $2::integer AND lease_token = $3::bigint AND state = 'pending'
)sql";

// $1 job: ranges leased now, ranges claimable now, ranges set aside, the first reason.
constexpr const char* kTally = R"sql(
SELECT count(*) FILTER (WHERE state = 'pending' AND lease_expires_at >= now()),
       count(*) FILTER (WHERE state = 'pending'
                          AND (lease_expires_at IS NULL OR lease_expires_at < now())),
       count(*) FILTER (WHERE state = 'set_aside'),
       (array_agg(last_error ORDER BY range_no) FILTER (WHERE state = 'set_aside'))[1]
FROM {0}.ranges WHERE job = $1
)sql";

// $1 job, $2 state, $3 message, $4 unix ms.
constexpr const char* kFinishJob = R"sql(
UPDATE {0}.jobs SET state = $2, message = $3, updated_at_ms = $4::bigint WHERE job = $1
)sql";

// $1 job: the number of ranges and the records of the largest.
constexpr const char* kCountRanges = R"sql(
SELECT count(*), coalesce(max(end_ordinal - first_ordinal), 0) FROM {0}.ranges WHERE job = $1
)sql";

constexpr const char* kCopyRanges =
    "COPY {0}.ranges(job, range_no, first_ordinal, end_ordinal, position_byte_offset, "
    "position_line) FROM STDIN";

// $1 job, $2 total, $3 input, $4 input fingerprint, $5 scorer fingerprint, $6 unix ms.
constexpr const char* kInsertJob = R"sql(
INSERT INTO {0}.jobs(job, state, position_ordinal, position_byte_offset, position_line, total,
                     scored, rejected, input, input_fingerprint, config_fingerprint, sink_state,
                     started_at_ms, updated_at_ms, message)
VALUES($1, 'running', 0, 0, 0, $2::bigint, 0, 0, $3, $4, $5, 'postgres-ranges', $6::bigint,
       $6::bigint, '')
)sql";

// $1 job. A new worker on a failed job tries its ranges set aside again.
constexpr const char* kReopenSetAside = R"sql(
UPDATE {0}.ranges SET state = 'pending', attempts = 0 WHERE job = $1 AND state = 'set_aside'
)sql";

// $1 job, or '' for every job: one row per job.
constexpr const char* kStatusRanges = R"sql(
SELECT job, count(*), count(*) FILTER (WHERE state = 'done'),
       count(*) FILTER (WHERE state = 'pending' AND lease_expires_at >= now()),
       count(*) FILTER (WHERE state = 'set_aside'), max(end_ordinal - first_ordinal),
       (array_agg(last_error ORDER BY range_no) FILTER (WHERE state = 'set_aside'))[1]
FROM {0}.ranges WHERE $1 = '' OR job = $1 GROUP BY job ORDER BY job
)sql";

// $1 job, or '' for every job: one row per job and worker. The rate is over the worker's
// committed ranges, from its first claim of them to its last commit.
constexpr const char* kStatusWorkers = R"sql(
SELECT job, owner,
       count(*) FILTER (WHERE state = 'done'),
       coalesce(sum(scored + rejected) FILTER (WHERE state = 'done'), 0),
       max(range_no) FILTER (WHERE state = 'pending' AND lease_expires_at >= now()),
       coalesce(extract(epoch FROM max(done_at) FILTER (WHERE state = 'done')
                                 - min(claimed_at) FILTER (WHERE state = 'done')), 0),
       coalesce(floor(extract(epoch FROM max(done_at)) * 1000), 0)::bigint,
       bool_or(done_at > now() - interval '60 seconds'
               OR (state = 'pending' AND lease_expires_at >= now()))
FROM {0}.ranges WHERE ($1 = '' OR job = $1) AND owner IS NOT NULL
GROUP BY job, owner ORDER BY job, owner
)sql";

std::string with_schema(const char* sql, std::string_view quoted_schema) {
    return fmt::format(fmt::runtime(sql), quoted_schema);
}

}  // namespace

PgJobSql::PgJobSql(std::string_view quoted_schema)
    : merge_scores(with_schema(kPgMergeScores, quoted_schema)),
      merge_rejections(with_schema(kPgMergeRejections, quoted_schema)),
      renew_lease(with_schema(kRenewLease, quoted_schema)),
      mark_done(with_schema(kMarkDone, quoted_schema)),
      add_to_job(with_schema(kAddToJob, quoted_schema)),
      claim(with_schema(kClaim, quoted_schema)),
      release(with_schema(kRelease, quoted_schema)),
      set_aside(with_schema(kSetAside, quoted_schema)),
      tally(with_schema(kTally, quoted_schema)),
      finish_job(with_schema(kFinishJob, quoted_schema)),
      select_job(
          fmt::format("SELECT {} FROM {}.jobs WHERE job = $1", kPgJobColumns, quoted_schema)),
      count_ranges(with_schema(kCountRanges, quoted_schema)),
      copy_ranges(with_schema(kCopyRanges, quoted_schema)),
      insert_job(with_schema(kInsertJob, quoted_schema)),
      reopen_set_aside(with_schema(kReopenSetAside, quoted_schema)),
      delete_ranges(fmt::format("DELETE FROM {}.ranges WHERE job = $1", quoted_schema)),
      delete_scores(fmt::format("DELETE FROM {}.scores WHERE job = $1", quoted_schema)),
      delete_rejections(fmt::format("DELETE FROM {}.rejections WHERE job = $1", quoted_schema)),
      delete_job(fmt::format("DELETE FROM {}.jobs WHERE job = $1", quoted_schema)),
      status_ranges(with_schema(kStatusRanges, quoted_schema)),
      status_workers(with_schema(kStatusWorkers, quoted_schema)) {}

}  // namespace bulkscore::detail
