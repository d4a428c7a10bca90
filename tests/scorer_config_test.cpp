// SPDX-License-Identifier: MIT
//
// Tests of `ScorerConfig`: SCORING.md's defaults, the CTR curve presets, every validation
// message, the JSON configuration file (good files, every kind of bad one, loading from disk)
// and the canonical `to_json` with its round trip.

#include "bulkscore/scorer_config.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "support/test_support.hpp"

namespace bulkscore {
namespace {

using testing::TempDir;
using testing::write_file;

// The message of a failed parse, or a marker when the parse unexpectedly succeeded.
std::string parse_error(std::string_view json) {
    const Result<ScorerConfig> config = parse_scorer_config(json, "site.json");
    return config.ok() ? std::string("(parsed fine)") : std::string(config.status().message());
}

std::vector<CurvePoint> preset_points(std::string_view name) {
    const Result<CtrCurvePreset> preset = find_ctr_curve_preset(name);
    REQUIRE_OK(preset);
    return {preset->points.begin(), preset->points.end()};
}

TEST_CASE("ScorerConfig: defaults are SCORING.md's constants", "[config]") {
    const ScorerConfig config = ScorerConfig::defaults();
    REQUIRE_OK(config.validate());
    const std::vector<CurvePoint> curve = {
        {1, 0.276},  {2, 0.158},  {3, 0.110},  {4, 0.084},  {5, 0.063},  {6, 0.049},
        {7, 0.039},  {8, 0.033},  {9, 0.027},  {10, 0.024}, {11, 0.010}, {15, 0.008},
        {20, 0.006}, {30, 0.003}, {50, 0.001}, {100, 0},
    };
    CHECK(config.ctr_curve == curve);
    CHECK(config.ctr_curve_name == "default");
    CHECK(config.target_position == 3);
    const Components& w = config.weights;
    CHECK(std::vector<double>{w.upside, w.striking, w.ctr_gap, w.demand, w.decay, w.ease,
                              w.staleness, w.thinness, w.link_need} ==
          std::vector<double>{0.30, 0.20, 0.10, 0.10, 0.10, 0.10, 0.04, 0.03, 0.03});
    CHECK(config.potential_reference == 10000);
    CHECK(config.demand_reference == 1000000);
    CHECK(config.min_impressions_for_ctr == 100);
    CHECK(config.thin_content_words == 1500);
    CHECK(config.thin_content_ramp_words == 1200);
    CHECK(config.inlink_reference == 100);
    CHECK(config.staleness_horizon_days == 365);
}

TEST_CASE("ScorerConfig: the presets validate and share the default tail past position 10",
          "[config]") {
    const std::vector<CurvePoint> default_curve = ScorerConfig::defaults().ctr_curve;
    REQUIRE(ctr_curve_presets().size() == 3);
    CHECK(ctr_curve_presets()[0].name == "default");
    for (const CtrCurvePreset& preset : ctr_curve_presets()) {
        INFO(preset.name);
        CHECK_FALSE(preset.source.empty());
        ScorerConfig config = ScorerConfig::defaults();
        config.ctr_curve.assign(preset.points.begin(), preset.points.end());
        CHECK(config.validate().ok());
        REQUIRE(preset.points.size() == default_curve.size());
        for (std::size_t i = 0; i < default_curve.size(); ++i) {
            CHECK(preset.points[i].position == default_curve[i].position);
            if (default_curve[i].position > 10) {
                CHECK(preset.points[i].rate == default_curve[i].rate);
            }
        }
    }
    CHECK(preset_points("default") == default_curve);
}

TEST_CASE("ScorerConfig: the presets carry the published first-page figures", "[config]") {
    auto first_page = [](std::string_view name) {
        std::vector<double> rates;
        for (const CurvePoint& point : preset_points(name)) {
            if (point.position <= 10) {
                rates.push_back(point.rate);
            }
        }
        return rates;
    };
    // SISTRIX 2020 and First Page Sage 2024, positions 1 to 10, as fractions.
    CHECK(first_page("sistrix-2020") == std::vector<double>{0.285, 0.157, 0.110, 0.080, 0.072,
                                                            0.051, 0.040, 0.032, 0.028, 0.025});
    CHECK(first_page("firstpagesage-2024") == std::vector<double>{0.398, 0.187, 0.102, 0.072, 0.051,
                                                                  0.044, 0.030, 0.021, 0.019,
                                                                  0.016});
    CHECK_THAT(std::string(find_ctr_curve_preset("sistrix-2020")->source),
               Catch::Contains("sistrix.com"));
    CHECK_THAT(std::string(find_ctr_curve_preset("firstpagesage-2024")->source),
               Catch::Contains("firstpagesage.com"));
}

TEST_CASE("ScorerConfig: an unknown preset name lists the known ones", "[config]") {
    const Result<CtrCurvePreset> preset = find_ctr_curve_preset("backlinko");
    REQUIRE_FALSE(preset.ok());
    CHECK(preset.status().code() == StatusCode::kNotFound);
    CHECK(preset.status().message() ==
          "unknown CTR curve preset \"backlinko\"; known presets are default, sistrix-2020, "
          "firstpagesage-2024");
}

TEST_CASE("ScorerConfig: validate names the first wrong setting and why", "[config]") {
    struct Case {
        std::function<void(ScorerConfig&)> change;
        std::string message;
    };
    const double inf = std::numeric_limits<double>::infinity();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<Case> cases = {
        {[](ScorerConfig& c) { c.ctr_curve.clear(); },
         "ctr_curve: has no points; give at least one, starting at position 1, or start from "
         "ScorerConfig::defaults()"},
        {[](ScorerConfig& c) { c.ctr_curve[0].position = 2; },
         "ctr_curve: must start at position 1; point 1 has position 2"},
        {[](ScorerConfig& c) { c.ctr_curve[2].position = 2; },
         "ctr_curve: positions must increase strictly; point 3 has position 2 after 2"},
        {[](ScorerConfig& c) { c.ctr_curve[3].position = 2.5; },
         "ctr_curve: positions must increase strictly; point 4 has position 2.5 after 3"},
        {[=](ScorerConfig& c) { c.ctr_curve[1].rate = nan; },
         "ctr_curve: point 2 is [2, nan]; positions and rates must be finite numbers"},
        {[=](ScorerConfig& c) { c.ctr_curve[15].position = inf; },
         "ctr_curve: point 16 is [inf, 0]; positions and rates must be finite numbers"},
        {[](ScorerConfig& c) {
             c.ctr_curve = {{1, 27.6}};
         },
         "ctr_curve: point 1 has rate 27.6; a rate is a fraction between 0 and 1 (write 0.276 "
         "for 27.6 %)"},
        {[](ScorerConfig& c) { c.ctr_curve[15].rate = -0.001; },
         "ctr_curve: point 16 has rate -0.001; a rate is a fraction between 0 and 1 (write "
         "0.276 for 27.6 %)"},
        {[](ScorerConfig& c) { c.ctr_curve[3].rate = 0.2; },
         "ctr_curve: rates must not increase with position; point 4 has rate 0.2 after 0.11"},
        {[](ScorerConfig& c) { c.target_position = 0.5; },
         "target_position is 0.5; it must be 1 or more (1 is the top result)"},
        {[=](ScorerConfig& c) { c.target_position = nan; },
         "target_position is nan; it must be a finite number"},
        {[](ScorerConfig& c) { c.weights.ease = -1; },
         "weights.ease is -1; a weight must be 0 or more"},
        {[=](ScorerConfig& c) { c.weights.link_need = inf; },
         "weights.link_need is inf; a weight must be a finite number"},
        {[](ScorerConfig& c) { c.weights = {}; }, "weights: must sum to more than 0"},
        {[](ScorerConfig& c) { c.weights.upside = c.weights.striking = 1.7e308; },
         "weights: their sum overflows; use smaller weights"},
        {[](ScorerConfig& c) { c.potential_reference = 0; },
         "potential_reference is 0; it must be more than 0"},
        {[](ScorerConfig& c) { c.demand_reference = -5; },
         "demand_reference is -5; it must be more than 0"},
        {[](ScorerConfig& c) { c.min_impressions_for_ctr = -1; },
         "min_impressions_for_ctr is -1; it must be 0 or more"},
        {[=](ScorerConfig& c) { c.min_impressions_for_ctr = inf; },
         "min_impressions_for_ctr is inf; it must be a finite number"},
        {[](ScorerConfig& c) { c.thin_content_words = 0; },
         "thin_content_words is 0; it must be more than 0"},
        {[](ScorerConfig& c) { c.thin_content_ramp_words = 0; },
         "thin_content_ramp_words is 0; it must be more than 0"},
        {[](ScorerConfig& c) { c.inlink_reference = 1e-300; },
         "inlink_reference is 1e-300; it is too close to 0 for ln(1 + inlink_reference) to be "
         "positive"},
        {[=](ScorerConfig& c) { c.staleness_horizon_days = nan; },
         "staleness_horizon_days is nan; it must be a finite number"},
    };
    for (const Case& test : cases) {
        ScorerConfig config = ScorerConfig::defaults();
        test.change(config);
        const Status status = config.validate();
        CHECK(status.code() == StatusCode::kInvalidArgument);
        CHECK(status.message() == test.message);
    }
}

TEST_CASE("ScorerConfig: validate accepts the edges of every range", "[config]") {
    ScorerConfig config = ScorerConfig::defaults();
    config.ctr_curve = {{1, 1}, {2, 1}, {3, 0}};  // flat, then down to 0
    config.target_position = 1;
    config.weights = {};
    config.weights.thinness = 1e-9;
    config.min_impressions_for_ctr = 0;
    config.potential_reference = 1e-3;
    CHECK(config.validate().ok());
    config.ctr_curve = {{1, 0.3}};  // a single point
    CHECK(config.validate().ok());
}

TEST_CASE("ScorerConfig: parse reads every key of a full file", "[config]") {
    const Result<ScorerConfig> config = parse_scorer_config(R"({
        "ctr_curve": [[1, 0.3], [2, 0.2], [5, 0.05], [10, 0]],
        "target_position": 2.5,
        "weights": {"upside": 1, "striking": 0, "ctr_gap": 0.5, "demand": 0.25, "decay": 2,
                    "ease": 3, "staleness": 4, "thinness": 5, "link_need": 6},
        "potential_reference": 5000,
        "demand_reference": 250000,
        "min_impressions_for_ctr": 50,
        "thin_content_words": 800,
        "thin_content_ramp_words": 400,
        "inlink_reference": 30,
        "staleness_horizon_days": 180
    })",
                                                            "site.json");
    REQUIRE_OK(config);
    CHECK(config->ctr_curve == std::vector<CurvePoint>{{1, 0.3}, {2, 0.2}, {5, 0.05}, {10, 0}});
    CHECK(config->ctr_curve_name == "custom");
    CHECK(config->target_position == 2.5);
    const Components& w = config->weights;
    CHECK(std::vector<double>{w.upside, w.striking, w.ctr_gap, w.demand, w.decay, w.ease,
                              w.staleness, w.thinness,
                              w.link_need} == std::vector<double>{1, 0, 0.5, 0.25, 2, 3, 4, 5, 6});
    CHECK(config->potential_reference == 5000);
    CHECK(config->demand_reference == 250000);
    CHECK(config->min_impressions_for_ctr == 50);
    CHECK(config->thin_content_words == 800);
    CHECK(config->thin_content_ramp_words == 400);
    CHECK(config->inlink_reference == 30);
    CHECK(config->staleness_horizon_days == 180);
}

