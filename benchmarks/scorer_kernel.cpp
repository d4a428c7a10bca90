// SPDX-License-Identifier: MIT
//
// `bulkscore_scorer_kernel`: Google Benchmark measurements of the per-node costs on one thread:
// `OpportunityScorer::score` over a realistic mix of generated pages (the kernel), the same
// through the `Scorer` interface the engine calls, and producing the nodes with the site
// generator (the other half of the engine-efficiency baseline). Each reports `ns_per_node`.
//
// The nodes are generated once, before timing, and scored round-robin: 64 Ki nodes (about
// 10 MiB with their text) are more than the L2 cache holds, as in a real run.
//
// Thread safety: single-threaded.

#include <cstdint>
#include <cstdlib>
#include <memory>

#include <benchmark/benchmark.h>

#include "bulkscore/node_batch.hpp"
#include "bulkscore/node_source.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/scorer.hpp"
#include "bulkscore/site_generator.hpp"

namespace {

constexpr std::uint64_t kNodes = 64 * 1024;

// The generated pages, made once for every benchmark of the process.
const bulkscore::NodeBatch& generated_nodes() {
    static const bulkscore::NodeBatch batch = [] {
        bulkscore::NodeBatch nodes;
        const std::unique_ptr<bulkscore::NodeSource> source =
            bulkscore::make_site_generator_source({.pages = kNodes, .seed = 1});
        if (!source->read(nodes, kNodes).ok() || nodes.nodes.empty()) {
            std::abort();  // The generator cannot fail on a valid page count.
        }
        return nodes;
    }();
    return batch;
}

void report_per_node(benchmark::State& state, std::uint64_t nodes_per_iteration) {
    const auto nodes =
        static_cast<double>(state.iterations()) * static_cast<double>(nodes_per_iteration);
    state.SetItemsProcessed(static_cast<std::int64_t>(nodes));
    // Seconds per node; the driver reports it in nanoseconds.
    state.counters["ns_per_node"] =
        benchmark::Counter(nodes, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void score_kernel(benchmark::State& state) {
    const bulkscore::NodeBatch& batch = generated_nodes();
    const bulkscore::OpportunityScorer scorer;
    for (auto _ : state) {
        for (const bulkscore::Node& node : batch.nodes) {
            bulkscore::ScoreResult result = scorer.score(node);
            benchmark::DoNotOptimize(result);
        }
    }
    report_per_node(state, batch.nodes.size());
}
BENCHMARK(score_kernel)->Name("opportunity_scorer/score");

void score_interface(benchmark::State& state) {
    const bulkscore::NodeBatch& batch = generated_nodes();
    const bulkscore::OpportunityScoring scoring;
    const bulkscore::Scorer& scorer = scoring;
    bulkscore::ScoreResult result;
    for (auto _ : state) {
        for (const bulkscore::Node& node : batch.nodes) {
            benchmark::DoNotOptimize(scorer.score(node, result));
            benchmark::DoNotOptimize(result);
        }
    }
    report_per_node(state, batch.nodes.size());
}
BENCHMARK(score_interface)->Name("scorer_interface/score");

void generate_nodes(benchmark::State& state) {
    constexpr std::size_t kBatch = 1000;
    const std::unique_ptr<bulkscore::NodeSource> source =
        bulkscore::make_site_generator_source({.pages = kNodes, .seed = 1});
    bulkscore::NodeBatch batch;
    std::uint64_t nodes = 0;
    for (auto _ : state) {
        if (!source->read(batch, kBatch).ok()) {
            state.SkipWithError("the generator failed");
            break;
        }
        if (batch.record_count == 0) {
            state.PauseTiming();
            (void)source->seek({});
            state.ResumeTiming();
            continue;
        }
        nodes += batch.record_count;
        benchmark::DoNotOptimize(batch.nodes.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(nodes));
    state.counters["ns_per_node"] = benchmark::Counter(
        static_cast<double>(nodes), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(generate_nodes)->Name("site_generator/read");

}  // namespace

BENCHMARK_MAIN();
