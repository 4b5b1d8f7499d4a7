#pragma once
// Operational log: one JSON object per line with level, time, message and typed fields.
// Never pass keys, passphrases or HMAC keys here.
#include <nlohmann/json.hpp>
#include <mutex>
#include <ostream>
#include <string_view>

namespace pkictl::log {

enum class Level { Debug, Info, Warn, Error };

class Logger final {
 public:
  explicit Logger(std::ostream& out, Level min = Level::Info) : m_out(out), m_min(min) {}
  void write(Level level, std::string_view msg, nlohmann::json fields = nlohmann::json::object());
  void info(std::string_view msg, nlohmann::json fields = nlohmann::json::object()) { write(Level::Info, msg, std::move(fields)); }
  void warn(std::string_view msg, nlohmann::json fields = nlohmann::json::object()) { write(Level::Warn, msg, std::move(fields)); }
  void error(std::string_view msg, nlohmann::json fields = nlohmann::json::object()) { write(Level::Error, msg, std::move(fields)); }
  void debug(std::string_view msg, nlohmann::json fields = nlohmann::json::object()) { write(Level::Debug, msg, std::move(fields)); }

 private:
  std::ostream& m_out;
  Level m_min;
  std::mutex m_mutex;
};

}  // namespace pkictl::log
