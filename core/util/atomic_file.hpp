#pragma once
// Publishing files so that a crash, a kill or a failed write never leaves a partial file.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace pkictl::util {

struct WriteOptions {
  unsigned mode = 0644;          // 0600 for private keys
  bool replace = false;          // replace an existing file (--force); otherwise refuse
  /** Test hook: called before each chunk is written; returning false fails the write. */
  std::function<bool(std::size_t offset)> fault_injection;
};

/**
 * Writes `data` to `path` atomically: the bytes go to an unnamed file (O_TMPFILE; a hidden
 * temporary name where the file system lacks it) in the same directory, are fsynced, and only
 * then get their name — with link(2), which refuses an existing name, unless `replace` is set
 * (then rename(2)). The directory is fsynced afterwards. On any failure nothing is left behind.
 * Errors: Conflict (exists and !replace), Io.
 */
[[nodiscard]] Result<void> write_file_atomic(const std::filesystem::path& path,
                                             std::string_view data, const WriteOptions& opts = {});

/** Reads a whole file. Errors: NotFound, Io (with the path in the detail). */
[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path,
                                            std::size_t max_bytes = 64u << 20);

/** Removes a file and fsyncs its directory, so the removal survives a crash. A missing file is
 * not an error. Errors: Io. */
[[nodiscard]] Result<void> remove_file_durable(const std::filesystem::path& path);

/** An exclusive advisory lock (flock) on a file, held until destroyed; the file holds the holder's
 * pid, for the message a second taker gets. */
class ExclusiveLock final {
 public:
  explicit ExclusiveLock(int fd) : m_fd(fd) {}
  ExclusiveLock(ExclusiveLock&& o) noexcept : m_fd(o.m_fd) { o.m_fd = -1; }
  ExclusiveLock& operator=(ExclusiveLock&&) = delete;
  ExclusiveLock(const ExclusiveLock&) = delete;
  ~ExclusiveLock();

 private:
  int m_fd;
};

/** Takes the lock on `path` (created 0600) without waiting. Errors: Conflict when another process
 * holds it (the detail names its pid), Io. */
[[nodiscard]] Result<ExclusiveLock> lock_exclusive(const std::filesystem::path& path);

/** Creates a directory (and parents) with the given mode if it does not exist. Errors: Io. */
[[nodiscard]] Result<void> ensure_directory(const std::filesystem::path& dir, unsigned mode = 0755);

}  // namespace pkictl::util