TEST_CASE("ScorerConfig: keys left out keep their defaults", "[config]") {
    Result<ScorerConfig> config = parse_scorer_config("{}", "empty.json");
    REQUIRE_OK(config);
    CHECK(*config == ScorerConfig::defaults());
    CHECK(config->ctr_curve_name == "default");

    config = parse_scorer_config(R"({"weights": {"upside": 0.5}, "target_position": 1})", "x");
    REQUIRE_OK(config);
    ScorerConfig expected = ScorerConfig::defaults();
    expected.weights.upside = 0.5;
    expected.target_position = 1;
    CHECK(*config == expected);
}

TEST_CASE("ScorerConfig: ctr_curve takes a preset name or points that may match a preset",
          "[config]") {
    Result<ScorerConfig> config = parse_scorer_config(R"({"ctr_curve": "sistrix-2020"})", "x");
    REQUIRE_OK(config);
    CHECK(config->ctr_curve == preset_points("sistrix-2020"));
    CHECK(config->ctr_curve_name == "sistrix-2020");

    // Points written out that equal a preset are recognised as it.
    std::string points;
    for (const CurvePoint& point : preset_points("firstpagesage-2024")) {
        points += (points.empty() ? "" : ",") + fmt::format("[{},{}]", point.position, point.rate);
    }
    config = parse_scorer_config("{\"ctr_curve\": [" + points + "]}", "x");
    REQUIRE_OK(config);
    CHECK(config->ctr_curve_name == "firstpagesage-2024");
}

