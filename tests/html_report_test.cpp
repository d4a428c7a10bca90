// SPDX-License-Identifier: MIT
//
// Tests of the HTML report (html_report.hpp) and `bulkscore report`, on real SQLite databases
// written by the CLI: the aggregates against an independent scan of every row, the top rows,
// the job filter, the rejection cap, the weights behind the driving components, and escaping of
// hostile ids, URLs and messages. tests/report_browser_test.cpp loads a report in a browser.

#include "bulkscore/html_report.hpp"

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include "bulkscore/scorer_config.hpp"
#include "bulkscore/sqlite_store.hpp"

#include "support/test_support.hpp"

namespace bulkscore::testing {
namespace {

// Scores a generated site of `pages` pages (plus `extra` CSV rows) into `db` as job `job`.
void score_site(const TempDir& dir,
                const std::string& job,
                int pages,
                const std::string& extra = "") {
    const auto input = dir / (job + ".csv");
    REQUIRE(
        run_cli({"generate", std::to_string(pages), input.string(), "--seed", "11"}).exit_code ==
        0);
    if (!extra.empty()) {
        write_file(input, read_file(input) + extra);
    }
    const auto run = run_cli({"score", input.string(), "--db", (dir / "site.db").string(),
                              "--progress", "none", "--job", job});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
}

// What the report should say, computed row by row with sqlite3 alone.
struct Expected {
    std::uint64_t scored = 0;
    double potential = 0;
    std::array<std::array<std::uint64_t, kActionCount>, kScoreBins> histogram{};
    std::array<std::uint64_t, kActionCount> actions{};
};

Expected scan_every_row(const std::filesystem::path& db) {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* select = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw, "SELECT score, potential_clicks, action FROM scores", -1,
                               &select, nullptr) == SQLITE_OK);
    Expected expected;
    while (sqlite3_step(select) == SQLITE_ROW) {
        const double score = sqlite3_column_double(select, 0);
        const auto action =
            parse_action(reinterpret_cast<const char*>(sqlite3_column_text(select, 2)));  // NOLINT
        REQUIRE(action);
        const auto bin = std::min<std::size_t>(static_cast<std::size_t>(score / 5), 19);
        ++expected.scored;
        expected.potential += sqlite3_column_double(select, 1);
        ++expected.histogram[bin][static_cast<std::size_t>(*action)];
        ++expected.actions[static_cast<std::size_t>(*action)];
    }
    sqlite3_finalize(select);
    sqlite3_close(raw);
    return expected;
}

// The JSON inside `<script type="application/json" id="report-data">`.
boost::json::value embedded_json(const std::string& html) {
    const std::string open = "<script type=\"application/json\" id=\"report-data\">";
    const auto begin = html.find(open);
    REQUIRE(begin != std::string::npos);
    const auto end = html.find("</script>", begin);
    REQUIRE(end != std::string::npos);
    return boost::json::parse(html.substr(begin + open.size(), end - begin - open.size()));
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++count;
    }
    return count;
}

TEST_CASE("HtmlReport: totals, histogram and action split count every page", "[report]") {
    TempDir dir;
    score_site(dir, "site", 20000, "bad-1,10,11,3\nbad-2,x,1,3\n");
    ReportQuery query;
    query.top = 50;
    auto data = read_report_data(dir / "site.db", query);
    REQUIRE_OK(data);

    const Expected expected = scan_every_row(dir / "site.db");
    CHECK(data->scored == expected.scored);
    CHECK(data->scored == 20000);
    CHECK(data->rejected == 2);
    CHECK(data->potential_clicks == Approx(expected.potential).epsilon(1e-12));
    CHECK(data->histogram == expected.histogram);
    for (std::size_t i = 0; i < kActionCount; ++i) {
        CHECK(data->actions[i].pages == expected.actions[i]);
    }
    REQUIRE(data->jobs.size() == 1);
    CHECK(data->jobs[0].state == JobState::kFinished);
    CHECK(data->rejections.size() == 2);
    CHECK(data->rejections[0].id == "bad-1");

    // The top rows are exactly `top`'s.
    auto top = read_top_scores(dir / "site.db", TopQuery{50, std::nullopt, std::nullopt});
    REQUIRE_OK(top);
    REQUIRE(data->top.size() == 50);
    for (std::size_t i = 0; i < 50; ++i) {
        CHECK(data->top[i].id == (*top)[i].id);
        CHECK(data->top[i].score == (*top)[i].score);
    }
}

