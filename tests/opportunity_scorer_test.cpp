// SPDX-License-Identifier: MIT
//
// Tests of `OpportunityScorer` against SCORING.md: the worked example field by field, every
// action rule and its boundaries, the edge cases of the inputs, properties over many
// pseudo-random nodes (ranges, monotonicity, agreement with the plain reference implementation
// in support/reference_scorer.hpp), custom configurations, and concurrent use.

#include "bulkscore/opportunity_scorer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "bulkscore/node.hpp"
#include "bulkscore/score_result.hpp"
#include "bulkscore/scorer_config.hpp"

#include "support/reference_scorer.hpp"
#include "support/test_support.hpp"

namespace bulkscore {
namespace {

using testing::reference_score;
using testing::ReferenceConstants;
using testing::ReferenceScore;

constexpr double kRelativeTolerance = 1e-9;

bool close(double a, double b) {
    return a == b || std::abs(a - b) <= kRelativeTolerance * std::max(std::abs(a), std::abs(b));
}

Node ranking_page(std::int64_t impressions, std::int64_t clicks, double position) {
    Node node;
    node.id = "https://example.com/page";
    node.url = node.id;
    node.impressions = impressions;
    node.clicks = clicks;
    node.position = position;
    return node;
}

// SCORING.md's worked example.
Node worked_example() {
    Node node = ranking_page(5000, 60, 8.0);
    node.difficulty = 40;
    node.prev_clicks = 100;
    node.word_count = 900;
    node.inlinks = 12;
    node.days_since_update = 200;
    return node;
}

ReferenceConstants constants_of(const ScorerConfig& config) {
    ReferenceConstants k;
    k.ctr_curve.clear();
    for (const CurvePoint& point : config.ctr_curve) {
        k.ctr_curve.emplace_back(point.position, point.rate);
    }
    const Components& w = config.weights;
    k.target_position = config.target_position;
    k.weights = {w.upside, w.striking,  w.ctr_gap,  w.demand,   w.decay,
                 w.ease,   w.staleness, w.thinness, w.link_need};
    k.potential_reference = config.potential_reference;
    k.demand_reference = config.demand_reference;
    k.min_impressions_for_ctr = config.min_impressions_for_ctr;
    k.thin_content_words = config.thin_content_words;
    k.thin_content_ramp_words = config.thin_content_ramp_words;
    k.inlink_reference = config.inlink_reference;
    k.staleness_horizon_days = config.staleness_horizon_days;
    return k;
}

// Empty when the library and the reference agree on every field; otherwise what differs.
std::string differences(const ScoreResult& got, const ReferenceScore& want) {
    std::string out;
    auto check = [&](const char* name, double a, double b) {
        if (!close(a, b)) {
            out += fmt::format("{}: library {} reference {}; ", name, a, b);
        }
    };
    const Components& c = got.components;
    check("upside", c.upside, want.upside);
    check("striking", c.striking, want.striking);
    check("ctr_gap", c.ctr_gap, want.ctr_gap);
    check("demand", c.demand, want.demand);
    check("decay", c.decay, want.decay);
    check("ease", c.ease, want.ease);
    check("staleness", c.staleness, want.staleness);
    check("thinness", c.thinness, want.thinness);
    check("link_need", c.link_need, want.link_need);
    check("score", got.score, want.score);
    check("potential_clicks", got.potential_clicks, want.potential_clicks);
    if (to_string(got.action) != want.action) {
        out += fmt::format("action: library {} reference {}; ", to_string(got.action), want.action);
    }
    return out;
}

std::string describe(const Node& node) {
    auto opt = [](const auto& value) {
        return value ? fmt::format("{}", *value) : std::string("unknown");
    };
    return fmt::format(
        "I={} C={} p={} sv={} difficulty={} prev_clicks={} words={} inlinks={} days={}",
        node.impressions, node.clicks, node.position, opt(node.search_volume), opt(node.difficulty),
        opt(node.prev_clicks), opt(node.word_count), opt(node.inlinks),
        opt(node.days_since_update));
}

// Valid nodes that reach every corner: zero and huge counts, table points, fractional
// positions, far positions, not ranking, unknown optionals, boundary difficulties.
class NodeGenerator {
public:
    explicit NodeGenerator(std::uint64_t seed) : random_(seed) {}

