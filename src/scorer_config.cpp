// SPDX-License-Identifier: MIT
//
// The scorer configuration: SCORING.md's defaults, the named CTR curve presets with their published
// sources, validation with messages that name the setting at fault, and the JSON configuration file
// (read with Boost.JSON, written canonically with fmt).
//
// Thread safety: the presets are immutable static data; every function is pure or touches only its
// arguments (and, for `load_scorer_config`, the file it reads), so all may run concurrently.

#include "bulkscore/scorer_config.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <fmt/format.h>

namespace bulkscore {
namespace {

// The SCORING.md curve. Positions 1-10: Backlinko's 2023 study of 4 million Google result pages;
// past 10: SCORING.md's conservative page-two-and-beyond tail, which the other presets reuse
// because the studies below publish no figures beyond the first page.
constexpr std::array<CurvePoint, 16> kDefaultCurve = {{
    {1, 0.276},
    {2, 0.158},
    {3, 0.110},
    {4, 0.084},
    {5, 0.063},
    {6, 0.049},
    {7, 0.039},
    {8, 0.033},
    {9, 0.027},
    {10, 0.024},
    {11, 0.010},
    {15, 0.008},
    {20, 0.006},
    {30, 0.003},
    {50, 0.001},
    {100, 0},
}};

// SISTRIX, "Why (almost) everything you knew about Google CTR is no longer valid" (July 2020),
// average organic CTR over more than 80 million keywords, mostly mobile results:
// https://www.sistrix.com/blog/why-almost-everything-you-knew-about-google-ctr-is-no-longer-valid/
// Positions 1-10 as published (28.5 %, 15.7 %, 11.0 %, 8.0 %, 7.2 %, 5.1 %, 4.0 %, 3.2 %, 2.8 %,
// 2.5 %); the study found well below 1 % per position on page two but published no per-position
// figures there, so the default tail follows.
constexpr std::array<CurvePoint, 16> kSistrix2020Curve = {{
    {1, 0.285},
    {2, 0.157},
    {3, 0.110},
    {4, 0.080},
    {5, 0.072},
    {6, 0.051},
    {7, 0.040},
    {8, 0.032},
    {9, 0.028},
    {10, 0.025},
    {11, 0.010},
    {15, 0.008},
    {20, 0.006},
    {30, 0.003},
    {50, 0.001},
    {100, 0},
}};

// First Page Sage, "Google Click-Through Rates (CTRs) by Ranking Position", 2024 edition: organic
// CTR on result pages without maps, images, video or shopping blocks:
// https://firstpagesage.com/reports/google-click-through-rates-ctrs-by-ranking-position/
// Positions 1-10 as published (39.8 %, 18.7 %, 10.2 %, 7.2 %, 5.1 %, 4.4 %, 3.0 %, 2.1 %, 1.9 %,
// 1.6 %); the report stops at position 10, so the default tail follows.
constexpr std::array<CurvePoint, 16> kFirstPageSage2024Curve = {{
    {1, 0.398},
    {2, 0.187},
    {3, 0.102},
    {4, 0.072},
    {5, 0.051},
    {6, 0.044},
    {7, 0.030},
    {8, 0.021},
    {9, 0.019},
    {10, 0.016},
    {11, 0.010},
    {15, 0.008},
    {20, 0.006},
    {30, 0.003},
    {50, 0.001},
    {100, 0},
}};

constexpr std::array<CtrCurvePreset, 3> kPresets = {{
    {"default",
     "SCORING.md: Backlinko 2023, 4 million Google result pages (positions 1-10), with a "
     "conservative tail past 10",
     kDefaultCurve},
    {"sistrix-2020",
     "SISTRIX 2020, \"Why (almost) everything you knew about Google CTR is no longer valid\", "
     "80 million keywords (positions 1-10), with the default tail past 10; "
     "https://www.sistrix.com/blog/why-almost-everything-you-knew-about-google-ctr-is-no-longer-"
     "valid/",
     kSistrix2020Curve},
    {"firstpagesage-2024",
     "First Page Sage 2024, \"Google Click-Through Rates (CTRs) by Ranking Position\" "
     "(positions 1-10), with the default tail past 10; "
     "https://firstpagesage.com/reports/google-click-through-rates-ctrs-by-ranking-position/",
     kFirstPageSage2024Curve},
}};

// The nine components in SCORING.md's order, for everything that walks the weights by name.
constexpr std::array<std::pair<std::string_view, double Components::*>, 9> kComponentFields = {{
    {"upside", &Components::upside},
    {"striking", &Components::striking},
    {"ctr_gap", &Components::ctr_gap},
    {"demand", &Components::demand},
    {"decay", &Components::decay},
    {"ease", &Components::ease},
    {"staleness", &Components::staleness},
    {"thinness", &Components::thinness},
    {"link_need", &Components::link_need},
}};

// The plain numeric settings, in the canonical order of `to_json` (after `ctr_curve`,
// `target_position` and `weights`).
constexpr std::array<std::pair<std::string_view, double ScorerConfig::*>, 7> kNumberFields = {{
    {"potential_reference", &ScorerConfig::potential_reference},
    {"demand_reference", &ScorerConfig::demand_reference},
    {"min_impressions_for_ctr", &ScorerConfig::min_impressions_for_ctr},
    {"thin_content_words", &ScorerConfig::thin_content_words},
    {"thin_content_ramp_words", &ScorerConfig::thin_content_ramp_words},
    {"inlink_reference", &ScorerConfig::inlink_reference},
    {"staleness_horizon_days", &ScorerConfig::staleness_horizon_days},
}};

constexpr std::string_view kValidKeys =
    "ctr_curve, target_position, weights, potential_reference, "
    "demand_reference, "
    "min_impressions_for_ctr, thin_content_words, thin_content_ramp_words, "
    "inlink_reference, "
    "staleness_horizon_days";

constexpr std::string_view kValidComponents =
    "upside, striking, ctr_gap, demand, decay, ease, staleness, thinness, "
    "link_need";

std::string preset_names() {
    std::string names;
    for (const CtrCurvePreset& preset : kPresets) {
        if (!names.empty()) {
            names += ", ";
        }
        names += preset.name;
    }
    return names;
}

// ---- validation -------------------------------------------------------------------------------

Status validate_curve(const std::vector<CurvePoint>& curve) {
    if (curve.empty()) {
        return invalid_argument_error(
            "ctr_curve: has no points; give at least "
            "one, starting at position 1, or start "
            "from ScorerConfig::defaults()");
    }
    for (std::size_t i = 0; i < curve.size(); ++i) {
        const CurvePoint& point = curve[i];
        const std::size_t number = i + 1;
        if (!std::isfinite(point.position) || !std::isfinite(point.rate)) {
            return invalid_argument_error(
                fmt::format("ctr_curve: point {} is [{}, {}]; positions and rates "
                            "must be finite numbers",
                            number, point.position, point.rate));
        }
        if (i == 0 && point.position != 1) {
            return invalid_argument_error(fmt::format(
                "ctr_curve: must start at position 1; point 1 has position {}", point.position));
        }
        if (i > 0 && !(point.position > curve[i - 1].position)) {
            return invalid_argument_error(
                fmt::format("ctr_curve: positions must increase strictly; point {} has position "
                            "{} after {}",
                            number, point.position, curve[i - 1].position));
        }
        if (!(point.rate >= 0 && point.rate <= 1)) {
            return invalid_argument_error(
                fmt::format("ctr_curve: point {} has rate {}; a rate is a fraction "
                            "between 0 and 1 "
                            "(write 0.276 for 27.6 %)",
                            number, point.rate));
        }
        if (i > 0 && point.rate > curve[i - 1].rate) {
            return invalid_argument_error(
                fmt::format("ctr_curve: rates must not increase with position; point "
                            "{} has rate {} after {}",
                            number, point.rate, curve[i - 1].rate));
        }
    }
    return ok_status();
}

Status validate_weights(const Components& weights) {
    double sum = 0;
    for (const auto& [name, field] : kComponentFields) {
        const double weight = weights.*field;
        if (!std::isfinite(weight)) {
            return invalid_argument_error(
                fmt::format("weights.{} is {}; a weight must be a finite number", name, weight));
        }
        if (weight < 0) {
            return invalid_argument_error(
                fmt::format("weights.{} is {}; a weight must be 0 or more", name, weight));
        }
        sum += weight;
    }
    if (!(sum > 0)) {
        return invalid_argument_error("weights: must sum to more than 0");
    }
    if (!std::isfinite(sum)) {
        return invalid_argument_error("weights: their sum overflows; use smaller weights");
    }
    return ok_status();
}

// A reference constant x divides ln(1 + x) or x itself, so it must be positive and large enough
// that 1 + x differs from 1.
Status validate_positive(std::string_view name, double value) {
    if (!std::isfinite(value)) {
        return invalid_argument_error(
            fmt::format("{} is {}; it must be a finite number", name, value));
    }
    if (!(value > 0)) {
        return invalid_argument_error(fmt::format("{} is {}; it must be more than 0", name, value));
    }
    if (!(std::log(1 + value) > 0)) {
        return invalid_argument_error(fmt::format(
            "{} is {}; it is too close to 0 for ln(1 + {}) to be positive", name, value, name));
    }
    return ok_status();
}

// ---- JSON reading -----------------------------------------------------------------------------

std::string_view kind_of(const boost::json::value& value) {
    switch (value.kind()) {
        case boost::json::kind::null:
            return "null";
        case boost::json::kind::bool_:
            return "true/false";
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
        case boost::json::kind::double_:
            return "a number";
        case boost::json::kind::string:
            return "a string";
        case boost::json::kind::array:
            return "an array";
        case boost::json::kind::object:
            return "an object";
    }
    return "an unknown JSON value";
}

// The number in `value`, or an error naming `key`, written as in the file (`weights.ease`).
Result<double> read_number(const boost::json::value& value,
                           std::string_view key,
                           std::string_view origin) {
    if (!value.is_number()) {
        return invalid_argument_error(
            fmt::format("{}: {} must be a number, found {}", origin, key, kind_of(value)));
    }
    boost::system::error_code ec;
    const double number = value.to_number<double>(ec);
    if (ec) {
        return invalid_argument_error(
            fmt::format("{}: {} is not representable as a number: {}", origin, key, ec.message()));
    }
    // -0 (written so, or a negative number too small for a double) is 0: a weight of -0 is
    // not negative, and the canonical JSON must read back to itself.
    return number == 0 ? 0.0 : number;
}

// The name of the preset whose points are exactly `curve`, or "custom".
std::string name_of_curve(const std::vector<CurvePoint>& curve) {
    for (const CtrCurvePreset& preset : kPresets) {
        if (std::equal(curve.begin(), curve.end(), preset.points.begin(), preset.points.end())) {
            return std::string(preset.name);
        }
    }
    return "custom";
}

Status read_curve(const boost::json::value& value, std::string_view origin, ScorerConfig& config) {
    if (const boost::json::string* name = value.if_string()) {
        const std::string_view wanted(name->data(), name->size());
        Result<CtrCurvePreset> preset = find_ctr_curve_preset(wanted);
        if (!preset.ok()) {
            return invalid_argument_error(
                fmt::format("{}: ctr_curve: {}", origin, preset.status().message()));
        }
        config.ctr_curve.assign(preset->points.begin(), preset->points.end());
        config.ctr_curve_name = std::string(preset->name);
        return ok_status();
    }
    const boost::json::array* points = value.if_array();
    if (points == nullptr) {
        return invalid_argument_error(
            fmt::format("{}: ctr_curve must be a preset name ({}) or an array of "
                        "[position, rate] pairs, "
                        "found {}",
                        origin, preset_names(), kind_of(value)));
    }
    std::vector<CurvePoint> curve;
    curve.reserve(points->size());
    for (std::size_t i = 0; i < points->size(); ++i) {
        const boost::json::array* pair = (*points)[i].if_array();
        if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_number() ||
            !(*pair)[1].is_number()) {
            return invalid_argument_error(
                fmt::format("{}: ctr_curve point {} must be a [position, rate] pair "
                            "of numbers such as "
                            "[1, 0.276], found {}",
                            origin, i + 1, boost::json::serialize((*points)[i])));
        }
        const std::string key = fmt::format("ctr_curve point {}", i + 1);
        Result<double> position = read_number((*pair)[0], key, origin);
        BULKSCORE_RETURN_IF_ERROR(position.status());
        Result<double> rate = read_number((*pair)[1], key, origin);
        BULKSCORE_RETURN_IF_ERROR(rate.status());
        curve.push_back(CurvePoint{*position, *rate});
    }
    config.ctr_curve_name = name_of_curve(curve);
    config.ctr_curve = std::move(curve);
    return ok_status();
}

Status read_weights(const boost::json::value& value,
                    std::string_view origin,
                    ScorerConfig& config) {
    const boost::json::object* weights = value.if_object();
    if (weights == nullptr) {
        return invalid_argument_error(
            fmt::format("{}: weights must be an object such as {{\"upside\": 0.3}}, found {}",
                        origin, kind_of(value)));
    }
    for (const auto& entry : *weights) {
        const std::string_view name(entry.key().data(), entry.key().size());
        const auto* known = std::find_if(kComponentFields.begin(), kComponentFields.end(),
                                         [&](const auto& field) { return field.first == name; });
        if (known == kComponentFields.end()) {
            return invalid_argument_error(
                fmt::format("{}: weights: unknown component \"{}\"; valid components are {}",
                            origin, name, kValidComponents));
        }
        Result<double> weight = read_number(entry.value(), fmt::format("weights.{}", name), origin);
        BULKSCORE_RETURN_IF_ERROR(weight.status());
        config.weights.*(known->second) = *weight;
    }
    return ok_status();
}

Status read_key(std::string_view key,
                const boost::json::value& value,
                std::string_view origin,
                ScorerConfig& config) {
    if (key == "ctr_curve") {
        return read_curve(value, origin, config);
    }
    if (key == "weights") {
        return read_weights(value, origin, config);
    }
    if (key == "target_position") {
        Result<double> number = read_number(value, key, origin);
        BULKSCORE_RETURN_IF_ERROR(number.status());
        config.target_position = *number;
        return ok_status();
    }
    for (const auto& [name, field] : kNumberFields) {
        if (key == name) {
            Result<double> number = read_number(value, key, origin);
            BULKSCORE_RETURN_IF_ERROR(number.status());
            config.*field = *number;
            return ok_status();
        }
    }
    return invalid_argument_error(
        fmt::format("{}: unknown key \"{}\"; valid keys are {}", origin, key, kValidKeys));
}

// 1-based line and column of byte `offset` in `text`, for syntax error messages.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return {line, offset - line_start + 1};
}

