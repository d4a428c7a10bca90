// SPDX-License-Identifier: MIT

#include "sources/crawl_join_source.hpp"

#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "bulkscore/bulk_scorer.hpp"

#include "sources/crawl_url.hpp"

namespace bulkscore::detail {
namespace {

constexpr std::string_view kCrawlSeparator = "; crawl ";
constexpr std::string_view kPathKey = " path=";

}  // namespace

CrawlJoinSource::CrawlJoinSource(std::unique_ptr<NodeSource> primary,
                                 std::unique_ptr<CrawlIndex> index)
    : primary_(std::move(primary)), index_(std::move(index)) {}

Status CrawlJoinSource::read(NodeBatch& batch, std::size_t max_records) {
    BULKSCORE_RETURN_IF_ERROR(primary_->read(batch, max_records));

    texts_.clear();
    probes_.clear();
    for (std::size_t i = 0; i < batch.nodes.size(); ++i) {
        const Node& node = batch.nodes[i];
        const std::size_t offset = texts_.size();
        append_normalised_url(node.url, texts_);
        const std::string_view text(texts_.data() + offset, texts_.size() - offset);
        probes_.push_back({index_->key_of(text), static_cast<std::uint32_t>(offset),
                           static_cast<std::uint32_t>(text.size()), static_cast<std::uint32_t>(i)});
    }
    BULKSCORE_RETURN_IF_ERROR(index_->lookup(probes_, texts_, hits_));

    for (const CrawlHit& hit : hits_) {
        Node& node = batch.nodes[hit.slot];
        if (!node.word_count) {
            node.word_count = hit.values.word_count;
        }
        if (!node.inlinks) {
            node.inlinks = hit.values.inlinks;
        }
    }
    pages_read_ += batch.nodes.size();
    pages_matched_ += hits_.size();
    return Status();
}

Result<std::string> crawl_fingerprint(const std::filesystem::path& crawl) {
    Result<std::string> file = fingerprint_file(crawl);
    if (!file.ok()) {
        return file.status();
    }
    std::error_code error;
    const std::filesystem::path absolute = std::filesystem::absolute(crawl, error);
    const std::string path = error ? crawl.string() : absolute.lexically_normal().string();
    return fmt::format("{}{}{}", *file, kPathKey, path);
}

std::string with_crawl(std::string input_fingerprint, std::string_view crawl_fingerprint) {
    input_fingerprint += kCrawlSeparator;
    input_fingerprint += crawl_fingerprint;
    return input_fingerprint;
}

std::string_view crawl_part(std::string_view input_fingerprint) noexcept {
    const std::size_t at = input_fingerprint.find(kCrawlSeparator);
    return at == std::string_view::npos ? std::string_view()
                                        : input_fingerprint.substr(at + kCrawlSeparator.size());
}

std::optional<std::string> crawl_path(std::string_view input_fingerprint) {
    const std::string_view crawl = crawl_part(input_fingerprint);
    const std::size_t at = crawl.find(kPathKey);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    return std::string(crawl.substr(at + kPathKey.size()));
}

}  // namespace bulkscore::detail
