// SPDX-License-Identifier: MIT
//
// `BulkScorer`'s public surface, forwarding to `detail::Engine`, plus the option checks and
// `fingerprint_file`.

#include "bulkscore/bulk_scorer.hpp"

#include <array>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "engine/engine.hpp"

namespace bulkscore {

class BulkScorer::Impl : public detail::Engine {
public:
    using Engine::Engine;
};

Status BulkScorerOptions::validate() const {
    if (batch_size == 0) {
        return invalid_argument_error("batch size must be at least 1 (--batch-size)");
    }
    if (batches_in_flight < 2) {
        return invalid_argument_error(
            "batches in flight must be at least 2, so reading overlaps scoring (--in-flight)");
    }
    if (async_nodes_in_flight == 0) {
        return invalid_argument_error("async nodes in flight must be at least 1");
    }
    if (checkpoint_interval.count() < 0 || progress_interval.count() < 0) {
        return invalid_argument_error("checkpoint and progress intervals must not be negative");
    }
    if (retry.attempts == 0) {
        return invalid_argument_error("retry attempts must be at least 1 (the first try)");
    }
    if (!(retry.multiplier >= 1)) {
        return invalid_argument_error("the retry multiplier must be at least 1");
    }
    if (retry.initial.count() < 0 || retry.cap.count() < 0) {
        return invalid_argument_error("retry delays must not be negative");
    }
    return Status();
}

BulkScorer::BulkScorer(NodeSource& source,
                       const Scorer& scorer,
                       ResultSink& sink,
                       CheckpointStore& checkpoints,
                       BulkScorerOptions options)
    : impl_(std::make_unique<Impl>(
          source, &scorer, nullptr, sink, checkpoints, std::move(options))) {}

BulkScorer::BulkScorer(NodeSource& source,
                       AsyncScorer& scorer,
                       ResultSink& sink,
                       CheckpointStore& checkpoints,
                       BulkScorerOptions options)
    : impl_(std::make_unique<Impl>(
          source, nullptr, &scorer, sink, checkpoints, std::move(options))) {}

BulkScorer::~BulkScorer() = default;

boost::signals2::connection BulkScorer::on_progress(
    std::function<void(const ProgressEvent&)> observer) {
    return impl_->on_progress(std::move(observer));
}

Result<RunSummary> BulkScorer::run(const JobSpec& job, std::stop_token stop) {
    try {
        return impl_->run(job, std::move(stop));
    } catch (const std::exception& error) {
        return internal_error(fmt::format("the run of job '{}' threw: {}", job.job, error.what()));
    }
}

void BulkScorer::cancel() noexcept {
    impl_->cancel();
}

Result<std::string> fingerprint_file(const std::filesystem::path& path) {
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    if (error) {
        return not_found_error(fmt::format("cannot read '{}': {}", path.string(), error.message()));
    }
    const auto modified = std::filesystem::last_write_time(path, error);
    if (error) {
        return not_found_error(fmt::format("cannot read '{}': {}", path.string(), error.message()));
    }
    const auto mtime_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(modified.time_since_epoch()).count();

    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return not_found_error(fmt::format("cannot open '{}' for reading", path.string()));
    }
    // FNV-1a over the head: cheap, and any edit near the top (where exports change) shows.
    std::array<char, 64 * 1024> head;
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
        hash ^= static_cast<unsigned char>(head[static_cast<std::size_t>(i)]);
        hash *= 0x100000001b3ULL;
    }
    return fmt::format("size={} mtime_ns={} head={:016x}", size, mtime_ns, hash);
}

}  // namespace bulkscore
