#include "common/stop_signals.h"

#include <pthread.h>
#include <unistd.h>

#include <string>

#include "common/logging.h"

namespace wgtune {

StopSignals::StopSignals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

StopSignals::~StopSignals() {
  if (watcher_.joinable()) StopAndJoin();
}

void StopSignals::Watch(std::function<void()> on_stop) {
  watcher_ = std::thread([this, on_stop = std::move(on_stop)] {
    int signal = 0;
    sigwait(&signals_, &signal);
    Log(spdlog::level::info, "stopping", {{"signal", std::to_string(signal)}});
    on_stop();
  });
}

void StopSignals::StopAndJoin() {
  // A signal already taken leaves this one pending and blocked, which is harmless at exit.
  kill(getpid(), SIGTERM);
  if (watcher_.joinable()) watcher_.join();
}

}  // namespace wgtune
