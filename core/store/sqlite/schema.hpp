#pragma once
#include <string_view>
#include <vector>

namespace pkictl::store::sqlite {

/** Migrations in order; migration N brings the schema to version N+1. Never edit a shipped one. */
const std::vector<std::string_view>& migrations();

}  // namespace pkictl::store::sqlite
