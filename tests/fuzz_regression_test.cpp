// SPDX-License-Identifier: MIT
//
// Regression tests for what the libFuzzer targets (tests/fuzz) found: each case feeds the
// reproducer, or a readable reduction of it, through the normal build and checks the clear
// rejection or error that the fixed code gives. Reproducers too binary for a string literal live
// in tests/fuzz/regressions/<target>/, where `tests/fuzz/run` also uses them as seeds.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "bulkscore/node_batch.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/scorer_config.hpp"
#include "bulkscore/status.hpp"

#include "support/test_support.hpp"

namespace bulkscore {
namespace {

std::filesystem::path regression_file(const std::string& target, const std::string& name) {
    return std::filesystem::path(BULKSCORE_SOURCE_DIR) / "tests" / "fuzz" / "regressions" / target /
           name;
}

// `message` without its ", column N": after a resume the reader counts columns from the resume
// offset, not from the start of the line (see the limitation in sources/json_scan.hpp).
std::string without_column(std::string_view message) {
    std::string text(message);
    const std::size_t at = text.find(", column ");
    if (at != std::string::npos) {
        const std::size_t end = text.find_first_not_of("0123456789", at + 9);
        text.erase(at, end - at);
    }
    return text;
}

std::unique_ptr<NodeSource> open_gsc_api(const std::filesystem::path& path) {
    SourceOptions options;
    options.path = path;
    options.format = InputFormat::kGscApi;
    Result<std::unique_ptr<NodeSource>> source = open_source(options);
    REQUIRE_OK(source.status());
    return std::move(*source);
}

// The rows before a malformed one are delivered, the batch ends before the malformed row with the
// matching ordinal, and the next read (and a resume from that end) stops at it with an error.
void check_stops_before_malformed_row(const std::filesystem::path& path,
                                      std::uint64_t rows_before) {
    std::unique_ptr<NodeSource> source = open_gsc_api(path);
    NodeBatch batch;
    REQUIRE_OK(source->read(batch, 4096));
    REQUIRE(batch.record_count == rows_before);
    CHECK(batch.end.ordinal == rows_before);
    CHECK(source->position() == batch.end);

    const Status failure = source->read(batch, 4096);
    REQUIRE_FALSE(failure.ok());
    CHECK(failure.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(failure.message()),
               Catch::Contains(path.string()) &&
                   Catch::Contains("malformed JSON in row " + std::to_string(rows_before)));

    // A fresh source resumed at the batch's end numbers the malformed row the same way.
    std::unique_ptr<NodeSource> resumed = open_gsc_api(path);
    REQUIRE_OK(resumed->seek(batch.end));
    CHECK(resumed->position().ordinal == rows_before);
    const Status again = resumed->read(batch, 4096);
    REQUIRE_FALSE(again.ok());
    CHECK(without_column(again.message()) == without_column(failure.message()));
}

TEST_CASE("FuzzRegression: a malformed API row leaves the position's ordinal on that row",
          "[fuzz-regression][gsc-api]") {
    testing::TempDir dir;
    const std::filesystem::path path = dir / "rows.json";
    // The second row is balanced, so the scanner hands it over, but it is not JSON.
    testing::write_file(path,
                        "[{\"keys\":[\"/a\"],\"clicks\":1,\"impressions\":2,\"position\":1},\n"
                        " {\"keys\":[\"/b\"] \"clicks\":1}]\n");
    check_stops_before_malformed_row(path, 1);
}

TEST_CASE("FuzzRegression: the fuzzer's reproducer with invalid UTF-8 in a key of row 1",
          "[fuzz-regression][gsc-api]") {
    // Row 0 is rejected (clicks exceed impressions), row 1 has bytes 0x83 inside a key.
    const std::filesystem::path path =
        regression_file("gsc_api_source", "unread_row_keeps_ordinal.json");
    REQUIRE(std::filesystem::exists(path));
    check_stops_before_malformed_row(path, 1);
}

TEST_CASE("FuzzRegression: a resume point before a trailing comma still rejects the comma",
          "[fuzz-regression][gsc-api]") {
    testing::TempDir dir;
    const std::filesystem::path path = dir / "rows.json";
    testing::write_file(path,
                        "{\"rows\": [{\"keys\": [\"/a\"], \"clicks\": 1, \"impressions\": 2, "
                        "\"position\": 1},\n ]}\n");
    std::unique_ptr<NodeSource> source = open_gsc_api(path);
    NodeBatch batch;
    REQUIRE_OK(source->read(batch, 1));
    REQUIRE(batch.record_count == 1);
    const Status fresh = source->read(batch, 1);
    REQUIRE_FALSE(fresh.ok());
    CHECK_THAT(std::string(fresh.message()), Catch::Contains("trailing comma"));

    // Resuming where the first batch ended must not read the comma as the end of the rows.
    std::unique_ptr<NodeSource> resumed = open_gsc_api(path);
    source = open_gsc_api(path);
    REQUIRE_OK(source->read(batch, 1));
    REQUIRE_OK(resumed->seek(batch.end));
    const Status after_resume = resumed->read(batch, 1);
    REQUIRE_FALSE(after_resume.ok());
    CHECK(after_resume.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(after_resume.message()),
               Catch::Contains(path.string()) && Catch::Contains("trailing comma"));
}

TEST_CASE("FuzzRegression: a resume point before a missing comma still rejects the next row",
          "[fuzz-regression][gsc-api]") {
    testing::TempDir dir;
    const std::filesystem::path path = dir / "rows.json";
    testing::write_file(
        path,
        "[{\"keys\": [\"/a\"], \"clicks\": 1, \"impressions\": 2, \"position\": 1}\n"
        " {\"keys\": [\"/b\"], \"clicks\": 1, \"impressions\": 2, \"position\": 1}]\n");
    std::unique_ptr<NodeSource> source = open_gsc_api(path);
    NodeBatch batch;
    REQUIRE_OK(source->read(batch, 1));
    REQUIRE(batch.record_count == 1);
    const SourcePosition end = batch.end;
    const Status fresh = source->read(batch, 1);
    REQUIRE_FALSE(fresh.ok());
    CHECK_THAT(std::string(fresh.message()), Catch::Contains("expected ',' or ']' after a row"));

    // A fresh source resumed there must not take the second object for a row.
    std::unique_ptr<NodeSource> resumed = open_gsc_api(path);
    REQUIRE_OK(resumed->seek(end));
    const Status after_resume = resumed->read(batch, 1);
    REQUIRE_FALSE(after_resume.ok());
    CHECK(without_column(after_resume.message()) == without_column(fresh.message()));
}

TEST_CASE("FuzzRegression: the fuzzer's reproducer of a resume past a missing comma",
          "[fuzz-regression][gsc-api]") {
    // Row 0 is followed directly by `{`; the rows after it must never be delivered.
    const std::filesystem::path path =
        regression_file("gsc_api_source", "resume_after_missing_comma.json");
    REQUIRE(std::filesystem::exists(path));
    for (const std::size_t batch_size : {std::size_t{1}, std::size_t{64}}) {
        std::unique_ptr<NodeSource> source = open_gsc_api(path);
        NodeBatch batch;
        REQUIRE_OK(source->read(batch, batch_size));
        CHECK(batch.record_count == 1);
        std::unique_ptr<NodeSource> resumed = open_gsc_api(path);
        REQUIRE_OK(resumed->seek(batch.end));
        const Status after_resume = resumed->read(batch, batch_size);
        REQUIRE_FALSE(after_resume.ok());
        CHECK(after_resume.code() == StatusCode::kInvalidArgument);
    }
}

// The scorer configuration in a reproducer of the `scorer_config` target, which must parse.
ScorerConfig read_config_reproducer(const std::string& name) {
    const std::filesystem::path path = regression_file("scorer_config", name);
    std::ifstream file(path, std::ios::binary);
    REQUIRE(file);
    const std::string json{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    Result<ScorerConfig> config = parse_scorer_config(json, path.string());
    REQUIRE_OK(config.status());
    return *config;
}

TEST_CASE("FuzzRegression: a lone tiny weight on a full component scores at most 100",
          "[fuzz-regression][scorer-config]") {
    // The fuzzer's reproducer: every weight 0 but link_need's 1e-160; 100 * w / w rounded past
    // 100 before the score was bounded.
    const ScorerConfig config = read_config_reproducer("tiny_weight_rounds_past_100.json");
    Result<OpportunityScorer> scorer = OpportunityScorer::create(config);
    REQUIRE_OK(scorer.status());

    Node page;
    page.id = "/no-links";
    page.impressions = 10;
    page.inlinks = 0;  // link_need = 1, the only weighted component.
    const ScoreResult result = scorer->score(page);
    CHECK(result.components.link_need == 1.0);
    CHECK(result.score <= 100.0);
    CHECK(result.score == Approx(100.0).epsilon(1e-12));
}

TEST_CASE("FuzzRegression: a negative weight that underflows to -0 reads as 0 and round-trips",
          "[fuzz-regression][scorer-config]") {
    // The fuzzer's reproducer: `"upside": -32666666644.9e-3240` is -0 as a double; it was
    // accepted (not below 0) and written back as `-0`, which reads back as the integer 0.
    const ScorerConfig config = read_config_reproducer("negative_underflow_weight.json");
    CHECK_FALSE(std::signbit(config.weights.upside));

    const std::string canonical = to_json(config);
    CHECK_THAT(canonical, Catch::Contains("\"upside\":0,"));
    Result<ScorerConfig> back = parse_scorer_config(canonical, "canonical");
    REQUIRE_OK(back.status());
    CHECK(to_json(*back) == canonical);

    // A configuration built in code with -0.0 writes the same text.
    ScorerConfig in_code = config;
    in_code.weights.upside = -0.0;
    CHECK(to_json(in_code) == canonical);
}

}  // namespace
}  // namespace bulkscore
