# The Ruby acme-client gem (Debian's ruby-acme-client; GitLab's Let's Encrypt integration uses it)
# against `pkictl serve`: ruby acme_client.rb DIRECTORY WEBROOT NAME ec|ec-short|rsa
# http-01 answers go into WEBROOT; one line per step; any failure exits 1.
# ec-short picks P-256 keys that the gem writes as JWKs with a coordinate missing its leading zero
# octet (it encodes them as integers), which it does for about one key in 128 and then hashes
# for its key authorizations.
require 'acme-client'
require 'base64'
require 'openssl'

dir, webroot, name, kt = ARGV
short_coordinate = lambda do |key|
  Acme::Client::JWK::ECDSA.new(key).to_h.values_at(:x, :y).any? { |c| Base64.urlsafe_decode64(c + '=' * (-c.size % 4)).bytesize < 32 }
end
new_key = lambda do
  return OpenSSL::PKey::RSA.new(2048) if kt == 'rsa'
  5000.times do
    key = OpenSSL::PKey::EC.generate('prime256v1')
    return key if kt == 'ec' || short_coordinate.call(key)
  end
  raise 'no P-256 key among 5000 has a coordinate with a leading zero octet'
end
client = Acme::Client.new(private_key: new_key.call, directory: dir)
account = client.new_account(contact: 'mailto:ops@test.internal', terms_of_service_agreed: true)
puts "account #{account.status}"
names = [name, "alt-#{name}"]
order = client.new_order(identifiers: names)
order.authorizations.each do |authz|
  ch = authz.http
  File.write(File.join(webroot, ch.token), ch.file_content)
  ch.request_validation
  50.times do
    break unless %w[pending processing].include?(ch.status)
    sleep 0.1
    ch.reload
  end
  puts "challenge #{authz.identifier['value']} #{ch.status}"
end
csr = Acme::Client::CertificateRequest.new(private_key: new_key.call, names: names)
order.finalize(csr: csr)
50.times do
  break unless order.status == 'processing'
  sleep 0.1
  order.reload
end
puts "order #{order.status}"
cert = order.certificate
File.write("ruby-#{kt}.pem", cert)
puts "certificates #{cert.scan('BEGIN CERTIFICATE').size}"
client.account_update(contact: 'mailto:new@test.internal')
puts "contact #{client.account.contact.join(',')}"
client.account_key_change(new_private_key: new_key.call)
puts "key rolled over"
puts "revoked #{client.revoke(certificate: cert, reason: 4)}"
puts "account #{client.account_deactivate.status}"
