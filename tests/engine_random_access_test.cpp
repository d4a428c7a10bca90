// SPDX-License-Identifier: MIT
//
// Tests of the engine with a random-access source (engine/random_access_source.hpp), where the
// workers read their own batches: results identical, bit for bit and in order, to a plain loop
// that reads the source and scores each node; a cancel and a resume that account for every page
// exactly once; a range that fails to read stops the run with the source's message.

#include <atomic>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "bulkscore/bulk_scorer.hpp"
#include "bulkscore/memory_checkpoint_store.hpp"
#include "bulkscore/memory_sink.hpp"
#include "bulkscore/range_source.hpp"
#include "bulkscore/site_generator.hpp"

#include "engine/random_access_source.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;

namespace bulkscore::testing {
namespace {

constexpr const char* kJob = "generated";
constexpr SiteGeneratorOptions kSite{.pages = 3000, .seed = 11};

BulkScorerOptions options_for(std::size_t workers) {
    BulkScorerOptions options;
    options.worker_threads = workers;
    options.batch_size = 50;
    options.batches_in_flight = 4;
    options.checkpoint_interval = 0ms;
    options.progress_interval = 1ms;
    return options;
}

JobSpec job_spec() {
    return JobSpec{kJob, "generator", "site-11", false};
}

// What a single thread gets by reading the generator and scoring each node in turn.
std::vector<ScoreRow> plain_loop(const SiteGeneratorOptions& site) {
    auto source = make_site_generator_source(site);
    const OpportunityScorer scorer;
    std::vector<ScoreRow> rows;
    NodeBatch batch;
    for (;;) {
        REQUIRE_OK(source->read(batch, 97));
        if (batch.record_count == 0) {
            return rows;
        }
        REQUIRE(batch.rejections.empty());
        for (const Node& node : batch.nodes) {
            rows.push_back(ScoreRow::from(scorer.score(node)));
        }
    }
}

void check_same_rows(const std::vector<ScoreRow>& got, const std::vector<ScoreRow>& expected) {
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("row " << i << " id " << expected[i].id);
        REQUIRE(got[i] == expected[i]);
    }
}

// A random-access source over host nodes whose ranges past `fail_from` cannot be read.
class FailingRangeSource final : public NodeSource, public detail::RandomAccessSource {
public:
    FailingRangeSource(std::vector<Node> nodes, std::uint64_t fail_from)
        : nodes_(std::move(nodes)), fail_from_(fail_from), stream_(make_range_source(nodes_)) {}

    Status read(NodeBatch& batch, std::size_t max_records) override {
        return stream_->read(batch, max_records);
    }
    Result<std::uint64_t> count_records() override { return stream_->count_records(); }
    SourcePosition position() const noexcept override { return stream_->position(); }
    Status seek(const SourcePosition& position) override { return stream_->seek(position); }
    std::string_view description() const noexcept override { return "failing-ranges"; }

    Status read_range(std::uint64_t first, std::size_t count, NodeBatch& batch) const override {
        if (first + count > fail_from_) {
            return data_loss_error("the disk went away");
        }
        batch.clear();
        batch.first_ordinal = first;
        for (std::uint64_t i = first; i < first + count; ++i) {
            detail::append_memory_node(nodes_[i], i, batch);
        }
        batch.end = SourcePosition{first + count, 0, 0};
        return Status();
    }
    std::uint64_t record_total() const noexcept override { return nodes_.size(); }

private:
    std::vector<Node> nodes_;
    std::uint64_t fail_from_;
    std::unique_ptr<NodeSource> stream_;
};

}  // namespace

TEST_CASE("Engine: workers reading a generator's ranges commit what a plain loop scores",
          "[engine][concurrency]") {
    const std::size_t workers = GENERATE(as<std::size_t>{}, 1, 2, 4);
    auto source = make_site_generator_source(kSite);
    MemorySink sink;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    BulkScorer engine(*source, scoring, sink, store, options_for(workers));

    const Result<RunSummary> summary = engine.run(job_spec());

    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFinished);
    CHECK(summary->scored == kSite.pages);
    check_same_rows(sink.results(), plain_loop(kSite));
    CHECK(source->position().ordinal == kSite.pages);
    const auto checkpoint = store.get(kJob);
    REQUIRE(checkpoint);
    CHECK(checkpoint->position.ordinal == kSite.pages);
}

TEST_CASE("Engine: a cancelled run over a generator resumes and scores every page once",
          "[engine][concurrency]") {
    MemorySink sink;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    {
        auto source = make_site_generator_source(kSite);
        BulkScorer engine(*source, scoring, sink, store, options_for(2));
        // The observer runs on the committer: cancel once some pages are written.
        engine.on_progress([&engine, &sink](const ProgressEvent&) {
            if (sink.result_count() >= 500) {
                engine.cancel();
            }
        });
        const Result<RunSummary> cancelled = engine.run(job_spec());
        REQUIRE_OK(cancelled);
        REQUIRE(cancelled->state == JobState::kCancelled);
    }
    const auto checkpoint = store.get(kJob);
    REQUIRE(checkpoint);
    CHECK(checkpoint->position.ordinal == sink.result_count());
    CHECK(checkpoint->position.ordinal < kSite.pages);

    auto source = make_site_generator_source(kSite);
    BulkScorer engine(*source, scoring, sink, store, options_for(2));
    const Result<RunSummary> resumed = engine.run(job_spec());
    REQUIRE_OK(resumed);
    CHECK(resumed->state == JobState::kFinished);
    CHECK(resumed->resumed);
    check_same_rows(sink.results(), plain_loop(kSite));
}

TEST_CASE("Engine: a range that cannot be read fails the run with the source's message",
          "[engine][concurrency]") {
    std::vector<Node> nodes(1000);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        nodes[i].id = "page";  // The source copies the text into each batch.
    }
    FailingRangeSource source(std::move(nodes), 600);
    MemorySink sink;
    MemoryCheckpointStore store;
    const OpportunityScoring scoring;
    BulkScorer engine(source, scoring, sink, store, options_for(2));

    const Result<RunSummary> summary = engine.run(job_spec());

    REQUIRE_OK(summary);
    CHECK(summary->state == JobState::kFailed);
    CHECK_THAT(summary->error.to_string(), Catch::Contains("the disk went away"));
    CHECK_THAT(summary->error.to_string(), Catch::Contains("failing-ranges"));
    const auto checkpoint = store.get(kJob);
    REQUIRE(checkpoint);
    CHECK(checkpoint->position.ordinal <= 600);
    CHECK(checkpoint->position.ordinal == sink.result_count() + sink.rejection_count());
}

}  // namespace bulkscore::testing
