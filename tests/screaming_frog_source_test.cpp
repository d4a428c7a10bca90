// SPDX-License-Identifier: MIT
//
// Tests of the Screaming Frog "Internal - All" source: quoting styles, BOM and title line,
// rows that are not pages, empty Search Console cells, inlinks and CTR columns, header errors.

#include <memory>
#include <string>

#include "bulkscore/node_source.hpp"

#include "support/test_support.hpp"

namespace bulkscore {
namespace {

using testing::TempDir;
using testing::write_file;

Result<std::unique_ptr<NodeSource>> open_sf(const TempDir& dir, const std::string& text) {
    write_file(dir / "internal_all.csv", text);
    SourceOptions options;
    options.path = dir / "internal_all.csv";
    options.format = InputFormat::kScreamingFrog;
    options.read_buffer_bytes = 64;
    return open_source(options);
}

void read_sf(const std::string& text, NodeBatch& batch) {
    TempDir dir;
    Result<std::unique_ptr<NodeSource>> source = open_sf(dir, text);
    REQUIRE_OK(source);
    REQUIRE_OK((*source)->read(batch, 1000));
    CHECK(*(*source)->count_records() == batch.record_count);
}

constexpr const char* kQuotedHeader =
    "\xEF\xBB\xBF\"Address\",\"Content Type\",\"Status Code\",\"Title 1\",\"Word Count\","
    "\"Inlinks\",\"Unique Inlinks\",\"Clicks\",\"Impressions\",\"CTR\",\"Position\"\n";

TEST_CASE("ScreamingFrogSource: reads an all-quoted export with a BOM", "[sf]") {
    NodeBatch batch;
    read_sf(std::string(kQuotedHeader) +
                "\"https://x.test/\",\"text/html; charset=UTF-8\",\"200\",\"Home, sweet\","
                "\"1854\",\"90\",\"45\",\"12\",\"1043\",\"0.011\",\"33.710\"\n",
            batch);
    REQUIRE(batch.nodes.size() == 1);
    const Node& node = batch.nodes[0];
    CHECK(node.id == "https://x.test/");
    CHECK(node.word_count == 1854);
    CHECK(node.inlinks == 45);  // Unique inlinks are preferred.
    CHECK(node.clicks == 12);
    CHECK(node.impressions == 1043);
    CHECK(node.position == 33.71);
    CHECK(node.line == 2);
}

TEST_CASE("ScreamingFrogSource: rejects rows that are not HTML pages answering 200", "[sf]") {
    NodeBatch batch;
    read_sf(std::string(kQuotedHeader) +
                "\"/img.png\",\"image/png\",\"200\",\"\",\"0\",\"3\",\"3\",\"\",\"\",\"\",\"\"\n"
                "\"/old\",\"text/html\",\"301\",\"\",\"0\",\"3\",\"3\",\"\",\"\",\"\",\"\"\n"
                "\"/blocked\",\"\",\"0\",\"\",\"0\",\"3\",\"3\",\"\",\"\",\"\",\"\"\n"
                "\"/ok\",\"TEXT/HTML\",\"200\",\"\",\"10\",\"3\",\"3\",\"\",\"\",\"\",\"\"\n",
            batch);
    REQUIRE(batch.rejections.size() == 3);
    CHECK(batch.rejections[0].reason == RejectReason::kNotAPage);
    CHECK(batch.rejections[0].field == "Content Type");
    CHECK(batch.rejections[0].value == "image/png");
    CHECK(batch.rejections[0].line == 2);
    CHECK(batch.rejections[1].field == "Status Code");
    CHECK(batch.rejections[1].value == "301");
    CHECK(batch.rejections[2].field == "Status Code");
    CHECK(batch.rejections[2].value == "0");
    REQUIRE(batch.nodes.size() == 1);
    CHECK(batch.nodes[0].line == 5);
}

TEST_CASE("ScreamingFrogSource: empty Search Console cells mean no impressions", "[sf]") {
    NodeBatch batch;
    read_sf(std::string(kQuotedHeader) +
                "\"/quiet\",\"text/html\",\"200\",\"\",\"300\",\"3\",\"2\",\"\",\"\",\"\",\"\"\n",
            batch);
    REQUIRE(batch.nodes.size() == 1);
    CHECK(batch.nodes[0].clicks == 0);
    CHECK(batch.nodes[0].impressions == 0);
    CHECK(batch.nodes[0].position == kNotRanking);
}

TEST_CASE("ScreamingFrogSource: reads an unquoted export after a title line", "[sf]") {
    NodeBatch batch;
    read_sf(
        "\"Internal - All\"\r\n"
        "Address,Content Type,Status Code,\"rel=\"\"next\"\" 1\",Word Count,Inlinks,Clicks,"
        "Impressions,CTR,Position\r\n"
        "https://x.test/a,text/html,200,,800,7,3,200,0.015,5.5\r\n"
        "https://x.test/b,text/html,200,,800,9,0,1,0,206\r\n",
        batch);
    REQUIRE(batch.nodes.size() == 2);
    CHECK(batch.nodes[0].line == 3);
    CHECK(batch.nodes[0].inlinks == 7);  // No unique inlinks: inlinks.
    CHECK(batch.nodes[1].position == 206.0);
}

TEST_CASE("ScreamingFrogSource: a CTR that is not a number rejects the row on CTR", "[sf]") {
    NodeBatch batch;
    read_sf(
        "Address,Content Type,Status Code,Clicks,Impressions,CTR,Position\n"
        "/a,text/html,200,1,10,abc,4\n"
        "/b,text/html,200,1,-10,0.1,4\n",
        batch);
    REQUIRE(batch.rejections.size() == 2);
    CHECK(batch.rejections[0].reason == RejectReason::kBadNumber);
    CHECK(batch.rejections[0].field == "CTR");
    CHECK(batch.rejections[1].reason == RejectReason::kNegative);
    CHECK(batch.rejections[1].field == "Impressions");
}

TEST_CASE("ScreamingFrogSource: a crawl without Search Console columns says how to get them",
          "[sf]") {
    TempDir dir;
    const auto source = open_sf(dir, "Address,Content Type,Status Code,Word Count\n/a,x,200,1\n");
    REQUIRE_FALSE(source.ok());
    const std::string message(source.status().message());
    CHECK_THAT(message, Catch::Contains("internal_all.csv: line 1:"));
    CHECK_THAT(message, Catch::Contains("Clicks, Impressions, Position"));
    CHECK_THAT(message, Catch::Contains("connect Search Console"));
}

}  // namespace
}  // namespace bulkscore
