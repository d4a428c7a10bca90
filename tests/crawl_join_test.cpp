// SPDX-License-Identifier: MIT
//
// Tests of `score --crawl`: the URL normaliser, the crawl index (columns, skipped rows,
// duplicates, hash collisions, sorted runs), the join source (primary values win, resume gives
// the same rows), the command line (stored components, the resume command, a changed crawl) and
// a join over a real Screaming Frog export.

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/file_checkpoint_store.hpp"
#include "bulkscore/memory_checkpoint_store.hpp"
#include "bulkscore/memory_sink.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/opportunity_scorer.hpp"

#include "sources/crawl_index.hpp"
#include "sources/crawl_join_source.hpp"
#include "sources/crawl_url.hpp"
#include "support/fault_injection.hpp"
#include "support/test_support.hpp"

namespace bulkscore {
namespace {

using detail::CrawlIndex;
using detail::CrawlIndexOptions;
using detail::CrawlJoinSource;
using detail::normalised_url;
using testing::run_cli;
using testing::TempDir;
using testing::write_file;

constexpr const char* kBom = "\xEF\xBB\xBF";

// A crawl as Screaming Frog writes it: BOM, title line, every field quoted, its own column order.
std::string sf_crawl(const std::vector<std::string>& rows) {
    std::string text = std::string(kBom) + "\"Internal - All\"\n" +
                       "\"Unique Inlinks\",\"Title 1\",\"Word Count\",\"Status Code\",\"Address\","
                       "\"Inlinks\",\"Content Type\"\n";
    for (const std::string& row : rows) {
        text += row + "\n";
    }
    return text;
}

std::string sf_row(const std::string& address,
                   const std::string& status,
                   const std::string& type,
                   const std::string& word_count,
                   const std::string& unique_inlinks) {
    return "\"" + unique_inlinks + "\",\"A title, with \"\"quotes\"\"\",\"" + word_count + "\",\"" +
           status + "\",\"" + address + "\",\"999\",\"" + type + "\"";
}

std::string html_row(const std::string& address, int word_count, int unique_inlinks) {
    return sf_row(address, "200", "text/html; charset=UTF-8", std::to_string(word_count),
                  std::to_string(unique_inlinks));
}

std::string gsc_export(const std::vector<std::string>& urls) {
    std::string text = "Top pages,Clicks,Impressions,CTR,Position\n";
    for (const std::string& url : urls) {
        text += "\"" + url + "\",5,100,5%,7.5\n";
    }
    return text;
}

Result<std::unique_ptr<NodeSource>> open_file(const std::filesystem::path& path,
                                              InputFormat format) {
    SourceOptions options;
    options.path = path;
    options.format = format;
    return open_source(options);
}

CrawlIndexOptions index_options(const TempDir& dir, const std::string& crawl) {
    CrawlIndexOptions options;
    options.crawl = dir / "crawl.csv";
    options.temp_dir = dir.path();
    write_file(options.crawl, crawl);
    return options;
}

// The join of the primary file with the crawl, read whole.
struct Joined {
    std::unique_ptr<CrawlJoinSource> join;
    NodeBatch batch;
};

void read_joined(const std::filesystem::path& primary,
                 InputFormat format,
                 const CrawlIndexOptions& options,
                 Joined& joined) {
    auto source = open_file(primary, format);
    REQUIRE_OK(source);
    auto index = CrawlIndex::build(options);
    REQUIRE_OK(index);
    joined.join = std::make_unique<CrawlJoinSource>(std::move(*source), std::move(*index));
    REQUIRE_OK(joined.join->read(joined.batch, 1000));
}

TEST_CASE("CrawlUrl: normalises the spellings a crawl and Search Console differ in", "[crawl]") {
    const std::pair<const char*, const char*> cases[] = {
        {"HTTPS://WWW.Example.COM/Path/", "https://www.example.com/Path/"},
        {"https://example.com", "https://example.com/"},
        {"https://example.com?q=1", "https://example.com/?q=1"},
        {"https://example.com:443/a", "https://example.com/a"},
        {"http://example.com:80/a", "http://example.com/a"},
        {"https://example.com:80/a", "https://example.com:80/a"},
        {"http://example.com:8080/a", "http://example.com:8080/a"},
        {"https://example.com:/a", "https://example.com/a"},
        {"https://example.com/a#section-2", "https://example.com/a"},
        {"https://example.com/#", "https://example.com/"},
        {"https://example.com/%7euser/%41b%2d", "https://example.com/~user/Ab-"},
        {"https://example.com/a%2fb?x=%3d%c3%a9", "https://example.com/a%2Fb?x=%3D%C3%A9"},
        {"https://example.com/100%", "https://example.com/100%"},
        {"https://example.com/%zz%4", "https://example.com/%zz%4"},
        {"https://example.com/a/", "https://example.com/a/"},
        {"https://example.com/a", "https://example.com/a"},
        {"  https://example.com/a \n", "https://example.com/a"},
        {"https://User@Example.com/", "https://User@example.com/"},
        {"http://[::1]:80/x", "http://[::1]/x"},
        {"http://example.com/a", "http://example.com/a"},
        {"/blog/Post%7e1#top", "/blog/Post~1"},
        {"cms-42", "cms-42"},
    };
    for (const auto& [input, expected] : cases) {
        INFO(input);
        CHECK(normalised_url(input) == expected);
    }
    // Scheme and `www.` stay significant, as documented.
    CHECK(normalised_url("http://example.com/") != normalised_url("https://example.com/"));
    CHECK(normalised_url("https://www.example.com/") != normalised_url("https://example.com/"));

    std::string shared = "kept|";
    detail::append_normalised_url("HTTPS://A.test", shared);
    CHECK(shared == "kept|https://a.test/");
    CHECK(detail::hash_url("https://a.test/") ==
          detail::hash_url(normalised_url("HTTPS://A.test")));
    CHECK(detail::hash_url("https://a.test/") != detail::hash_url("https://a.test/x"));
}

TEST_CASE("CrawlJoinSource: fills a Search Console export from a Screaming Frog crawl", "[crawl]") {
    TempDir dir;
    const auto options = index_options(
        dir, sf_crawl({html_row("https://www.shop.test/", 1854, 45),
                       sf_row("https://www.shop.test/old", "301", "text/html", "", "3"),
                       sf_row("https://www.shop.test/logo.png", "200", "image/png", "", "60"),
                       html_row("https://www.shop.test/shoes/red%7eone", 120, 7),
                       html_row("https://www.shop.test/about/", 700, 0)}));
    write_file(dir / "gsc.csv",
               gsc_export({"https://WWW.shop.test:443", "https://www.shop.test/shoes/red~one#x",
                           "https://www.shop.test/about", "https://www.shop.test/old",
                           "https://www.shop.test/logo.png"}));
    Joined joined;
    read_joined(dir / "gsc.csv", InputFormat::kGsc, options, joined);

    const std::vector<Node>& nodes = joined.batch.nodes;
    REQUIRE(nodes.size() == 5);
    CHECK(nodes[0].word_count == 1854);
    CHECK(nodes[0].inlinks == 45);  // Unique Inlinks, not Inlinks.
    CHECK(nodes[1].word_count == 120);
    CHECK(nodes[1].inlinks == 7);
    CHECK_FALSE(nodes[2].word_count);                   // The trailing slash is significant.
    CHECK_FALSE(nodes[3].word_count);                   // A redirect is not a page.
    CHECK_FALSE(nodes[4].inlinks);                      // Nor is an image.
    CHECK(nodes[0].id == "https://WWW.shop.test:443");  // The primary's text is untouched.
    CHECK(joined.join->pages_read() == 5);
    CHECK(joined.join->pages_matched() == 2);

    const detail::CrawlIndexStats& stats = joined.join->index().stats();
    CHECK(stats.rows == 5);
    CHECK(stats.pages == 3);
    CHECK(stats.not_a_page == 2);
    CHECK(stats.unreadable == 0);
}

TEST_CASE("CrawlJoinSource: values in the primary row win over the crawl's", "[crawl]") {
    TempDir dir;
    const auto options = index_options(dir, sf_crawl({html_row("https://a.test/1", 900, 12),
                                                      html_row("https://a.test/2", 800, 11)}));
    write_file(dir / "pages.csv",
               "id,url,impressions,clicks,position,word_count,inlinks\n"
               "p1,https://a.test/1,100,5,4,10,\n"
               "p2,https://a.test/2,100,5,4,,3\n"
               "p3,https://a.test/3,100,5,4,,\n");
    Joined joined;
    read_joined(dir / "pages.csv", InputFormat::kCsv, options, joined);

    const std::vector<Node>& nodes = joined.batch.nodes;
    REQUIRE(nodes.size() == 3);
    CHECK(nodes[0].word_count == 10);
    CHECK(nodes[0].inlinks == 12);
    CHECK(nodes[1].word_count == 800);
    CHECK(nodes[1].inlinks == 3);
    CHECK_FALSE(nodes[2].word_count);
    CHECK_FALSE(nodes[2].inlinks);
}

TEST_CASE("CrawlIndex: a repeated URL keeps the later row, across sorted runs too", "[crawl]") {
    TempDir dir;
    std::vector<std::string> rows;
    for (int i = 0; i < 200; ++i) {
        rows.push_back(html_row("https://a.test/p" + std::to_string(i), i, i));
    }
    rows.push_back(html_row("HTTPS://A.TEST/p7", 7000, 70));  // The same page, spelled otherwise.
    rows.push_back(html_row("https://a.test/p150#frag", 15000, 150));
    auto options = index_options(dir, sf_crawl(rows));
    options.sort_memory_bytes = GENERATE(std::size_t{1} << 20, std::size_t{512});  // 1 or many runs
    INFO("sort memory " << options.sort_memory_bytes);

    std::vector<std::string> urls;
    for (int i = 0; i < 200; ++i) {
        urls.push_back("https://a.test/p" + std::to_string(i));
    }
    write_file(dir / "gsc.csv", gsc_export(urls));
    Joined joined;
    read_joined(dir / "gsc.csv", InputFormat::kGsc, options, joined);

    const std::vector<Node>& nodes = joined.batch.nodes;
    REQUIRE(nodes.size() == 200);
    for (int i = 0; i < 200; ++i) {
        INFO("page " << i);
        const int expected = i == 7 ? 7000 : (i == 150 ? 15000 : i);
        CHECK(nodes[static_cast<std::size_t>(i)].word_count == expected);
    }
    CHECK(joined.join->index().stats().pages == 200);
    CHECK(joined.join->index().stats().replaced == 2);
}

TEST_CASE("CrawlIndex: URLs whose hashes collide are still told apart exactly", "[crawl]") {
    TempDir dir;
    std::vector<std::string> rows;
    std::vector<std::string> urls;
    for (int i = 0; i < 64; ++i) {
        rows.push_back(html_row("https://a.test/" + std::to_string(i), i + 1, i));
        urls.push_back("https://a.test/" + std::to_string(i));
    }
    rows.push_back(html_row("https://a.test/5", 555, 55));  // A repeat among colliding URLs.
    urls.push_back("https://a.test/not-crawled");
    auto options = index_options(dir, sf_crawl(rows));
    options.hash_mask = 3;  // Four keys for 64 URLs.
    options.sort_memory_bytes = GENERATE(std::size_t{1} << 20, std::size_t{700});
    write_file(dir / "gsc.csv", gsc_export(urls));
    Joined joined;
    read_joined(dir / "gsc.csv", InputFormat::kGsc, options, joined);

    const std::vector<Node>& nodes = joined.batch.nodes;
    REQUIRE(nodes.size() == 65);
    for (int i = 0; i < 64; ++i) {
        INFO("page " << i);
        CHECK(nodes[static_cast<std::size_t>(i)].word_count == (i == 5 ? 555 : i + 1));
        CHECK(nodes[static_cast<std::size_t>(i)].inlinks == (i == 5 ? 55 : i));
    }
    CHECK_FALSE(nodes[64].word_count);
    CHECK(joined.join->pages_matched() == 64);
}

TEST_CASE("CrawlIndex: unreadable values are skipped, counted and located", "[crawl]") {
    TempDir dir;
    const auto options =
        index_options(dir, sf_crawl({html_row("https://a.test/1", 10, 1),
                                     sf_row("https://a.test/2", "200", "text/html", "many", "2"),
                                     sf_row("https://a.test/3", "200", "text/html", "5", "-1"),
                                     sf_row("https://a.test/4", "200", "text/html", "", ""),
                                     sf_row("https://a.test/5", "200", "text/html", "", "4")}));
    auto index = CrawlIndex::build(options);
    REQUIRE_OK(index);
    const detail::CrawlIndexStats& stats = (*index)->stats();
    CHECK(stats.rows == 5);
    CHECK(stats.pages == 2);
    CHECK(stats.unreadable == 2);
    CHECK(stats.no_values == 1);
    CHECK_THAT(stats.first_unreadable, Catch::Contains("crawl.csv:4:") &&
                                           Catch::Contains("\"Word Count\"") &&
                                           Catch::Contains("many"));
}

TEST_CASE("CrawlIndex: a crawl without the columns it needs is refused, saying which", "[crawl]") {
    TempDir dir;
    SECTION("no Address") {
        auto index = CrawlIndex::build(index_options(dir, "URL,Word Count\nhttps://a.test/,5\n"));
        REQUIRE_FALSE(index.ok());
        CHECK(index.status().code() == StatusCode::kInvalidArgument);
        CHECK_THAT(std::string(index.status().message()), Catch::Contains("crawl.csv") &&
                                                              Catch::Contains("Address") &&
                                                              Catch::Contains("Word Count"));
    }
    SECTION("no values") {
        auto index = CrawlIndex::build(index_options(dir, "Address,Title 1\nhttps://a.test/,T\n"));
        REQUIRE_FALSE(index.ok());
        CHECK(index.status().code() == StatusCode::kInvalidArgument);
        CHECK_THAT(std::string(index.status().message()), Catch::Contains("crawl.csv: line 1") &&
                                                              Catch::Contains("Word Count") &&
                                                              Catch::Contains("Inlinks"));
    }
    SECTION("no file") {
        CrawlIndexOptions options;
        options.crawl = dir / "missing.csv";
        options.temp_dir = dir.path();
        CHECK(CrawlIndex::build(options).status().code() == StatusCode::kNotFound);
    }
    // Nothing is left behind in the temporary directory.
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) <= 1);
}

