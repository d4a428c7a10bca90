// SPDX-License-Identifier: MIT
//
// `InterruptWatcher`: SIGINT and SIGTERM handling for a long-running command. The first signal
// asks the work to stop gracefully (the callback runs on the watcher's own thread, never in the
// signal handler); a second one ends the process at once with status 130, leaving the last
// checkpoint as it was.
//
// The signal handler does only async-signal-safe things: it bumps a lock-free atomic counter
// and writes one byte to a self-pipe, or, on the second signal, writes a short message and
// calls `_exit`.
//
// Thread safety: construct and destroy from one thread; at most one watcher may exist at a time
// in a process (it owns the process's SIGINT and SIGTERM dispositions while it lives).

#pragma once

#include <functional>
#include <memory>

#include "bulkscore/status.hpp"

namespace bulkscore::cli {

class InterruptWatcher {
public:
    /// Installs the handlers and starts the watcher thread, which calls `on_interrupt` once, on
    /// the first SIGINT or SIGTERM. `on_interrupt` must not block for long (it should only ask
    /// something to stop, like `BulkScorer::cancel`).
    ///
    /// Errors: `internal` when the pipe, the thread or the handlers cannot be set up;
    /// `failed_precondition` when another watcher is alive.
    static Result<std::unique_ptr<InterruptWatcher>> start(std::function<void()> on_interrupt);

    /// Stops the thread and restores the previous dispositions of SIGINT and SIGTERM.
    ~InterruptWatcher();

    InterruptWatcher(const InterruptWatcher&) = delete;
    InterruptWatcher& operator=(const InterruptWatcher&) = delete;

    /// Whether a signal has arrived. Thread safety: any thread.
    bool interrupted() const noexcept;

private:
    class Impl;
    explicit InterruptWatcher(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

}  // namespace bulkscore::cli