// Builds a `boost::json::value` like Boost.JSON's own parser, with two differences. A real number
// is converted from its text with `std::from_chars` (correctly rounded): Boost.JSON 1.81 has no
// precise mode and may land one unit in the last place off for 17-digit numbers, which would break
// the round trip of `to_json`; that part can go once the project requires a Boost.JSON whose
// `parse_options::numbers` offers `number_precision::precise`. And a key repeated within one object
// stops the parse instead of silently keeping the later value.
class ConfigJsonHandler {
public:
    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    boost::json::value_stack stack;

    /// The key that stopped the parse by appearing twice in one object; empty otherwise.
    const std::string& duplicate_key() const noexcept { return duplicate_key_; }

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) { return true; }
    bool on_object_begin(boost::system::error_code&) {
        open_objects_.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t n, boost::system::error_code&) {
        open_objects_.pop_back();
        stack.push_object(n);
        return true;
    }
    bool on_array_begin(boost::system::error_code&) { return true; }
    bool on_array_end(std::size_t n, boost::system::error_code&) {
        stack.push_array(n);
        return true;
    }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        key_text_.append(s.data(), s.size());
        stack.push_chars(s);
        return true;
    }
    // Boost.JSON would keep the last of two equal keys silently; a key written twice in a
    // configuration is a mistake worth reporting, so the parse stops there.
    bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
        key_text_.append(s.data(), s.size());
        std::vector<std::string>& seen = open_objects_.back();
        if (std::find(seen.begin(), seen.end(), key_text_) != seen.end()) {
            duplicate_key_ = key_text_;
            ec = boost::json::error::syntax;
            return false;
        }
        seen.push_back(key_text_);
        key_text_.clear();
        stack.push_key(s);
        return true;
    }
    bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        stack.push_chars(s);
        return true;
    }
    bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        stack.push_string(s);
        return true;
    }
    bool on_number_part(boost::json::string_view s, boost::system::error_code&) {
        number_text_.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t i, boost::json::string_view, boost::system::error_code&) {
        number_text_.clear();
        stack.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, boost::json::string_view, boost::system::error_code&) {
        number_text_.clear();
        stack.push_uint64(u);
        return true;
    }
    bool on_double(double d, boost::json::string_view s, boost::system::error_code&) {
        number_text_.append(s.data(), s.size());
        double precise = 0;
        const char* end = number_text_.data() + number_text_.size();
        const std::from_chars_result parsed = std::from_chars(number_text_.data(), end, precise);
        // Out of range (1e999) keeps Boost.JSON's infinity, which validation then reports.
        stack.push_double(parsed.ec == std::errc() && parsed.ptr == end ? precise : d);
        number_text_.clear();
        return true;
    }
    bool on_bool(bool b, boost::system::error_code&) {
        stack.push_bool(b);
        return true;
    }
    bool on_null(boost::system::error_code&) {
        stack.push_null();
        return true;
    }
    bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

