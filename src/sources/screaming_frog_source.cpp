// SPDX-License-Identifier: MIT
//
// The Screaming Frog source (`--format sf`): an "Internal - All" crawl export with the Search
// Console columns the crawler adds when connected to it (`Clicks`, `Impressions`, `CTR`,
// `Position`). Columns are found by name, case-insensitively, so the dozens of crawl columns
// and their order across versions do not matter; an old-style title line (`"Internal - All"`)
// before the header is skipped.
//
// A crawl lists everything the crawler met: rows that are not HTML pages answering 200 are
// rejected as `not_a_page`. Empty Search Console cells mean the page had no impressions in the
// window (Search Console reports nothing for it), so they read as 0 clicks, 0 impressions and
// not ranking. CTR is a fraction here (`0.011`), checked to be a number but not used.
//
// Thread safety: none; one thread at a time, as `NodeSource` requires.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sources/crawl_columns.hpp"
#include "sources/csv_reader.hpp"
#include "sources/record_assembler.hpp"
#include "sources/source_factories.hpp"

namespace bulkscore::detail {
namespace {

class ScreamingFrogSource final : public CsvFileSource {
public:
    ScreamingFrogSource(std::unique_ptr<CsvReader> reader,
                        CsvHeader header,
                        const CrawlColumns& columns,
                        DecimalStyle style)
        : CsvFileSource(std::move(reader), std::move(header)), columns_(columns), style_(style) {
        const std::vector<std::string>& names = this->header().names;
        auto bind = [&](std::optional<std::size_t> column, Field field) {
            if (column) {
                bindings_.push_back({*column, field, names[*column]});
            }
        };
        bind(columns.address, Field::kId);
        bind(columns.position, Field::kPosition);
        bind(columns.word_count, Field::kWordCount);
        bind(columns.preferred_inlinks(), Field::kInlinks);
        clicks_name_ = names[*columns.clicks];
        impressions_name_ = names[*columns.impressions];
        if (columns.content_type) {
            content_type_name_ = names[*columns.content_type];
        }
        if (columns.status_code) {
            status_code_name_ = names[*columns.status_code];
        }
        if (columns.ctr) {
            ctr_name_ = names[*columns.ctr];
        }
    }

private:
    // Reads a Search Console count, where an empty cell means none.
    static FieldInput count_field(std::string_view text, std::string_view column) noexcept {
        if (!trim(text).empty()) {
            return FieldInput::from_text(text, column);
        }
        FieldInput zero;
        zero.kind = FieldInput::Kind::kInteger;
        zero.column = column;
        return zero;
    }

    // Rejects the record when the crawler says it is not an HTML page that answered 200.
    bool reject_if_not_a_page(std::span<const std::string_view> fields,
                              std::uint64_t ordinal,
                              std::uint64_t line,
                              NodeBatch& batch) const {
        const PageCheck check = check_crawl_page(fields, columns_);
        if (check == PageCheck::kPage) {
            return false;
        }
        const bool bad_status = check == PageCheck::kBadStatus;
        append_rejection(
            batch, ordinal, line, field_at(fields, columns_.address),
            bad_status ? status_code_name_ : content_type_name_, RejectReason::kNotAPage,
            field_at(fields, bad_status ? columns_.status_code : columns_.content_type));
        return true;
    }

    void convert_record(std::span<const std::string_view> fields,
                        std::uint64_t ordinal,
                        std::uint64_t line,
                        NodeBatch& batch) override {
        if (reject_if_not_a_page(fields, ordinal, line, batch)) {
            return;
        }
        record_.reset(ordinal, line);
        bind_columns(bindings_, fields, record_);
        record_[Field::kClicks] = count_field(field_at(fields, columns_.clicks), clicks_name_);
        record_[Field::kImpressions] =
            count_field(field_at(fields, columns_.impressions), impressions_name_);
        const std::size_t nodes_before = batch.nodes.size();
        assemble_record(record_, style_, batch);
        if (columns_.ctr) {
            reject_bad_ctr(field_at(fields, columns_.ctr), ctr_name_, record_, nodes_before, style_,
                           batch);
        }
    }

    CrawlColumns columns_;
    DecimalStyle style_;
    std::vector<ColumnBinding> bindings_;
    std::string_view clicks_name_;
    std::string_view impressions_name_;
    std::string_view content_type_name_;
    std::string_view status_code_name_;
    std::string_view ctr_name_;
    RecordInput record_;
};

}  // namespace

Result<std::unique_ptr<NodeSource>> open_screaming_frog_source(const SourceOptions& options) {
    Result<std::unique_ptr<CsvReader>> reader = open_guessing_separator(options);
    if (!reader.ok()) {
        return reader.status();
    }
    Result<CsvHeader> header = read_header(**reader, /*allow_title_line=*/true);
    if (!header.ok()) {
        return header.status();
    }

    const CrawlColumns columns = find_crawl_columns(header->names);
    std::vector<std::string_view> missing;
    const std::pair<std::string_view, std::optional<std::size_t>> required[] = {
        {"Address", columns.address},
        {"Clicks", columns.clicks},
        {"Impressions", columns.impressions},
        {"Position", columns.position}};
    for (const auto& [name, column] : required) {
        if (!column) {
            missing.push_back(name);
        }
    }
    if (!missing.empty()) {
        const bool no_search_console = !columns.clicks && !columns.impressions;
        return invalid_argument_error(fmt::format(
            "{}: line {}: the header lacks the column{} {}; {}", (*reader)->path_text(),
            header->line, missing.size() > 1 ? "s" : "", fmt::join(missing, ", "),
            no_search_console && columns.address
                ? "the crawl has no Search Console data: connect Search Console in Screaming "
                  "Frog (Configuration > API Access), crawl again and export Internal > All"
                : "export Screaming Frog's Internal > All table with its Search Console "
                  "columns, or pick the right --format (csv for native columns, gsc for a "
                  "Search Console export)"));
    }

    const DecimalStyle style =
        (*reader)->separator() == ';' ? DecimalStyle::kComma : DecimalStyle::kPoint;
    return std::unique_ptr<NodeSource>(
        new ScreamingFrogSource(std::move(*reader), std::move(*header), columns, style));
}

}  // namespace bulkscore::detail
