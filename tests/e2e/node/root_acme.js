// ACME.js (@root/acme, Greenlock's client) against `pkictl serve`:
// node root_acme.js DIRECTORY WEBROOT NAME ec|rsa
// http-01 answers go into WEBROOT; every request it makes is checked to stay on loopback (the
// library reports its maintainer to api.rootprojects.org unless stopped).
const ACME = require('@root/acme');
const Keypairs = require('@root/keypairs');
const CSR = require('@root/csr');
const PEM = require('@root/pem');
const fs = require('fs');
const [directoryUrl, webroot, name, keyType] = process.argv.slice(2);

const request = require('util').promisify(require('@root/request'));
// The library's own request function (@root/request), refused for anything but loopback.
function loopbackOnly(opts) {
  const host = new URL(opts.url).hostname;
  if (!['localhost', '127.0.0.1', '[::1]'].includes(host)) {
    console.log(`refused a request to ${host}`);
    return Promise.reject(new Error(`not loopback: ${host}`));
  }
  return request(opts);
}

(async () => {
  const acme = ACME.create({
    maintainerEmail: 'ops@test.internal', packageAgent: 'pkictl-e2e/1.0', skipDryRun: true, skipChallengeTest: true,
    __request: loopbackOnly, notify: (ev, msg) => { if (ev === 'error' || ev === 'warning') console.log(`notify ${ev}: ${msg && (msg.message || msg)}`); },
  });
  await acme.init(directoryUrl);
  const kty = keyType === 'rsa' ? 'RSA' : 'EC';
  const accountKey = (await Keypairs.generate({ kty, format: 'jwk' })).private;
  const account = await acme.accounts.create({ subscriberEmail: 'ops@test.internal', agreeToTerms: true, accountKey });
  console.log(`account ${account.status || 'created'}`);
  const serverKey = (await Keypairs.generate({ kty, format: 'jwk' })).private;
  const domains = [name, 'alt-' + name];
  const csrDer = await CSR.csr({ jwk: serverKey, domains, encoding: 'der' });
  const csr = PEM.packBlock({ type: 'CERTIFICATE REQUEST', bytes: csrDer });
  const http01 = {
    init: async () => null,
    set: async (d) => { fs.writeFileSync(`${webroot}/${d.challenge.token}`, d.challenge.keyAuthorization); return null; },
    get: async (d) => ({ keyAuthorization: fs.readFileSync(`${webroot}/${d.challenge.token}`, 'utf8') }),
    remove: async (d) => { fs.unlinkSync(`${webroot}/${d.challenge.token}`); return null; },
  };
  const pems = await acme.certificates.create({ account, accountKey, csr, domains, challenges: { 'http-01': http01 } });
  fs.writeFileSync(`rootacme-${keyType}.pem`, pems.cert + '\n' + pems.chain + '\n');
  console.log(`issued chain=${(pems.chain.match(/BEGIN CERTIFICATE/g) || []).length}`);
})().catch((e) => {
  console.error(`FAILED: ${e && (e.stack || e)}`);
  process.exit(1);
});
