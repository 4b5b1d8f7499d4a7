#pragma once
// Strict TOML reading shared by pkictl.toml and the policy file: typed getters that fail with
// "FILE:LINE: key: reason", unknown-key detection, paths relative to the file. Include only from
// .cpp files (toml++ is heavy).
#include <toml++/toml.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/util/clock.hpp"
#include "core/util/result.hpp"
#include "core/util/text.hpp"

namespace pkictl::config {

namespace fs = std::filesystem;

/** Reads and parses a TOML file: NotFound names it as `what` ("configuration file", "plan"),
 * a syntax error is Config with FILE:LINE. */
inline Result<toml::table> parse_toml_file(const fs::path& file, const std::string& what) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return fail(ErrorKind::NotFound, file.string() + ": no such " + what);
  try {
    return toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return fail(ErrorKind::Config, file.string() + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
}

class Loader {
 public:
  explicit Loader(fs::path file) : m_file(std::move(file)), m_dir(m_file.parent_path()) {}

  Error error(const toml::node* node, const std::string& key, const std::string& reason) const {
    std::string where = m_file.string();
    if (node) where += ":" + std::to_string(node->source().begin.line);
    return Error{ErrorKind::Config, where + ": " + key + ": " + reason, {}, {}, {}};
  }

  Result<void> known_keys(const toml::table& t, const std::string& prefix, const std::set<std::string>& keys) const {
    for (const auto& [k, v] : t) {
      const std::string key(k.str());
      if (!keys.count(key)) {
        return fail(error(&v, prefix + key, "unknown key (known: " + util::join(keys) + ")"));
      }
    }
    return {};
  }

  template <class T>
  Result<void> get(const toml::table& t, const std::string& prefix, const char* key, T& out) const {
    const toml::node* n = t.get(key);
    if (!n) return {};
    if constexpr (std::is_same_v<T, bool>) {
      if (!n->is_boolean()) return fail(error(n, prefix + key, "must be true or false"));
      out = n->as_boolean()->get();
    } else if constexpr (std::is_same_v<T, int>) {
      if (!n->is_integer()) return fail(error(n, prefix + key, "must be an integer"));
      out = static_cast<int>(n->as_integer()->get());
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!n->is_string()) return fail(error(n, prefix + key, "must be a string"));
      out = n->as_string()->get();
    } else if constexpr (std::is_same_v<T, fs::path>) {
      if (!n->is_string()) return fail(error(n, prefix + key, "must be a path string"));
      fs::path p = n->as_string()->get();
      out = p.is_absolute() || p.empty() ? p : m_dir / p;
    } else if constexpr (std::is_same_v<T, Seconds>) {
      if (!n->is_string()) return fail(error(n, prefix + key, "must be a duration string such as \"24h\""));
      auto d = util::parse_duration(n->as_string()->get());
      if (!d) return fail(error(n, prefix + key, d.error().detail));
      out = *d;
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      const toml::array* a = n->as_array();
      if (!a) return fail(error(n, prefix + key, "must be an array of strings"));
      out.clear();
      for (const auto& e : *a) {
        if (!e.is_string()) return fail(error(&e, prefix + key, "must be an array of strings"));
        out.push_back(e.as_string()->get());
      }
    } else if constexpr (std::is_same_v<T, std::vector<fs::path>>) {
      std::vector<std::string> v;
      PKI_TRY(get(t, prefix, key, v));
      out.clear();
      for (const auto& s : v) out.push_back(fs::path(s).is_absolute() ? fs::path(s) : m_dir / s);
    }
    return {};
  }

  const toml::table* section(const toml::table& root, const char* name, Result<void>& status) const {
    const toml::node* n = root.get(name);
    if (!n) return nullptr;
    if (!n->is_table()) status = fail(error(n, name, "must be a table ([" + std::string(name) + "])"));
    return n->as_table();
  }

  fs::path resolve(const fs::path& p) const { return p.is_absolute() ? p : m_dir / p; }

 private:
  fs::path m_file, m_dir;
};


}  // namespace pkictl::config