private:
    std::string number_text_;
    std::string key_text_;
    std::string duplicate_key_;
    std::vector<std::vector<std::string>> open_objects_;  // keys seen so far, per open object
};

Result<ScorerConfig> parse_unguarded(std::string_view json, std::string_view origin) {
    boost::json::basic_parser<ConfigJsonHandler> parser{boost::json::parse_options()};
    parser.handler().stack.reset();
    boost::system::error_code ec;
    const std::size_t consumed = parser.write_some(false, json.data(), json.size(), ec);
    if (!ec && consumed < json.size()) {
        ec = boost::json::error::extra_data;
    }
    if (ec) {
        const auto [line, column] = line_and_column(json, consumed);
        if (!parser.handler().duplicate_key().empty()) {
            return invalid_argument_error(
                fmt::format("{}:{}:{}: key \"{}\" appears twice in the same object; keep one",
                            origin, line, column, parser.handler().duplicate_key()));
        }
        return invalid_argument_error(
            fmt::format("{}:{}:{}: not valid JSON ({}); fix the file at that point", origin, line,
                        column, ec.message()));
    }
    const boost::json::value root = parser.handler().stack.release();
    const boost::json::object* settings = root.if_object();
    if (settings == nullptr) {
        return invalid_argument_error(
            fmt::format("{}: the configuration must be a JSON object such as "
                        "{{\"ctr_curve\": \"default\"}}, found {}",
                        origin, kind_of(root)));
    }
    ScorerConfig config = ScorerConfig::defaults();
    for (const auto& entry : *settings) {
        const std::string_view key(entry.key().data(), entry.key().size());
        BULKSCORE_RETURN_IF_ERROR(read_key(key, entry.value(), origin, config));
    }
    BULKSCORE_RETURN_IF_ERROR(config.validate().with_context(origin));
    return config;
}

