// SPDX-License-Identifier: MIT
//
// A deterministic synthetic site for demos, tests and benchmarks: pages with URL-like ids
// (`https://www.example.com/<section>/<slug>-<n>`) and metrics distributed like a real Search
// Console export: heavy-tailed impressions, positions mostly between 1 and 100, clicks that
// follow the expected click-through rate of the position with noise, a share of pages that do
// not rank, and optional metrics missing at realistic rates.
//
// Page `i` is a pure function of `(seed, i)`: any page can be produced on its own, so seeking is
// free and the site can be generated in parallel. The same seed gives the same pages and the
// same bytes on machines that share the C library's `exp`/`log`/`cos` (glibc's are correctly
// rounded in practice).
//
// Thread safety: the free functions are safe from any thread; a generator source is used by one
// thread at a time, like every source.

#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "bulkscore/node_source.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore {

/// What site to generate.
struct SiteGeneratorOptions {
    std::uint64_t pages = 0;  ///< Number of pages.
    std::uint64_t seed = 1;   ///< Different seeds give unrelated sites.
};

/// Writes the site to `path` in the native CSV format (a header, then one row per page; empty
/// cells for unknown metrics), replacing any file there. Numbers are written in their shortest
/// form that reads back to the same value.
///
/// Errors: `invalid_argument` naming the path when the file cannot be created or written (a
/// partial file may remain).
Status write_site_csv(const std::filesystem::path& path, const SiteGeneratorOptions& options);

/// A source producing the same pages as `write_site_csv`, node for node, without any file.
/// `count_records` is `options.pages`; positions are ordinals and `seek` is constant-time.
/// `description()` is `"generator"`.
std::unique_ptr<NodeSource> make_site_generator_source(const SiteGeneratorOptions& options);

}  // namespace bulkscore
