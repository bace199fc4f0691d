#include "advisor/workflow/child_process.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace wgtune {
namespace {

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::runtime_error SystemError(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

std::optional<std::string> FindExecutable(const std::string& program) {
  if (program.empty()) return std::nullopt;
  if (program.find('/') != std::string::npos) {
    if (::access(program.c_str(), X_OK) == 0) return program;
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const size_t colon = dirs.find(':');
    // An empty PATH entry is the current directory.
    std::string candidate = colon == 0 || dirs.empty() ? std::string(".") : std::string(dirs.substr(0, colon));
    candidate += '/';
    candidate += program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  const std::optional<std::string> program = FindExecutable(argv[0]);
  if (!program) {
    throw std::runtime_error(argv[0] + (argv[0].find('/') == std::string::npos ? ": not found in PATH"
                                                                                : ": not found or not executable"));
  }
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  int out[2] = {-1, -1}, err[2] = {-1, -1}, exec_error[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 || ::pipe2(exec_error, O_CLOEXEC) != 0) {
    const auto error = SystemError("pipe");
    for (int* fds : {out, err, exec_error}) CloseFd(fds[0]), CloseFd(fds[1]);
    throw error;
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_ = ::fork();
  if (pid_ == 0) {
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execv(program->c_str(), args.data());
    const int code = errno;
    [[maybe_unused]] ssize_t written = ::write(exec_error[1], &code, sizeof code);
    ::_exit(127);
  }
  const int fork_errno = errno;
  if (null_fd >= 0) ::close(null_fd);
  CloseFd(out[1]);
  CloseFd(err[1]);
  CloseFd(exec_error[1]);
  if (pid_ < 0) {
    CloseFd(out[0]);
    CloseFd(err[0]);
    CloseFd(exec_error[0]);
    errno = fork_errno;
    throw SystemError("fork " + argv[0]);
  }
  // EOF here means exec succeeded (the pipe closed on exec); an int is exec's errno.
  int code = 0;
  ssize_t got;
  do {
    got = ::read(exec_error[0], &code, sizeof code);
  } while (got < 0 && errno == EINTR);
  CloseFd(exec_error[0]);
  if (got == static_cast<ssize_t>(sizeof code)) {
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    CloseFd(out[0]);
    CloseFd(err[0]);
    throw std::runtime_error(*program + ": " + std::strerror(code));
  }
  reader_ = std::thread([this, out_fd = out[0], err_fd = err[0]] { Collect(out_fd, err_fd); });
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    bool done;
    {
      std::lock_guard lock(mutex_);
      done = done_;
    }
    if (!done) Terminate();
    Wait();
  }
  if (reader_.joinable()) reader_.join();
}

void ChildProcess::Collect(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&result_.out, &result_.err};
  int open = 2;
  char buffer[65536];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open;
      }
    }
  }
  for (pollfd& fd : fds) {
    if (fd.fd >= 0) ::close(fd.fd);
  }
  // Waits for the exit without reaping (WNOWAIT): the pid stays the child's until Wait()
  // reaps it, so that Terminate() can never signal a reused pid.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  done_changed_.notify_all();
}

bool ChildProcess::WaitUntil(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return done_changed_.wait_until(lock, deadline, [this] { return done_; });
}

void ChildProcess::Terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!WaitUntil(std::chrono::steady_clock::now() + grace)) ::kill(pid_, SIGKILL);
  std::unique_lock lock(mutex_);
  done_changed_.wait(lock, [this] { return done_; });
}

ChildResult ChildProcess::Wait() {
  {
    std::unique_lock lock(mutex_);
    done_changed_.wait(lock, [this] { return done_; });
  }
  if (reader_.joinable()) reader_.join();
  if (pid_ > 0) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (WIFEXITED(status)) result_.exit_status = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result_.exit_status = 128 + WTERMSIG(status);
  }
  return result_;
}

}  // namespace wgtune
