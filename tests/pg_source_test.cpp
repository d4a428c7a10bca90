// SPDX-License-Identifier: MIT
//
// Tests of the PostgreSQL query source against a real server (see tests/support/pg_cluster.hpp):
// it yields the same nodes and rejections as the CSV source over the same rows, reads in
// batches through its cursor, resumes by position, counts exactly, explains bad queries, and
// feeds a whole engine run into the PostgreSQL store.

#include "bulkscore/pg_source.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/pg_store.hpp"
#include "bulkscore/site_generator.hpp"

#include "support/pg_cluster.hpp"
#include "support/test_support.hpp"

namespace bulkscore::testing {
namespace {

constexpr std::uint64_t kPages = 3000;

// A generated site plus hand-made bad rows, as a CSV file and as a table `pages` (every column
// text, in file order by `ord`) of a schema of its own.
struct PagesFixture {
    std::string url;
    PgTestSchema schema;
    TempDir dir;
    std::filesystem::path csv = dir / "pages.csv";

    PagesFixture(std::string server_url, const std::string& label)
        : url(std::move(server_url)), schema(url, label) {
        REQUIRE_OK(write_site_csv(csv, {kPages, 9}));
        std::string text = read_file(csv);
        const std::string header = text.substr(0, text.find('\n'));
        const auto columns =
            static_cast<std::size_t>(std::count(header.begin(), header.end(), ',')) + 1;
        // Bad rows: a number that is not one, a missing id, clicks above impressions.
        const auto row = [&](std::vector<std::string> cells) {
            cells.resize(columns);
            std::string line;
            for (std::size_t i = 0; i < cells.size(); ++i) {
                line += (i > 0 ? "," : "") + cells[i];
            }
            return line + "\n";
        };
        text += row({"bad/number", "12x", "1", "3"});
        text += row({"", "10", "1", "3"});
        text += row({"bad/clicks", "10", "11", "3"});
        write_file(csv, text);

        PgTestConnection raw(url);
        std::string create = fmt::format("CREATE SCHEMA {}; CREATE TABLE {}.pages(ord bigserial",
                                         schema.quoted(), schema.quoted());
        for (std::size_t start = 0; start < header.size();) {
            const std::size_t end = std::min(header.find(',', start), header.size());
            create += ", " + header.substr(start, end - start) + " text";
            start = end + 1;
        }
        raw.exec(create + ")");
        raw.copy_in(fmt::format("COPY {}.pages({}) FROM STDIN WITH (FORMAT csv, HEADER true)",
                                schema.quoted(), header),
                    text);
    }

    std::string query() const {
        return fmt::format("SELECT * FROM {}.pages ORDER BY ord;", schema.quoted());
    }

