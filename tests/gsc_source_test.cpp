// SPDX-License-Identifier: MIT
//
// Tests of the Search Console export source: localised headers, the fixed-order fallback,
// `;`-separated exports with decimal commas, CTR checks and pages without impressions.

#include <memory>
#include <sstream>
#include <string>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "bulkscore/logging.hpp"
#include "bulkscore/node_source.hpp"

#include "support/test_support.hpp"

namespace bulkscore {
namespace {

using testing::TempDir;
using testing::write_file;

Result<std::unique_ptr<NodeSource>> open_gsc(const TempDir& dir, const std::string& text) {
    write_file(dir / "Pages.csv", text);
    SourceOptions options;
    options.path = dir / "Pages.csv";
    options.format = InputFormat::kGsc;
    return open_source(options);
}

// Reads the whole export as one batch.
void read_gsc(const std::string& text, NodeBatch& batch) {
    TempDir dir;
    Result<std::unique_ptr<NodeSource>> source = open_gsc(dir, text);
    REQUIRE_OK(source);
    REQUIRE_OK((*source)->read(batch, 1000));
    CHECK(*(*source)->count_records() == batch.record_count);
}

TEST_CASE("GscSource: reads the English pages export with the first column as id", "[gsc]") {
    NodeBatch batch;
    read_gsc(
        "Top pages,Clicks,Impressions,CTR,Position\n"
        "https://x.test/,260781,4625305,5.64%,13.34\n"
        "https://x.test/b,0,0,,\n",
        batch);
    REQUIRE(batch.nodes.size() == 2);
    CHECK(batch.nodes[0].id == "https://x.test/");
    CHECK(batch.nodes[0].clicks == 260781);
    CHECK(batch.nodes[0].impressions == 4625305);
    CHECK(batch.nodes[0].position == 13.34);
    CHECK(batch.nodes[0].line == 2);
    CHECK(batch.nodes[1].position == kNotRanking);  // No impressions: not ranking.
}

TEST_CASE("GscSource: recognises localised headers in any column order", "[gsc]") {
    const std::string header =
        GENERATE(std::string("Pages les plus populaires,Clics,Impressions,CTR,Position"),
                 std::string("Toppagina's,Aantal klikken,Vertoningen,CTR,Positie"),
                 std::string("Top-Seiten,Klicks,Impressionen,CTR,Position"),
                 std::string("Páginas principales,Clics,Impresiones,CTR,Posición"),
                 std::string("Pagine principali,Clic,Impressioni,CTR,Posizione"),
                 std::string("Principais páginas,Cliques,Impressões,CTR,Posição"),
                 std::string("Najczęstsze strony,Kliknięcia,Wyświetlenia,CTR,Pozycja"),
                 std::string("Top queries,Clicks,Impressions,CTR,Position"));
    CAPTURE(header);
    NodeBatch batch;
    read_gsc(header + "\n/a,3,120,2.5%,7.5\n", batch);
    REQUIRE(batch.nodes.size() == 1);
    CHECK(batch.nodes[0].clicks == 3);
    CHECK(batch.nodes[0].impressions == 120);
    CHECK(batch.nodes[0].position == 7.5);
}

TEST_CASE("GscSource: finds reordered metric columns by name", "[gsc]") {
    NodeBatch batch;
    read_gsc("Page,Position,Impressions,Extra,Clicks,CTR\n/a,2.5,40,x,4,10%\n", batch);
    REQUIRE(batch.nodes.size() == 1);
    CHECK(batch.nodes[0].clicks == 4);
    CHECK(batch.nodes[0].impressions == 40);
    CHECK(batch.nodes[0].position == 2.5);
}

TEST_CASE("GscSource: reads a ';' separated export with decimal commas", "[gsc]") {
    NodeBatch batch;
    read_gsc(
        "Top-Seiten;Klicks;Impressionen;CTR;Position\r\n"
        "https://x.test/a,b;12;340;3,53 %;3,5\r\n"
        "https://x.test/c;0;10;0%;12\r\n"
        "https://x.test/d;1;10;10\xC2\xA0%;1,25\r\n",
        batch);
    REQUIRE(batch.nodes.size() == 3);
    CHECK(batch.nodes[0].id == "https://x.test/a,b");
    CHECK(batch.nodes[0].position == 3.5);
    CHECK(batch.nodes[2].position == 1.25);
}

TEST_CASE("GscSource: a CTR that is not a number rejects the row on the CTR column", "[gsc]") {
    NodeBatch batch;
    read_gsc(
        "Top pages,Clicks,Impressions,CTR,Position\n"
        "/ok,1,1,100%,1\n"
        "/zero,0,5,0%,9\n"
        "/bad,1,10,ten%,3\n"
        "/both,20,10,x,3\n",
        batch);
    CHECK(batch.nodes.size() == 2);
    REQUIRE(batch.rejections.size() == 2);
    CHECK(batch.rejections[0].reason == RejectReason::kBadNumber);
    CHECK(batch.rejections[0].field == "CTR");
    CHECK(batch.rejections[0].value == "ten%");
    CHECK(batch.rejections[0].line == 4);
    CHECK(batch.rejections[0].id == "/bad");
    // A rule of the score's own inputs is reported first.
    CHECK(batch.rejections[1].reason == RejectReason::kClicksExceedImpressions);
}

TEST_CASE("GscSource: rejections name the export's own column names", "[gsc]") {
    NodeBatch batch;
    read_gsc("Pages les plus populaires,Clics,Impressions,CTR,Position\n,1,5,20%,2\n/b,x,5,,2\n",
             batch);
    REQUIRE(batch.rejections.size() == 2);
    CHECK(batch.rejections[0].reason == RejectReason::kMissingId);
    CHECK(batch.rejections[0].field == "Pages les plus populaires");
    CHECK(batch.rejections[1].field == "Clics");
}

TEST_CASE("GscSource: an unknown five-column header falls back to Search Console's order",
          "[gsc]") {
    std::ostringstream log;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
    set_logger(std::make_shared<spdlog::logger>("test", sink));
    NodeBatch batch;
    read_gsc("Sivut,Napsautukset,Näyttökerrat,CTR,Sijainti\n/a,2,50,4%,6\n/b,1,9,,8\n", batch);
    set_logger(nullptr);
    REQUIRE(batch.nodes.size() == 2);
    CHECK(batch.nodes[0].clicks == 2);
    CHECK(batch.nodes[0].impressions == 50);
    CHECK(batch.nodes[0].position == 6.0);
    const std::string text = log.str();
    CHECK_THAT(text, Catch::Contains("header not recognised"));
    CHECK(text.find("header not recognised") == text.rfind("header not recognised"));
}

TEST_CASE("GscSource: a header without the metric columns names what is missing", "[gsc]") {
    TempDir dir;
    const auto source = open_gsc(dir, "Page,Clicks,Views\n/a,1,2\n");
    REQUIRE_FALSE(source.ok());
    CHECK(source.status().code() == StatusCode::kInvalidArgument);
    const std::string message(source.status().message());
    CHECK_THAT(message, Catch::Contains("Pages.csv: line 1:"));
    CHECK_THAT(message, Catch::Contains("impressions, position"));
    CHECK_THAT(message, Catch::Contains("--format csv"));
}

TEST_CASE("GscSource: a query spanning lines keeps its text and the next record's line", "[gsc]") {
    NodeBatch batch;
    read_gsc(
        "Top queries,Clicks,Impressions,CTR,Position\n"
        "\"what is a \n\"\"long\"\" query, \nreally\",0,12,0%,11.42\n"
        "short,1,2,50%,1\n",
        batch);
    REQUIRE(batch.nodes.size() == 2);
    CHECK(batch.nodes[0].id == "what is a \n\"long\" query, \nreally");
    CHECK(batch.nodes[1].line == 5);
}

}  // namespace
}  // namespace bulkscore
