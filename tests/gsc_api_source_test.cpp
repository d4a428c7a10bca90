// SPDX-License-Identifier: MIT
//
// Tests of the Search Analytics API source (`--format gsc-api`): where the rows are found,
// streaming through small buffers, error messages, rejections, resume and counting.

#include <string>
#include <vector>

#include "bulkscore/node_source.hpp"

#include "sources/source_factories.hpp"
#include "support/test_support.hpp"

namespace bulkscore {
namespace {

using testing::TempDir;
using testing::write_file;

struct ReadNode {
    std::string id;
    std::string url;
    std::int64_t impressions = 0;
    std::int64_t clicks = 0;
    double position = 0;
    std::uint64_t ordinal = 0;
    std::uint64_t line = 0;
};

struct ReadRejection {
    std::string id;
    std::string field;
    RejectReason reason = RejectReason::kBadNumber;
    std::string value;
    std::uint64_t ordinal = 0;
    std::uint64_t line = 0;
};

struct Drained {
    std::vector<ReadNode> nodes;
    std::vector<ReadRejection> rejections;
    std::uint64_t records = 0;
    Status status;  // The error that ended the reading, if any.
};

void keep(const NodeBatch& batch, Drained& out) {
    for (const Node& node : batch.nodes) {
        out.nodes.push_back({std::string(node.id), std::string(node.url), node.impressions,
                             node.clicks, node.position, node.ordinal, node.line});
    }
    for (const Rejection& rejection : batch.rejections) {
        out.rejections.push_back({std::string(rejection.id), std::string(rejection.field),
                                  rejection.reason, std::string(rejection.value), rejection.ordinal,
                                  rejection.line});
    }
    out.records += batch.record_count;
}

// Reads to the end (or the first error) in batches of `batch_size`.
Drained drain(NodeSource& source, std::size_t batch_size = 1000) {
    Drained out;
    NodeBatch batch;
    while (true) {
        out.status = source.read(batch, batch_size);
        if (!out.status.ok() || batch.record_count == 0) {
            return out;
        }
        keep(batch, out);
    }
}

std::unique_ptr<NodeSource> open_api(const std::filesystem::path& path,
                                     const std::string& key = {},
                                     std::size_t buffer_bytes = 1 << 20) {
    SourceOptions options;
    options.path = path;
    options.format = InputFormat::kGscApi;
    options.json_rows_key = key;
    options.read_buffer_bytes = buffer_bytes;
    Result<std::unique_ptr<NodeSource>> source = detail::open_gsc_api_source(options);
    REQUIRE_OK(source);
    return std::move(*source);
}

Status open_error(const std::filesystem::path& path, const std::string& key = {}) {
    SourceOptions options;
    options.path = path;
    options.json_rows_key = key;
    Result<std::unique_ptr<NodeSource>> source = detail::open_gsc_api_source(options);
    REQUIRE_FALSE(source.ok());
    return source.status();
}

// A pretty-printed API response: five rows, the second with two keys; row i starts on line
// 4 + 7 * i.
const std::string kResponse = R"({
  "note": "] } [ \" { tricky",
  "rows": [
    {
      "keys": ["https://a.example/one"],
      "clicks": 3,
      "impressions": 90,
      "ctr": 0.0333,
      "position": 7.5
    },
    {
      "keys": ["https://a.example/two", "blue shoes"],
      "clicks": 0,
      "impressions": 12,
      "ctr": 0,
      "position": 7
    },
    {
      "keys": ["https://a.example/three"],
      "clicks": 1,
      "impressions": 1,
      "ctr": 1,
      "position": 1
    },
    {
      "keys": ["https://a.example/four"],
      "clicks": 2,
      "impressions": 40,
      "ctr": 0.05,
      "position": 22.25
    },
    {
      "keys": ["https://a.example/five"],
      "clicks": 0,
      "impressions": 0,
      "ctr": 0,
      "position": 0
    }
  ],
  "responseAggregationType": "byPage"
}
)";

TEST_CASE("GscApiSource: reads the rows array of an API response", "[gsc-api]") {
    TempDir dir;
    write_file(dir / "response.json", kResponse);
    auto source = open_api(dir / "response.json");
    const Drained all = drain(*source);
    REQUIRE_OK(all.status);
    REQUIRE(all.nodes.size() == 5);
    CHECK(all.rejections.empty());
    CHECK(all.nodes[0].id == "https://a.example/one");
    CHECK(all.nodes[0].url == "https://a.example/one");
    CHECK(all.nodes[0].clicks == 3);
    CHECK(all.nodes[0].impressions == 90);
    CHECK(all.nodes[0].position == 7.5);
    CHECK(all.nodes[1].id == "https://a.example/two | blue shoes");
    CHECK(all.nodes[1].url == "https://a.example/two");
    CHECK(all.nodes[1].position == 7.0);
    CHECK(all.nodes[4].position == kNotRanking);  // Position 0 without impressions.
    for (std::size_t i = 0; i < all.nodes.size(); ++i) {
        CHECK(all.nodes[i].ordinal == i);
        CHECK(all.nodes[i].line == 4 + 7 * i);
    }
}

