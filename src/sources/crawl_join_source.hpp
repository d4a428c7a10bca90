// SPDX-License-Identifier: MIT
//
// `CrawlJoinSource`: a `NodeSource` that passes another source's records through and fills in
// each page's missing `word_count` and `inlinks` from a crawl (`score --crawl`), matched by
// normalised URL (crawl_url.hpp) through a `CrawlIndex`. Values the primary record has win.
//
// Positions, seeking and counting are the primary source's, so a resume reads the same records;
// since the crawl is part of what a record turns into, its identity (`crawl_fingerprint`) must
// be part of the job's input fingerprint, which `score` does.
//
// Thread safety: none; one thread at a time, as `NodeSource` requires.

#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkscore/node_source.hpp"

#include "sources/crawl_index.hpp"

namespace bulkscore::detail {

class CrawlJoinSource final : public NodeSource {
public:
    CrawlJoinSource(std::unique_ptr<NodeSource> primary, std::unique_ptr<CrawlIndex> index);

    /// Reads the primary source's next records and fills their missing values from the crawl.
    /// Errors: the primary source's, or a crawl index read error.
    Status read(NodeBatch& batch, std::size_t max_records) override;
    Result<std::uint64_t> count_records() override { return primary_->count_records(); }
    SourcePosition position() const noexcept override { return primary_->position(); }
    Status seek(const SourcePosition& position) override { return primary_->seek(position); }
    std::string_view description() const noexcept override { return primary_->description(); }

    /// Pages read through this source since it was made, and how many of them were in the crawl.
    std::uint64_t pages_read() const noexcept { return pages_read_; }
    std::uint64_t pages_matched() const noexcept { return pages_matched_; }

    const CrawlIndex& index() const noexcept { return *index_; }

private:
    std::unique_ptr<NodeSource> primary_;
    std::unique_ptr<CrawlIndex> index_;
    std::string texts_;  // Normalised URLs of the current batch, end to end.
    std::vector<CrawlProbe> probes_;
    std::vector<CrawlHit> hits_;
    std::uint64_t pages_read_ = 0;
    std::uint64_t pages_matched_ = 0;
};

/// The identity of a crawl file for a job's input fingerprint: `crawl <size, modification time,
/// head hash> path=<absolute path>`, the path last so that it may hold any character.
///
/// Errors: `not_found` when the file cannot be read.
Result<std::string> crawl_fingerprint(const std::filesystem::path& crawl);

/// `input_fingerprint` with the crawl's fingerprint appended (`; ` between them).
std::string with_crawl(std::string input_fingerprint, std::string_view crawl_fingerprint);

/// The crawl part of a job's input fingerprint, or empty when the job had no crawl.
std::string_view crawl_part(std::string_view input_fingerprint) noexcept;

/// The crawl's path recorded in a job's input fingerprint, if it had one.
std::optional<std::string> crawl_path(std::string_view input_fingerprint);

}  // namespace bulkscore::detail
