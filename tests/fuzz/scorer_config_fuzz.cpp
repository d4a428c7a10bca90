// SPDX-License-Identifier: MIT
//
// libFuzzer target: the scorer configuration parser (`parse_scorer_config`, what `--config`
// reads). Whatever the text, the parser returns either a configuration that validates or an
// `invalid_argument` failure naming the origin, and never lets an exception out. An accepted
// configuration must survive its canonical JSON unchanged (checkpoints compare it that way) and
// must score every valid node to finite values in range: validation is what stands between a
// config file and a NaN in the results.
//
// Thread safety: none; libFuzzer calls the entry point from one thread.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "bulkscore/node.hpp"
#include "bulkscore/opportunity_scorer.hpp"
#include "bulkscore/scorer_config.hpp"

#include "fuzz_support.hpp"

namespace {

using namespace bulkscore;

constexpr std::string_view kOrigin = "fuzz-config.json";

// Nodes at the edges of the input rules, where a degenerate configuration would show first.
std::array<Node, 6> edge_nodes() {
    std::array<Node, 6> nodes;
    for (Node& node : nodes) {
        node.id = "/page";
        node.url = "/page";
    }
    nodes[0].impressions = 0;  // Not ranking, nothing known.
    nodes[1].impressions = 1;
    nodes[1].position = 1;
    nodes[2].impressions = 1000000000000;
    nodes[2].clicks = 1000000000000;
    nodes[2].position = 1;
    nodes[2].search_volume = 1000000000000;
    nodes[2].difficulty = 100;
    nodes[2].prev_clicks = 1000000000000;
    nodes[2].word_count = 0;
    nodes[2].inlinks = 0;
    nodes[2].days_since_update = 1000000;
    nodes[3].impressions = 5000;
    nodes[3].clicks = 10;
    nodes[3].position = 3;
    nodes[3].search_volume = 0;
    nodes[3].difficulty = 0;
    nodes[3].prev_clicks = 1;
    nodes[3].word_count = 1000000;
    nodes[3].inlinks = 1000000;
    nodes[3].days_since_update = 0;
    nodes[4].impressions = 9223372036854775807;
    nodes[4].clicks = 0;
    nodes[4].position = 1e300;
    nodes[4].search_volume = 9223372036854775807;
    nodes[4].prev_clicks = 9223372036854775807;
    nodes[5].impressions = 300;
    nodes[5].clicks = 2;
    nodes[5].position = 11.5;
    nodes[5].word_count = 1499;
    nodes[5].inlinks = 99;
    nodes[5].days_since_update = 364;
    return nodes;
}

void check_accepted_config(const ScorerConfig& config) {
    const Status valid = config.validate();
    fuzz::check(valid.ok(), "the parser accepted a config that does not validate",
                valid.to_string());

    // The canonical JSON reads back to an equal config, and is itself canonical.
    const std::string canonical = to_json(config);
    Result<ScorerConfig> reread = parse_scorer_config(canonical, kOrigin);
    fuzz::check(reread.ok(), "the canonical JSON of an accepted config does not parse",
                reread.ok() ? canonical : reread.status().to_string());
    fuzz::check(*reread == config, "the canonical JSON does not round-trip", canonical);
    fuzz::check(to_json(*reread) == canonical, "the canonical JSON is not stable", canonical);

    Result<OpportunityScorer> scorer = OpportunityScorer::create(config);
    fuzz::check(scorer.ok(), "a validated config is refused by the scorer",
                scorer.ok() ? "" : scorer.status().to_string());
    for (const double position : {1.0, 1.5, 3.0, 10.0, 99.9, 1e300, kNotRanking}) {
        const double rate = scorer->expected_ctr(position);
        fuzz::check(std::isfinite(rate) && rate >= 0 && rate <= 1,
                    "expected CTR outside [0, 1] or not finite", canonical);
    }
    for (const Node& node : edge_nodes()) {
        fuzz::check(!check_node(node).has_value(), "an edge node of the harness is invalid");
        fuzz::check_score(*scorer, node);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        Result<ScorerConfig> config = parse_scorer_config(text, kOrigin);
        if (config.ok()) {
            check_accepted_config(*config);
        } else {
            fuzz::check(config.status().code() == StatusCode::kInvalidArgument,
                        "a bad config failed with a code other than invalid_argument",
                        config.status().to_string());
            fuzz::check(config.status().message().find(kOrigin) != std::string_view::npos,
                        "a config failure does not name its origin", config.status().to_string());
        }
    } catch (const std::exception& error) {
        bulkscore::fuzz::fail("an exception escaped the config parser", error.what());
    }
    return 0;
}
