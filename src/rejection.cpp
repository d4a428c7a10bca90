// SPDX-License-Identifier: MIT

#include "bulkscore/rejection.hpp"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "bulkscore/score_result.hpp"

namespace bulkscore {
namespace {

constexpr std::array<std::pair<RejectReason, std::string_view>, 9> kReasonNames = {{
    {RejectReason::kMissingId, "missing_id"},
    {RejectReason::kIdTooLong, "id_too_long"},
    {RejectReason::kBadNumber, "bad_number"},
    {RejectReason::kNegative, "negative"},
    {RejectReason::kClicksExceedImpressions, "clicks_exceed_impressions"},
    {RejectReason::kBadPosition, "bad_position"},
    {RejectReason::kBadDifficulty, "bad_difficulty"},
    {RejectReason::kNotAPage, "not_a_page"},
    {RejectReason::kRetriesExhausted, "retries_exhausted"},
}};

constexpr std::array<std::pair<Action, std::string_view>, 6> kActionNames = {{
    {Action::kFixCtr, "fix_ctr"},
    {Action::kPushToTop, "push_to_top"},
    {Action::kRefresh, "refresh"},
    {Action::kExpand, "expand"},
    {Action::kBuildLinks, "build_links"},
    {Action::kMonitor, "monitor"},
}};

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                         Enum value) noexcept {
    for (const auto& [candidate, name] : names) {
        if (candidate == value) {
            return name;
        }
    }
    return "unknown";
}

template <class Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                             std::string_view text) noexcept {
    for (const auto& [value, name] : names) {
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

}  // namespace

std::string_view to_string(RejectReason reason) noexcept {
    return name_of(kReasonNames, reason);
}

std::optional<RejectReason> parse_reject_reason(std::string_view text) noexcept {
    return value_of(kReasonNames, text);
}

std::string_view to_string(Action action) noexcept {
    return name_of(kActionNames, action);
}

std::optional<Action> parse_action(std::string_view text) noexcept {
    return value_of(kActionNames, text);
}

std::string render_message(const Rejection& rejection) {
    const std::string_view field = rejection.field.empty() ? "record" : rejection.field;
    const std::string_view value = rejection.value;
    switch (rejection.reason) {
        case RejectReason::kMissingId:
            return fmt::format("{} is empty; every page needs an id (its URL or CMS key)", field);
        case RejectReason::kIdTooLong:
            return fmt::format("{} is longer than 2048 bytes; shorten it or use a CMS key", field);
        case RejectReason::kBadNumber:
            if (value.empty()) {
                return fmt::format("{} is empty but required; write a number such as 0", field);
            }
            return fmt::format("{} \"{}\" is not a number; write a plain number such as 12 or 3.5",
                               field, value);
        case RejectReason::kNegative:
            return fmt::format("{} is {}; it counts something and must be 0 or more", field, value);
        case RejectReason::kClicksExceedImpressions:
            return fmt::format("{} is {}, more than the impressions; check the export's columns",
                               field, value);
        case RejectReason::kBadPosition:
            if (value.empty()) {
                return fmt::format(
                    "{} is empty although the page has impressions; an average position of 1 "
                    "or more is required",
                    field);
            }
            return fmt::format(
                "{} is {}; an average position is 1 or more (0 or empty only "
                "without impressions)",
                field, value);
        case RejectReason::kBadDifficulty:
            return fmt::format("{} is {}; keyword difficulty must lie between 0 and 100", field,
                               value);
        case RejectReason::kNotAPage:
            return fmt::format("{} is \"{}\": not an HTML page answering 200, so not scored", field,
                               value);
        case RejectReason::kRetriesExhausted:
            return fmt::format("the scorer kept failing: {}", value);
    }
    return std::string(to_string(rejection.reason));
}

}  // namespace bulkscore
