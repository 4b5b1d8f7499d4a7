// Drives golang.org/x/crypto/acme (Debian's golang-golang-x-crypto-dev: the ACME library that
// cert-manager's client is forked from and that autocert uses) against `pkictl serve`, the way
// those tools call it: register, order several identifiers, answer http-01 (its own HTTP server)
// and tls-alpn-01 (its own TLS server with the library's challenge certificate), wait, finalize,
// fetch, revoke, roll the key over, deactivate. It prints one line per result for the shell test
// to check; every unexpected error ends it with exit 1.
//
// Usage:
//
//	xacme DIRECTORY ROOT_PEM HTTP01_ADDR TLSALPN01_ADDR NAME_PREFIX ec|rsa OUT_DIR
//	xacme autocert DIRECTORY ROOT_PEM TLSALPN01_ADDR NAME OUT_DIR
//	xacme eab DIRECTORY ROOT_PEM KID HMAC_KEY
//
// The second form is a Go HTTPS server on TLSALPN01_ADDR whose certificate autocert obtains on the
// first handshake for NAME (answering tls-alpn-01 on that listener), and a client that connects.
// The third registers against a server that requires External Account Binding, as cert-manager
// does with an EAB secret: first without a binding (refused), then with the key KID and its
// base64url HMAC_KEY.
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "xacme: "+format+"\n", args...)
	os.Exit(1)
}

func must(err error, what string) {
	if err != nil {
		die("%s: %v", what, err)
	}
}

// problem returns the RFC 8555 problem type of an error from the library ("" if it is none).
func problem(err error) string {
	var ae *acme.Error
	if errors.As(err, &ae) {
		return ae.ProblemType
	}
	return ""
}

// responder answers both challenge types from what the test registered for a token or a name.
type responder struct {
	mu    sync.Mutex
	http  map[string]string          // token -> key authorization
	certs map[string]tls.Certificate // SNI name -> tls-alpn-01 certificate
}

func (r *responder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	body, ok := r.http[strings.TrimPrefix(req.URL.Path, "/.well-known/acme-challenge/")]
	r.mu.Unlock()
	if !ok {
		http.NotFound(w, req)
		return
	}
	w.Write([]byte(body))
}

func (r *responder) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.certs[hello.ServerName]
	if !ok {
		return nil, fmt.Errorf("no tls-alpn-01 certificate for %q", hello.ServerName)
	}
	return &c, nil
}

func newKey(kind string) crypto.Signer {
	if kind == "rsa" {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		must(err, "generating an RSA key")
		return k
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err, "generating an EC key")
	return k
}

func writePEM(path, typ string, blocks ...[]byte) {
	var out []byte
	for _, b := range blocks {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b})...)
	}
	must(os.WriteFile(path, out, 0o600), "writing "+path)
}

func rootPool(path string) *x509.CertPool {
	roots := x509.NewCertPool()
	b, err := os.ReadFile(path)
	must(err, "reading the root")
	if !roots.AppendCertsFromPEM(b) {
		die("no certificate in %s", path)
	}
	return roots
}

// acmeHTTP: the HTTP client the ACME library talks to pkictl through (trusting the test root).
func acmeHTTP(roots *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
}

// serveWithAutocert: what a Go service does with autocert in front of pkictl.
func serveWithAutocert(directory, rootPEM, addr, name, outDir string) {
	roots := rootPool(rootPEM)
	hc := acmeHTTP(roots)
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(filepath.Join(outDir, "autocert-cache")),
		HostPolicy: autocert.HostWhitelist(name),
		Client:     &acme.Client{DirectoryURL: directory, HTTPClient: hc},
		Email:      "ops@test.internal",
	}
	ln, err := tls.Listen("tcp", addr, m.TLSConfig())
	must(err, "listening")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello from " + r.Host)) })}
	go srv.Serve(ln)
	_, port, _ := net.SplitHostPort(addr)
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: name},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	res, err := client.Get("https://" + name + ":" + port + "/")
	must(err, "connecting to the autocert server (its certificate comes from pkictl on this first handshake)")
	defer res.Body.Close()
	leaf := res.TLS.PeerCertificates[0]
	fmt.Printf("autocert served %s issued by %s\n", strings.Join(leaf.DNSNames, ","), leaf.Issuer.CommonName)
	var chain [][]byte
	for _, c := range res.TLS.PeerCertificates {
		chain = append(chain, c.Raw)
	}
	writePEM(filepath.Join(outDir, "autocert.pem"), "CERTIFICATE", chain...)
}