// ---- JSON writing -----------------------------------------------------------------------------

// fmt's `{}` is the shortest text that reads back to the same double; JSON has no spelling for
// infinities or NaN, so those (only in an unvalidated config) become null.
void append_number(std::string& out, double value) {
    if (value == 0) {
        out += '0';  // Also for -0, which JSON readers may take as the integer 0.
    } else if (std::isfinite(value)) {
        fmt::format_to(std::back_inserter(out), "{}", value);
    } else {
        out += "null";
    }
}

}  // namespace

std::span<const CtrCurvePreset> ctr_curve_presets() noexcept {
    return kPresets;
}

Result<CtrCurvePreset> find_ctr_curve_preset(std::string_view name) {
    for (const CtrCurvePreset& preset : kPresets) {
        if (preset.name == name) {
            return preset;
        }
    }
    return not_found_error(
        fmt::format("unknown CTR curve preset \"{}\"; known presets are {}", name, preset_names()));
}

ScorerConfig ScorerConfig::defaults() {
    ScorerConfig config;
    config.ctr_curve.assign(kDefaultCurve.begin(), kDefaultCurve.end());
    config.ctr_curve_name = "default";
    return config;
}

Status ScorerConfig::validate() const {
    BULKSCORE_RETURN_IF_ERROR(validate_curve(ctr_curve));
    if (!std::isfinite(target_position)) {
        return invalid_argument_error(
            fmt::format("target_position is {}; it must be a finite number", target_position));
    }
    if (!(target_position >= 1)) {
        return invalid_argument_error(fmt::format(
            "target_position is {}; it must be 1 or more (1 is the top result)", target_position));
    }
    BULKSCORE_RETURN_IF_ERROR(validate_weights(weights));
    for (const auto& [name, field] : kNumberFields) {
        const double value = this->*field;
        if (field == &ScorerConfig::min_impressions_for_ctr) {
            if (!std::isfinite(value)) {
                return invalid_argument_error(
                    fmt::format("{} is {}; it must be a finite number", name, value));
            }
            if (!(value >= 0)) {
                return invalid_argument_error(
                    fmt::format("{} is {}; it must be 0 or more", name, value));
            }
            continue;
        }
        BULKSCORE_RETURN_IF_ERROR(validate_positive(name, value));
    }
    return ok_status();
}

