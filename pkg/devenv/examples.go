package devenv

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// pemPlaceholder is the CA placeholder block of the examples' Secret, with
// its indentation.
var pemPlaceholder = regexp.MustCompile(`(?m)^( *)-----BEGIN CERTIFICATE-----\n *REPLACE-WITH-PEM-ENCODED-CA-CERTIFICATE\n *-----END CERTIFICATE-----\n`)

// PrepareExamples copies the YAML files of artifacts/examples (src, not
// recursing) to dst with the placeholders filled in for this environment:
// the REST endpoints point at the emulator, and the Secrets hold its
// generated credentials and CA. Nothing else changes, so what is applied is
// the documented example.
func (e *Env) PrepareExamples(src, dst string) ([]string, error) {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	repl := strings.NewReplacer(
		"https://pkc-xxxxx.us-west4.gcp.confluent.cloud:443", e.DestinationURL,
		"http://kafka.operator.svc.cluster.local:8090", e.SourceURL,
		"REPLACE-WITH-CLOUD-API-KEY", e.DestinationUser,
		"REPLACE-WITH-CLOUD-API-SECRET", e.DestinationPassword,
		"REPLACE-WITH-ONPREM-REST-PASSWORD", e.SourcePassword,
		"REPLACE-WITH-SOURCE-PASSWORD", "emulated-source-password",
		"https://pkc-oauth.example.confluent.cloud:443", e.OAuthClusterURL,
		"https://idp.example.com/oauth2/token", e.OAuthTokenURL,
		"REPLACE-WITH-OAUTH-CLIENT-SECRET", e.OAuthClientSecret,
	)
	var written []string
	for _, ent := range entries {
		if ent.IsDir() || !strings.HasSuffix(ent.Name(), ".yaml") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, ent.Name()))
		if err != nil {
			return nil, err
		}
		s := pemPlaceholder.ReplaceAllStringFunc(string(b), func(m string) string {
			indent := pemPlaceholder.FindStringSubmatch(m)[1]
			var out strings.Builder
			for _, line := range strings.Split(strings.TrimRight(string(e.DestinationCA), "\n"), "\n") {
				out.WriteString(indent + line + "\n")
			}
			return out.String()
		})
		s = repl.Replace(s)
		if strings.Contains(s, "REPLACE-WITH") {
			return nil, fmt.Errorf("%s: a placeholder has no local value", ent.Name())
		}
		out := filepath.Join(dst, ent.Name())
		if err := os.WriteFile(out, []byte(s), 0o600); err != nil {
			return nil, err
		}
		written = append(written, out)
	}
	return written, nil
}