TEST_CASE("CrawlIndex: its temporary database is gone once the index is", "[crawl]") {
    TempDir dir;
    auto index =
        CrawlIndex::build(index_options(dir, sf_crawl({html_row("https://a.test/", 1, 1)})));
    REQUIRE_OK(index);
    const std::filesystem::path database = (*index)->database_path();
    CHECK(std::filesystem::exists(database));
    CHECK(database.parent_path() == dir.path());
    index->reset();
    CHECK_FALSE(std::filesystem::exists(database));
}

// A GSC export of `count` pages and a crawl of every third one.
void write_site(const TempDir& dir, int count) {
    std::vector<std::string> urls;
    std::vector<std::string> rows;
    for (int i = 0; i < count; ++i) {
        urls.push_back("https://site.test/page-" + std::to_string(i));
        if (i % 3 != 0) {
            rows.push_back(html_row(urls.back(), (i * 37) % 2000, (i * 7) % 150));
        }
    }
    write_file(dir / "gsc.csv", gsc_export(urls));
    write_file(dir / "crawl.csv", sf_crawl(rows));
}

std::unique_ptr<CrawlJoinSource> open_join(const TempDir& dir) {
    auto source = open_file(dir / "gsc.csv", InputFormat::kGsc);
    REQUIRE_OK(source);
    CrawlIndexOptions options;
    options.crawl = dir / "crawl.csv";
    options.temp_dir = dir.path();
    auto index = CrawlIndex::build(options);
    REQUIRE_OK(index);
    return std::make_unique<CrawlJoinSource>(std::move(*source), std::move(*index));
}