bool operator==(const ScorerConfig& a, const ScorerConfig& b) noexcept {
    for (const auto& [name, field] : kComponentFields) {
        if (a.weights.*field != b.weights.*field) {
            return false;
        }
    }
    for (const auto& [name, field] : kNumberFields) {
        if (a.*field != b.*field) {
            return false;
        }
    }
    return a.ctr_curve == b.ctr_curve && a.target_position == b.target_position;
}

Result<ScorerConfig> parse_scorer_config(std::string_view json, std::string_view origin) {
    // Boost.JSON reports through error codes here, but allocation can still throw; keep that from
    // crossing the API.
    try {
        return parse_unguarded(json, origin);
    } catch (const std::exception& error) {
        return internal_error(
            fmt::format("{}: reading the configuration failed: {}", origin, error.what()));
    }
}

Result<ScorerConfig> load_scorer_config(const std::filesystem::path& path) {
    const std::string origin = path.string();
    std::error_code ec;
    const std::filesystem::file_status status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) {
        return not_found_error(
            fmt::format("{}: no such configuration file; check the path (it is "
                        "relative to the current "
                        "directory)",
                        origin));
    }
    if (!std::filesystem::is_regular_file(status)) {
        return invalid_argument_error(
            fmt::format("{}: is not a regular file; give the path of a JSON file", origin));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return invalid_argument_error(
            fmt::format("{}: cannot be opened; check its permissions", origin));
    }
    // A plain read loop: istreambuf_iterator trips g++ 12's -Wnull-dereference at -O2.
    std::string text;
    std::array<char, 1 << 14> buffer;
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
        text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) {
        return invalid_argument_error(fmt::format("{}: reading it failed part way", origin));
    }
    return parse_scorer_config(text, origin);
}

std::string to_json(const ScorerConfig& config) {
    std::string out = "{\"ctr_curve\":[";
    for (std::size_t i = 0; i < config.ctr_curve.size(); ++i) {
        out += i == 0 ? "[" : ",[";
        append_number(out, config.ctr_curve[i].position);
        out += ',';
        append_number(out, config.ctr_curve[i].rate);
        out += ']';
    }
    out += "],\"target_position\":";
    append_number(out, config.target_position);
    out += ",\"weights\":{";
    for (std::size_t i = 0; i < kComponentFields.size(); ++i) {
        fmt::format_to(std::back_inserter(out), "{}\"{}\":", i == 0 ? "" : ",",
                       kComponentFields[i].first);
        append_number(out, config.weights.*(kComponentFields[i].second));
    }
    out += '}';
    for (const auto& [name, field] : kNumberFields) {
        fmt::format_to(std::back_inserter(out), ",\"{}\":", name);
        append_number(out, config.*field);
    }
    out += '}';
    return out;
}

}  // namespace bulkscore
