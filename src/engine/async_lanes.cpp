// SPDX-License-Identifier: MIT

#include "engine/async_lanes.hpp"

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bulkscore::detail {

AsyncLanes::AsyncLanes(boost::asio::thread_pool::executor_type executor, std::size_t lanes)
    : wake_ups_(executor, lanes) {}

bool AsyncLanes::push(BatchSlot& slot) {
    const std::size_t nodes = slot.batch.nodes.size();
    std::size_t wake = 0;
    {
        const std::lock_guard lock(mutex_);
        if (closed_) {
            return false;
        }
        if (nodes == 0) {
            return true;
        }
        queue_.push_back({&slot, 0});
        wake = std::min(idle_, nodes);
        idle_ -= wake;
    }
    // Each token matches a lane counted idle, so the channel (one place per lane) has room even
    // when that lane has not started waiting yet.
    for (std::size_t i = 0; i < wake; ++i) {
        wake_ups_.try_send(boost::system::error_code());
    }
    return true;
}

AsyncLanes::Take AsyncLanes::take(BatchSlot*& slot, std::size_t& index) {
    const std::lock_guard lock(mutex_);
    if (queue_.empty()) {
        if (closed_) {
            return Take::kClosed;
        }
        ++idle_;
        return Take::kEmpty;
    }
    Queued& front = queue_.front();
    slot = front.slot;
    index = front.next++;
    if (front.next == front.slot->batch.nodes.size()) {
        queue_.pop_front();
    }
    return Take::kNode;
}

boost::asio::awaitable<void> AsyncLanes::wait() {
    boost::system::error_code error;  // Closed: the lane looks at the queue once more.
    co_await wake_ups_.async_receive(
        boost::asio::redirect_error(boost::asio::use_awaitable, error));
}

void AsyncLanes::close() {
    {
        const std::lock_guard lock(mutex_);
        if (closed_) {
            return;
        }
        closed_ = true;
    }
    wake_ups_.close();
}

}  // namespace bulkscore::detail
