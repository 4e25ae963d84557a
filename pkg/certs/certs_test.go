package certs

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"
)

func TestIssueVerifiesAgainstCA(t *testing.T) {
	ca, err := NewCA("test-ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Issue("webhook", []string{"kafkalink-webhook.kafkalink-system.svc", "127.0.0.1"}, time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM)
	if err != nil {
		t.Fatalf("issued pair does not load: %v", err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM)
	for _, host := range []string{"kafkalink-webhook.kafkalink-system.svc", "127.0.0.1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "other.example"}); err == nil {
		t.Error("certificate verified for a host it was not issued for")
	}
	again, err := ParseCA(ca.CertPEM, ca.KeyPEM)
	if err != nil || !again.Cert.Equal(ca.Cert) {
		t.Fatalf("ParseCA round trip: %v", err)
	}
	if exp, err := NotAfter(pair.CertPEM); err != nil || time.Until(exp) > time.Hour || time.Until(exp) < 59*time.Minute {
		t.Errorf("NotAfter = %v, %v; want about an hour from now", exp, err)
	}
	if _, err := ParseCA([]byte("nope"), ca.KeyPEM); err == nil {
		t.Error("ParseCA accepted a non-PEM certificate")
	}
}
