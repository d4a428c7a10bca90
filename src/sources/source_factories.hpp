// SPDX-License-Identifier: MIT
//
// The constructors of the concrete file sources, for `open_source` (sources/open_source.cpp).
// Each opens the file, reads what it needs to know its columns, and fails with a message naming
// the file when it cannot.

#pragma once

#include <memory>

#include "bulkscore/node_source.hpp"

namespace bulkscore::detail {

Result<std::unique_ptr<NodeSource>> open_csv_source(const SourceOptions& options);
Result<std::unique_ptr<NodeSource>> open_gsc_source(const SourceOptions& options);
Result<std::unique_ptr<NodeSource>> open_screaming_frog_source(const SourceOptions& options);
Result<std::unique_ptr<NodeSource>> open_gsc_api_source(const SourceOptions& options);
Result<std::unique_ptr<NodeSource>> open_json_lines_source(const SourceOptions& options);

}  // namespace bulkscore::detail
