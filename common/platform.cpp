// common/platform.cpp -- see platform.h.
#include "platform.h"

#include <cerrno>

#ifdef _WIN32
#include <io.h>
#include <process.h>
#else
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace common::platform {

#ifdef _WIN32

bool stderr_is_terminal() {
  return _isatty(_fileno(stderr)) != 0;
}
long process_id() {
  return static_cast<long>(_getpid());
}
bool sync_file(std::FILE* f) {
  return std::fflush(f) == 0 && _commit(_fileno(f)) == 0;
}
bool sync_directory(const std::string&) {
  return true;
}
static std::FILE* open_pipe(const std::string& command) {
  return _popen(command.c_str(), "r");
}
static int close_pipe(std::FILE* pipe) {
  return _pclose(pipe);  // the command's exit code
}

#else

bool stderr_is_terminal() {
  return isatty(fileno(stderr)) != 0;
}
long process_id() {
  return static_cast<long>(getpid());
}
bool sync_file(std::FILE* f) {
  return std::fflush(f) == 0 && fsync(fileno(f)) == 0;
}
bool sync_directory(const std::string& dir) {
  const int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY);
  if (fd < 0) return false;
  const bool ok = fsync(fd) == 0;
  const int saved = errno;
  close(fd);
  errno = saved;
  return ok;
}
static std::FILE* open_pipe(const std::string& command) {
  return popen(command.c_str(), "r");
}
static int close_pipe(std::FILE* pipe) {
  const int status = pclose(pipe);
  return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif

ShellResult run_shell(const std::string& command) {
  ShellResult result;
  std::FILE* pipe = open_pipe(command + " 2>&1");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  result.exit_code = close_pipe(pipe);
  return result;
}

}  // namespace common::platform
