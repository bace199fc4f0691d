// SIGINT and SIGTERM for a program with worker threads (both daemons): blocked in every
// thread, taken by one watcher thread with sigwait, which runs the program's stop action.
#pragma once

#include <signal.h>

#include <functional>
#include <thread>

namespace wgtune {

class StopSignals {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread. Construct it before starting any thread,
  // so that every thread inherits the mask and only the watcher receives them.
  StopSignals();
  ~StopSignals();

  // Starts the watcher: on the first SIGINT or SIGTERM it logs the signal and calls on_stop.
  void Watch(std::function<void()> on_stop);

  // For when the program ends without a signal (its server failed): wakes the watcher as a
  // SIGTERM would, so that on_stop runs once either way, and joins it.
  void StopAndJoin();

 private:
  sigset_t signals_;
  std::thread watcher_;
};

}  // namespace wgtune
