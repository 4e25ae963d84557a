package controller

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/kafkalink/kafkalink/pkg/credentials"
	"github.com/kafkalink/kafkalink/pkg/kafkarest"
)

// DefaultRESTClientFactory builds REST clients over pkg/kafkarest, reporting
// every HTTP attempt to observe (metrics).
func DefaultRESTClientFactory(observe func(endpoint, method string, code int, d time.Duration)) RESTClientFactory {
	return restClientFactory(observe, "", nil)
}

// restClientFactory names the replica in the User-Agent, so REST servers'
// logs (and the emulator's request log) tell replicas apart. fence, when
// set, is checked before every HTTP attempt of a write, retries included.
func restClientFactory(observe func(endpoint, method string, code int, d time.Duration), identity string, fence func() error) RESTClientFactory {
	ua := controllerName
	if identity != "" {
		ua += " (" + identity + ")"
	}
	return func(cfg RESTConfig) (RESTClient, error) {
		kc := kafkarest.Config{Endpoint: cfg.Endpoint, Observe: observe, UserAgent: ua, BeforeWrite: fence}
		if c := cfg.Credentials; c != nil {
			kc.Username, kc.Password, kc.BearerToken = c.Username, c.Password, c.BearerToken
			kc.CAPEM, kc.ClientCertPEM, kc.ClientKeyPEM = c.CAPEM, c.ClientCertPEM, c.ClientKeyPEM
			if c.OAuth != nil {
				tokens, err := oauthTokens(c)
				if err != nil {
					return nil, fmt.Errorf("OAuth client for %s: %w", cfg.Endpoint, err)
				}
				kc.Tokens = tokens
			}
		}
		client, err := kafkarest.New(kc)
		if err != nil {
			return nil, fmt.Errorf("REST client for %s: %w", cfg.Endpoint, err)
		}
		return &restAdapter{c: client}, nil
	}
}

// restAdapter maps the controller's RESTClient onto pkg/kafkarest.
type restAdapter struct{ c *kafkarest.Client }

func (a *restAdapter) ClusterID(ctx context.Context) (string, error) { return a.c.ClusterID(ctx) }

// APIPrefix is the REST API prefix in use (KafkaRestClass status).
func (a *restAdapter) APIPrefix() string { return a.c.APIPrefix() }

func (a *restAdapter) GetLink(ctx context.Context, clusterID, link string) (*Link, error) {
	l, err := a.c.GetLink(ctx, clusterID, link)
	if err != nil {
		return nil, err
	}
	out := linkOf(l)
	return &out, nil
}

// linkOf maps a REST link (with or without tasks) to the controller's Link.
func linkOf(l *kafkarest.Link) Link {
	out := Link{Name: l.LinkName, ID: l.ClusterLinkID, SourceClusterID: l.SourceClusterID, State: l.LinkState, ErrorMessage: l.LinkErrorMessage}
	if l.LinkError != "NO_ERROR" {
		out.Error = l.LinkError
	}
	if out.SourceClusterID == "" {
		out.SourceClusterID = l.RemoteClusterID
	}
	for _, t := range l.Tasks {
		if t.State != "IN_ERROR" {
			continue
		}
		for _, e := range t.Errors {
			out.TaskErrors = append(out.TaskErrors, t.TaskName+": "+e.ErrorMessage)
		}
		if len(t.Errors) == 0 {
			out.TaskErrors = append(out.TaskErrors, t.TaskName+": in error")
		}
	}
	return out
}

