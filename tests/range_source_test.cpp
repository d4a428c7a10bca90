// SPDX-License-Identifier: MIT
//
// Tests of `RangeSource`: nodes from host memory, copied into batches, checked like file
// records, resumable by ordinal.

#include "bulkscore/range_source.hpp"

#include <cmath>
#include <limits>
#include <list>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace bulkscore {
namespace {

Node page(std::string_view id, std::int64_t impressions, std::int64_t clicks, double position) {
    Node node;
    node.id = id;
    node.impressions = impressions;
    node.clicks = clicks;
    node.position = position;
    return node;
}

TEST_CASE("RangeSource: copies nodes into the batch and keeps their ordinals", "[range]") {
    const std::vector<std::string> ids = {"/a", "/b", "/c"};
    std::vector<Node> nodes = {page(ids[0], 10, 1, 2.5), page(ids[1], 0, 0, kNotRanking),
                               page(ids[2], 5, 5, 1)};
    nodes[0].url = "https://x.example/a";
    nodes[2].ordinal = 99;  // Ordinals are the range's, whatever the host wrote.
    auto source = make_range_source(nodes);
    CHECK(source->description() == "memory");
    CHECK(source->count_records().value() == 3);

    NodeBatch batch;
    REQUIRE_OK(source->read(batch, 10));
    REQUIRE(batch.nodes.size() == 3);
    CHECK(batch.record_count == 3);
    CHECK(batch.nodes[0].id == "/a");
    CHECK(batch.nodes[0].id.data() != ids[0].data());  // A copy in the batch's arena.
    CHECK(batch.nodes[0].url == "https://x.example/a");
    CHECK(batch.nodes[1].url == "/b");
    CHECK(batch.nodes[2].ordinal == 2);
    CHECK(batch.nodes[2].line == 0);
    CHECK(batch.end == SourcePosition{3, 0, 0});
    REQUIRE_OK(source->read(batch, 10));
    CHECK(batch.record_count == 0);
}

TEST_CASE("RangeSource: rejects nodes with the reasons and fields of the file sources", "[range]") {
    const std::string long_id(kMaxIdBytes + 1, 'x');
    std::vector<Node> nodes = {
        page("", 1, 0, 2),
        page(long_id, 1, 0, 2),
        page("/neg", -1, 0, 2),
        page("/more", 1, 2, 2),
        page("/pos", 1, 0, 0.5),
        page("/ranked", 1, 0, kNotRanking),
        page("/nan", 1, 0, std::numeric_limits<double>::quiet_NaN()),
        page("/diff", 1, 0, 2),
        page("/ok", 1, 0, 2),
    };
    nodes[7].difficulty = 150;
    nodes[8].inlinks = -2;
    struct Expected {
        RejectReason reason;
        std::string_view field;
        std::string value;
    };
    const std::vector<Expected> expected = {
        {RejectReason::kMissingId, "id", ""},
        {RejectReason::kIdTooLong, "id", long_id.substr(0, 120)},
        {RejectReason::kNegative, "impressions", "-1"},
        {RejectReason::kClicksExceedImpressions, "clicks", "2"},
        {RejectReason::kBadPosition, "position", "0.5"},
        {RejectReason::kBadPosition, "position", ""},
        {RejectReason::kBadNumber, "position", "nan"},
        {RejectReason::kBadDifficulty, "difficulty", "150"},
        {RejectReason::kNegative, "inlinks", "-2"},
    };
    auto source = make_range_source(nodes);
    NodeBatch batch;
    REQUIRE_OK(source->read(batch, 100));
    CHECK(batch.nodes.empty());
    REQUIRE(batch.rejections.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("node " << i);
        CHECK(batch.rejections[i].reason == expected[i].reason);
        CHECK(batch.rejections[i].field == expected[i].field);
        CHECK(batch.rejections[i].value == expected[i].value);
        CHECK(batch.rejections[i].ordinal == i);
    }
}

struct HostPage {
    std::string path;
    int views = 0;
};

TEST_CASE("RangeSource: projects any range, forward-only ones too, and resumes", "[range]") {
    std::list<HostPage> pages;
    for (int i = 0; i < 25; ++i) {
        pages.push_back({"/page-" + std::to_string(i), i * 10});
    }
    auto project = [](const HostPage& host) {
        return page(host.path, host.views, host.views / 10, 3.0);
    };
    auto source = make_range_source(pages, project);
    CHECK(source->count_records().value() == 25);

    NodeBatch batch;
    REQUIRE_OK(source->read(batch, 7));
    const SourcePosition saved = source->position();
    CHECK(saved.ordinal == 7);

    auto resumed = make_range_source(pages, project);
    REQUIRE_OK(resumed->seek(saved));
    std::vector<std::string> rest;
    while (true) {
        REQUIRE_OK(resumed->read(batch, 4));
        if (batch.record_count == 0) {
            break;
        }
        CHECK(batch.first_ordinal == 7 + rest.size());
        for (const Node& node : batch.nodes) {
            rest.emplace_back(node.id);
        }
    }
    REQUIRE(rest.size() == 18);
    CHECK(rest.front() == "/page-7");
    CHECK(rest.back() == "/page-24");
    CHECK_FALSE(resumed->seek({26, 0, 0}).ok());
}

TEST_CASE("RangeSource: a projection that throws fails the read without moving", "[range]") {
    const std::vector<int> values = {1, 2, 3};
    auto source = make_range_source(values, [](int value) -> Node {
        if (value == 2) {
            throw std::runtime_error("host failure");
        }
        return page("/ok", 1, 0, 2);
    });
    NodeBatch batch;
    const Status failed = source->read(batch, 10);
    CHECK(failed.code() == StatusCode::kInternal);
    CHECK(std::string(failed.message()).find("host failure") != std::string::npos);
    CHECK(source->position().ordinal == 0);
    REQUIRE_OK(source->read(batch, 1));
    CHECK(batch.record_count == 1);
}

}  // namespace
}  // namespace bulkscore