TEST_CASE("HtmlReport: the page holds every top row and both charts", "[report]") {
    TempDir dir;
    score_site(dir, "site", 3000);
    auto data = read_report_data(dir / "site.db", ReportQuery{std::nullopt, 200, 1000});
    REQUIRE_OK(data);
    const std::string html = render_html_report(*data);

    const auto json = embedded_json(html);
    const auto& rows = json.at("rows").as_array();
    REQUIRE(rows.size() == 200);
    CHECK(rows[0].as_array()[0].as_string() == data->top[0].id);
    CHECK(rows[0].as_array()[2].to_number<double>() == Approx(data->top[0].score).margin(0.005));
    CHECK(html.find("<svg class=\"chart\" id=\"histogram\"") != std::string::npos);
    CHECK(html.find("<svg class=\"chart\" id=\"action-split\"") != std::string::npos);
    // Nothing to fetch: no linked files, no sources, no CSS imports or url()s.
    CHECK(html.find("<link") == std::string::npos);
    CHECK(html.find(" src=") == std::string::npos);
    CHECK(html.find("@import") == std::string::npos);
    CHECK(html.find("url(") == std::string::npos);
}

TEST_CASE("HtmlReport: ids, urls, jobs and messages cannot break out of the page", "[report]") {
    const std::string evil = "</script><script>alert(1)</script><!--\"'&\xE2\x80\xA8";
    ReportData data;
    data.database = "site<b id=evil-db>.db";
    data.job = evil;
    data.scored = 1;
    StoredScore score;
    score.id = evil;
    score.url = "javascript:alert(1)\"><img src=x onerror=alert(1)>";
    score.job = evil;
    data.top.push_back(score);
    data.rejected = 1;
    data.rejections.push_back({evil, 0, 7, evil, evil, RejectReason::kBadNumber, evil});
    Checkpoint job;
    job.job = evil;
    job.input = evil;
    data.jobs.push_back(job);

    const std::string html = render_html_report(data);
    // Three script elements (error trap, data, table script) and nothing else ends one.
    CHECK(count_of(html, "</script>") == 3);
    CHECK(count_of(html, "<script") == 3);
    CHECK(html.find("<img") == std::string::npos);
    CHECK(html.find("<b id=evil-db") == std::string::npos);
    CHECK(html.find("<!--") == std::string::npos);
    // The embedded JSON reads back to the exact strings.
    const auto json = embedded_json(html);
    const auto& row = json.at("rows").as_array()[0].as_array();
    CHECK(row[0].as_string() == evil);
    CHECK(row[1].as_string() == score.url);
    CHECK(json_script_string("a</b>&\n") == "\"a\\u003c/b\\u003e\\u0026\\n\"");
    CHECK(html_escape("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
}

TEST_CASE("HtmlReport: a job filter narrows the report; an unknown job lists the jobs",
          "[report]") {
    TempDir dir;
    write_file(dir / "a.csv", "id,impressions,clicks,position\na1,100,1,5\na2,200,2,8\n");
    write_file(dir / "b.csv", "id,impressions,clicks,position\nb1,300,3,4\nb2,9,10,3\n");
    for (const char* job : {"a", "b"}) {
        const auto input = dir / (std::string(job) + ".csv");
        REQUIRE(run_cli({"score", input.string(), "--db", (dir / "site.db").string(), "--progress",
                         "none"})
                    .exit_code == 0);
    }
    auto all = read_report_data(dir / "site.db", {});
    REQUIRE_OK(all);
    CHECK(all->scored == 3);
    CHECK(all->rejected == 1);
    CHECK(all->jobs.size() == 2);

    auto b = read_report_data(dir / "site.db", ReportQuery{"b", 10, 10});
    REQUIRE_OK(b);
    CHECK(b->scored == 1);
    CHECK(b->rejected == 1);
    REQUIRE(b->top.size() == 1);
    CHECK(b->top[0].id == "b1");
    CHECK(b->rejections.at(0).id == "b2");

    auto missing = read_report_data(dir / "site.db", ReportQuery{"c", 10, 10});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().code() == StatusCode::kNotFound);
    CHECK_THAT(std::string(missing.status().message()), Catch::Contains("its jobs: a, b"));
}

TEST_CASE("HtmlReport: rejections are capped while the total counts them all", "[report]") {
    TempDir dir;
    score_site(dir, "site", 100, "r1,1,2,3\nr2,1,2,3\nr3,1,2,3\n");
    auto data = read_report_data(dir / "site.db", ReportQuery{std::nullopt, 10, 2});
    REQUIRE_OK(data);
    CHECK(data->rejected == 3);
    REQUIRE(data->rejections.size() == 2);
    CHECK(data->rejections[1].id == "r2");
    REQUIRE(data->reasons.size() == 1);
    CHECK(data->reasons[0].reason == RejectReason::kClicksExceedImpressions);
    const std::string html = render_html_report(*data);
    CHECK(html.find("Rejected rows: 3") != std::string::npos);
    CHECK(html.find("The first 2 are listed.") != std::string::npos);
}

TEST_CASE("HtmlReport: driving components follow the weights the job ran with", "[report]") {
    ScorerConfig config = ScorerConfig::defaults();
    config.weights = Components{0, 0, 0, 0, 0, 1, 0, 0, 1};
    Checkpoint job;
    job.config_fingerprint = "opportunity-v1 " + to_json(config);
    const Components weights = job_weights(job);
    CHECK(weights.ease == 1);
    CHECK(weights.upside == 0);

    const Components page{0.9, 1, 0, 0, 0, 0.2, 0, 0, 0.6};
    const auto custom = driving_components(page, weights);
    REQUIRE(custom.size() == 2);  // Only ease and link_need weigh anything.
    CHECK(custom[0].name == "link_need");
    CHECK(custom[0].points == Approx(30.0));
    CHECK(custom[1].name == "ease");
    const auto standard = driving_components(page, job_weights(Checkpoint{}));
    REQUIRE(standard.size() == 3);
    CHECK(standard[0].name == "upside");
    CHECK(standard[0].points == Approx(27.0));
    CHECK(standard[1].name == "striking");
}

TEST_CASE("report command: writes the page, and refuses a missing database or job",
          "[report][cli]") {
    TempDir dir;
    score_site(dir, "site", 500);
    const auto out = dir / "report.html";
    const auto ok =
        run_cli({"report", "--db", (dir / "site.db").string(), "-o", out.string(), "--top", "25"});
    INFO(ok.err);
    REQUIRE(ok.exit_code == 0);
    CHECK_THAT(ok.out, Catch::Contains("the best 25 listed"));
    CHECK(embedded_json(read_file(out)).at("rows").as_array().size() == 25);
    CHECK_FALSE(std::filesystem::exists(dir / "report.html.partial"));

    const auto no_db = run_cli({"report", "--db", (dir / "none.db").string(), "-o", out.string()});
    CHECK(no_db.exit_code == 2);
    CHECK_THAT(no_db.err, Catch::Contains("no database at"));
    const auto no_job = run_cli(
        {"report", "--db", (dir / "site.db").string(), "-o", out.string(), "--job", "other"});
    CHECK(no_job.exit_code == 2);
    CHECK_THAT(no_job.err, Catch::Contains("no job \"other\""));
    const auto no_dir = run_cli(
        {"report", "--db", (dir / "site.db").string(), "-o", (dir / "x" / "r.html").string()});
    CHECK(no_dir.exit_code == 2);
    CHECK_THAT(no_dir.err, Catch::Contains("does not exist"));
}

}  // namespace
}  // namespace bulkscore::testing