TEST_CASE("CrawlJoinSource: a resumed run stores the same rows as an uninterrupted one",
          "[crawl][engine]") {
    TempDir dir;
    write_site(dir, 3000);
    BulkScorerOptions options;
    options.batch_size = 50;
    options.worker_threads = 2;
    options.checkpoint_interval = std::chrono::milliseconds(0);
    const OpportunityScoring scoring;
    const JobSpec spec{"site", "gsc.csv", "fingerprint", false};

    MemorySink uninterrupted;
    MemoryCheckpointStore uninterrupted_store;
    {
        auto join = open_join(dir);
        BulkScorer engine(*join, scoring, uninterrupted, uninterrupted_store, options);
        REQUIRE(engine.run(spec)->state == JobState::kFinished);
    }

    MemorySink resumed;
    MemoryCheckpointStore store;
    {
        auto join = open_join(dir);
        testing::FaultPlan plan;
        plan.fail_call = 20;
        testing::FaultySink failing(resumed, plan);
        BulkScorer engine(*join, scoring, failing, store, options);
        REQUIRE(engine.run(spec)->state == JobState::kFailed);
    }
    const auto checkpoint = store.get("site");
    REQUIRE(checkpoint);
    CHECK(checkpoint->position.ordinal > 0);
    CHECK(checkpoint->position.ordinal < 3000);
    auto join = open_join(dir);
    BulkScorer engine(*join, scoring, resumed, store, options);
    const auto summary = engine.run(spec);
    REQUIRE_OK(summary);
    CHECK(summary->resumed);
    CHECK(summary->state == JobState::kFinished);
    CHECK(join->pages_read() == 3000 - checkpoint->position.ordinal);

    const std::vector<ScoreRow> expected = uninterrupted.results();
    const std::vector<ScoreRow> actual = resumed.results();
    REQUIRE(expected.size() == 3000);
    REQUIRE(actual.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("row " << i);
        REQUIRE(actual[i] == expected[i]);
    }
}

