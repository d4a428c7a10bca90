// SPDX-License-Identifier: MIT
//
// Inputs at the edges, end to end through the CLI into SQLite: a header and nothing else, an
// empty file, and a file whose every record is bad. Each must end in a state a user can read.

#include <string>

#include <catch2/catch.hpp>

#include "bulkscore/sqlite_store.hpp"

#include "support/test_support.hpp"

namespace bulkscore {
namespace {

using testing::run_cli;
using testing::TempDir;
using testing::write_file;

Checkpoint only_job(const std::filesystem::path& db) {
    auto jobs = read_jobs(db);
    REQUIRE_OK(jobs);
    REQUIRE(jobs->size() == 1);
    return jobs->front();
}

TEST_CASE("Edge inputs: a header-only file finishes with nothing scored", "[cli][edge]") {
    TempDir dir;
    write_file(dir / "pages.csv", "id,url,impressions,clicks,position\n");

    const auto result = run_cli({"score", (dir / "pages.csv").string(), "--db",
                                 (dir / "site.db").string(), "--progress", "none"});

    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const Checkpoint job = only_job(dir / "site.db");
    CHECK(job.state == JobState::kFinished);
    CHECK(job.total == 0);
    CHECK(job.scored + job.rejected == 0);
}

TEST_CASE("Edge inputs: an empty file is a usage error that says a header is needed",
          "[cli][edge]") {
    TempDir dir;
    write_file(dir / "pages.csv", "");

    const auto result = run_cli({"score", (dir / "pages.csv").string(), "--db",
                                 (dir / "site.db").string(), "--progress", "none"});

    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("pages.csv") && Catch::Contains("header"));
}

TEST_CASE("Edge inputs: a file of only bad records finishes with every record rejected",
          "[cli][edge]") {
    TempDir dir;
    write_file(dir / "pages.csv",
               "id,impressions,clicks,position\n"
               ",10,1,3\n"
               "b,10,11,3\n"
               "c,ten,1,3\n");

    const auto result = run_cli({"score", (dir / "pages.csv").string(), "--db",
                                 (dir / "site.db").string(), "--progress", "json"});

    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("\"percent\":100"));
    const Checkpoint job = only_job(dir / "site.db");
    CHECK(job.state == JobState::kFinished);
    CHECK(job.scored == 0);
    CHECK(job.rejected == 3);

    auto rejections = read_rejections(dir / "site.db", job.job, 10);
    REQUIRE_OK(rejections);
    REQUIRE(rejections->size() == 3);
    CHECK(rejections->at(0).reason == RejectReason::kMissingId);
    CHECK(rejections->at(1).reason == RejectReason::kClicksExceedImpressions);
    CHECK(rejections->at(2).reason == RejectReason::kBadNumber);
    CHECK(rejections->at(2).line == 4);
}

}  // namespace
}  // namespace bulkscore
