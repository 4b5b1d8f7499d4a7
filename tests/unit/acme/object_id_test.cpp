// Object ids: 96 random bits after a time prefix that sorts in creation order (store locality),
// URL-safe, never read as a command-line option.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "core/acme/objects.hpp"

using namespace pkictl;

TEST(ObjectId, SortsInCreationOrderIsUrlSafeAndUnique) {
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 50; ++i) {
    const std::string id = acme::new_object_id();
    ASSERT_EQ(id.size(), 23u) << id;  // 7 time characters + 16 for 12 random bytes
    ASSERT_NE(id.front(), '-') << id;
    ASSERT_EQ(id.find_first_not_of("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"), std::string::npos) << id;
    ASSERT_TRUE(seen.insert(id).second) << id;
    if (i % 10 == 0) {
      // Ids of a later millisecond sort after the earlier ones (within one they share the prefix).
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      const std::string later = acme::new_object_id();
      ASSERT_LT(id, later);
      ASSERT_LT(id.substr(0, 7), later.substr(0, 7));
      if (!previous.empty()) {
        ASSERT_LE(previous.substr(0, 7), id.substr(0, 7));
      }
      previous = later;
    }
  }
}
