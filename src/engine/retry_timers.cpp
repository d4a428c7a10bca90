// SPDX-License-Identifier: MIT
//
// Cancellation of the retry timers (see retry_timers.hpp).

#include "engine/retry_timers.hpp"

namespace bulkscore::detail {

void RetryTimers::cancel_all() {
    boost::asio::post(strand_, [this] {
        cancelled_ = true;
        for (boost::asio::steady_timer* timer : timers_) {
            timer->cancel();
        }
    });
}

}  // namespace bulkscore::detail