TEST_CASE("ScorerConfig: parse refuses unknown keys, naming the key and the valid ones",
          "[config]") {
    CHECK(parse_error(R"({"target_postion": 3})") ==
          "site.json: unknown key \"target_postion\"; valid keys are ctr_curve, target_position, "
          "weights, potential_reference, demand_reference, min_impressions_for_ctr, "
          "thin_content_words, thin_content_ramp_words, inlink_reference, staleness_horizon_days");
    CHECK(parse_error(R"({"weights": {"upsides": 1}})") ==
          "site.json: weights: unknown component \"upsides\"; valid components are upside, "
          "striking, ctr_gap, demand, decay, ease, staleness, thinness, link_need");
    CHECK(parse_error(R"({"ctr_curve": "backlinko"})") ==
          "site.json: ctr_curve: unknown CTR curve preset \"backlinko\"; known presets are "
          "default, sistrix-2020, firstpagesage-2024");
}

TEST_CASE("ScorerConfig: parse names the key whose value has the wrong type", "[config]") {
    CHECK(parse_error(R"({"target_position": "3"})") ==
          "site.json: target_position must be a number, found a string");
    CHECK(parse_error(R"({"demand_reference": null})") ==
          "site.json: demand_reference must be a number, found null");
    CHECK(parse_error(R"({"staleness_horizon_days": true})") ==
          "site.json: staleness_horizon_days must be a number, found true/false");
    CHECK(parse_error(R"({"weights": {"ease": [1]}})") ==
          "site.json: weights.ease must be a number, found an array");
    CHECK(parse_error(R"({"weights": [0.3]})") ==
          "site.json: weights must be an object such as {\"upside\": 0.3}, found an array");
    CHECK(parse_error(R"({"ctr_curve": {"1": 0.3}})") ==
          "site.json: ctr_curve must be a preset name (default, sistrix-2020, "
          "firstpagesage-2024) or an array of [position, rate] pairs, found an object");
    CHECK(parse_error(R"({"ctr_curve": [[1, 0.3], [2]]})") ==
          "site.json: ctr_curve point 2 must be a [position, rate] pair of numbers such as "
          "[1, 0.276], found [2]");
    CHECK(parse_error(R"({"ctr_curve": [[1, "0.3"]]})") ==
          "site.json: ctr_curve point 1 must be a [position, rate] pair of numbers such as "
          "[1, 0.276], found [1,\"0.3\"]");
    CHECK(parse_error(R"([1, 2])") ==
          "site.json: the configuration must be a JSON object such as {\"ctr_curve\": "
          "\"default\"}, found an array");
}

