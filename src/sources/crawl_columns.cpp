// SPDX-License-Identifier: MIT

#include "sources/crawl_columns.hpp"

#include <cstdint>
#include <utility>

#include "sources/csv_reader.hpp"
#include "sources/record_assembler.hpp"

namespace bulkscore::detail {
namespace {

constexpr std::string_view kHtmlType = "text/html";

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) noexcept {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if (c != prefix[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace

CrawlColumns find_crawl_columns(const std::vector<std::string>& names) {
    CrawlColumns columns;
    const std::pair<std::string_view, std::optional<std::size_t> CrawlColumns::*> table[] = {
        {"address", &CrawlColumns::address},
        {"content type", &CrawlColumns::content_type},
        {"status code", &CrawlColumns::status_code},
        {"clicks", &CrawlColumns::clicks},
        {"impressions", &CrawlColumns::impressions},
        {"ctr", &CrawlColumns::ctr},
        {"position", &CrawlColumns::position},
        {"word count", &CrawlColumns::word_count},
        {"unique inlinks", &CrawlColumns::unique_inlinks},
        {"inlinks", &CrawlColumns::inlinks},
    };
    for (std::size_t column = 0; column < names.size(); ++column) {
        const std::string name = normalise_column_name(names[column]);
        for (const auto& [wanted, member] : table) {
            if (name == wanted && !(columns.*member)) {
                columns.*member = column;
            }
        }
    }
    return columns;
}

std::string_view field_at(std::span<const std::string_view> fields,
                          std::optional<std::size_t> column) noexcept {
    return column && *column < fields.size() ? fields[*column] : std::string_view();
}

PageCheck check_crawl_page(std::span<const std::string_view> fields,
                           const CrawlColumns& columns) noexcept {
    if (columns.status_code) {
        std::int64_t code = 0;
        if (!parse_integer(trim(field_at(fields, columns.status_code)), DecimalStyle::kPoint,
                           code) ||
            code != 200) {
            return PageCheck::kBadStatus;
        }
    }
    if (columns.content_type &&
        !starts_with_ignoring_case(trim(field_at(fields, columns.content_type)), kHtmlType)) {
        return PageCheck::kNotHtml;
    }
    return PageCheck::kPage;
}

}  // namespace bulkscore::detail
