// SPDX-License-Identifier: MIT
//
// The SQL of distributed runs (pg_job.hpp) over the `ranges` and `jobs` tables of one schema,
// and the claim of a range. Every statement that changes a claimed range is fenced by the
// range's lease token and its `pending` state: a worker whose range was taken over changes
// nothing.
//
// Thread safety: immutable after construction.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bulkscore/source_position.hpp"

namespace bulkscore::detail {

/// A claimed range: its place in the input and the token that fences its commit.
struct PgRangeClaim {
    std::int64_t range_no = 0;
    SourcePosition start;  ///< Where the range starts; `start.ordinal` is its first record.
    std::uint64_t end_ordinal = 0;
    std::string lease_token;  ///< As text, for parameters.
    std::uint32_t attempts = 0;
};

/// The statements of one schema, with its quoted name filled in. The parameters of each are
/// listed where it is defined (pg_job_sql.cpp).
struct PgJobSql {
    explicit PgJobSql(std::string_view quoted_schema);

    std::string merge_scores;
    std::string merge_rejections;
    std::string renew_lease;
    std::string mark_done;
    std::string add_to_job;
    std::string claim;
    std::string release;
    std::string set_aside;
    std::string tally;
    std::string finish_job;
    std::string select_job;
    std::string count_ranges;
    std::string copy_ranges;
    std::string insert_job;
    std::string reopen_set_aside;
    std::string delete_ranges;
    std::string delete_scores;
    std::string delete_rejections;
    std::string delete_job;
    std::string status_ranges;
    std::string status_workers;
};

}  // namespace bulkscore::detail
