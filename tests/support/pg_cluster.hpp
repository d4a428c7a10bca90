// SPDX-License-Identifier: MIT
//
// The PostgreSQL server of the tests, and tools to look at it behind a store's back.
//
// Where the server comes from, in order:
//   1. BULKSCORE_TEST_PG_URL: a server someone else runs (any libpq URL);
//   2. BULKSCORE_TEST_PG_URL_FILE: a file holding the URL, written by
//      `scripts/pg-test-cluster start` (the ctest fixture `pg_cluster_start` does this);
//   3. otherwise this process starts a private cluster with the same script on first use and
//      stops it at exit, so that `bulkscore_tests "[postgres]"` works on its own.
// Without any (no server binaries), tests skip with a printed reason, or fail when
// BULKSCORE_REQUIRE_POSTGRES=1.
//
// Thread safety: none; the tests use these on the test thread.

#pragma once

#include <optional>
#include <string>
#include <vector>

#include <libpq-fe.h>

namespace bulkscore::testing {

/// The test server's URL, or `std::nullopt` after a WARN saying why the test is skipped (or a
/// FAIL when BULKSCORE_REQUIRE_POSTGRES=1).
std::optional<std::string> pg_url_or_skip();

/// `url` with one more connection parameter (`key=value`), e.g. an application_name.
std::string pg_url_with(const std::string& url, const std::string& parameter);

/// A plain libpq connection for the tests' own queries. Failures are Catch2 failures.
class PgTestConnection {
public:
    explicit PgTestConnection(const std::string& url);
    PgTestConnection(const PgTestConnection&) = delete;
    PgTestConnection& operator=(const PgTestConnection&) = delete;
    ~PgTestConnection();

    /// Runs `sql`, requiring success.
    void exec(const std::string& sql);

    /// Runs `copy_sql` (a `COPY ... FROM STDIN`) with `data`, requiring success.
    void copy_in(const std::string& copy_sql, const std::string& data);

    /// Every row of `sql`, columns as text joined by '|', NULL as "NULL".
    std::vector<std::string> rows(const std::string& sql);

    /// The single value of `sql`.
    std::string value(const std::string& sql);

private:
    PGconn* conn_ = nullptr;
};

/// A schema with a name of its own in the test database, dropped with everything in it at
/// destruction, so that tests running in parallel never see each other's rows.
class PgTestSchema {
public:
    PgTestSchema(const std::string& url, const std::string& label);
    PgTestSchema(const PgTestSchema&) = delete;
    PgTestSchema& operator=(const PgTestSchema&) = delete;
    ~PgTestSchema();

    const std::string& name() const noexcept { return name_; }

    /// `name()` as a quoted identifier, for SQL text.
    std::string quoted() const { return "\"" + name_ + "\""; }

private:
    std::string url_;
    std::string name_;
};

}  // namespace bulkscore::testing
