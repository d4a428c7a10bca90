// SPDX-License-Identifier: MIT
//
// Tests of the native CSV source and of `open_source`'s format detection: header handling,
// record shapes, every rejection reason with its line, batches, counting, resume, and errors.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "bulkscore/node_source.hpp"

#include "sources/source_factories.hpp"
#include "support/test_support.hpp"

namespace bulkscore {
namespace {

using testing::TempDir;
using testing::write_file;

// A record's outcome, copied out of the batch that held it.
struct Outcome {
    std::uint64_t ordinal = 0;
    std::uint64_t line = 0;
    std::string id;
    std::string reason;  // Empty for a node.
    std::string field;
    std::string value;
    Node node;  // Its views are cleared: the batch is gone.
};

struct ReadAll {
    std::vector<Outcome> outcomes;  // In record order.
    std::uint64_t records = 0;
    std::uint64_t batches = 0;
};

ReadAll read_all(NodeSource& source, std::size_t batch_size = 1000) {
    ReadAll all;
    NodeBatch batch;
    for (;;) {
        const std::uint64_t expected_first = source.position().ordinal;
        REQUIRE_OK(source.read(batch, batch_size));
        CHECK(batch.first_ordinal == expected_first);
        CHECK(batch.record_count == batch.nodes.size() + batch.rejections.size());
        CHECK(batch.end == source.position());
        if (batch.record_count == 0) {
            break;
        }
        ++all.batches;
        all.records += batch.record_count;
        for (const Node& node : batch.nodes) {
            Outcome outcome{node.ordinal, node.line, std::string(node.id), "", "", "", node};
            outcome.node.id = {};
            outcome.node.url = {};
            all.outcomes.push_back(outcome);
        }
        for (const Rejection& rejection : batch.rejections) {
            all.outcomes.push_back({rejection.ordinal, rejection.line, std::string(rejection.id),
                                    std::string(to_string(rejection.reason)),
                                    std::string(rejection.field), std::string(rejection.value),
                                    Node{}});
        }
    }
    std::sort(all.outcomes.begin(), all.outcomes.end(),
              [](const Outcome& a, const Outcome& b) { return a.ordinal < b.ordinal; });
    return all;
}

std::unique_ptr<NodeSource> open_csv(const TempDir& dir,
                                     const std::string& text,
                                     std::size_t buffer_bytes = 1 << 20) {
    write_file(dir / "pages.csv", text);
    SourceOptions options;
    options.path = dir / "pages.csv";
    options.format = InputFormat::kCsv;
    options.read_buffer_bytes = buffer_bytes;
    Result<std::unique_ptr<NodeSource>> source = open_source(options);
    REQUIRE_OK(source);
    return std::move(*source);
}

Status open_csv_error(const std::string& text) {
    TempDir dir;
    write_file(dir / "pages.csv", text);
    SourceOptions options;
    options.path = dir / "pages.csv";
    options.format = InputFormat::kCsv;
    Result<std::unique_ptr<NodeSource>> source = open_source(options);
    REQUIRE_FALSE(source.ok());
    return source.status();
}

TEST_CASE("CsvSource: finds columns by name in any order and ignores unknown ones", "[csv]") {
    TempDir dir;
    auto source = open_csv(dir,
                           " clicks ,notes,id,impressions,position,url,difficulty,inlinks\n"
                           "12,hello,/a,340,4.5,https://x.test/a,35,7\n");
    const ReadAll all = read_all(*source);
    REQUIRE(all.outcomes.size() == 1);
    const Outcome& a = all.outcomes[0];
    CHECK(a.reason.empty());
    CHECK(a.id == "/a");
    CHECK(a.node.clicks == 12);
    CHECK(a.node.impressions == 340);
    CHECK(a.node.position == 4.5);
    CHECK(a.node.difficulty == 35.0);
    CHECK(a.node.inlinks == 7);
    CHECK_FALSE(a.node.word_count.has_value());
    CHECK(a.line == 2);
}

TEST_CASE("CsvSource: keeps the url and defaults it to the id", "[csv]") {
    TempDir dir;
    auto source =
        open_csv(dir, "id,url,impressions,clicks,position\n/a,https://x/a,1,0,3\n/b,,1,0,3\n");
    NodeBatch batch;
    REQUIRE_OK(source->read(batch, 10));
    REQUIRE(batch.nodes.size() == 2);
    CHECK(batch.nodes[0].url == "https://x/a");
    CHECK(batch.nodes[1].url == "/b");
}

TEST_CASE("CsvSource: a header without a required column names the file, line and columns",
          "[csv]") {
    const Status status = open_csv_error("page,clicks,position\n/a,1,2\n");
    CHECK(status.code() == StatusCode::kInvalidArgument);
    const std::string message(status.message());
    CHECK_THAT(message, Catch::Contains("pages.csv: line 1:"));
    CHECK_THAT(message, Catch::Contains("id, impressions"));
    CHECK_THAT(message, Catch::Contains("--format gsc"));
    CHECK_THAT(message, Catch::Contains("--format sf"));
    CHECK_THAT(std::string(open_csv_error("").message()), Catch::Contains("empty"));
}

TEST_CASE("CsvSource: short records read as empty fields and long ones lose their extras",
          "[csv]") {
    TempDir dir;
    auto source = open_csv(dir,
                           "id,impressions,clicks,position,word_count\n"
                           "/short,0,0\n"
                           "/long,10,1,2,300,extra,more\n"
                           "/too-short,5\n");
    const ReadAll all = read_all(*source);
    REQUIRE(all.outcomes.size() == 3);
    CHECK(all.outcomes[0].reason.empty());
    CHECK(all.outcomes[0].node.position == kNotRanking);
    CHECK_FALSE(all.outcomes[0].node.word_count.has_value());
    CHECK(all.outcomes[1].node.word_count == 300);
    CHECK(all.outcomes[2].reason == "bad_number");
    CHECK(all.outcomes[2].field == "clicks");
}

TEST_CASE("CsvSource: every rejection reason names its record, line, field and value", "[csv]") {
    TempDir dir;
    const std::string long_id(2049, 'p');
    auto source = open_csv(dir,
                           "id,impressions,clicks,position,difficulty\n"  // line 1
                           ",10,1,3,\n"                                   // 2 missing_id
                           "\"/multi\nline\",10,1,3,\n"                   // 3-4 accepted
                               + long_id +
                               ",10,1,3,\n"               // 5 id_too_long
                               "/text,ten,1,3,\n"         // 6 bad_number
                               "/nan,10,NaN,3,\n"         // 7 bad_number
                               "/inf,10,1,inf,\n"         // 8 bad_number
                               "/huge,1e400,1,3,\n"       // 9 bad_number
                               "/neg,-5,0,3,\n"           // 10 negative
                               "\"/q\"\"uote\",5,9,3,\n"  // 11 clicks_exceed
                               "/pos,5,1,0.5,\n"          // 12 bad_position
                               "/norank,5,1,,\n"          // 13 bad_position
                               "/diff,5,1,3,101\n");      // 14 bad_difficulty
    const ReadAll all = read_all(*source, 4);
    REQUIRE(all.records == 12);
    struct Expected {
        const char* reason;
        std::uint64_t line;
        const char* field;
        const char* value;
    };
    const std::vector<Expected> expected = {{"missing_id", 2, "id", ""},
                                            {"", 3, "", ""},
                                            {"id_too_long", 5, "id", ""},
                                            {"bad_number", 6, "impressions", "ten"},
                                            {"bad_number", 7, "clicks", "NaN"},
                                            {"bad_number", 8, "position", "inf"},
                                            {"bad_number", 9, "impressions", "1e400"},
                                            {"negative", 10, "impressions", "-5"},
                                            {"clicks_exceed_impressions", 11, "clicks", "9"},
                                            {"bad_position", 12, "position", "0.5"},
                                            {"bad_position", 13, "position", ""},
                                            {"bad_difficulty", 14, "difficulty", "101"}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(i);
        CHECK(all.outcomes[i].ordinal == i);
        CHECK(all.outcomes[i].reason == expected[i].reason);
        CHECK(all.outcomes[i].line == expected[i].line);
        CHECK(all.outcomes[i].field == expected[i].field);
        if (std::string(expected[i].value).size() > 0) {
            CHECK(all.outcomes[i].value == expected[i].value);
        }
    }
    CHECK(all.outcomes[1].id == "/multi\nline");
    CHECK(all.outcomes[8].id == "/q\"uote");
    CHECK(all.outcomes[2].id.size() == 2048);  // Shortened to the longest accepted id.
}

TEST_CASE("CsvSource: reads a ';' separated file with decimal commas", "[csv]") {
    TempDir dir;
    auto source = open_csv(dir, "id;impressions;clicks;position;difficulty\n/a;100;3;4,25;12,5\n");
    const ReadAll all = read_all(*source);
    REQUIRE(all.outcomes.size() == 1);
    CHECK(all.outcomes[0].node.position == 4.25);
    CHECK(all.outcomes[0].node.difficulty == 12.5);
}

TEST_CASE("CsvSource: batches carry ordinals and positions, and count matches the records",
          "[csv]") {
    TempDir dir;
    std::string text = "\xEF\xBB\xBFid,impressions,clicks,position\r\n";
    for (int i = 0; i < 95; ++i) {
        text += (i % 7 == 0 ? "\"/page\n" : "/page") + std::to_string(i) +
                (i % 7 == 0 ? "\"" : "") + ",100,5,3\r\n" + (i % 10 == 0 ? "\r\n" : "");
    }
    auto source = open_csv(dir, text, 64);
    const Result<std::uint64_t> count = source->count_records();
    REQUIRE_OK(count);
    CHECK(*count == 95);
    CHECK(source->position().ordinal == 0);
    const ReadAll all = read_all(*source, 10);
    CHECK(all.records == 95);
    CHECK(all.batches == 10);
    CHECK(*source->count_records() == 95);
}

TEST_CASE("CsvSource: a source seeked to a reported position reads the same remaining records",
          "[csv]") {
    TempDir dir;
    std::string text = "id,impressions,clicks,position\n";
    for (int i = 0; i < 250; ++i) {
        text += "\"/p," + std::to_string(i) + "\n\"\"x\"\"\"," + std::to_string(i + 1) + ",1,2\n";
    }
    auto first = open_csv(dir, text, 100);
    NodeBatch batch;
    for (int i = 0; i < 3; ++i) {
        REQUIRE_OK(first->read(batch, 37));
    }
    const SourcePosition resume = first->position();
    CHECK(resume.ordinal == 111);
    CHECK(resume.line == 2 + 2 * 111);
    const ReadAll rest = read_all(*first, 50);

    SourceOptions options;
    options.path = dir / "pages.csv";
    options.format = InputFormat::kCsv;
    Result<std::unique_ptr<NodeSource>> second = open_source(options);
    REQUIRE_OK(second);
    REQUIRE_OK((*second)->seek(resume));
    const ReadAll again = read_all(**second, 13);
    REQUIRE(again.outcomes.size() == rest.outcomes.size());
    for (std::size_t i = 0; i < rest.outcomes.size(); ++i) {
        CHECK(again.outcomes[i].id == rest.outcomes[i].id);
        CHECK(again.outcomes[i].ordinal == rest.outcomes[i].ordinal);
        CHECK(again.outcomes[i].line == rest.outcomes[i].line);
    }
    CHECK(rest.outcomes.front().id == "/p,111\n\"x\"");
}

TEST_CASE("CsvSource: an unterminated quote ends the input after the records before it", "[csv]") {
    TempDir dir;
    auto source = open_csv(dir, "id,impressions,clicks\n/a,1,0\n/b,1,0\n\"/c,1,0\n/d,1,0\n");
    NodeBatch batch;
    REQUIRE_OK(source->read(batch, 100));
    CHECK(batch.record_count == 2);
    const Status failed = source->read(batch, 100);
    REQUIRE_FALSE(failed.ok());
    CHECK_THAT(std::string(failed.message()),
               Catch::Contains("pages.csv: line 4: a quoted field opened here never closes"));
    CHECK_FALSE(source->count_records().ok());
}

TEST_CASE("CsvSource: a record larger than the read buffer still parses", "[csv]") {
    TempDir dir;
    const std::string id = "/" + std::string(1500, 'x');
    auto source = open_csv(dir, "id,impressions,clicks\n/a,1,0\n\"" + id + "\",2,1\n/c,3,0\n", 64);
    const ReadAll all = read_all(*source, 1);
    REQUIRE(all.outcomes.size() == 3);
    CHECK(all.outcomes[1].id == id);
    CHECK(all.outcomes[2].line == 4);
}

TEST_CASE("open_source: detects the format from the extension and the header", "[csv]") {
    TempDir dir;
    const auto detect = [&](const std::string& name, const std::string& text) {
        write_file(dir / name, text);
        SourceOptions options;
        options.path = dir / name;
        Result<std::unique_ptr<NodeSource>> source = open_source(options);
        REQUIRE_OK(source);
        NodeBatch batch;
        REQUIRE_OK((*source)->read(batch, 10));
        return batch;
    };
    CHECK(detect("native.csv", "impressions,id,clicks\n0,/a,0\n").nodes.at(0).id == "/a");
    CHECK(detect("gsc.csv", "Top pages,Clicks,Impressions,CTR,Position\n/a,1,5,20%,3\n")
              .nodes.at(0)
              .position == 3.0);
    CHECK(detect("crawl.csv",
                 "\"Internal - All\"\n\"Address\",\"Status Code\",\"Clicks\",\"Impressions\","
                 "\"Position\"\n\"/a\",\"301\",\"\",\"\",\"\"\n")
              .rejections.at(0)
              .reason == RejectReason::kNotAPage);
    CHECK(detect("lines.jsonl", "{\"id\":\"/a\",\"impressions\":5,\"clicks\":1,\"position\":2}\n")
              .nodes.size() == 1);
}

TEST_CASE("open_source: a missing file is not_found naming the path", "[csv]") {
    TempDir dir;
    SourceOptions options;
    options.path = dir / "nowhere.csv";
    for (const InputFormat format : {InputFormat::kAuto, InputFormat::kCsv, InputFormat::kGsc}) {
        options.format = format;
        const Result<std::unique_ptr<NodeSource>> source = open_source(options);
        REQUIRE_FALSE(source.ok());
        CHECK(source.status().code() == StatusCode::kNotFound);
        CHECK_THAT(std::string(source.status().message()), Catch::Contains("nowhere.csv"));
    }
}

TEST_CASE("open_source: input format names parse and print both ways", "[csv]") {
    for (const std::string_view name : {"auto", "csv", "gsc", "gsc-api", "sf", "jsonl"}) {
        const Result<InputFormat> format = parse_input_format(name);
        REQUIRE_OK(format);
        CHECK(to_string(*format) == name);
    }
    const Result<InputFormat> bad = parse_input_format("xlsx");
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(std::string(bad.status().message()),
               Catch::Contains("xlsx") && Catch::Contains("csv, gsc, gsc-api, sf, jsonl"));
}

}  // namespace
}  // namespace bulkscore