TEST_CASE("GscApiSource: reads a bare top-level array and an empty one", "[gsc-api]") {
    TempDir dir;
    write_file(dir / "bare.json",
               "\xEF\xBB\xBF[{\"keys\":[\"q\\\"1\\\\\"],\"clicks\":1,\"impressions\":5,\"ctr\":0.2,"
               "\"position\":2},\n {\"keys\":[\"q2\"],\"clicks\":0,\"impressions\":3,\"ctr\":0,"
               "\"position\":9.5}]");
    write_file(dir / "empty.json", "[ ]");
    write_file(dir / "empty_rows.json", R"({"rows": [], "responseAggregationType": "auto"})");

    const Drained bare = drain(*open_api(dir / "bare.json"));
    REQUIRE_OK(bare.status);
    REQUIRE(bare.nodes.size() == 2);
    CHECK(bare.nodes[0].id == "q\"1\\");  // Escapes inside a row are decoded.
    CHECK(bare.nodes[1].id == "q2");
    CHECK(bare.nodes[1].line == 2);
    for (const char* empty : {"empty.json", "empty_rows.json"}) {
        auto source = open_api(dir / empty);
        CHECK(drain(*source).records == 0);
        CHECK(source->count_records().value() == 0);
    }
}

TEST_CASE("GscApiSource: a missing rows key names the file and the keys there are", "[gsc-api]") {
    TempDir dir;
    write_file(dir / "wrapped.json",
               R"({"fetchedAt": "x", "period": {"rows": [1]}, "pages": [], "queries": []})");
    const Status missing = open_error(dir / "wrapped.json", "longTailQueries");
    CHECK(missing.code() == StatusCode::kInvalidArgument);
    const std::string message(missing.message());
    CHECK(message.find("wrapped.json") != std::string::npos);
    CHECK(message.find("\"longTailQueries\"") != std::string::npos);
    CHECK(message.find("fetchedAt, period, pages, queries") != std::string::npos);

    // Without a key, `rows` is looked for; a nested `rows` does not count.
    const Status no_rows = open_error(dir / "wrapped.json");
    CHECK(std::string(no_rows.message()).find("\"rows\"") != std::string::npos);
}

TEST_CASE("GscApiSource: rows that are not an array, or not objects, are errors", "[gsc-api]") {
    TempDir dir;
    write_file(dir / "object.json", R"({"rows": {"keys": ["a"]}})");
    CHECK(std::string(open_error(dir / "object.json").message()).find("holds an object") !=
          std::string::npos);
    write_file(dir / "bare.json", R"([])");
    CHECK(open_error(dir / "bare.json", "pages").code() == StatusCode::kInvalidArgument);
    write_file(dir / "scalar.json", "42");
    CHECK(open_error(dir / "scalar.json").code() == StatusCode::kInvalidArgument);
    CHECK(open_error(dir / "absent.json").code() == StatusCode::kNotFound);

    write_file(dir / "numbers.json", "[1, 2]");
    const Drained numbers = drain(*open_api(dir / "numbers.json"));
    CHECK(std::string(numbers.status.message()).find("row 0 is a number") != std::string::npos);
}

TEST_CASE("GscApiSource: malformed JSON fails at its line and column after earlier rows",
          "[gsc-api]") {
    TempDir dir;
    std::string broken = kResponse;
    // Row 2 (lines 18-24): its clicks line, line 20, loses its colon.
    const std::size_t at = broken.find("\"clicks\": 1,");
    broken.replace(at, 12, "\"clicks\" 1,");
    write_file(dir / "broken.json", broken);

    auto source = open_api(dir / "broken.json");
    NodeBatch batch;
    REQUIRE_OK(source->read(batch, 10));
    CHECK(batch.record_count == 2);  // The rows before the damage still arrive.
    const Status error = source->read(batch, 10);
    REQUIRE_FALSE(error.ok());
    const std::string message(error.message());
    INFO(message);
    CHECK(message.find("broken.json: line 20, column 16") != std::string::npos);
    CHECK(message.find("row 2") != std::string::npos);
    CHECK_FALSE(source->read(batch, 10).ok());  // It stays failed.
}