TEST_CASE("ScorerConfig: a JSON syntax error names the file, line and column", "[config]") {
    CHECK(parse_error("{\n  \"target_position\": 3,\n  \"weights\": {\"upside\": }\n}") ==
          "site.json:3:25: not valid JSON (syntax error); fix the file at that point");
    CHECK(parse_error("{\"target_position\": 3") ==
          "site.json:1:22: not valid JSON (incomplete JSON); fix the file at that point");
    CHECK(parse_error("{} {}") ==
          "site.json:1:4: not valid JSON (extra data); fix the file at that point");
    CHECK(parse_error("") ==
          "site.json:1:1: not valid JSON (incomplete JSON); fix the file at that point");
}

TEST_CASE("ScorerConfig: a key written twice in one object is an error, not a silent override",
          "[config]") {
    CHECK(parse_error("{\"target_position\": 2,\n \"target_position\": 3}") ==
          "site.json:2:18: key \"target_position\" appears twice in the same object; keep one");
    CHECK(parse_error(R"({"weights": {"ease": 1, "ease": 2}})") ==
          "site.json:1:30: key \"ease\" appears twice in the same object; keep one");
    // The same name in different objects is fine.
    CHECK(parse_error(R"({"weights": {"ease": 1}, "ease": 2})") ==
          "site.json: unknown key \"ease\"; valid keys are ctr_curve, target_position, weights, "
          "potential_reference, demand_reference, min_impressions_for_ctr, thin_content_words, "
          "thin_content_ramp_words, inlink_reference, staleness_horizon_days");
}

