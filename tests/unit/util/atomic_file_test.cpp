#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/util/atomic_file.hpp"
#include "tests/unit/util/temp_dir.hpp"

using namespace pkictl;
namespace fs = std::filesystem;

namespace {
struct TempDir : test::TempDir {
  std::size_t entries() const { return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), fs::directory_iterator())); }
};
}  // namespace

TEST(AtomicFile, WritesWithTheExactModeAskedFor) {
  TempDir dir;
  const auto old = umask(0);
  umask(0022);
  util::WriteOptions opts;
  opts.mode = 0600;
  ASSERT_TRUE(util::write_file_atomic(dir.path / "k.key", "secret", opts));
  umask(old);
  struct stat st{};
  ASSERT_EQ(stat((dir.path / "k.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*util::read_file(dir.path / "k.key"), "secret");
}

TEST(AtomicFile, RefusesToReplaceWithoutForce) {
  TempDir dir;
  ASSERT_TRUE(util::write_file_atomic(dir.path / "f", "one"));
  auto r = util::write_file_atomic(dir.path / "f", "two");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Conflict);
  EXPECT_EQ(*util::read_file(dir.path / "f"), "one");
  util::WriteOptions force;
  force.replace = true;
  ASSERT_TRUE(util::write_file_atomic(dir.path / "f", "two", force));
  EXPECT_EQ(*util::read_file(dir.path / "f"), "two");
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(AtomicFile, AFailedWriteLeavesNothingBehind) {
  TempDir dir;
  const std::string big(300 * 1024, 'x');
  for (bool replace : {false, true}) {
    SCOPED_TRACE(replace ? "replace" : "create");
    util::WriteOptions opts;
    opts.replace = replace;
    opts.fault_injection = [](std::size_t offset) { return offset < 128 * 1024; };  // fail mid-file
    auto r = util::write_file_atomic(dir.path / "big", big, opts);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::Io);
    EXPECT_FALSE(fs::exists(dir.path / "big"));
    EXPECT_EQ(dir.entries(), 0u) << "no temporary file may remain";
  }
}

TEST(AtomicFile, AFailedReplaceKeepsTheOldFile) {
  TempDir dir;
  ASSERT_TRUE(util::write_file_atomic(dir.path / "f", "old"));
  util::WriteOptions opts;
  opts.replace = true;
  opts.fault_injection = [](std::size_t) { return false; };
  ASSERT_FALSE(util::write_file_atomic(dir.path / "f", "new", opts));
  EXPECT_EQ(*util::read_file(dir.path / "f"), "old");
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(AtomicFile, ReadingAMissingFileIsNotFound) {
  auto r = util::read_file("/nonexistent/pkictl/file");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::NotFound);
}

TEST(AtomicFile, RemoveFileDurableRemovesAndToleratesAMissingFile) {
  TempDir dir;
  ASSERT_TRUE(util::write_file_atomic(dir.path / "state", "x"));
  ASSERT_TRUE(util::remove_file_durable(dir.path / "state"));
  EXPECT_FALSE(fs::exists(dir.path / "state"));
  EXPECT_TRUE(util::remove_file_durable(dir.path / "state"));  // already gone: nothing to do
  const auto r = util::remove_file_durable(dir.path / "no-such-dir" / "state");
  EXPECT_TRUE(r);  // ENOENT too
  fs::create_directory(dir.path / "sub");
  ASSERT_TRUE(util::write_file_atomic(dir.path / "sub" / "f", "x"));
  EXPECT_FALSE(util::remove_file_durable(dir.path / "sub"));  // a directory is not a file: an Io error
}

TEST(AtomicFile, AnExclusiveLockIsRefusedToASecondTakerUntilReleased) {
  TempDir dir;
  const auto path = dir.path / "serve.lock";
  {
    auto first = util::lock_exclusive(path);
    ASSERT_TRUE(first) << first.error().detail;
    struct stat st{};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    // flock locks belong to the open file description: a second open, even in this process, is refused.
    auto second = util::lock_exclusive(path);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().kind, ErrorKind::Conflict);
    EXPECT_NE(second.error().detail.find("is held by pid " + std::to_string(::getpid())), std::string::npos) << second.error().detail;
  }
  EXPECT_TRUE(util::lock_exclusive(path));  // released with the first
}
