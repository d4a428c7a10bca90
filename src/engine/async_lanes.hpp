// SPDX-License-Identifier: MIT
//
// `AsyncLanes`: the queue that feeds an asynchronous scorer's nodes to a fixed number of lanes.
// A lane is a coroutine started once per run that takes the next unstarted node, awaits the
// scorer (and its retries) and takes the next; `async_nodes_in_flight` lanes bound the calls in
// flight. Compared with a coroutine and a channel permit per node, a node costs one short lock
// here and nothing is spawned or allocated per node.
//
// Batches are queued whole, in reading order, and handed out node by node. A lane that finds
// the queue empty waits on a channel; `push` wakes as many waiting lanes as the batch has
// nodes, counting them under the same lock as the queue so that no wake-up is lost. After
// `close`, `push` refuses new batches, waiting lanes wake, and `take` still hands out what is
// queued (the engine abandons those nodes) before it says `kClosed`.
//
// Thread safety: every member may be called from any thread. Lifetime: must outlive the lanes;
// the engine joins its pool before destroying it.

#pragma once

#include <cstddef>
#include <deque>
#include <mutex>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/system/error_code.hpp>

#include "engine/batch_slot.hpp"

namespace bulkscore::detail {

class AsyncLanes {
public:
    enum class Take { kNode, kEmpty, kClosed };

    /// `lanes`: how many lanes will wait on this queue (the wake-up channel holds that many).
    AsyncLanes(boost::asio::thread_pool::executor_type executor, std::size_t lanes);
    AsyncLanes(const AsyncLanes&) = delete;
    AsyncLanes& operator=(const AsyncLanes&) = delete;

    /// Queues every node of `slot`. False, with nothing queued, once closed.
    bool push(BatchSlot& slot);

    /// The next unstarted node in `slot` and `index` (`kNode`); otherwise `kEmpty`, after
    /// which the lane must `wait`, or `kClosed` when the queue is closed and drained.
    Take take(BatchSlot*& slot, std::size_t& index);

    /// Completes when a batch was pushed after this lane's `kEmpty`, or at `close`.
    boost::asio::awaitable<void> wait();

    /// Refuses new batches and wakes every waiting lane. Idempotent.
    void close();

private:
    using WakeUps = boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>;

    struct Queued {
        BatchSlot* slot;
        std::size_t next;  // The first node not handed out yet.
    };

    std::mutex mutex_;
    std::deque<Queued> queue_;  // Guarded by `mutex_`.
    std::size_t idle_ = 0;      // Lanes told `kEmpty` and not woken since; `mutex_`.
    bool closed_ = false;       // `mutex_`.
    WakeUps wake_ups_;
};

}  // namespace bulkscore::detail
