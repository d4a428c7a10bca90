// SPDX-License-Identifier: MIT
//
// The columns of a Screaming Frog "Internal - All" crawl export, found by name, and the test
// that says whether a crawl row is an HTML page that answered 200. Shared by the Screaming Frog
// source (`--format sf`) and the crawl index behind `score --crawl`, so that both read the same
// columns the same way.
//
// Thread safety: pure functions over the caller's objects.

#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bulkscore::detail {

/// Where each known column of a crawl export is, by 0-based index; `std::nullopt` when the
/// header lacks it. Names are compared trimmed and in ASCII lower case; the first column of a
/// name wins.
struct CrawlColumns {
    std::optional<std::size_t> address;
    std::optional<std::size_t> content_type;
    std::optional<std::size_t> status_code;
    std::optional<std::size_t> clicks;
    std::optional<std::size_t> impressions;
    std::optional<std::size_t> ctr;
    std::optional<std::size_t> position;
    std::optional<std::size_t> word_count;
    std::optional<std::size_t> unique_inlinks;
    std::optional<std::size_t> inlinks;

    /// The inlinks column to read: `Unique Inlinks` (links from distinct pages, the better
    /// measure of internal support) when present, else `Inlinks`.
    std::optional<std::size_t> preferred_inlinks() const noexcept {
        return unique_inlinks ? unique_inlinks : inlinks;
    }
};

/// Finds the crawl columns among the header `names`.
CrawlColumns find_crawl_columns(const std::vector<std::string>& names);

/// The text of `column` in `fields`; empty when the column is unknown or the record is short.
std::string_view field_at(std::span<const std::string_view> fields,
                          std::optional<std::size_t> column) noexcept;

/// Why a crawl row is not a page, if it is not one.
enum class PageCheck : unsigned char {
    kPage,       ///< HTML answering 200, or the header has neither column to say otherwise.
    kBadStatus,  ///< `Status Code` is not 200 (a redirect, an error, a blocked URL).
    kNotHtml,    ///< `Content Type` does not start with `text/html` (an image, a script).
};

/// Checks a crawl row with the `Status Code` and `Content Type` columns, where present.
PageCheck check_crawl_page(std::span<const std::string_view> fields,
                           const CrawlColumns& columns) noexcept;

}  // namespace bulkscore::detail