    std::unique_ptr<NodeSource> open_pg(const std::string& query) const {
        auto source = open_pg_source({url, query});
        REQUIRE_OK(source);
        return std::move(source).value();
    }
};

// One record as text, enough to tell any two apart (line excluded: only CSV has lines).
std::string describe(const Node& n) {
    const auto opt = [](const auto& value) {
        return value ? fmt::format("{}", *value) : std::string("-");
    };
    return fmt::format("{} {} {} {} {} {} {} {} {} {} {} #{}", n.id, n.url, n.impressions, n.clicks,
                       n.position, opt(n.search_volume), opt(n.difficulty), opt(n.prev_clicks),
                       opt(n.word_count), opt(n.inlinks), opt(n.days_since_update), n.ordinal);
}

std::string describe(const Rejection& r) {
    return fmt::format("rejected #{} {} {} {} {}", r.ordinal, r.id, r.field, to_string(r.reason),
                       r.value);
}

// Every record of `source` from where it stands, read in batches of `batch_size`.
std::vector<std::string> read_all(NodeSource& source, std::size_t batch_size) {
    std::vector<std::string> records;
    NodeBatch batch;
    while (true) {
        REQUIRE_OK(source.read(batch, batch_size));
        if (batch.record_count == 0) {
            break;
        }
        REQUIRE(batch.record_count <= batch_size);
        CHECK(batch.end.ordinal == batch.first_ordinal + batch.record_count);
        std::vector<std::pair<std::uint64_t, std::string>> ordered;
        for (const Node& node : batch.nodes) {
            ordered.emplace_back(node.ordinal, describe(node));
        }
        for (const Rejection& rejection : batch.rejections) {
            ordered.emplace_back(rejection.ordinal, describe(rejection));
        }
        std::sort(ordered.begin(), ordered.end());
        for (auto& [ordinal, text] : ordered) {
            records.push_back(std::move(text));
        }
    }
    return records;
}

template <class Check>
void with_pages(const std::string& label, Check check) {
    const auto url = pg_url_or_skip();
    if (!url) {
        return;
    }
    PagesFixture f(*url, label);
    check(f);
}

}  // namespace

TEST_CASE("PgSource: the same nodes and rejections as the CSV source over the same rows",
          "[postgres][source]") {
    with_pages("same_as_csv", [](PagesFixture& f) {
        SourceOptions csv_options;
        csv_options.path = f.csv;
        auto csv = open_source(csv_options);
        REQUIRE_OK(csv);
        const std::vector<std::string> expected = read_all(**csv, 1000);
        REQUIRE(expected.size() == kPages + 3);
        CHECK_THAT(expected.back(), Catch::Contains("clicks_exceed_impressions"));

        auto pg = f.open_pg(f.query());
        auto count = pg->count_records();
        REQUIRE_OK(count);
        CHECK(*count == kPages + 3);
        CHECK(read_all(*pg, 7) == expected);
        CHECK(pg->position().ordinal == kPages + 3);
    });
}

TEST_CASE("PgSource: seeking to a reported position continues with the same records",
          "[postgres][source]") {
    with_pages("seek", [](PagesFixture& f) {
        auto first = f.open_pg(f.query());
        const std::vector<std::string> all = read_all(*first, 500);

        auto resumed = f.open_pg(f.query());
        NodeBatch batch;
        REQUIRE_OK(resumed->read(batch, 400));
        const SourcePosition position = resumed->position();
        CHECK(position.ordinal == 400);

        auto again = f.open_pg(f.query());
        REQUIRE_OK(again->seek(position));
        const std::vector<std::string> rest = read_all(*again, 333);
        CHECK(rest == std::vector<std::string>(all.begin() + 400, all.end()));

        // Back to the start on the same source, then past the end of the rows.
        REQUIRE_OK(again->seek({}));
        CHECK(read_all(*again, 1000) == all);
        const Status beyond = again->seek({kPages + 100, 0, 0});
        CHECK(beyond.code() == StatusCode::kFailedPrecondition);
        CHECK_THAT(beyond.to_string(), Catch::Contains("--restart"));
    });
}

TEST_CASE("PgSource: a query without an id column or with bad SQL is explained",
          "[postgres][source]") {
    with_pages("bad_query", [](PagesFixture& f) {
        auto no_id = open_pg_source(
            {f.url, fmt::format("SELECT impressions, clicks FROM {}.pages", f.schema.quoted())});
        CHECK(no_id.status().code() == StatusCode::kInvalidArgument);
        CHECK_THAT(no_id.status().to_string(), Catch::Contains("AS id"));

        auto bad_sql = open_pg_source({f.url, "SELEC id FROM nowhere"});
        CHECK(bad_sql.status().code() == StatusCode::kInvalidArgument);
        CHECK_THAT(bad_sql.status().to_string(), Catch::Contains("fix the query"));

        auto missing_table = open_pg_source({f.url, "SELECT 'a' AS id FROM no_such_table"});
        CHECK(missing_table.status().code() == StatusCode::kInvalidArgument);
        CHECK_THAT(missing_table.status().to_string(), Catch::Contains("no_such_table"));

        CHECK(open_pg_source({f.url, " ; "}).status().code() == StatusCode::kInvalidArgument);
    });
}

TEST_CASE("PgSource: an engine run from a query into the PostgreSQL store accounts for every row",
          "[postgres][source]") {
    with_pages("engine", [](PagesFixture& f) {
        auto source = f.open_pg(f.query());
        PgStoreOptions store_options;
        store_options.schema = f.schema.name();
        auto store = PgStore::open(f.url, "pages", store_options);
        REQUIRE_OK(store);
        const OpportunityScoring scorer;
        BulkScorerOptions options;
        options.batch_size = 256;
        BulkScorer engine(*source, scorer, **store, **store, options);
        auto summary = engine.run({"pages", "query", "v1", false});
        REQUIRE_OK(summary);
        CHECK(summary->state == JobState::kFinished);
        CHECK(summary->scored + summary->rejected == kPages + 3);
        CHECK(summary->rejected >= 3);

        PgTestConnection raw(f.url);
        CHECK(raw.value(fmt::format("SELECT count(*) FROM {}.rejections WHERE job = 'pages'",
                                    f.schema.quoted())) == std::to_string(summary->rejected));
        CHECK(raw.value(fmt::format("SELECT count(*) FROM {}.scores WHERE job = 'pages'",
                                    f.schema.quoted())) == std::to_string(summary->scored));
    });
}

}  // namespace bulkscore::testing