TEST_CASE("ScorerConfig: parse applies validate and names the file", "[config]") {
    CHECK(parse_error(R"({"ctr_curve": [[1, 0.3], [1, 0.2]]})") ==
          "site.json: ctr_curve: positions must increase strictly; point 2 has position 1 after 1");
    CHECK(parse_error(R"({"weights": {"ease": -1}})") ==
          "site.json: weights.ease is -1; a weight must be 0 or more");
    CHECK(parse_error(R"({"potential_reference": 1e999})") ==
          "site.json: potential_reference is inf; it must be a finite number");
    const Result<ScorerConfig> config = parse_scorer_config(R"({"target_position": 0})", "x");
    CHECK(config.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("ScorerConfig: load_scorer_config reads a file and explains a bad path", "[config]") {
    const TempDir dir;
    write_file(dir / "scoring.json",
               R"({"ctr_curve": "firstpagesage-2024", "target_position": 2})");
    const Result<ScorerConfig> config = load_scorer_config(dir / "scoring.json");
    REQUIRE_OK(config);
    CHECK(config->ctr_curve_name == "firstpagesage-2024");
    CHECK(config->target_position == 2);

    write_file(dir / "broken.json", "{\n\"weights\": 3\n}");
    const Result<ScorerConfig> broken = load_scorer_config(dir / "broken.json");
    CHECK(broken.status().message() ==
          (dir / "broken.json").string() +
              ": weights must be an object such as {\"upside\": 0.3}, found a number");

    const Result<ScorerConfig> missing = load_scorer_config(dir / "nope.json");
    CHECK(missing.status().code() == StatusCode::kNotFound);
    CHECK_THAT(std::string(missing.status().message()),
               Catch::StartsWith((dir / "nope.json").string() + ": no such configuration file"));

    const Result<ScorerConfig> directory = load_scorer_config(dir.path());
    CHECK(directory.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(directory.status().message()), Catch::Contains("not a regular file"));
}

TEST_CASE("ScorerConfig: to_json writes every key in a fixed order with shortest numbers",
          "[config]") {
    CHECK(to_json(ScorerConfig::defaults()) ==
          R"({"ctr_curve":[[1,0.276],[2,0.158],[3,0.11],[4,0.084],[5,0.063],[6,0.049],)"
          R"([7,0.039],[8,0.033],[9,0.027],[10,0.024],[11,0.01],[15,0.008],[20,0.006],)"
          R"([30,0.003],[50,0.001],[100,0]],"target_position":3,"weights":{"upside":0.3,)"
          R"("striking":0.2,"ctr_gap":0.1,"demand":0.1,"decay":0.1,"ease":0.1,"staleness":0.04,)"
          R"("thinness":0.03,"link_need":0.03},"potential_reference":10000,)"
          R"("demand_reference":1000000,"min_impressions_for_ctr":100,"thin_content_words":1500,)"
          R"("thin_content_ramp_words":1200,"inlink_reference":100,"staleness_horizon_days":365})");
}

TEST_CASE("ScorerConfig: to_json reads back to an equal configuration", "[config]") {
    std::vector<ScorerConfig> configs = {ScorerConfig::defaults()};
    for (const CtrCurvePreset& preset : ctr_curve_presets()) {
        ScorerConfig config = ScorerConfig::defaults();
        config.ctr_curve.assign(preset.points.begin(), preset.points.end());
        config.ctr_curve_name = std::string(preset.name);
        configs.push_back(config);
    }
    // Numbers that need all 17 digits, tiny and huge magnitudes.
    std::mt19937_64 random(11);
    for (int i = 0; i < 200; ++i) {
        auto any = [&](double low, double high) {
            return std::pow(10.0, std::uniform_real_distribution<double>(low, high)(random));
        };
        ScorerConfig config = ScorerConfig::defaults();
        double position = 1;
        double rate = std::uniform_real_distribution<double>(0, 1)(random);
        config.ctr_curve = {{position, rate}};
        for (int point = 0; point < 5; ++point) {
            position += any(-3, 2);
            rate *= std::uniform_real_distribution<double>(0, 1)(random);
            config.ctr_curve.push_back({position, rate});
        }
        config.ctr_curve_name = "custom";
        config.target_position = 1 + any(-5, 2);
        config.weights = {any(-9, 3), any(-9, 3), any(-9, 3), any(-9, 3), any(-9, 3),
                          any(-9, 3), any(-9, 3), any(-9, 3), 0};
        config.potential_reference = any(-3, 12);
        config.demand_reference = any(-3, 15);
        config.min_impressions_for_ctr = any(-3, 6);
        config.thin_content_words = any(0, 5);
        config.thin_content_ramp_words = any(0, 5);
        config.inlink_reference = any(-2, 4);
        config.staleness_horizon_days = any(0, 4);
        configs.push_back(config);
    }
    for (const ScorerConfig& config : configs) {
        REQUIRE_OK(config.validate());
        const std::string json = to_json(config);
        INFO(json);
        const Result<ScorerConfig> back = parse_scorer_config(json, "round trip");
        REQUIRE_OK(back);
        CHECK(*back == config);
        CHECK(back->ctr_curve_name == config.ctr_curve_name);
        CHECK(to_json(*back) == json);
    }
}

TEST_CASE("ScorerConfig: equality covers every setting but the informational name", "[config]") {
    const ScorerConfig base = ScorerConfig::defaults();
    ScorerConfig other = base;
    other.ctr_curve_name = "renamed";
    CHECK(other == base);
    other = base;
    other.weights.link_need = 0.031;
    CHECK(other != base);
    other = base;
    other.staleness_horizon_days = 366;
    CHECK(other != base);
    other = base;
    other.ctr_curve.back().position = 101;
    CHECK(other != base);
    other = base;
    other.target_position = 4;
    CHECK(other != base);
}

}  // namespace
}  // namespace bulkscore
