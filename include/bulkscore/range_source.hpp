// SPDX-License-Identifier: MIT
//
// `RangeSource`: a `NodeSource` over nodes a host already holds in memory: any forward range of
// `Node`, or of anything a projection turns into a `Node`. Each read copies the nodes' text into
// the batch's arena and applies the same input rules as the file sources (same reasons, same
// field names), so a host can score its own data without writing a file.
//
// Lifetime: the source keeps a view of the range, not a copy (unless it was handed a container
// by value, which it then owns). The range, and every byte the nodes' `id` and `url` refer to,
// must outlive the source and must not change while it is used.
//
// Thread safety: like every source, used by one thread at a time.

#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <ranges>
#include <string_view>
#include <type_traits>
#include <utility>

#include "bulkscore/node.hpp"
#include "bulkscore/node_batch.hpp"
#include "bulkscore/node_source.hpp"

namespace bulkscore {
namespace detail {

/// Copies `node` into `batch` as record `ordinal`: a `Node` whose text lives in the batch's
/// arena, or a `Rejection` for the first input rule it breaks. A NaN position or difficulty (or
/// a position of -infinity) is `bad_number`, as the text `nan` would be in a file; a position of
/// `kNotRanking` is "not ranking". Increments `batch.record_count`.
void append_memory_node(const Node& node, std::uint64_t ordinal, NodeBatch& batch);

/// The non-template part of `RangeSource`: batching, positions and error handling. A subclass
/// supplies the nodes.
class RangeSourceCore : public NodeSource {
public:
    Status read(NodeBatch& batch, std::size_t max_records) final;
    Result<std::uint64_t> count_records() final { return size_; }
    SourcePosition position() const noexcept final { return {next_, 0, 0}; }
    Status seek(const SourcePosition& position) final;
    std::string_view description() const noexcept final { return "memory"; }

protected:
    explicit RangeSourceCore(std::uint64_t size) noexcept : size_(size) {}

    /// Makes the next `append_next` start at element `ordinal` (<= the range's size).
    virtual void restart_at(std::uint64_t ordinal) = 0;

    /// Appends the next `count` elements (all exist) to `batch` with `append_memory_node`,
    /// numbering them from `first_ordinal`.
    virtual void append_next(NodeBatch& batch,
                             std::uint64_t first_ordinal,
                             std::uint64_t count) = 0;

private:
    std::uint64_t size_ = 0;
    std::uint64_t next_ = 0;
};

}  // namespace detail

/// A source over the forward range `View` (a view; see `make_range_source`), whose elements
/// `Projection` turns into a `Node` (or a reference to one).
///
/// Positions are ordinals; `seek` is constant-time on random-access ranges and walks from the
/// start on other forward ranges. `count_records` is the range's size, measured once at
/// construction.
template <std::ranges::view View, class Projection = std::identity>
requires std::ranges::forward_range<View> && std::convertible_to <
    std::invoke_result_t<const Projection&, std::ranges::range_reference_t<View>>,
const Node& > class RangeSource final : public detail::RangeSourceCore {
public:
    RangeSource(View view, Projection projection)
        : RangeSourceCore(static_cast<std::uint64_t>(std::ranges::distance(view))),
          view_(std::move(view)),
          projection_(std::move(projection)),
          cursor_(std::ranges::begin(view_)) {}

private:
    void restart_at(std::uint64_t ordinal) override {
        cursor_ = std::ranges::next(std::ranges::begin(view_),
                                    static_cast<std::ranges::range_difference_t<View>>(ordinal));
    }

    void append_next(NodeBatch& batch, std::uint64_t first_ordinal, std::uint64_t count) override {
        for (std::uint64_t i = 0; i < count; ++i, ++cursor_) {
            const Node& node = std::invoke(projection_, *cursor_);
            detail::append_memory_node(node, first_ordinal + i, batch);
        }
    }

    View view_;
    Projection projection_;
    std::ranges::iterator_t<View> cursor_;
};

/// A source over `range`: a container or view of `Node`, or of anything `projection` maps to a
/// `Node`, e.g. `make_range_source(pages, [](const Page& p) { return Node{...}; })`.
///
/// Lifetime: an lvalue range is referred to, not copied, and must outlive the source; so must
/// the text the nodes' `id` and `url` point to. An rvalue container is moved into the source.
///
/// Errors: none at construction; a projection that throws makes `read` fail with `internal`.
template <std::ranges::viewable_range Range, class Projection = std::identity>
requires std::ranges::forward_range<Range> std::unique_ptr<NodeSource> make_range_source(
    Range&& range, Projection projection = {}) {
    using View = std::views::all_t<Range>;
    return std::make_unique<RangeSource<View, Projection>>(
        std::views::all(std::forward<Range>(range)), std::move(projection));
}

}  // namespace bulkscore
