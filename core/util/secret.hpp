#pragma once
// Secret bytes (passphrases, HMAC keys): cleansed on destruction, never printable.
#include <string>
#include <string_view>

namespace pkictl {

class Secret final {
 public:
  Secret() = default;
  explicit Secret(std::string value) : m_value(std::move(value)) {}
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& other) noexcept : m_value(std::move(other.m_value)) { other.wipe(); }
  Secret& operator=(Secret&& other) noexcept {
    wipe();
    m_value = std::move(other.m_value);
    other.wipe();
    return *this;
  }
  ~Secret() { wipe(); }

  std::string_view view() const { return m_value; }
  bool empty() const { return m_value.empty(); }
  std::size_t size() const { return m_value.size(); }

 private:
  void wipe() noexcept;
  std::string m_value;
};

}  // namespace pkictl