func (a *restAdapter) ListLinks(ctx context.Context, clusterID string) ([]Link, error) {
	links, err := a.c.ListLinks(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	out := make([]Link, 0, len(links))
	for i := range links {
		out = append(out, linkOf(&links[i]))
	}
	return out, nil
}

func (a *restAdapter) ListAllMirrors(ctx context.Context, clusterID string) ([]Mirror, error) {
	ms, err := a.c.ListAllMirrors(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	return mirrorsOf(ms), nil
}

func mirrorsOf(ms []kafkarest.MirrorTopic) []Mirror {
	out := make([]Mirror, 0, len(ms))
	for _, m := range ms {
		mm := Mirror{Link: m.LinkName, Name: m.MirrorTopicName, SourceTopicName: m.SourceTopicName, Status: m.MirrorStatus, MaxLag: m.MaxLag()}
		for _, e := range m.StateTransitionErrors {
			mm.TransitionErrors = append(mm.TransitionErrors, e.ErrorMessage)
		}
		out = append(out, mm)
	}
	return out
}

func (a *restAdapter) LinkNames(ctx context.Context, clusterID string) ([]string, error) {
	links, err := a.c.ListLinks(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(links))
	for _, l := range links {
		names = append(names, l.LinkName)
	}
	return names, nil
}

func (a *restAdapter) CreateLink(ctx context.Context, clusterID string, req CreateLinkRequest) error {
	r := kafkarest.CreateLinkRequest{Configs: req.Configs}
	// The remote cluster's id goes in the field that matches the link's
	// mode: the source for a destination link, the destination for a
	// source-initiated link's source side, the peer for a bidirectional one.
	switch req.Configs["link.mode"] {
	case "SOURCE":
		r.DestinationClusterID = req.SourceClusterID
	case "BIDIRECTIONAL":
		r.RemoteClusterID = req.SourceClusterID
	default:
		r.SourceClusterID = req.SourceClusterID
	}
	// An inbound link cannot be checked from the destination: the source
	// connects to it.
	validate := req.Configs["connection.mode"] != "INBOUND"
	err := a.c.CreateLink(ctx, clusterID, req.Name, r, kafkarest.CreateLinkOptions{ValidateLink: validate})
	if kafkarest.IsAlreadyExists(err) {
		return nil // created by an earlier attempt whose answer was lost
	}
	return err
}

func (a *restAdapter) DeleteLink(ctx context.Context, clusterID, link string) error {
	return a.c.DeleteLink(ctx, clusterID, link, false, false)
}

func (a *restAdapter) ListLinkConfigs(ctx context.Context, clusterID, link string) (map[string]string, error) {
	cfgs, err := a.c.ListLinkConfigs(ctx, clusterID, link)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(cfgs))
	for _, c := range cfgs {
		if c.Sensitive {
			continue
		}
		out[c.Name] = c.Value
	}
	return out, nil
}

func (a *restAdapter) AlterLinkConfigs(ctx context.Context, clusterID, link string, set map[string]string) error {
	return a.c.AlterLinkConfigs(ctx, clusterID, link, set, nil)
}

func (a *restAdapter) ListMirrors(ctx context.Context, clusterID, link string) ([]Mirror, error) {
	ms, err := a.c.ListMirrors(ctx, clusterID, link)
	if err != nil {
		return nil, err
	}
	return mirrorsOf(ms), nil
}

func (a *restAdapter) CreateMirror(ctx context.Context, clusterID, link string, req CreateMirrorRequest) error {
	err := a.c.CreateMirror(ctx, clusterID, link, kafkarest.CreateMirrorRequest{
		SourceTopicName: req.SourceTopicName, MirrorTopicName: req.Name, ReplicationFactor: req.ReplicationFactor, Configs: req.Configs,
	})
	if kafkarest.IsAlreadyExists(err) {
		// A retried create whose first answer was lost (the mirror is
		// there: done), or a topic of that name that is not a mirror of
		// this link, which kafkalink must not touch.
		_, gerr := a.c.GetMirror(ctx, clusterID, link, req.Name)
		if kafkarest.IsNotFound(gerr) {
			return fmt.Errorf("a topic named %q already exists on the destination and is not a mirror topic of link %q; kafkalink leaves it alone: "+
				"delete or rename that topic, or remove %q from spec.mirrorTopics: %w", req.Name, link, req.Name, err)
		}
		if gerr != nil {
			return fmt.Errorf("create mirror %q answered 'already exists' and reading it back failed: %w", req.Name, gerr)
		}
		return nil
	}
	return err
}

func (a *restAdapter) AlterMirrors(ctx context.Context, clusterID, link string, action MirrorAction, names []string) (map[string]MirrorCheck, error) {
	return a.alterMirrors(ctx, clusterID, link, action, names, false)
}

func (a *restAdapter) ValidateMirrors(ctx context.Context, clusterID, link string, action MirrorAction, names []string) (map[string]MirrorCheck, error) {
	return a.alterMirrors(ctx, clusterID, link, action, names, true)
}

func (a *restAdapter) alterMirrors(ctx context.Context, clusterID, link string, action MirrorAction, names []string, validateOnly bool) (map[string]MirrorCheck, error) {
	results, err := a.c.AlterMirrors(ctx, clusterID, link, kafkarest.MirrorAction(action), names, validateOnly)
	if err != nil {
		return nil, err
	}
	out := make(map[string]MirrorCheck, len(names))
	for _, r := range results {
		e := r.Err()
		if e != nil && (action == ActionPromote || action == ActionFailover) && kafkarest.IsAlreadyStopped(e) {
			e = nil // promote and failover are done once the mirror stopped
		}
		out[r.MirrorTopicName] = MirrorCheck{Err: e, MessagesTruncated: r.MessagesTruncated}
	}
	return out, nil
}

func (a *restAdapter) DeleteTopic(ctx context.Context, clusterID, topic string) error {
	return a.c.DeleteTopic(ctx, clusterID, topic)
}

// oauthTokens builds the token source of a KafkaRestClass with OAuth: one
// per REST client, so a rotated secret or key (a new client) starts with
// a new token. The token endpoint is trusted with the class's CA, if any,
// besides the system roots.
func oauthTokens(c *credentials.RestCredentials) (kafkarest.TokenSource, error) {
	o := c.OAuth
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(c.CAPEM) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(c.CAPEM) {
			return nil, errors.New("the CA bundle holds no PEM certificate")
		}
		tlsCfg.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	if o.ConnectTimeout > 0 {
		tr.DialContext = (&net.Dialer{Timeout: o.ConnectTimeout}).DialContext
		tr.TLSHandshakeTimeout = o.ConnectTimeout
	}
	timeout := 30 * time.Second
	if o.ConnectTimeout+o.ReadTimeout > 0 {
		timeout = o.ConnectTimeout + o.ReadTimeout
	}
	cfg := kafkarest.OAuthConfig{
		TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecret: o.ClientSecret, Scope: o.Scope, Audience: o.Audience,
		HTTPClient:   &http.Client{Transport: tr, Timeout: timeout},
		RetryBackoff: o.RetryBackoff, RetryBackoffMax: o.RetryBackoffMax,
	}
	switch {
	case o.AssertionJWT != "":
		jwt := o.AssertionJWT
		cfg.Assertion = func(time.Time) (string, error) { return jwt, nil }
	case len(o.AssertionKeyPEM) > 0:
		key, err := parseRSAKey(o.AssertionKeyPEM)
		if err != nil {
			return nil, err
		}
		cfg.Assertion = kafkarest.SignedAssertion(kafkarest.AssertionConfig{
			Issuer: o.AssertionIssuer, Subject: o.AssertionSubject, Audience: o.AssertionAudience,
			Lifetime: o.AssertionLifetime, IncludeJTI: o.IncludeJTI, IncludeNBF: o.IncludeNBF, Key: key,
		})
	}
	return kafkarest.NewTokenSource(cfg), nil
}

// parseRSAKey reads an unencrypted PEM RSA key (PKCS#1 or PKCS#8).
func parseRSAKey(pemData []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return nil, errors.New("the client assertion key is not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the client assertion key is neither PKCS#1 nor PKCS#8 (an encrypted key is not supported): %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the client assertion key is a %T; RS256 needs an RSA key", k)
	}
	return rk, nil
}
