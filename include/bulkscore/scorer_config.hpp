// SPDX-License-Identifier: MIT
//
// `ScorerConfig`: every constant of SCORING.md that a host may change (the CTR curve, the target
// position, the weights, the reference constants), its validation, the named CTR curve presets,
// and the JSON configuration file that the CLI reads with `--config`.
//
// Thread safety: values; a validated config is immutable in the scorer that holds it.

#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulkscore/score_result.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore {

/// One point of a piecewise-linear table: at `position`, the value `rate`.
struct CurvePoint {
    double position = 0;
    double rate = 0;

    friend bool operator==(const CurvePoint&, const CurvePoint&) = default;
};

/// A named expected-CTR curve, with where its figures come from.
struct CtrCurvePreset {
    std::string_view name;    ///< As written in a config file: `"default"`, `"sistrix-2020"`.
    std::string_view source;  ///< The published study the figures come from.
    std::span<const CurvePoint> points;
};

/// The presets, the SCORING.md default first.
std::span<const CtrCurvePreset> ctr_curve_presets() noexcept;

/// The preset called `name`. Errors: `not_found`, listing the known names.
Result<CtrCurvePreset> find_ctr_curve_preset(std::string_view name);

/// The configuration of `OpportunityScorer`; the defaults are SCORING.md's.
struct ScorerConfig {
    /// Expected CTR by average position: positions strictly increasing from 1, rates
    /// non-increasing in [0, 1]. Beyond the last point the expected CTR is 0. Empty in a
    /// value-initialised config (which therefore does not validate): start from `defaults()`.
    std::vector<CurvePoint> ctr_curve;

    /// The preset `ctr_curve` came from, or `"custom"`; informational.
    std::string ctr_curve_name = "default";

    /// `T`: the position a page could reach (>= 1).
    double target_position = 3;

    /// Weight of each component: each >= 0, their sum > 0.
    Components weights{0.30, 0.20, 0.10, 0.10, 0.10, 0.10, 0.04, 0.03, 0.03};

    double potential_reference = 10000;     ///< Potential clicks for a full `upside` (> 0).
    double demand_reference = 1000000;      ///< Demand for a full `demand` (> 0).
    double min_impressions_for_ctr = 100;   ///< Impressions before the CTR is judged (>= 0).
    double thin_content_words = 1500;       ///< Words from which a page is not thin (> 0).
    double thin_content_ramp_words = 1200;  ///< Width of the thinness ramp, in words (> 0).
    double inlink_reference = 100;          ///< Inlinks for no `link_need` (> 0).
    double staleness_horizon_days = 365;    ///< Days for a full `staleness` (> 0).

    /// SCORING.md's defaults, with the default curve.
    static ScorerConfig defaults();

    /// Ok, or `invalid_argument` naming the first setting that is wrong and why.
    Status validate() const;

    /// Equal when both score every node the same way: every setting compares equal except the
    /// informational `ctr_curve_name`. Numbers compare exactly.
    friend bool operator==(const ScorerConfig& a, const ScorerConfig& b) noexcept;
};

/// Reads a configuration file (JSON). Keys left out keep their defaults; unknown keys are errors
/// (a typo must not silently score with the defaults). Example:
///
///     {"ctr_curve": "sistrix-2020", "target_position": 3,
///      "weights": {"upside": 0.4, "striking": 0.1},
///      "potential_reference": 10000}
///
/// `ctr_curve` is a preset name or an array of `[position, rate]` pairs.
///
/// Errors: `not_found` for a missing file; `invalid_argument` naming the file, the key and what
/// is wrong, including everything `ScorerConfig::validate` checks.
Result<ScorerConfig> load_scorer_config(const std::filesystem::path& path);

/// As `load_scorer_config`, from text; `origin` names it in messages.
Result<ScorerConfig> parse_scorer_config(std::string_view json, std::string_view origin);

/// The configuration as canonical JSON (every key, fixed order, round-trip numbers): what a
/// checkpoint stores to tell whether a resumed run scores the same way.
std::string to_json(const ScorerConfig& config);

}  // namespace bulkscore