func registerWithEAB(directory, rootPEM, kid, hmacB64 string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hmacKey, err := base64.RawURLEncoding.DecodeString(hmacB64)
	must(err, "decoding the HMAC key")
	hc := acmeHTTP(rootPool(rootPEM))
	cl := &acme.Client{Key: newKey("ec"), DirectoryURL: directory, HTTPClient: hc, UserAgent: "pkictl-e2e-xacme"}
	dir, err := cl.Discover(ctx)
	must(err, "reading the directory")
	fmt.Printf("directory externalAccountRequired=%v\n", dir.ExternalAccountRequired)
	_, err = cl.Register(ctx, &acme.Account{Contact: []string{"mailto:ops@test.internal"}}, acme.AcceptTOS)
	fmt.Printf("without a binding: %s\n", problem(err))
	acct, err := cl.Register(ctx, &acme.Account{Contact: []string{"mailto:ops@test.internal"},
		ExternalAccountBinding: &acme.ExternalAccountBinding{KID: kid, Key: hmacKey}}, acme.AcceptTOS)
	must(err, "registering with the binding")
	fmt.Printf("with the binding: account status=%s\n", acct.Status)
}

func main() {
	if len(os.Args) == 6 && os.Args[1] == "eab" {
		registerWithEAB(os.Args[2], os.Args[3], os.Args[4], os.Args[5])
		return
	}
	if len(os.Args) == 7 && os.Args[1] == "autocert" {
		serveWithAutocert(os.Args[2], os.Args[3], os.Args[4], os.Args[5], os.Args[6])
		return
	}
	if len(os.Args) != 8 {
		die("usage: xacme DIRECTORY ROOT_PEM HTTP01_ADDR TLSALPN01_ADDR NAME_PREFIX ec|rsa OUT_DIR")
	}
	directory, rootPEM, httpAddr, alpnAddr, prefix, kind, outDir :=
		os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5], os.Args[6], os.Args[7]
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	roots := rootPool(rootPEM)
	hc := acmeHTTP(roots)

	resp := &responder{http: map[string]string{}, certs: map[string]tls.Certificate{}}
	hl, err := net.Listen("tcp", httpAddr)
	must(err, "listening for http-01")
	go http.Serve(hl, resp)
	tl, err := tls.Listen("tcp", alpnAddr, &tls.Config{NextProtos: []string{"acme-tls/1"}, GetCertificate: resp.certificate})
	must(err, "listening for tls-alpn-01")
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()

	cl := &acme.Client{Key: newKey(kind), DirectoryURL: directory, HTTPClient: hc, UserAgent: "pkictl-e2e-xacme"}
	acct, err := cl.Register(ctx, &acme.Account{Contact: []string{"mailto:ops@test.internal"}}, acme.AcceptTOS)
	must(err, "registering")
	fmt.Printf("account status=%s\n", acct.Status)
	if _, err := cl.Register(ctx, &acme.Account{}, acme.AcceptTOS); err != acme.ErrAccountAlreadyExists {
		die("registering the same key again: want ErrAccountAlreadyExists, got %v", err)
	}
	got, err := cl.GetReg(ctx, "")
	must(err, "looking the account up")
	if got.URI != acct.URI {
		die("GetReg found %s, registered %s", got.URI, acct.URI)
	}
	fmt.Println("account found again")

	// One order, three identifiers: http-01 for a name and an IP address, tls-alpn-01 for a name.
	alpnName, httpName := prefix+"-alpn.test.internal", prefix+"-http.test.internal"
	ids := []acme.AuthzID{{Type: "dns", Value: httpName}, {Type: "dns", Value: alpnName}, {Type: "ip", Value: "127.0.0.1"}}
	order, err := cl.AuthorizeOrder(ctx, ids)
	must(err, "creating the order")
	if len(order.AuthzURLs) != 3 {
		die("the order has %d authorizations, want 3", len(order.AuthzURLs))
	}
	for _, u := range order.AuthzURLs {
		z, err := cl.GetAuthorization(ctx, u)
		must(err, "reading an authorization")
		want := "http-01"
		if z.Identifier.Value == alpnName {
			want = "tls-alpn-01"
		}
		var chal *acme.Challenge
		for _, c := range z.Challenges {
			if c.Type == want {
				chal = c
			}
		}
		if chal == nil {
			die("authorization for %s offers no %s", z.Identifier.Value, want)
		}
		if want == "http-01" {
			ka, err := cl.HTTP01ChallengeResponse(chal.Token)
			must(err, "computing the key authorization")
			resp.mu.Lock()
			resp.http[chal.Token] = ka
			resp.mu.Unlock()
		} else {
			cert, err := cl.TLSALPN01ChallengeCert(chal.Token, alpnName)
			must(err, "making the tls-alpn-01 certificate")
			resp.mu.Lock()
			resp.certs[alpnName] = cert
			resp.mu.Unlock()
		}
		_, err = cl.Accept(ctx, chal)
		must(err, "answering "+want+" for "+z.Identifier.Value)
		z, err = cl.WaitAuthorization(ctx, u)
		must(err, "waiting for the authorization of "+z.Identifier.Value)
		fmt.Printf("authorization %s %s %s\n", z.Identifier.Value, want, z.Status)
	}
	order, err = cl.WaitOrder(ctx, order.URI)
	must(err, "waiting for the order")
	fmt.Printf("order %s\n", order.Status)

	certKey := newKey("ec")
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:     pkix.Name{CommonName: alpnName},
		DNSNames:    []string{httpName, alpnName},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}, certKey)
	must(err, "making the CSR")
	chain, certURL, err := cl.CreateOrderCert(ctx, order.FinalizeURL, csr, true)
	must(err, "finalizing")
	if len(chain) != 2 {
		die("the chain has %d certificates, want leaf and intermediate", len(chain))
	}
	leaf, err := x509.ParseCertificate(chain[0])
	must(err, "parsing the leaf")
	inter := x509.NewCertPool()
	for _, der := range chain[1:] {
		c, err := x509.ParseCertificate(der)
		must(err, "parsing the intermediate")
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: alpnName}); err != nil {
		die("Go does not accept the chain: %v", err)
	}
	fmt.Printf("issued cn=%s dns=%s ip=%v\n", leaf.Subject.CommonName, strings.Join(leaf.DNSNames, ","), leaf.IPAddresses)
	certPath := filepath.Join(outDir, prefix+".pem")
	writePEM(certPath, "CERTIFICATE", chain...)

	// What cert-manager does after a restart: fetch the order and the certificate again.
	again, err := cl.WaitOrder(ctx, order.URI)
	must(err, "reading the valid order")
	fetched, err := cl.FetchCert(ctx, again.CertURL, true)
	must(err, "downloading the certificate")
	if again.CertURL != certURL || string(fetched[0]) != string(chain[0]) {
		die("the order's certificate is not the one finalize returned")
	}
	alts, err := cl.ListCertAlternates(ctx, certURL)
	must(err, "listing alternate chains")
	fmt.Printf("downloaded again, %d alternate chains\n", len(alts))

	// Errors the library reports by problem type.
	_, err = cl.AuthorizeOrder(ctx, []acme.AuthzID{{Type: "dns", Value: prefix + ".not-allowed.example"}})
	fmt.Printf("refused order: %s\n", problem(err))
	// A retried finalize (after a timeout, say) gets the order's certificate, not an error.
	retried, _, err := cl.CreateOrderCert(ctx, order.FinalizeURL, csr, true)
	must(err, "finalizing again")
	fmt.Printf("finalize again: same certificate=%v\n", string(retried[0]) == string(chain[0]))

	updated, err := cl.UpdateReg(ctx, &acme.Account{Contact: []string{"mailto:new@test.internal"}})
	must(err, "updating the contact")
	fmt.Printf("contact %s\n", strings.Join(updated.Contact, ","))

	// A second order reuses the valid authorization: nothing to answer.
	second, err := cl.AuthorizeOrder(ctx, []acme.AuthzID{{Type: "dns", Value: httpName}})
	must(err, "creating the second order")
	fmt.Printf("second order %s\n", second.Status)
	csr2, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{httpName}}, certKey)
	must(err, "making the second CSR")
	chain2, _, err := cl.CreateOrderCert(ctx, second.FinalizeURL, csr2, false)
	must(err, "finalizing the second order")

	must(cl.RevokeCert(ctx, nil, chain[0], acme.CRLReasonSuperseded), "revoking with the account key")
	// The library counts an alreadyRevoked problem as success: the server must send exactly that type.
	fmt.Printf("revoke again: %v\n", cl.RevokeCert(ctx, nil, chain[0], acme.CRLReasonSuperseded))
	must(cl.RevokeCert(ctx, certKey, chain2[0], acme.CRLReasonKeyCompromise), "revoking with the certificate key")
	fmt.Println("revoked both")

	must(cl.AccountKeyRollover(ctx, newKey(kind)), "rolling the account key over")
	rolled, err := cl.GetReg(ctx, "")
	must(err, "looking the account up with the new key")
	if rolled.URI != acct.URI {
		die("after the rollover the key finds %s, not %s", rolled.URI, acct.URI)
	}
	fmt.Println("key rolled over")
	must(cl.DeactivateReg(ctx), "deactivating the account")
	_, err = cl.AuthorizeOrder(ctx, ids)
	fmt.Printf("after deactivation: %s\n", problem(err))
}
