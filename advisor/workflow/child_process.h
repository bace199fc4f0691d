// A program run as a child process with its output captured, for workflows that drive a
// measuring tool (iperf3) and sample the exporter while it runs.
//
// Contracts:
// - The constructor starts the child or throws std::runtime_error saying why ("iperf3: not
//   found in PATH"); a program that is found but cannot be executed is reported the same way
//   (the exec error travels back over a close-on-exec pipe), never as an exit status 127.
// - stdout and stderr are read by a thread of the object's own while the child runs, so a
//   chatty child never blocks on a full pipe. stdin is /dev/null.
// - The destructor of an object whose child still runs sends it SIGTERM, then SIGKILL after a
//   second, and reaps it: no child outlives its object, also when an exception unwinds.
// - Not thread-safe: one thread uses the object.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace wgtune {

// `program` itself when it contains a '/', else the first executable `program` in $PATH;
// nullopt when there is none.
std::optional<std::string> FindExecutable(const std::string& program);

struct ChildResult {
  int exit_status = 0;  // the exit code, or 128 + the signal that ended the child
  std::string out;
  std::string err;
};

class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits until the child has exited and its output is read, or until `deadline`; true when
  // it has.
  bool WaitUntil(std::chrono::steady_clock::time_point deadline);

  // SIGTERM, then SIGKILL if it is still there after `grace`; waits for it.
  void Terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(1000));

  // Waits for the child to end; its status and output.
  ChildResult Wait();

 private:
  void Collect(int out_fd, int err_fd);

  pid_t pid_ = -1;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable done_changed_;
  bool done_ = false;
  ChildResult result_;
};

}  // namespace wgtune