    Node next() {
        Node node;
        node.id = "generated";
        node.url = node.id;
        node.ordinal = ordinal_++;
        const int shape = uniform(0, 9);
        node.impressions = shape == 0 ? 0 : count(10'000'000);
        if (uniform(0, 1) == 0) {
            node.clicks = uniform64(0, node.impressions);
        } else {  // a realistic CTR, often below the curve, so that fix_ctr shows up
            const double ctr =
                std::pow(10.0, std::uniform_real_distribution<double>(-4, 0)(random_));
            node.clicks = static_cast<std::int64_t>(static_cast<double>(node.impressions) * ctr);
        }
        if (node.impressions == 0 && uniform(0, 1) == 0) {
            node.position = kNotRanking;
        } else if (shape <= 3) {
            static constexpr double kPoints[] = {1, 2,  3,  4,  5,  6,  7,  8,
                                                 9, 10, 11, 15, 20, 30, 50, 100};
            node.position = kPoints[uniform(0, 15)];
        } else if (shape <= 7) {
            node.position = std::uniform_real_distribution<double>(1, 25)(random_);
        } else {
            node.position = std::uniform_real_distribution<double>(1, 200)(random_);
        }
        node.search_volume = maybe_count(5'000'000);
        if (uniform(0, 3) > 0) {
            const int corner = uniform(0, 9);
            node.difficulty = corner == 0 ? 0.0
                              : corner == 1
                                  ? 100.0
                                  : std::uniform_real_distribution<double>(0, 100)(random_);
        }
        node.prev_clicks = maybe_count(100'000);
        node.word_count = maybe_count(10'000);
        node.inlinks = maybe_count(5'000);
        node.days_since_update = maybe_count(3'000);
        return node;
    }

private:
    int uniform(int low, int high) {
        return std::uniform_int_distribution<int>(low, high)(random_);
    }
    std::int64_t uniform64(std::int64_t low, std::int64_t high) {
        return std::uniform_int_distribution<std::int64_t>(low, high)(random_);
    }

    // Log-uniform, so that small and large values are both common; sometimes exactly 0.
    std::int64_t count(double max) {
        if (uniform(0, 19) == 0) {
            return 0;
        }
        const double exponent = std::uniform_real_distribution<double>(0, std::log10(max))(random_);
        return static_cast<std::int64_t>(std::pow(10.0, exponent));
    }

    std::optional<std::int64_t> maybe_count(double max) {
        if (uniform(0, 4) == 0) {
            return std::nullopt;
        }
        return count(max);
    }

    std::mt19937_64 random_;
    std::uint64_t ordinal_ = 0;
};

bool in_unit_interval(double value) {
    return value >= 0 && value <= 1;
}

bool components_in_range(const Components& c) {
    return in_unit_interval(c.upside) && in_unit_interval(c.striking) &&
           in_unit_interval(c.ctr_gap) && in_unit_interval(c.demand) && in_unit_interval(c.decay) &&
           in_unit_interval(c.ease) && in_unit_interval(c.staleness) &&
           in_unit_interval(c.thinness) && in_unit_interval(c.link_need);
}

TEST_CASE("OpportunityScorer: recomputes the worked example of SCORING.md field by field",
          "[scorer]") {
    const OpportunityScorer scorer;
    const Node node = worked_example();
    const ScoreResult result = scorer.score(node);
    const Components& c = result.components;

    // The formulas of SCORING.md evaluated by hand, step by step.
    CHECK(scorer.expected_ctr(8.0) == 0.033);
    CHECK(scorer.expected_ctr(3.0) == 0.110);
    const double potential = 5000 * 0.110 - 60;
    CHECK(potential == Approx(490.0).epsilon(1e-12));
    CHECK(result.potential_clicks == Approx(potential).epsilon(1e-12));
    CHECK(c.upside == Approx(std::log(491.0) / std::log(10001.0)).epsilon(1e-12));
    CHECK(c.striking == 1.0);
    CHECK(c.ctr_gap == Approx((0.033 - 0.012) / 0.033).epsilon(1e-12));
    CHECK(c.demand == Approx(std::log(5001.0) / std::log(1000001.0)).epsilon(1e-12));
    CHECK(c.decay == Approx(0.4).epsilon(1e-12));
    CHECK(c.ease == Approx(0.36).epsilon(1e-12));
    CHECK(c.staleness == Approx(200.0 / 365.0).epsilon(1e-12));
    CHECK(c.thinness == Approx(0.5).epsilon(1e-12));
    CHECK(c.link_need == Approx(1 - std::log(13.0) / std::log(101.0)).epsilon(1e-12));

    // The same values as literals (computed independently, in Python).
    CHECK(c.upside == Approx(0.6727630689637273).epsilon(1e-12));
    CHECK(c.ctr_gap == Approx(0.6363636363636364).epsilon(1e-12));
    CHECK(c.demand == Approx(0.6165094311335263).epsilon(1e-12));
    CHECK(c.staleness == Approx(0.547945205479452).epsilon(1e-12));
    CHECK(c.link_need == Approx(0.44422917059226175).epsilon(1e-12));
    CHECK(result.score == Approx(65.33609107757805).epsilon(1e-12));
    CHECK(result.score == Approx(65.336091).margin(5e-7));
    CHECK(result.action == Action::kFixCtr);

    CHECK(differences(result, reference_score(node)).empty());
}

TEST_CASE("OpportunityScorer: results carry the node's id, url, ordinal and the version",
          "[scorer]") {
    const OpportunityScorer scorer;
    Node node = worked_example();
    node.id = "cms:42";
    node.url = "https://example.com/forty-two";
    node.ordinal = 1234;
    ScoreResult result = scorer.score(node);
    CHECK(result.id == "cms:42");
    CHECK(result.url == "https://example.com/forty-two");
    CHECK(result.ordinal == 1234);
    CHECK(result.scorer_version == "opportunity-v1");
    CHECK(OpportunityScorer::kVersion == "opportunity-v1");

    node.url = {};
    result = scorer.score(node);
    CHECK(result.url == "cms:42");
}

TEST_CASE("OpportunityScorer: each action rule is chosen by a node that meets only it",
          "[scorer]") {
    const OpportunityScorer scorer;
    struct Case {
        const char* name;
        Node node;
        Action expected;
    };
    std::vector<Case> cases;

    cases.push_back(
        {"fix_ctr: ranks on page one, low CTR", ranking_page(5000, 20, 2), Action::kFixCtr});
    // Good CTR for position 8 (gap 0.09) but 400 clicks to gain at position 3.
    cases.push_back(
        {"push_to_top: striking distance", ranking_page(5000, 150, 8), Action::kPushToTop});
    Node decaying = ranking_page(1000, 150, 2);  // P = 8, gap 0.05
    decaying.prev_clicks = 300;
    cases.push_back({"refresh: clicks halved", decaying, Action::kRefresh});
    Node stale = ranking_page(1000, 150, 2);
    stale.days_since_update = 400;
    cases.push_back({"refresh: a year old and shown", stale, Action::kRefresh});
    Node thin = ranking_page(0, 0, kNotRanking);
    thin.word_count = 300;
    cases.push_back({"expand: thin content", thin, Action::kExpand});
    Node orphan = ranking_page(0, 0, kNotRanking);
    orphan.inlinks = 0;
    cases.push_back({"build_links: no inlinks", orphan, Action::kBuildLinks});
    Node healthy = ranking_page(1000, 150, 2);
    healthy.prev_clicks = 140;
    healthy.word_count = 2000;
    healthy.inlinks = 50;
    healthy.days_since_update = 30;
    cases.push_back({"monitor: nothing to do", healthy, Action::kMonitor});

    for (const Case& test : cases) {
        INFO(test.name);
        const ScoreResult result = scorer.score(test.node);
        CHECK(result.action == test.expected);
        CHECK(to_string(result.action) == reference_score(test.node).action);
    }
}

TEST_CASE("OpportunityScorer: the action thresholds cut where SCORING.md says", "[scorer]") {
    const OpportunityScorer scorer;
    // Every boundary case is also checked against the reference, so both cut the same way.
    auto action_of = [&](const Node& node) {
        const Action action = scorer.score(node).action;
        CHECK(to_string(action) == reference_score(node).action);
        return action;
    };

    SECTION("fix_ctr needs p <= 10, I >= 100 and ctr_gap >= 0.5") {
        CHECK(action_of(ranking_page(1000, 42, 4)) == Action::kFixCtr);  // gap exactly 0.5
        CHECK(scorer.score(ranking_page(1000, 42, 4)).components.ctr_gap == 0.5);
        CHECK(action_of(ranking_page(1000, 43, 4)) == Action::kPushToTop);
        CHECK(action_of(ranking_page(100, 0, 10)) == Action::kFixCtr);
        CHECK(action_of(ranking_page(99, 0, 2)) == Action::kMonitor);  // too few impressions
        CHECK(action_of(ranking_page(1000, 0, 10.01)) == Action::kPushToTop);
    }
    SECTION("push_to_top needs 4 <= p <= 20 and P >= 10") {
        CHECK(action_of(ranking_page(1000, 100, 4)) == Action::kPushToTop);  // P = 10
        CHECK(action_of(ranking_page(1000, 101, 15)) == Action::kMonitor);   // P = 9
        CHECK(action_of(ranking_page(1000, 100, 20)) == Action::kPushToTop);
        CHECK(action_of(ranking_page(1000, 100, 20.01)) == Action::kMonitor);
        CHECK(action_of(ranking_page(1000, 100, 3.99)) == Action::kMonitor);
    }
    SECTION("refresh needs decay >= 0.3, or staleness >= 1 with impressions") {
        Node node = ranking_page(1000, 7, 40);
        node.prev_clicks = 10;  // decay exactly 0.3
        CHECK(action_of(node) == Action::kRefresh);
        node.prev_clicks = 9;
        CHECK(action_of(node) == Action::kMonitor);
        node.days_since_update = 365;
        CHECK(action_of(node) == Action::kRefresh);
        node.days_since_update = 364;
        CHECK(action_of(node) == Action::kMonitor);
        Node unseen = ranking_page(0, 0, kNotRanking);
        unseen.days_since_update = 1000;
        CHECK(action_of(unseen) == Action::kMonitor);
    }
    SECTION("expand needs thinness >= 0.5, build_links needs link_need >= 0.8") {
        Node node = ranking_page(0, 0, kNotRanking);
        node.word_count = 900;  // thinness exactly 0.5
        CHECK(action_of(node) == Action::kExpand);
        node.word_count = 901;
        CHECK(action_of(node) == Action::kMonitor);
        node.inlinks = 1;  // link_need 0.85
        CHECK(action_of(node) == Action::kBuildLinks);
        node.inlinks = 2;  // link_need 0.76
        CHECK(action_of(node) == Action::kMonitor);
    }
}

TEST_CASE("OpportunityScorer: a page that does not rank", "[scorer]") {
    const OpportunityScorer scorer;
    Node node = ranking_page(0, 0, kNotRanking);
    node.search_volume = 1000;
    const ScoreResult result = scorer.score(node);
    CHECK(scorer.expected_ctr(kNotRanking) == 0);
    CHECK(result.components.striking == 0);
    CHECK(result.components.ctr_gap == 0);
    CHECK(result.potential_clicks == Approx(1000 * 0.110).epsilon(1e-12));  // E(min(inf, 3))
    CHECK(result.components.demand == Approx(std::log(1001.0) / std::log(1000001.0)));
    CHECK(differences(result, reference_score(node)).empty());

    node.search_volume.reset();
    const ScoreResult nothing = scorer.score(node);
    CHECK(nothing.potential_clicks == 0);
    CHECK(nothing.components.upside == 0);
    CHECK(nothing.components.demand == 0);
    CHECK(nothing.score == Approx(100 * 0.10 * 0.5));  // only ease, unknown, counts
}

TEST_CASE("OpportunityScorer: E(p) and striking take each table point's own value", "[scorer]") {
    const OpportunityScorer scorer;
    for (const CurvePoint& point : ScorerConfig::defaults().ctr_curve) {
        INFO("position " << point.position);
        CHECK(scorer.expected_ctr(point.position) == point.rate);
    }
    const std::pair<double, double> striking[] = {{1, 0.2},  {3, 0.5},   {4, 1.0},  {10, 1.0},
                                                  {20, 0.7}, {30, 0.35}, {50, 0.1}, {100, 0.0}};
    for (const auto& [position, value] : striking) {
        INFO("position " << position);
        CHECK(scorer.score(ranking_page(10, 0, position)).components.striking == value);
    }
    CHECK(scorer.score(ranking_page(10, 0, 2)).components.striking == Approx(0.35));
    CHECK(scorer.score(ranking_page(10, 0, 25)).components.striking == Approx(0.525));
}

TEST_CASE("OpportunityScorer: positions between and beyond the table points", "[scorer]") {
    const OpportunityScorer scorer;
    SECTION("between 10 and 11 the curve falls linearly from .024 to .010") {
        CHECK(scorer.expected_ctr(10.5) == 0.024 + (0.010 - 0.024) * (10.5 - 10) / (11 - 10));
        CHECK(scorer.expected_ctr(10.5) == Approx(0.017));
        CHECK(scorer.expected_ctr(10.25) == Approx(0.0205));
    }
    SECTION("past 100 the expected CTR and striking are 0, the potential uses E(T)") {
        const ScoreResult result = scorer.score(ranking_page(1000, 2, 150));
        CHECK(scorer.expected_ctr(100.5) == 0);
        CHECK(result.components.striking == 0);
        CHECK(result.components.ctr_gap == 0);  // E(p) = 0: no CTR judgement
        CHECK(result.potential_clicks == Approx(1000 * 0.110 - 2));
        CHECK(result.action == Action::kMonitor);
    }
    SECTION("at or above the target the potential is the CTR expected where it stands") {
        const ScoreResult result = scorer.score(ranking_page(1000, 100, 1));
        CHECK(result.potential_clicks == Approx(1000 * 0.276 - 100));
        CHECK(scorer.score(ranking_page(1000, 300, 1)).potential_clicks == 0);  // never negative
    }
}

TEST_CASE("OpportunityScorer: demand is the larger of impressions and search volume", "[scorer]") {
    const OpportunityScorer scorer;
    Node node = ranking_page(100, 5, 12);
    node.search_volume = 20000;
    const ScoreResult result = scorer.score(node);
    CHECK(result.components.demand == Approx(std::log(20001.0) / std::log(1000001.0)));
    CHECK(result.potential_clicks == Approx(20000 * 0.110 - 5));
    node.search_volume = 10;
    CHECK(scorer.score(node).components.demand == Approx(std::log(101.0) / std::log(1000001.0)));
}

TEST_CASE("OpportunityScorer: unknown optional inputs take their 'when unknown' values",
          "[scorer]") {
    const OpportunityScorer scorer;
    const Components c = scorer.score(ranking_page(500, 50, 6)).components;
    CHECK(c.decay == 0);
    CHECK(c.ease == 0.5);
    CHECK(c.staleness == 0);
    CHECK(c.thinness == 0);
    CHECK(c.link_need == 0);
}

TEST_CASE("OpportunityScorer: components clamp at the ends of their ranges", "[scorer]") {
    const OpportunityScorer scorer;
    Node node = ranking_page(500, 50, 6);
    node.prev_clicks = 0;  // no previous clicks: no decay
    node.difficulty = 100;
    node.word_count = 0;
    node.inlinks = 1000;
    node.days_since_update = 5000;
    Components c = scorer.score(node).components;
    CHECK(c.decay == 0);
    CHECK(c.ease == 0);
    CHECK(c.thinness == 1);
    CHECK(c.link_need == 0);
    CHECK(c.staleness == 1);

    node.prev_clicks = 10;  // grew from 10 to 50 clicks
    node.difficulty = 0;
    node.word_count = 5000;
    node.inlinks = 100;
    c = scorer.score(node).components;
    CHECK(c.decay == 0);
    CHECK(c.ease == 1);
    CHECK(c.thinness == 0);
    CHECK(c.link_need == Approx(0).margin(1e-15));

    Node huge = ranking_page(4'000'000'000'000, 0, 5);
    c = scorer.score(huge).components;
    CHECK(c.upside == 1);
    CHECK(c.demand == 1);
}

TEST_CASE("OpportunityScorer: agrees with the reference on 100k pseudo-random nodes", "[scorer]") {
    const OpportunityScorer scorer;
    NodeGenerator generator(20240611);
    int out_of_range = 0;
    int disagreements = 0;
    int invalid_nodes = 0;
    std::string first_problem;
    std::vector<int> per_action(6, 0);
    for (int i = 0; i < 100'000; ++i) {
        const Node node = generator.next();
        invalid_nodes += check_node(node).has_value() ? 1 : 0;
        const ScoreResult result = scorer.score(node);
        ++per_action[static_cast<std::size_t>(result.action)];
        const bool in_range = result.score >= 0 && result.score <= 100 &&
                              result.potential_clicks >= 0 &&
                              components_in_range(result.components);
        const std::string diff = differences(result, reference_score(node));
        out_of_range += in_range ? 0 : 1;
        disagreements += diff.empty() ? 0 : 1;
        if ((!in_range || !diff.empty()) && first_problem.empty()) {
            first_problem = fmt::format("{} -> score {} P {}: {}", describe(node), result.score,
                                        result.potential_clicks, diff);
        }
    }
    INFO(first_problem);
    CHECK(invalid_nodes == 0);
    CHECK(out_of_range == 0);
    CHECK(disagreements == 0);
    // The sample exercises every rule, or the agreement above would prove less than it seems.
    for (std::size_t action = 0; action < per_action.size(); ++action) {
        INFO("action " << to_string(static_cast<Action>(action)));
        CHECK(per_action[action] > 100);
    }
}

TEST_CASE("OpportunityScorer: agrees with the reference under every preset and a custom config",
          "[scorer]") {
    ScorerConfig config = ScorerConfig::defaults();
    const std::string preset =
        GENERATE(as<std::string>{}, "default", "sistrix-2020", "firstpagesage-2024", "custom");
    if (preset == "custom") {
        config.ctr_curve = {{1, 0.5}, {2.5, 0.2}, {7, 0.05}, {12, 0.0}};
        config.target_position = 1.5;
        config.weights = {1, 0, 2, 0.5, 0, 3, 0.25, 0, 1};
        config.potential_reference = 500;
        config.demand_reference = 2000;
        config.min_impressions_for_ctr = 10;
        config.thin_content_words = 800;
        config.thin_content_ramp_words = 300;
        config.inlink_reference = 20;
        config.staleness_horizon_days = 90;
    } else {
        const Result<CtrCurvePreset> found = find_ctr_curve_preset(preset);
        REQUIRE_OK(found);
        config.ctr_curve.assign(found->points.begin(), found->points.end());
    }
    const Result<OpportunityScorer> scorer = OpportunityScorer::create(config);
    REQUIRE_OK(scorer);
    const ReferenceConstants constants = constants_of(config);
    NodeGenerator generator(7);
    int disagreements = 0;
    std::string first_problem;
    for (int i = 0; i < 20'000; ++i) {
        const Node node = generator.next();
        const ScoreResult result = scorer->score(node);
        const std::string diff = differences(result, reference_score(node, constants));
        if (!diff.empty() || !components_in_range(result.components) || result.score < 0 ||
            result.score > 100) {
            if (disagreements++ == 0) {
                first_problem = describe(node) + ": " + diff;
            }
        }
    }
    INFO(preset << ": " << first_problem);
    CHECK(disagreements == 0);
}

TEST_CASE("OpportunityScorer: components move the right way when one input grows", "[scorer]") {
    const OpportunityScorer scorer;
    NodeGenerator generator(99);
    int violations = 0;
    std::string first;
    auto note = [&](bool holds, const char* what, const Node& node) {
        if (!holds && violations++ == 0) {
            first = fmt::format("{}: {}", what, describe(node));
        }
    };
    for (int i = 0; i < 20'000; ++i) {
        Node node = generator.next();
        const Components base = scorer.score(node).components;

        Node more = node;  // same CTR, three times the impressions
        more.impressions *= 3;
        more.clicks *= 3;
        note(scorer.score(more).components.demand >= base.demand, "demand fell", node);

        Node harder = node;
        harder.difficulty = std::min(100.0, node.difficulty.value_or(0) + 7.5);
        Node easier = harder;
        easier.difficulty = *harder.difficulty / 2;
        note(scorer.score(harder).components.ease <= scorer.score(easier).components.ease,
             "ease rose with difficulty", node);

        Node linked = node;
        linked.inlinks = node.inlinks.value_or(0) + 3;
        Node fewer = linked;
        fewer.inlinks = *linked.inlinks - 3;
        note(scorer.score(linked).components.link_need <= scorer.score(fewer).components.link_need,
             "link_need rose with inlinks", node);

        Node older = node;
        older.days_since_update = node.days_since_update.value_or(0) + 30;
        Node newer = older;
        newer.days_since_update = *older.days_since_update - 30;
        note(scorer.score(older).components.staleness >= scorer.score(newer).components.staleness,
             "staleness fell with age", node);
    }
    INFO(first);
    CHECK(violations == 0);
}

TEST_CASE("OpportunityScorer: configured constants change the score as documented", "[scorer]") {
    ScorerConfig config = ScorerConfig::defaults();
    SECTION("min_impressions_for_ctr gates the CTR judgement and fix_ctr") {
        config.min_impressions_for_ctr = 10000;
        const Result<OpportunityScorer> scorer = OpportunityScorer::create(config);
        REQUIRE_OK(scorer);
        const ScoreResult result = scorer->score(worked_example());
        CHECK(result.components.ctr_gap == 0);
        CHECK(result.action == Action::kPushToTop);
    }
    SECTION("a single weight makes the score that component times 100") {
        config.weights = {};
        config.weights.ease = 2;
        const Result<OpportunityScorer> scorer = OpportunityScorer::create(config);
        REQUIRE_OK(scorer);
        CHECK(scorer->score(worked_example()).score == Approx(36));
    }
    SECTION("the target position picks the CTR of the potential") {
        config.target_position = 1;
        const Result<OpportunityScorer> scorer = OpportunityScorer::create(config);
        REQUIRE_OK(scorer);
        CHECK(scorer->score(worked_example()).potential_clicks == Approx(5000 * 0.276 - 60));
    }
    SECTION("a preset curve replaces E(p)") {
        const Result<CtrCurvePreset> preset = find_ctr_curve_preset("sistrix-2020");
        REQUIRE_OK(preset);
        config.ctr_curve.assign(preset->points.begin(), preset->points.end());
        const Result<OpportunityScorer> scorer = OpportunityScorer::create(config);
        REQUIRE_OK(scorer);
        CHECK(scorer->expected_ctr(1) == 0.285);
        CHECK(scorer->score(worked_example()).potential_clicks == Approx(5000 * 0.110 - 60));
        CHECK(scorer->config().ctr_curve == config.ctr_curve);
    }
}

TEST_CASE("OpportunityScorer: create refuses an invalid configuration", "[scorer]") {
    ScorerConfig config = ScorerConfig::defaults();
    config.weights.ease = -1;
    const Result<OpportunityScorer> scorer = OpportunityScorer::create(config);
    REQUIRE_FALSE(scorer.ok());
    CHECK(scorer.status().code() == StatusCode::kInvalidArgument);
    CHECK(scorer.status().message() == "weights.ease is -1; a weight must be 0 or more");
}

TEST_CASE("OpportunityScorer: one scorer serves many threads with identical results",
          "[scorer][concurrency]") {
    const OpportunityScorer scorer;
    NodeGenerator generator(5);
    std::vector<Node> nodes(20'000);
    std::generate(nodes.begin(), nodes.end(), [&] { return generator.next(); });
    std::vector<double> expected;
    for (const Node& node : nodes) {
        expected.push_back(scorer.score(node).score);
    }

    const int thread_count = GENERATE(2, 4, 8);
    std::vector<int> mismatches(static_cast<std::size_t>(thread_count), 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t) {
        threads.emplace_back([&, t] {
            // Each thread walks the nodes from its own offset so that calls interleave.
            for (std::size_t i = 0; i < nodes.size(); ++i) {
                const std::size_t at = (i + static_cast<std::size_t>(t) * 997) % nodes.size();
                if (scorer.score(nodes[at]).score != expected[at]) {
                    ++mismatches[static_cast<std::size_t>(t)];
                }
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    CHECK(std::count(mismatches.begin(), mismatches.end(), 0) == thread_count);
}

}  // namespace
}  // namespace bulkscore
