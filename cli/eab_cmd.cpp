// pkictl eab …: External Account Binding keys for the server's ACME accounts. A key id and HMAC key
// are printed once; the HMAC key is stored sealed under a key derived from the issuing CA key's
// passphrase, so a copy of the database alone cannot mint accounts.
#include <nlohmann/json.hpp>

#include "cli/app.hpp"
#include "cli/validators.hpp"
#include "core/acme/eab.hpp"
#include "core/config/server_config.hpp"
#include "core/policy/policy.hpp"
#include "core/store/store.hpp"

namespace pkictl::cli {
namespace {
using nlohmann::json;

struct EabOptions {
  std::string config, binding, expires, kid;
  bool single_use = false, json = false;
  PassphraseOptions pass;
};

struct Opened {
  std::unique_ptr<store::Store> store;
  acme::SealingKey sealing;
};

Result<Opened> open_server(const EabOptions& o, bool need_secret) {
  PKI_TRY_ASSIGN(auto cfg, config::load_server_config(o.config));
  if (!o.binding.empty() && !cfg.acme.policy.empty()) {
    // A key for a binding the policy does not have would mint accounts that can order nothing.
    const auto loaded = policy::Policy::load(cfg.acme.policy);
    if (loaded.has_errors()) return fail(ErrorKind::Config, "the policy does not lint clean: " + loaded.error_summary(cfg.acme.policy.string()));
    if (!loaded.policy->bindings().count(o.binding)) {
      std::string names;
      for (const auto& [n, b] : loaded.policy->bindings()) names += (names.empty() ? "" : ", ") + n;
      return fail(ErrorKind::InvalidArgument, "--binding " + o.binding + " is not a binding of " + cfg.acme.policy.string() + " (it has: " + names + ")");
    }
  }
  PKI_TRY_ASSIGN(auto store, store::open_sqlite_store(cfg.database().string()));
  Opened out{std::move(store), {}};
  if (need_secret) {
    PKI_TRY_ASSIGN(auto secret, obtain_ca_passphrase(o.pass, cfg.ca.passphrase_file));
    PKI_TRY_ASSIGN(out.sealing, acme::eab_sealing_key(secret));
  }
  return out;
}

int run_create(Context& ctx, const EabOptions& o) {
  auto srv = open_server(o, true);
  if (!srv) return report(ctx, srv.error());
  const TimePoint now = ctx.clock.now();
  auto minted = acme::mint_eab_key(srv->sealing, o.binding, o.expires.empty() ? std::nullopt : std::optional<TimePoint>(now + duration_of(o.expires)),
                                   o.single_use, now);
  if (!minted) return report(ctx, minted.error());
  const acme::EabKey& k = minted->key;
  audit::Event ev;
  ev.type = "eab.created";
  ev.binding = k.binding;
  ev.actor = "pkictl eab create";
  ev.details = {{"kid", k.kid}, {"single_use", k.single_use}, {"expires", k.expires ? util::format_time(*k.expires) : ""}};
  if (auto r = srv->store->insert_eab(k, &ev); !r) return report(ctx, r.error());
  const std::string& hmac_b64 = minted->hmac_b64u;
  if (o.json) {
    ctx.out << json{{"kid", k.kid}, {"hmac_key", hmac_b64}, {"binding", k.binding}, {"single_use", k.single_use},
                    {"expires", k.expires ? util::format_time(*k.expires) : ""}}.dump(2) << "\n";
  } else {
    ctx.out << "kid:      " << k.kid << "\nhmac_key: " << hmac_b64 << "\nbinding:  " << k.binding << "\n";
    ctx.err << "pkictl: the HMAC key is shown once; hand both values to the account holder (certbot --eab-kid/--eab-hmac-key, "
               "lego --eab --kid/--hmac, pkictl acme register --eab-kid/--eab-hmac-key-file)\n";
  }
  return ExitOk;
}

int run_list(Context& ctx, const EabOptions& o) {
  auto srv = open_server(o, false);
  if (!srv) return report(ctx, srv.error());
  auto keys = srv->store->list_eabs();
  if (!keys) return report(ctx, keys.error());
  const TimePoint now = ctx.clock.now();
  json arr = json::array();
  for (const auto& k : *keys) {
    const std::string state = k.revoked_at ? "revoked" : (k.expires && *k.expires <= now) ? "expired" : (k.single_use && k.uses > 0) ? "spent" : "usable";
    arr.push_back({{"kid", k.kid}, {"binding", k.binding}, {"state", state}, {"single_use", k.single_use}, {"uses", k.uses},
                   {"first_account", k.used_by}, {"created", util::format_time(k.created)}, {"expires", k.expires ? util::format_time(*k.expires) : ""}});
  }
  if (o.json) {
    ctx.out << arr.dump(2) << "\n";
    return ExitOk;
  }
  for (const auto& k : arr)
    ctx.out << k["kid"].get<std::string>() << "  binding=" << k["binding"].get<std::string>() << "  " << k["state"].get<std::string>()
            << "  uses=" << k["uses"].get<int>() << (k["single_use"].get<bool>() ? " (single-use)" : "") << "\n";
  return ExitOk;
}

int run_revoke(Context& ctx, const EabOptions& o) {
  auto srv = open_server(o, false);
  if (!srv) return report(ctx, srv.error());
  audit::Event ev;
  ev.type = "eab.revoked";
  ev.actor = "pkictl eab revoke";
  ev.details = {{"kid", o.kid}};
  auto r = srv->store->revoke_eab(o.kid, ctx.clock.now(), &ev);
  if (!r) return report(ctx, r.error());
  if (!*r) return report(ctx, {ErrorKind::NotFound, "no usable EAB key " + o.kid + " (unknown or already revoked)", {}, {}, {}});
  ctx.out << "revoked " << o.kid << "; accounts already bound with it keep their binding\n";
  return ExitOk;
}

}  // namespace

void register_eab(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("eab", "External Account Binding keys for the ACME server")->require_subcommand(1);
  auto c = std::make_shared<EabOptions>();
  auto* create = group->add_subcommand("create", "Make a key id and HMAC key bound to a policy binding (printed once)");
  create->add_option("--config", c->config, "The server's configuration file")->required()->check(CLI::ExistingFile);
  create->add_option("--binding", c->binding, "The binding accounts made with this key belong to, for life")->required();
  create->add_option("--expires", c->expires, "Refuse the key after this long (e.g. 7d)")->check(duration_validator());
  create->add_flag("--single-use", c->single_use, "Allow one account only");
  create->add_flag("--json", c->json, "Print as JSON");
  add_passphrase_options(*create, c->pass, "the issuing CA key (default: [ca] passphrase_file)");
  create->callback([&ctx, c] { ctx.action = [&ctx, c] { return run_create(ctx, *c); }; });

  auto l = std::make_shared<EabOptions>();
  auto* list = group->add_subcommand("list", "Show every key: binding, state, uses (never the HMAC key)");
  list->add_option("--config", l->config, "The server's configuration file")->required()->check(CLI::ExistingFile);
  list->add_flag("--json", l->json, "Print as JSON");
  list->callback([&ctx, l] { ctx.action = [&ctx, l] { return run_list(ctx, *l); }; });

  auto r = std::make_shared<EabOptions>();
  auto* revoke = group->add_subcommand("revoke", "Refuse a key from now on");
  revoke->add_option("kid", r->kid, "The key id")->required();
  revoke->add_option("--config", r->config, "The server's configuration file")->required()->check(CLI::ExistingFile);
  revoke->callback([&ctx, r] { ctx.action = [&ctx, r] { return run_revoke(ctx, *r); }; });
}

}  // namespace pkictl::cli
