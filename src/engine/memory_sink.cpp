// SPDX-License-Identifier: MIT
//
// The in-memory sink (see memory_sink.hpp).

#include "bulkscore/memory_sink.hpp"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace bulkscore {

ScoreRow ScoreRow::from(const ScoreResult& result) {
    return ScoreRow{std::string(result.id),
                    std::string(result.url),
                    result.score,
                    result.potential_clicks,
                    result.action,
                    result.components,
                    std::string(result.scorer_version),
                    result.ordinal};
}

bool operator==(const ScoreRow& a, const ScoreRow& b) noexcept {
    const Components& x = a.components;
    const Components& y = b.components;
    return a.id == b.id && a.url == b.url && a.score == b.score &&
           a.potential_clicks == b.potential_clicks && a.action == b.action &&
           x.upside == y.upside && x.striking == y.striking && x.ctr_gap == y.ctr_gap &&
           x.demand == y.demand && x.decay == y.decay && x.ease == y.ease &&
           x.staleness == y.staleness && x.thinness == y.thinness && x.link_need == y.link_need &&
           a.scorer_version == b.scorer_version && a.ordinal == b.ordinal;
}

RejectionRow RejectionRow::from(const Rejection& rejection) {
    return RejectionRow{rejection.ordinal,         rejection.line,
                        std::string(rejection.id), std::string(rejection.field),
                        rejection.reason,          std::string(rejection.value),
                        render_message(rejection)};
}

Status MemorySink::write(const ScoredBatch& batch) {
    const std::lock_guard lock(mutex_);
    for (const ScoreResult& result : batch.results) {
        results_.push_back(ScoreRow::from(result));
        latest_.insert_or_assign(results_.back().id, results_.size() - 1);
    }
    for (const Rejection& rejection : batch.rejections) {
        rejections_.push_back(RejectionRow::from(rejection));
    }
    ++writes_;
    return Status();
}

Result<std::string> MemorySink::flush() {
    const std::lock_guard lock(mutex_);
    ++flushes_;
    return fmt::format("results={} rejections={}", results_.size(), rejections_.size());
}

Status MemorySink::restore(std::string_view sink_state) {
    const std::lock_guard lock(mutex_);
    std::size_t result_count = 0;
    std::size_t rejection_count = 0;
    if (!sink_state.empty()) {
        const std::string text(sink_state);
        if (std::sscanf(text.c_str(), "results=%zu rejections=%zu", &result_count,
                        &rejection_count) != 2) {
            return invalid_argument_error(
                fmt::format("memory sink: '{}' is not a state this sink wrote", sink_state));
        }
    }
    if (result_count > results_.size() || rejection_count > rejections_.size()) {
        return data_loss_error(fmt::format(
            "memory sink: state '{}' is ahead of what it holds (results={} rejections={})",
            sink_state, results_.size(), rejections_.size()));
    }
    results_.resize(result_count);
    rejections_.resize(rejection_count);
    rebuild_index();
    return Status();
}

void MemorySink::rebuild_index() {
    latest_.clear();
    for (std::size_t i = 0; i < results_.size(); ++i) {
        latest_.insert_or_assign(results_[i].id, i);
    }
}

std::vector<ScoreRow> MemorySink::rows() const {
    const std::lock_guard lock(mutex_);
    std::vector<ScoreRow> rows;
    rows.reserve(latest_.size());
    for (const auto& [id, index] : latest_) {
        rows.push_back(results_[index]);
    }
    std::sort(rows.begin(), rows.end(),
              [](const ScoreRow& a, const ScoreRow& b) { return a.ordinal < b.ordinal; });
    return rows;
}

std::optional<ScoreRow> MemorySink::find(std::string_view id) const {
    const std::lock_guard lock(mutex_);
    if (const auto found = latest_.find(std::string(id)); found != latest_.end()) {
        return results_[found->second];
    }
    return std::nullopt;
}

std::vector<ScoreRow> MemorySink::results() const {
    const std::lock_guard lock(mutex_);
    return results_;
}

std::vector<RejectionRow> MemorySink::rejections() const {
    const std::lock_guard lock(mutex_);
    return rejections_;
}

std::size_t MemorySink::result_count() const {
    const std::lock_guard lock(mutex_);
    return results_.size();
}

std::size_t MemorySink::rejection_count() const {
    const std::lock_guard lock(mutex_);
    return rejections_.size();
}

std::size_t MemorySink::write_count() const {
    const std::lock_guard lock(mutex_);
    return writes_;
}

std::size_t MemorySink::flush_count() const {
    const std::lock_guard lock(mutex_);
    return flushes_;
}

}  // namespace bulkscore
