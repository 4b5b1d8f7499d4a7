// The npm acme-client library (node-acme-client, used by many Node.js tools) against
// `pkictl serve`: node acme_client.js DIRECTORY WEBROOT NAME ec|rsa
// It writes http-01 answers into WEBROOT (served on the validation port by the test) and prints
// one line per step; any failure exits 1 with the server's problem.
const acme = require('acme-client');
const fs = require('fs');
const [directoryUrl, webroot, name, keyType] = process.argv.slice(2);

(async () => {
  const accountKey = keyType === 'rsa' ? await acme.crypto.createPrivateRsaKey(2048) : await acme.crypto.createPrivateEcdsaKey('P-256');
  const client = new acme.Client({ directoryUrl, accountKey, backoffAttempts: 10, backoffMin: 100, backoffMax: 1000 });
  // The CSR's CN sorts after the other name: the certificate must keep it all the same.
  const certKey = keyType === 'rsa' ? await acme.crypto.createPrivateRsaKey(2048) : await acme.crypto.createPrivateEcdsaKey('P-384');
  const [, csr] = await acme.crypto.createCsr({ commonName: name, altNames: [name, 'alt-' + name] }, certKey);
  const cert = await client.auto({
    csr,
    email: 'ops@test.internal',
    termsOfServiceAgreed: true,
    skipChallengeVerification: true,  // its own pre-check would fetch port 80
    challengePriority: ['http-01'],
    challengeCreateFn: async (authz, challenge, keyAuthorization) => fs.writeFileSync(`${webroot}/${challenge.token}`, keyAuthorization),
    challengeRemoveFn: async (authz, challenge) => fs.unlinkSync(`${webroot}/${challenge.token}`),
  });
  fs.writeFileSync(`node-${keyType}.pem`, cert);
  const info = acme.crypto.readCertificateInfo(cert);
  console.log(`issued cn=${info.domains.commonName} sans=${[...info.domains.altNames].sort().join(',')}`);
  const updated = await client.updateAccount({ contact: ['mailto:new@test.internal'] });
  console.log(`contact ${updated.contact.join(',')}`);
  await client.updateAccountKey(await acme.crypto.createPrivateEcdsaKey('P-384'));
  console.log('key rolled over');
  // The new key signs from here on: an order works, then deactivating its authorization makes it invalid.
  const order = await client.createOrder({ identifiers: [{ type: 'dns', value: 'after-' + name }] });
  const [authz] = await client.getAuthorizations(order);
  console.log(`authz deactivated=${(await client.deactivateAuthorization(authz)).status}`);
  console.log(`order after deactivation=${(await client.getOrder(order)).status}`);
  await client.revokeCertificate(cert, { reason: 4 });
  console.log('revoked');
  console.log(`account ${(await client.updateAccount({ status: 'deactivated' })).status}`);
})().catch((e) => {
  console.error(`FAILED: ${e && (e.stack || e)}`);
  process.exit(1);
});
