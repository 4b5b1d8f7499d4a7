#include "core/log/logger.hpp"

#include <chrono>
#include <ctime>

namespace pkictl::log {
namespace {
const char* name(Level l) {
  switch (l) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "info";
}
}  // namespace

void Logger::write(Level level, std::string_view msg, nlohmann::json fields) {
  if (level < m_min) return;
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[80];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  // The fields object is ours: add time, level and msg to it (a field of the same name wins, as
  // it always did) instead of copying every field into a new object.
  if (!fields.is_object()) fields = nlohmann::json::object();
  fields.emplace("time", ts);
  fields.emplace("level", name(level));
  fields.emplace("msg", msg);
  const std::string text = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(m_mutex);
  m_out << text << std::flush;
}

}  // namespace pkictl::log
