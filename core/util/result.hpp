#pragma once
// A subset of C++23 std::expected (has_value, value, error, *, ->) so it can be swapped in.
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/util/error.hpp"

namespace pkictl {

template <class E>
class Unexpected {
 public:
  explicit Unexpected(E e) : m_error(std::move(e)) {}
  E& error() & { return m_error; }
  E&& error() && { return std::move(m_error); }

 private:
  E m_error;
};

template <class T, class E>
class [[nodiscard]] Expected {
 public:
  using value_type = T;
  Expected() requires std::is_default_constructible_v<T> : m_v(std::in_place_index<0>) {}
  template <class U = T>
    requires std::is_constructible_v<T, U&&> &&
             (!std::is_same_v<std::remove_cvref_t<U>, Expected>) &&
             (!std::is_same_v<std::remove_cvref_t<U>, Unexpected<E>>)
  Expected(U&& v) : m_v(std::in_place_index<0>, std::forward<U>(v)) {}
  Expected(Unexpected<E> u) : m_v(std::in_place_index<1>, std::move(u).error()) {}

  bool has_value() const noexcept { return m_v.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { check(); return std::get<0>(m_v); }
  const T& value() const& { check(); return std::get<0>(m_v); }
  T&& value() && { check(); return std::get<0>(std::move(m_v)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  E& error() & { return std::get<1>(m_v); }
  const E& error() const& { return std::get<1>(m_v); }
  E&& error() && { return std::get<1>(std::move(m_v)); }

 private:
  void check() const {
    if (!has_value()) throw std::logic_error("Expected::value() on an error");
  }
  std::variant<T, E> m_v;
};

template <class E>
class [[nodiscard]] Expected<void, E> {
 public:
  using value_type = void;
  Expected() = default;
  Expected(Unexpected<E> u) : m_error(std::move(u).error()), m_ok(false) {}
  bool has_value() const noexcept { return m_ok; }
  explicit operator bool() const noexcept { return m_ok; }
  void value() const {
    if (!m_ok) throw std::logic_error("Expected::value() on an error");
  }
  E& error() & { return m_error; }
  const E& error() const& { return m_error; }
  E&& error() && { return std::move(m_error); }

 private:
  E m_error{};
  bool m_ok = true;
};

template <class T>
using Result = Expected<T, Error>;

/** The error half of a Result: `return fail(ErrorKind::Io, "cannot open x");` */
inline Unexpected<Error> fail(ErrorKind kind, std::string detail, std::string internal = {}) {
  return Unexpected<Error>(Error{kind, std::move(detail), std::move(internal), {}, {}});
}
inline Unexpected<Error> fail(Error e) { return Unexpected<Error>(std::move(e)); }

}  // namespace pkictl

#define PKI_CONCAT_INNER(a, b) a##b
#define PKI_CONCAT(a, b) PKI_CONCAT_INNER(a, b)
/** Propagates the error of a Result<void>-like expression. */
#define PKI_TRY(expr)                                                        \
  do {                                                                       \
    auto pki_try_r_ = (expr);                                                \
    if (!pki_try_r_) return ::pkictl::fail(std::move(pki_try_r_).error());   \
  } while (0)
/** `PKI_TRY_ASSIGN(auto key, load_key(...));` declares key or propagates the error. */
#define PKI_TRY_ASSIGN(decl, expr) PKI_TRY_ASSIGN_IMPL(PKI_CONCAT(pki_try_v_, __LINE__), decl, expr)
#define PKI_TRY_ASSIGN_IMPL(tmp, decl, expr)                            \
  auto tmp = (expr);                                                    \
  if (!tmp) return ::pkictl::fail(std::move(tmp).error());              \
  decl = std::move(*tmp)