TEST_CASE("GscApiSource: a broken separator or a truncated file is an error", "[gsc-api]") {
    TempDir dir;
    write_file(dir / "separator.json",
               "[\n{\"keys\":[\"a\"],\"clicks\":0,\"impressions\":0}\n"
               "{\"keys\":[\"b\"],\"clicks\":0,\"impressions\":0}]");
    const Drained separator = drain(*open_api(dir / "separator.json"));
    CHECK(separator.records == 1);
    CHECK(std::string(separator.status.message()).find("line 3, column 1: malformed JSON") !=
          std::string::npos);

    write_file(dir / "truncated.json", "{\"rows\": [\n{\"keys\":[\"a\"],\"clicks\":0,\n");
    const Drained truncated = drain(*open_api(dir / "truncated.json"));
    CHECK(truncated.records == 0);
    CHECK(std::string(truncated.status.message()).find("line 2, column 1: the file ends") !=
          std::string::npos);

    write_file(dir / "trailing.json", R"([{"keys":["a"],"clicks":0,"impressions":0},])");
    CHECK(drain(*open_api(dir / "trailing.json")).status.code() == StatusCode::kInvalidArgument);
}

TEST_CASE("GscApiSource: odd values are rejected as the other formats reject them", "[gsc-api]") {
    TempDir dir;
    write_file(dir / "odd.json", R"({"rows": [
        {"keys": ["a"], "clicks": 1, "impressions": 10, "ctr": "high", "position": 3},
        {"keys": ["b"], "clicks": 1, "impressions": 10, "ctr": 0.1, "position": true},
        {"keys": ["c"], "clicks": null, "impressions": 10, "ctr": 0.1, "position": 3},
        {"keys": ["d"], "clicks": 11, "impressions": 10, "ctr": 1.1, "position": 3},
        {"keys": [], "clicks": 1, "impressions": 10, "ctr": 0.1, "position": 3},
        {"keys": ["f"], "clicks": "2", "impressions": "10", "ctr": "0.2", "position": "4.5"}
    ]})");
    const Drained all = drain(*open_api(dir / "odd.json"));
    REQUIRE_OK(all.status);
    REQUIRE(all.rejections.size() == 5);
    CHECK(all.rejections[0].field == "ctr");
    CHECK(all.rejections[0].value == "high");
    CHECK(all.rejections[1].field == "position");
    CHECK(all.rejections[1].reason == RejectReason::kBadNumber);
    CHECK(all.rejections[1].value == "true");
    CHECK(all.rejections[2].field == "clicks");
    CHECK(all.rejections[2].reason == RejectReason::kBadNumber);
    CHECK(all.rejections[3].reason == RejectReason::kClicksExceedImpressions);
    CHECK(all.rejections[4].reason == RejectReason::kMissingId);
    CHECK(all.rejections[4].line == 6);
    REQUIRE(all.nodes.size() == 1);
    CHECK(all.nodes[0].position == 4.5);  // Numbers written as strings are still numbers.
}

TEST_CASE("GscApiSource: a tiny buffer reads the same records as a large one", "[gsc-api]") {
    TempDir dir;
    write_file(dir / "response.json", kResponse);
    const Drained large = drain(*open_api(dir / "response.json"));
    for (const std::size_t buffer : std::initializer_list<std::size_t>{16, 17, 33, 100}) {
        const Drained tiny = drain(*open_api(dir / "response.json", {}, buffer), 2);
        REQUIRE_OK(tiny.status);
        REQUIRE(tiny.nodes.size() == large.nodes.size());
        for (std::size_t i = 0; i < large.nodes.size(); ++i) {
            CHECK(tiny.nodes[i].id == large.nodes[i].id);
            CHECK(tiny.nodes[i].line == large.nodes[i].line);
            CHECK(tiny.nodes[i].position == large.nodes[i].position);
        }
    }
}

TEST_CASE("GscApiSource: an element far larger than the buffer still parses", "[gsc-api]") {
    TempDir dir;
    const std::string query(300000, 'q');
    write_file(dir / "huge.json",
               "[{\"keys\":[\"https://a.example/x\",\"" + query +
                   "\"],\"clicks\":0,\"impressions\":1,\"ctr\":0,\"position\":50},\n"
                   "{\"keys\":[\"small\"],\"clicks\":0,\"impressions\":1,\"ctr\":0,"
                   "\"position\":3}]");
    auto source = open_api(dir / "huge.json", {}, 64);
    const Drained all = drain(*source);
    REQUIRE_OK(all.status);
    REQUIRE(all.rejections.size() == 1);
    CHECK(all.rejections[0].reason == RejectReason::kIdTooLong);
    REQUIRE(all.nodes.size() == 1);
    CHECK(all.nodes[0].id == "small");
    CHECK(all.nodes[0].line == 2);
    CHECK(source->count_records().value() == 2);
}