// (thinness, link_need) of every stored row, by id.
std::map<std::string, std::pair<double, double>> stored_components(
    const std::filesystem::path& db) {
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open_v2(db.string().c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) ==
            SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(handle, "SELECT id, thinness, link_need FROM scores", -1, &statement,
                               nullptr) == SQLITE_OK);
    std::map<std::string, std::pair<double, double>> rows;
    while (sqlite3_step(statement) == SQLITE_ROW) {
        rows[reinterpret_cast<const char*>(sqlite3_column_text(statement, 0))] = {
            sqlite3_column_double(statement, 1), sqlite3_column_double(statement, 2)};
    }
    sqlite3_finalize(statement);
    sqlite3_close(handle);
    return rows;
}

TEST_CASE("CLI: score --crawl stores word count and inlinks driven components", "[cli][crawl]") {
    TempDir dir;
    write_site(dir, 300);
    const auto db = dir / "x.db";
    const auto result = run_cli({"score", (dir / "gsc.csv").string(), "--crawl",
                                 (dir / "crawl.csv").string(), "--db", db.string()});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.err, Catch::Contains("crawl: 200 of 300 pages matched"));

    const auto rows = stored_components(db);
    REQUIRE(rows.size() == 300);
    for (int i = 0; i < 300; ++i) {
        INFO("page " << i);
        const auto& [thinness, link_need] = rows.at("https://site.test/page-" + std::to_string(i));
        if (i % 3 == 0) {  // Not crawled: SCORING.md's value for an unknown metric.
            CHECK(thinness == 0);
            CHECK(link_need == 0);
            continue;
        }
        const double words = (i * 37) % 2000;
        const double links = (i * 7) % 150;
        CHECK(thinness == Approx(std::clamp((1500 - words) / 1200, 0.0, 1.0)));
        CHECK(link_need == Approx(1 - std::min(1.0, std::log(1 + links) / std::log(101.0))));
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        CHECK_FALSE(entry.path().filename().string().starts_with("bulkscore-crawl-"));
    }
}

