// SPDX-License-Identifier: MIT
//
// Tests of the synthetic site generator: determinism, the CSV file against the source node for
// node, validity and plausible distributions, and resume.

#include "bulkscore/site_generator.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "sources/source_factories.hpp"
#include "support/test_support.hpp"

namespace bulkscore {
namespace {

using testing::read_file;
using testing::TempDir;

struct Page {
    std::string id;
    Node node;  // Without text.
};

std::vector<Page> generate(const SiteGeneratorOptions& options, std::size_t batch_size = 1000) {
    auto source = make_site_generator_source(options);
    std::vector<Page> pages;
    NodeBatch batch;
    while (true) {
        REQUIRE_OK(source->read(batch, batch_size));
        if (batch.record_count == 0) {
            return pages;
        }
        REQUIRE(batch.rejections.empty());
        for (Node node : batch.nodes) {
            CHECK(node.url == node.id);
            std::string id(node.id);
            node.id = {};
            node.url = {};
            pages.push_back({std::move(id), node});
        }
    }
}

std::vector<std::string_view> split(std::string_view line) {
    std::vector<std::string_view> cells;
    while (true) {
        const std::size_t comma = line.find(',');
        cells.push_back(line.substr(0, comma));
        if (comma == std::string_view::npos) {
            return cells;
        }
        line.remove_prefix(comma + 1);
    }
}

template <class Number>
std::optional<Number> cell(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    Number value{};
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    REQUIRE(result.ec == std::errc());
    REQUIRE(result.ptr == text.data() + text.size());
    return value;
}

TEST_CASE("SiteGenerator: the same seed writes the same bytes, another seed does not",
          "[generator]") {
    TempDir dir;
    REQUIRE_OK(write_site_csv(dir / "a.csv", {2000, 7}));
    REQUIRE_OK(write_site_csv(dir / "b.csv", {2000, 7}));
    REQUIRE_OK(write_site_csv(dir / "c.csv", {2000, 8}));
    const std::string a = read_file(dir / "a.csv");
    CHECK(a == read_file(dir / "b.csv"));
    CHECK(a != read_file(dir / "c.csv"));
    CHECK(
        a.starts_with("id,impressions,clicks,position,search_volume,difficulty,prev_clicks,"
                      "word_count,inlinks,days_since_update\n"));
    CHECK(std::count(a.begin(), a.end(), '\n') == 2001);
}

TEST_CASE("SiteGenerator: the CSV file holds exactly the source's nodes", "[generator]") {
    TempDir dir;
    const SiteGeneratorOptions options{3000, 42};
    REQUIRE_OK(write_site_csv(dir / "site.csv", options));
    const std::vector<Page> pages = generate(options, 256);
    REQUIRE(pages.size() == 3000);

    const std::string text = read_file(dir / "site.csv");
    std::string_view rest(text);
    rest.remove_prefix(rest.find('\n') + 1);
    for (std::size_t i = 0; i < pages.size(); ++i) {
        INFO("page " << i);
        const std::size_t end = rest.find('\n');
        const std::vector<std::string_view> cells = split(rest.substr(0, end));
        rest.remove_prefix(end + 1);
        REQUIRE(cells.size() == 10);
        const Node& node = pages[i].node;
        CHECK(cells[0] == pages[i].id);
        CHECK(cell<std::int64_t>(cells[1]) == node.impressions);
        CHECK(cell<std::int64_t>(cells[2]) == node.clicks);
        CHECK(cell<double>(cells[3]).value_or(kNotRanking) == node.position);
        CHECK(cell<std::int64_t>(cells[4]) == node.search_volume);
        CHECK(cell<double>(cells[5]) == node.difficulty);
        CHECK(cell<std::int64_t>(cells[6]) == node.prev_clicks);
        CHECK(cell<std::int64_t>(cells[7]) == node.word_count);
        CHECK(cell<std::int64_t>(cells[8]) == node.inlinks);
        CHECK(cell<std::int64_t>(cells[9]) == node.days_since_update);
        CHECK(node.ordinal == i);
    }
    CHECK(rest.empty());
}

TEST_CASE("SiteGenerator: pages are valid and distributed like a real site", "[generator]") {
    const std::vector<Page> pages = generate({20000, 3});
    std::size_t not_ranking = 0;
    std::size_t top_hundred = 0;
    std::size_t with_volume = 0;
    std::size_t with_words = 0;
    std::vector<std::int64_t> impressions;
    std::vector<std::string> ids;
    for (const Page& page : pages) {
        const Node& node = page.node;
        REQUIRE(node.clicks <= node.impressions);
        REQUIRE(page.id.starts_with("https://www.example.com/"));
        ids.push_back(page.id);
        if (node.position == kNotRanking) {
            ++not_ranking;
            CHECK(node.impressions == 0);
            continue;
        }
        impressions.push_back(node.impressions);
        top_hundred += node.position <= 100 ? 1U : 0U;
        with_volume += node.search_volume ? 1U : 0U;
        with_words += node.word_count ? 1U : 0U;
    }
    const double share = static_cast<double>(not_ranking) / static_cast<double>(pages.size());
    CHECK(share > 0.05);
    CHECK(share < 0.30);
    CHECK(top_hundred > impressions.size() * 95 / 100);
    CHECK(with_volume > impressions.size() * 40 / 100);
    CHECK(with_volume < impressions.size() * 70 / 100);
    CHECK(with_words > impressions.size() * 75 / 100);
    CHECK(with_words < impressions.size() * 95 / 100);

    // Heavy tail: the largest page dwarfs the median one.
    std::sort(impressions.begin(), impressions.end());
    CHECK(impressions.back() > 100 * impressions[impressions.size() / 2]);
    std::sort(ids.begin(), ids.end());
    CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
}

TEST_CASE("SiteGenerator: a seeked source produces the same pages and counts exactly",
          "[generator]") {
    const SiteGeneratorOptions options{1000, 11};
    const std::vector<Page> all = generate(options);
    auto source = make_site_generator_source(options);
    CHECK(source->count_records().value() == 1000);
    REQUIRE_OK(source->seek({640, 0, 0}));
    NodeBatch batch;
    REQUIRE_OK(source->read(batch, 100));
    CHECK(batch.first_ordinal == 640);
    REQUIRE(batch.nodes.size() == 100);
    for (std::size_t i = 0; i < batch.nodes.size(); ++i) {
        CHECK(batch.nodes[i].id == all[640 + i].id);
        CHECK(batch.nodes[i].impressions == all[640 + i].node.impressions);
        CHECK(batch.nodes[i].ordinal == 640 + i);
    }
    CHECK(source->position().ordinal == 740);
    CHECK_FALSE(source->seek({1001, 0, 0}).ok());
}

TEST_CASE("SiteGenerator: the native CSV source reads the file back without rejections",
          "[generator]") {
    TempDir dir;
    const SiteGeneratorOptions options{2500, 5};
    REQUIRE_OK(write_site_csv(dir / "site.csv", options));
    const std::vector<Page> pages = generate(options);
    SourceOptions source_options;
    source_options.path = dir / "site.csv";
    source_options.format = InputFormat::kCsv;
    Result<std::unique_ptr<NodeSource>> source = detail::open_csv_source(source_options);
    REQUIRE_OK(source);
    CHECK((*source)->count_records().value() == pages.size());
    NodeBatch batch;
    std::size_t next = 0;
    while (true) {
        REQUIRE_OK((*source)->read(batch, 700));
        if (batch.record_count == 0) {
            break;
        }
        REQUIRE(batch.rejections.empty());
        for (const Node& node : batch.nodes) {
            REQUIRE(next < pages.size());
            CHECK(node.id == pages[next].id);
            CHECK(node.impressions == pages[next].node.impressions);
            CHECK(node.position == pages[next].node.position);
            CHECK(node.difficulty == pages[next].node.difficulty);
            CHECK(node.line == next + 2);
            ++next;
        }
    }
    CHECK(next == pages.size());
}

TEST_CASE("SiteGenerator: an unwritable path is an error naming it", "[generator]") {
    TempDir dir;
    const Status failed = write_site_csv(dir / "missing" / "site.csv", {10, 1});
    REQUIRE_FALSE(failed.ok());
    CHECK(std::string(failed.message()).find("site.csv") != std::string::npos);
}

}  // namespace
}  // namespace bulkscore
