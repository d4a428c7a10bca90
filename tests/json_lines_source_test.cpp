// SPDX-License-Identifier: MIT
//
// Tests of the JSON Lines source (`--format jsonl`): field mapping, every rejection reason,
// blank lines, CRLF and BOM, malformed lines, resume and counting.

#include <string>
#include <vector>

#include "bulkscore/node_source.hpp"

#include "sources/source_factories.hpp"
#include "support/test_support.hpp"

namespace bulkscore {
namespace {

using testing::TempDir;
using testing::write_file;

struct Drained {
    std::vector<Node> nodes;  // Text views re-pointed at `text`.
    std::vector<std::string> ids;
    std::vector<std::string> urls;
    std::vector<Rejection> rejections;
    std::vector<std::string> rejection_values;
    std::vector<std::string> rejection_fields;
    std::uint64_t records = 0;
    Status status;
};

Drained drain(NodeSource& source, std::size_t batch_size = 1000) {
    Drained out;
    NodeBatch batch;
    while (true) {
        out.status = source.read(batch, batch_size);
        if (!out.status.ok() || batch.record_count == 0) {
            return out;
        }
        for (Node node : batch.nodes) {
            out.ids.emplace_back(node.id);
            out.urls.emplace_back(node.url);
            node.id = {};
            node.url = {};
            out.nodes.push_back(node);
        }
        for (Rejection rejection : batch.rejections) {
            out.rejection_values.emplace_back(rejection.value);
            rejection.id = {};
            rejection.value = {};
            out.rejection_fields.emplace_back(rejection.field);
            rejection.field = {};
            out.rejections.push_back(rejection);
        }
        out.records += batch.record_count;
    }
}

std::unique_ptr<NodeSource> open_lines(const std::filesystem::path& path,
                                       std::size_t buffer_bytes = 1 << 20) {
    SourceOptions options;
    options.path = path;
    options.format = InputFormat::kJsonLines;
    options.read_buffer_bytes = buffer_bytes;
    Result<std::unique_ptr<NodeSource>> source = detail::open_json_lines_source(options);
    REQUIRE_OK(source);
    return std::move(*source);
}

const std::string kLines =
    R"({"id": "/a", "url": "https://x.example/a", "impressions": 5000, "clicks": 60, )"
    R"("position": 8, "search_volume": 100, "difficulty": 40.5, "prev_clicks": 100, )"
    R"("word_count": 900, "inlinks": 12, "days_since_update": 200, "extra": {"nested": [1]}}
{"id": "/b", "impressions": "120", "clicks": "3", "position": "8.25", "difficulty": null}
{"id": 42, "impressions": 0, "clicks": 0}
{"id": "/d", "impressions": 10, "clicks": 1, "position": 3.5}
{"id": "/e", "impressions": 7, "clicks": 0, "position": 60}
)";

TEST_CASE("JsonLinesSource: maps native field names and ignores unknown keys", "[jsonl]") {
    TempDir dir;
    write_file(dir / "pages.jsonl", kLines);
    const Drained all = drain(*open_lines(dir / "pages.jsonl"));
    REQUIRE_OK(all.status);
    REQUIRE(all.nodes.size() == 5);
    const Node& a = all.nodes[0];
    CHECK(all.ids[0] == "/a");
    CHECK(all.urls[0] == "https://x.example/a");
    CHECK(a.impressions == 5000);
    CHECK(a.clicks == 60);
    CHECK(a.position == 8.0);
    CHECK(a.search_volume == 100);
    CHECK(a.difficulty == 40.5);
    CHECK(a.prev_clicks == 100);
    CHECK(a.word_count == 900);
    CHECK(a.inlinks == 12);
    CHECK(a.days_since_update == 200);
    CHECK(all.urls[1] == "/b");  // The url defaults to the id.
    CHECK(all.nodes[1].position == 8.25);
    CHECK_FALSE(all.nodes[1].difficulty.has_value());
    CHECK(all.ids[2] == "42");
    CHECK(all.nodes[2].position == kNotRanking);
    for (std::size_t i = 0; i < all.nodes.size(); ++i) {
        CHECK(all.nodes[i].ordinal == i);
        CHECK(all.nodes[i].line == i + 1);
    }
}

TEST_CASE("JsonLinesSource: every input rule's reason is reachable", "[jsonl]") {
    TempDir dir;
    const std::string long_id(2049, 'x');
    write_file(dir / "bad.jsonl",
               "{\"impressions\": 1, \"clicks\": 0, \"position\": 2}\n"
               "{\"id\": \"" +
                   long_id +
                   "\", \"impressions\": 1, \"clicks\": 0, \"position\": 2}\n"
                   "{\"id\": \"/n\", \"impressions\": \"lots\", \"clicks\": 0}\n"
                   "{\"id\": \"/b\", \"impressions\": 1, \"clicks\": 0, \"position\": [2]}\n"
                   "{\"id\": \"/m\", \"impressions\": 1, \"clicks\": 0, \"position\": 2, "
                   "\"inlinks\": -3}\n"
                   "{\"id\": \"/c\", \"impressions\": 1, \"clicks\": 2, \"position\": 2}\n"
                   "{\"id\": \"/p\", \"impressions\": 1, \"clicks\": 0, \"position\": 0.5}\n"
                   "{\"id\": \"/q\", \"impressions\": 1, \"clicks\": 0}\n"
                   "{\"id\": \"/d\", \"impressions\": 1, \"clicks\": 0, \"position\": 2, "
                   "\"difficulty\": 101}\n");
    const Drained all = drain(*open_lines(dir / "bad.jsonl"));
    REQUIRE_OK(all.status);
    CHECK(all.nodes.empty());
    REQUIRE(all.rejections.size() == 9);
    struct Expected {
        RejectReason reason;
        std::string_view field;
    };
    const std::vector<Expected> expected = {
        {RejectReason::kMissingId, "id"},
        {RejectReason::kIdTooLong, "id"},
        {RejectReason::kBadNumber, "impressions"},
        {RejectReason::kBadNumber, "position"},
        {RejectReason::kNegative, "inlinks"},
        {RejectReason::kClicksExceedImpressions, "clicks"},
        {RejectReason::kBadPosition, "position"},
        {RejectReason::kBadPosition, "position"},
        {RejectReason::kBadDifficulty, "difficulty"},
    };
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("line " << i + 1);
        CHECK(all.rejections[i].reason == expected[i].reason);
        CHECK(all.rejection_fields[i] == expected[i].field);
        CHECK(all.rejections[i].line == i + 1);
        CHECK(all.rejections[i].ordinal == i);
    }
    CHECK(all.rejection_values[2] == "lots");
    CHECK(all.rejection_values[3] == "[2]");
}

