#include "core/util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

namespace pkictl::util {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

class Fd final {
 public:
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (m_fd >= 0) ::close(m_fd);
  }
  int get() const { return m_fd; }

 private:
  int m_fd;
};

Result<void> write_all(int fd, std::string_view data, const WriteOptions& opts,
                       const std::filesystem::path& path) {
  constexpr std::size_t chunk_bytes = 64 * 1024;
  std::size_t off = 0;
  while (off < data.size()) {
    if (opts.fault_injection && !opts.fault_injection(off))
      return fail(ErrorKind::Io, "writing " + path.string() + ": injected write failure");
    const std::size_t n = std::min(chunk_bytes, data.size() - off);
    const ssize_t w = ::write(fd, data.data() + off, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorKind::Io, "writing " + path.string() + ": " + errno_text(errno));
    }
    off += static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0)
    return fail(ErrorKind::Io, "syncing " + path.string() + ": " + errno_text(errno));
  return {};
}

Result<void> sync_directory(const std::filesystem::path& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() < 0 || ::fsync(d.get()) != 0)
    return fail(ErrorKind::Io, "syncing directory " + dir.string() + ": " + errno_text(errno));
  return {};
}

std::string random_suffix() {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 12; ++i) s.push_back(hex[rd() % 16]);
  return s;
}

Result<void> publish_named_temp(const std::filesystem::path& path, std::string_view data,
                                const WriteOptions& opts) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const auto tmp = dir / ("." + path.filename().string() + ".tmp-" + random_suffix());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, opts.mode));
  if (fd.get() < 0)
    return fail(ErrorKind::Io, "creating " + tmp.string() + ": " + errno_text(errno));
  auto cleanup = [&] { ::unlink(tmp.c_str()); };
  if (::fchmod(fd.get(), opts.mode) != 0) { cleanup(); return fail(ErrorKind::Io, "chmod " + tmp.string()); }
  if (auto r = write_all(fd.get(), data, opts, path); !r) { cleanup(); return r; }
  const int rc = opts.replace ? ::rename(tmp.c_str(), path.c_str()) : ::link(tmp.c_str(), path.c_str());
  const int err = errno;
  if (!opts.replace || rc != 0) cleanup();
  if (rc != 0) {
    if (err == EEXIST)
      return fail(ErrorKind::Conflict, path.string() + " already exists (use --force to replace it)");
    return fail(ErrorKind::Io, "publishing " + path.string() + ": " + errno_text(err));
  }
  return sync_directory(dir);
}

}  // namespace

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view data,
                               const WriteOptions& opts) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (!opts.replace && ::access(path.c_str(), F_OK) == 0)
    return fail(ErrorKind::Conflict, path.string() + " already exists (use --force to replace it)");
  // An unnamed file vanishes by itself if we are killed before it gets its name.
  Fd fd(::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, opts.mode));
  if (fd.get() < 0) {
    if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
      return publish_named_temp(path, data, opts);
    return fail(ErrorKind::Io, "creating a file in " + dir.string() + ": " + errno_text(errno));
  }
  // The umask applies at creation; set the exact mode asked for.
  if (::fchmod(fd.get(), opts.mode) != 0)
    return fail(ErrorKind::Io, "setting the mode of " + path.string() + ": " + errno_text(errno));
  PKI_TRY(write_all(fd.get(), data, opts, path));
  const std::string proc = "/proc/self/fd/" + std::to_string(fd.get());
  if (opts.replace) {
    // linkat cannot replace: give it a hidden name first, then rename over the target.
    const auto tmp = dir / ("." + path.filename().string() + ".tmp-" + random_suffix());
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, tmp.c_str(), AT_SYMLINK_FOLLOW) != 0)
      return publish_named_temp(path, data, opts);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return fail(ErrorKind::Io, "publishing " + path.string() + ": " + errno_text(err));
    }
  } else if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    const int err = errno;
    if (err == EEXIST)
      return fail(ErrorKind::Conflict, path.string() + " already exists (use --force to replace it)");
    if (err == ENOENT || err == EPERM) return publish_named_temp(path, data, opts);  // no /proc
    return fail(ErrorKind::Io, "publishing " + path.string() + ": " + errno_text(err));
  }
  return sync_directory(dir);
}

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT) return fail(ErrorKind::NotFound, path.string() + ": no such file");
    return fail(ErrorKind::Io, "reading " + path.string() + ": " + errno_text(err));
  }
  std::string data;
  char buf[16384];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
    if (data.size() > max_bytes)
      return fail(ErrorKind::Io, path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  if (in.bad()) return fail(ErrorKind::Io, "reading " + path.string());
  return data;
}

Result<void> remove_file_durable(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return {};
    return fail(ErrorKind::Io, "removing " + path.string() + ": " + errno_text(errno));
  }
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  return sync_directory(dir);
}

ExclusiveLock::~ExclusiveLock() {
  if (m_fd >= 0) ::close(m_fd);  // closing the descriptor releases the flock
}

Result<ExclusiveLock> lock_exclusive(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorKind::Io, "opening " + path.string() + ": " + errno_text(errno));
  ExclusiveLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK) return fail(ErrorKind::Io, "locking " + path.string() + ": " + errno_text(err));
    char pid[32] = {};
    const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : std::string();
    holder.erase(holder.find_last_not_of(" \n") + 1);
    return fail(ErrorKind::Conflict, path.string() + " is held by " + (holder.empty() ? "another process" : "pid " + holder));
  }
  const std::string mine = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, mine.data(), mine.size(), 0) != static_cast<ssize_t>(mine.size()))
    return fail(ErrorKind::Io, "writing " + path.string() + ": " + errno_text(errno));
  return lock;
}

Result<void> ensure_directory(const std::filesystem::path& dir, unsigned mode) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return {};
  if (dir.has_parent_path() && dir.parent_path() != dir) PKI_TRY(ensure_directory(dir.parent_path(), 0755));
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST)
    return fail(ErrorKind::Io, "creating directory " + dir.string() + ": " + errno_text(errno));
  return {};
}

}  // namespace pkictl::util