TEST_CASE("GscApiSource: a second source seeked to a saved position reads the same rest",
          "[gsc-api]") {
    TempDir dir;
    write_file(dir / "response.json", kResponse);
    for (const std::size_t split : std::initializer_list<std::size_t>{0, 1, 2, 4, 5}) {
        auto first = open_api(dir / "response.json", {}, 32);
        NodeBatch batch;
        if (split > 0) {
            REQUIRE_OK(first->read(batch, split));
            CHECK(batch.end == first->position());
        }
        const SourcePosition saved = first->position();
        CHECK(saved.ordinal == split);
        const Drained rest = drain(*first);

        auto second = open_api(dir / "response.json");
        REQUIRE_OK(second->seek(saved));
        const Drained resumed = drain(*second);
        REQUIRE_OK(resumed.status);
        REQUIRE(resumed.nodes.size() == rest.nodes.size());
        for (std::size_t i = 0; i < rest.nodes.size(); ++i) {
            CHECK(resumed.nodes[i].id == rest.nodes[i].id);
            CHECK(resumed.nodes[i].ordinal == rest.nodes[i].ordinal);
            CHECK(resumed.nodes[i].line == rest.nodes[i].line);
        }
    }
}

TEST_CASE("GscApiSource: counting is exact and does not move the position", "[gsc-api]") {
    TempDir dir;
    write_file(dir / "response.json", kResponse);
    auto source = open_api(dir / "response.json", {}, 24);
    NodeBatch batch;
    REQUIRE_OK(source->read(batch, 2));
    const SourcePosition before = source->position();
    REQUIRE(source->count_records().value() == 5);
    CHECK(source->position() == before);
    const Drained rest = drain(*source);
    CHECK(rest.records == 3);
    CHECK(rest.nodes.front().id == "https://a.example/three");
}

// Expected figures come from Python's json module over the same file:
//   pages 24 rows (keys = [page]), queries 432 and longTailQueries 63 (keys = [page, query]);
//   every row has integer clicks <= impressions and position >= 1, so none is rejected;
//   clicks sum to 66 / 3 / 0; elements start on lines 8, 226 and 4548 (last: 215, 4536, 5168).
TEST_CASE("GscApiSource: reads the real medicareyourself export by key", "[gsc-api][real]") {
    const auto real = testing::real_data_dir();
    if (!real) {
        WARN("skipped: the real exports (../shared/data/real) are absent");
        return;
    }
    const auto path = *real / "gsc_api_medicareyourself.json";
    struct Expected {
        std::string key;
        std::uint64_t rows;
        std::int64_t clicks;
        std::uint64_t first_line;
        std::uint64_t last_line;
    };
    for (const Expected& expected :
         {Expected{"pages", 24, 66, 8, 215}, Expected{"queries", 432, 3, 226, 4536},
          Expected{"longTailQueries", 63, 0, 4548, 5168}}) {
        INFO(expected.key);
        auto source = open_api(path, expected.key, 4096);
        CHECK(source->count_records().value() == expected.rows);
        const Drained all = drain(*source, 100);
        REQUIRE_OK(all.status);
        CHECK(all.records == expected.rows);
        CHECK(all.rejections.empty());
        std::int64_t clicks = 0;
        for (const ReadNode& node : all.nodes) {
            clicks += node.clicks;
        }
        CHECK(clicks == expected.clicks);
        CHECK(all.nodes.front().line == expected.first_line);
        CHECK(all.nodes.back().line == expected.last_line);
    }
    const Drained pages = drain(*open_api(path, "pages"));
    CHECK(pages.nodes[0].id == "https://medicareyourself.com/medicare-supplement/new-jersey/cost");
    CHECK(pages.nodes[0].impressions == 2377);
    CHECK(pages.nodes[0].position == 16.13167858645351);
    const Drained queries = drain(*open_api(path, "queries"));
    CHECK(queries.nodes[0].id ==
          "https://medicareyourself.com/medicare-supplement/new-jersey/cost | nj medigap plans "
          "2026");
    CHECK(queries.nodes[0].url ==
          "https://medicareyourself.com/medicare-supplement/new-jersey/cost");
}

}  // namespace
}  // namespace bulkscore