TEST_CASE("JsonLinesSource: skips blank lines, a BOM and CRLF line ends", "[jsonl]") {
    TempDir dir;
    write_file(
        dir / "crlf.jsonl",
        "\xEF\xBB\xBF{\"id\": \"/a\", \"impressions\": 1, \"clicks\": 0, \"position\": 2}\r\n"
        "\r\n   \t\r\n"
        "{\"id\": \"/b\", \"impressions\": 2, \"clicks\": 1, \"position\": 3}\r\n"
        "\n"
        "{\"id\": \"/c\", \"impressions\": 0, \"clicks\": 0}");  // No final line end.
    auto source = open_lines(dir / "crlf.jsonl");
    CHECK(source->count_records().value() == 3);
    const Drained all = drain(*source);
    REQUIRE_OK(all.status);
    REQUIRE(all.ids == std::vector<std::string>{"/a", "/b", "/c"});
    CHECK(all.nodes[1].line == 4);
    CHECK(all.nodes[1].ordinal == 1);
    CHECK(all.nodes[2].line == 6);
}

TEST_CASE("JsonLinesSource: a line that is not a JSON object stops after the records before it",
          "[jsonl]") {
    TempDir dir;
    for (const auto& [bad, detail] :
         {std::pair<std::string, std::string>{"{\"id\": \"/x\", \"clicks\": }", "syntax error"},
          {"[1, 2]", "found an array"},
          {"{\"id\": \"/x\"} trailing", "extra data"}}) {
        write_file(dir / "broken.jsonl",
                   "{\"id\": \"/a\", \"impressions\": 1, \"clicks\": 0, \"position\": 2}\n\n" +
                       bad +
                       "\n{\"id\": \"/z\", \"impressions\": 1, \"clicks\": 0, "
                       "\"position\": 2}\n");
        auto source = open_lines(dir / "broken.jsonl");
        NodeBatch batch;
        REQUIRE_OK(source->read(batch, 100));
        CHECK(batch.record_count == 1);
        const Status error = source->read(batch, 100);
        REQUIRE_FALSE(error.ok());
        const std::string message(error.message());
        INFO(message);
        CHECK(message.find("broken.jsonl: line 3: not a JSON object") != std::string::npos);
        CHECK(message.find(detail) != std::string::npos);
    }
}

TEST_CASE("JsonLinesSource: resumes at a saved position with any buffer size", "[jsonl]") {
    TempDir dir;
    write_file(dir / "pages.jsonl", "\n" + kLines + "\n");
    const Drained whole = drain(*open_lines(dir / "pages.jsonl"));
    REQUIRE(whole.records == 5);
    for (const std::size_t buffer : std::initializer_list<std::size_t>{16, 50, 4096}) {
        for (const std::size_t split : std::initializer_list<std::size_t>{0, 1, 3, 5}) {
            auto first = open_lines(dir / "pages.jsonl", buffer);
            NodeBatch batch;
            if (split > 0) {
                REQUIRE_OK(first->read(batch, split));
            }
            const SourcePosition saved = first->position();
            CHECK(saved.ordinal == split);
            auto second = open_lines(dir / "pages.jsonl", buffer);
            REQUIRE_OK(second->seek(saved));
            const Drained rest = drain(*second, 2);
            REQUIRE_OK(rest.status);
            REQUIRE(rest.records == whole.records - split);
            for (std::size_t i = 0; i < rest.nodes.size(); ++i) {
                CHECK(rest.ids[i] == whole.ids[split + i]);
                CHECK(rest.nodes[i].line == whole.nodes[split + i].line);
                CHECK(rest.nodes[i].ordinal == split + i);
            }
        }
    }
}

TEST_CASE("JsonLinesSource: counts records exactly without moving", "[jsonl]") {
    TempDir dir;
    std::string many;
    for (int i = 0; i < 2000; ++i) {
        many += "{\"id\": \"/p" + std::to_string(i) + "\", \"impressions\": " + std::to_string(i) +
                ", \"clicks\": 0, \"position\": 4}\n";
        if (i % 7 == 0) {
            many += "  \n";
        }
    }
    write_file(dir / "many.jsonl", many);
    auto source = open_lines(dir / "many.jsonl", 256);
    NodeBatch batch;
    REQUIRE_OK(source->read(batch, 10));
    const SourcePosition before = source->position();
    REQUIRE(source->count_records().value() == 2000);
    CHECK(source->position() == before);
    CHECK(drain(*source, 333).records == 1990);
}

}  // namespace
}  // namespace bulkscore
