// SPDX-License-Identifier: MIT
//
// The sort buffer of the SQLite store; see sorted_results.hpp.

#include "sinks/sorted_results.hpp"

#include <algorithm>

namespace bulkscore::detail {

SortedResults::SortedResults(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {
    results_.reserve(capacity_);
    order_.reserve(capacity_);
}

void SortedResults::append(const ScoreResult& result) {
    ScoreResult& copy = results_.emplace_back(result);
    copy.id = text_.store(result.id);
    // Most pages have no url of their own (the id is the url): one copy serves both.
    copy.url = result.url == result.id ? copy.id : text_.store(result.url);
    // One scorer writes a whole run: its version is stored once, not per result.
    if (result.scorer_version != last_version_) {
        last_version_ = text_.store(result.scorer_version);
    }
    copy.scorer_version = last_version_;
    end_ordinal_ = result.ordinal + 1;
}

const std::vector<const ScoreResult*>& SortedResults::sorted() {
    order_.clear();
    for (const ScoreResult& result : results_) {
        order_.push_back(&result);
    }
    // Stable by construction: the pointers rise in append order, so a repeated id keeps its
    // input order and its later record is written last. (`std::stable_sort` would allocate.)
    std::sort(order_.begin(), order_.end(), [](const ScoreResult* left, const ScoreResult* right) {
        const int order = left->id.compare(right->id);
        return order < 0 || (order == 0 && left < right);
    });
    return order_;
}

void SortedResults::clear() noexcept {
    results_.clear();
    order_.clear();
    text_.clear();
    last_version_ = {};
    end_ordinal_ = 0;
}

}  // namespace bulkscore::detail
