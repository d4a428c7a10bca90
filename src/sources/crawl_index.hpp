// SPDX-License-Identifier: MIT
//
// `CrawlIndex`: the word count and inlinks of every page of a Screaming Frog crawl, keyed by
// normalised URL, for `score --crawl`. It lives in a temporary SQLite database on disk, so that
// memory stays flat whatever the crawl's size (sites of tens of millions of pages).
//
// How it is built, in bounded memory:
// 1. The crawl is read once with the CSV machinery. Each HTML page answering 200 becomes an
//    entry: the 64-bit hash of its normalised URL (crawl_url.hpp), the URL, its values.
// 2. Entries gather in memory up to `sort_memory_bytes`, are sorted by hash (stably, so that
//    rows of one URL keep the crawl's order) and written to a temporary run file.
// 3. The runs are merged, so entries come out in hash order and, for equal hashes, in crawl
//    order. The later row of a repeated URL replaces the earlier. Each URL goes into a rowid
//    table keyed by its hash, in increasing key order: SQLite appends to the right edge of the
//    B-tree instead of touching a random page per row. A URL whose hash another URL already
//    holds (a collision: about one in 10^6 crawls of 10^7 pages) goes into a side table keyed
//    by the URL itself, so lookups stay exact.
// 4. The run file is deleted; the database is deleted when the index is destroyed.
//
// Lookups come in batches: sorted by hash, they walk the B-tree from left to right through
// one prepared statement, and each hit is checked against the stored URL.
//
// Limitation: a process killed while the index exists leaves its two files behind
// (`bulkscore-crawl-*.runs`, `bulkscore-crawl-*.db` in the temporary directory); they are safe
// to delete.
//
// Thread safety: none; one thread at a time (the engine's reader).

#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulkscore/status.hpp"

namespace bulkscore::detail {

struct CrawlIndexOptions {
    std::filesystem::path crawl;     ///< The crawl export (Screaming Frog "Internal - All").
    std::filesystem::path temp_dir;  ///< Where the temporary run file and database go.

    /// Memory for the entries sorted before each run is written, in bytes. Peak memory of the
    /// build is about this plus `cache_bytes`.
    std::size_t sort_memory_bytes = std::size_t{64} << 20;

    /// SQLite's page cache for the index database, in bytes.
    std::size_t cache_bytes = std::size_t{16} << 20;

    std::size_t read_buffer_bytes = std::size_t{1} << 20;   ///< The crawl's read buffer.
    std::size_t run_buffer_bytes = std::size_t{256} << 10;  ///< Per run while merging.

    /// Hash bits kept: tests narrow it to force collisions between different URLs.
    std::uint64_t hash_mask = ~std::uint64_t{0};
};

/// What the build met.
struct CrawlIndexStats {
    std::uint64_t rows = 0;        ///< Data rows of the crawl (header and title excluded).
    std::uint64_t pages = 0;       ///< Distinct normalised URLs in the index.
    std::uint64_t not_a_page = 0;  ///< Rows that are not HTML answering 200: skipped.
    std::uint64_t unreadable = 0;  ///< Rows with an unreadable address, word count or inlinks.
    std::uint64_t no_values = 0;   ///< Pages with both value cells empty: skipped.
    std::uint64_t replaced = 0;    ///< Rows whose URL a later row repeated (the later wins).
    std::string first_unreadable;  ///< `file:line: column "Name": why`, or empty.
    double seconds = 0;            ///< Wall time of the build.
};

/// A page's values in the crawl; either may be unknown (an empty cell or a missing column).
struct CrawlValues {
    std::optional<std::int64_t> word_count;
    std::optional<std::int64_t> inlinks;
};

/// One URL to look up: its hash, where its normalised text is in the caller's buffer, and the
/// caller's index for it.
struct CrawlProbe {
    std::uint64_t hash = 0;
    std::uint32_t text_offset = 0;
    std::uint32_t text_size = 0;
    std::uint32_t slot = 0;
};

/// A found URL: the probe's `slot` and the crawl's values.
struct CrawlHit {
    std::uint32_t slot = 0;
    CrawlValues values;
};

class CrawlIndex {
public:
    /// Reads the crawl and builds the index in `options.temp_dir`.
    ///
    /// Errors: `not_found` for a missing crawl; `invalid_argument` naming the file and what to
    /// export when its header lacks `Address`, or has none of `Word Count`, `Unique Inlinks`,
    /// `Inlinks`, or when the crawl cannot be parsed; an SQLite or file error (a full disk,
    /// an unwritable temporary directory) naming the file.
    static Result<std::unique_ptr<CrawlIndex>> build(const CrawlIndexOptions& options);

    CrawlIndex(const CrawlIndex&) = delete;
    CrawlIndex& operator=(const CrawlIndex&) = delete;
    ~CrawlIndex();  ///< Closes and deletes the database.

    /// Reorders `probes` by hash and appends to `hits` (cleared first) one entry per probe
    /// whose URL, `texts.substr(text_offset, text_size)`, is in the crawl. Allocates nothing
    /// once `hits` has grown to the batch size.
    ///
    /// Errors: an SQLite read error, naming the database.
    Status lookup(std::span<CrawlProbe> probes,
                  std::string_view texts,
                  std::vector<CrawlHit>& hits);

    /// The hash `lookup` expects in a probe for normalised URL `text`.
    std::uint64_t key_of(std::string_view text) const noexcept;

    const CrawlIndexStats& stats() const noexcept { return stats_; }

    /// The temporary database, for messages and tests.
    const std::filesystem::path& database_path() const noexcept;

private:
    struct Impl;
    explicit CrawlIndex(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
    CrawlIndexStats stats_;
};

}  // namespace bulkscore::detail