TEST_CASE("CLI: a job scored with --crawl resumes only with the same crawl", "[cli][crawl]") {
    TempDir dir;
    write_site(dir, 120);
    const auto out = (dir / "out.csv").string();
    const auto gsc = (dir / "gsc.csv").string();
    const auto crawl = (dir / "crawl.csv").string();
    REQUIRE(run_cli({"score", gsc, "--crawl", crawl, "--out", out}).exit_code == 0);
    const std::string first_output = testing::read_file(out);

    FileCheckpointStore checkpoints(out + ".checkpoint");
    auto checkpoint = checkpoints.load("gsc");
    REQUIRE_OK(checkpoint);
    REQUIRE(checkpoint->has_value());
    (*checkpoint)->state = JobState::kCancelled;
    REQUIRE_OK(checkpoints.save(**checkpoint));

    const auto without = run_cli({"score", gsc, "--out", out});
    CHECK(without.exit_code == 2);
    CHECK_THAT(without.err, Catch::Contains("was started with --crawl") &&
                                Catch::Contains("no --crawl") && Catch::Contains("--restart"));

    write_file(dir / "other.csv", testing::read_file(dir / "crawl.csv") +
                                      html_row("https://site.test/new", 1, 1) + "\n");
    const auto other =
        run_cli({"score", gsc, "--crawl", (dir / "other.csv").string(), "--out", out});
    CHECK(other.exit_code == 2);
    CHECK_THAT(other.err, Catch::Contains("other.csv") && Catch::Contains("crawl.csv"));

    const auto same = run_cli({"score", gsc, "--crawl", crawl, "--out", out});
    INFO(same.err);
    CHECK(same.exit_code == 0);
    CHECK_THAT(same.err, Catch::Contains("resuming job 'gsc' at record 120"));
    CHECK(testing::read_file(out) == first_output);
}

TEST_CASE("CLI: status prints a resume command that carries --crawl", "[cli][crawl]") {
    TempDir dir;
    write_site(dir, 60);
    const auto db = dir / "x.db";
    const auto crawl = dir / "crawl.csv";
    REQUIRE(run_cli({"score", (dir / "gsc.csv").string(), "--crawl", crawl.string(), "--db",
                     db.string()})
                .exit_code == 0);
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open(db.string().c_str(), &handle) == SQLITE_OK);
    REQUIRE(sqlite3_exec(handle, "UPDATE jobs SET state = 'cancelled'", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_close(handle);

    const auto status = run_cli({"status", "--db", db.string()});
    INFO(status.out);
    CHECK(status.exit_code == 0);
    CHECK_THAT(status.out, Catch::Contains("--crawl " + crawl.string()));
}

TEST_CASE("CrawlJoinSource: joins a real Screaming Frog crawl to an export of its addresses",
          "[crawl][real]") {
    const auto real = testing::real_data_dir();
    if (!real) {
        WARN("skipped: no real data folder");
        return;
    }
    // The real exports share no site, so the Search Console side is made from the crawl's own
    // addresses, spelled as Search Console might (upper-case host, explicit port, a fragment).
    const auto crawl_rows = testing::parse_csv(
        testing::read_file(*real / "sf_internal_all_lightchiropractic.csv").substr(3));
    REQUIRE(crawl_rows.size() == 345);
    std::vector<std::string> urls;
    for (std::size_t i = 1; i < crawl_rows.size(); ++i) {
        std::string url = crawl_rows[i][0];
        if (i % 2 == 0) {
            url.replace(0, std::string("https://www.").size(), "HTTPS://WWW.");
        } else if (i % 3 == 0) {
            url.insert(url.find('/', 8), ":443");
        }
        urls.push_back(url + (i % 5 == 0 ? "#reviews" : ""));
    }
    TempDir dir;
    write_file(dir / "gsc.csv", gsc_export(urls));
    CrawlIndexOptions options;
    options.crawl = *real / "sf_internal_all_lightchiropractic.csv";
    options.temp_dir = dir.path();
    Joined joined;
    read_joined(dir / "gsc.csv", InputFormat::kGsc, options, joined);

    // Counted independently with Python's csv module: 344 rows, 105 HTML pages answering 200,
    // each with a word count and unique inlinks; the home page has 1854 words, 105 inlinks.
    const detail::CrawlIndexStats& stats = joined.join->index().stats();
    CHECK(stats.rows == 344);
    CHECK(stats.pages == 105);
    CHECK(stats.not_a_page == 239);
    CHECK(stats.unreadable == 0);
    REQUIRE(joined.batch.nodes.size() == 344);
    CHECK(joined.join->pages_matched() == 105);
    CHECK(joined.batch.nodes[0].word_count == 1854);
    CHECK(joined.batch.nodes[0].inlinks == 105);
}

}  // namespace
}  // namespace bulkscore
