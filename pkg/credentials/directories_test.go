package credentials

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// One case per way a tenant could make the controller read a file that is
// not theirs: each is refused with ErrDirectoryForbidden and a message that
// says why, and no byte of the other file is returned.
func TestDirectoryPolicyThreats(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "mnt", "kafkalink")
	teamA := filepath.Join(root, "team-a")
	other := filepath.Join(base, "other-team") // mounted for someone else, outside the root
	for _, d := range []string{teamA, other, filepath.Join(root, "common")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write := func(dir, content string) {
		if err := os.WriteFile(filepath.Join(dir, KeyPlainJAAS), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(teamA, "team-a-jaas")
	write(other, "OTHER-TEAM-SECRET")
	write(filepath.Join(root, "common"), "common-jaas")
	// A directory under the root that is a symlink out of it, and one whose
	// file is a symlink out of it.
	if err := os.Symlink(other, filepath.Join(root, "escape-dir")); err != nil {
		t.Fatal(err)
	}
	escapeFile := filepath.Join(root, "escape-file")
	if err := os.Mkdir(escapeFile, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(other, KeyPlainJAAS), filepath.Join(escapeFile, KeyPlainJAAS)); err != nil {
		t.Fatal(err)
	}
	// A relative symlink that stays inside the root is followed; an
	// absolute one is refused even when it points inside (os.Root cannot
	// tell), as are absolute links in general.
	if err := os.Symlink("common", filepath.Join(root, "alias")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "common"), filepath.Join(root, "absolute-alias")); err != nil {
		t.Fatal(err)
	}
	// The layout of a Kubernetes Secret volume (the kubelet's atomic
	// writer): relative links through ..data to a timestamped directory.
	vol := filepath.Join(root, "secret-volume")
	if err := os.MkdirAll(filepath.Join(vol, "..2026_12_01_03_00_00.123"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(vol, "..2026_12_01_03_00_00.123"), "volume-jaas")
	if err := os.Symlink("..2026_12_01_03_00_00.123", filepath.Join(vol, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..data/"+KeyPlainJAAS, filepath.Join(vol, KeyPlainJAAS)); err != nil {
		t.Fatal(err)
	}

	policy := DirectoryPolicy{Root: root}
	cases := map[string]struct {
		policy    DirectoryPolicy
		namespace string
		dir       string
		want      string // content, or "" for a refusal
		wantMsg   string // part of the refusal
	}{
		"inside the root":                      {policy: policy, dir: teamA, want: "team-a-jaas"},
		"symlink that stays inside the root":   {policy: policy, dir: filepath.Join(root, "alias"), want: "common-jaas"},
		"absolute symlink, even one inside":    {policy: policy, dir: filepath.Join(root, "absolute-alias"), wantMsg: "leads outside"},
		"Kubernetes Secret volume layout":      {policy: policy, dir: vol, want: "volume-jaas"},
		"directory credentials off (no root)":  {policy: DirectoryPolicy{}, dir: teamA, wantMsg: "--credential-directory-root"},
		"path outside the root":                {policy: policy, dir: other, wantMsg: "outside " + root},
		"dot-dot out of the root":              {policy: policy, dir: root + "/team-a/../../../other-team", wantMsg: `contains ".."`},
		"dot-dot that stays inside is refused": {policy: policy, dir: root + "/team-a/../common", wantMsg: `contains ".."`},
		"relative path":                        {policy: policy, dir: "team-a", wantMsg: "not an absolute path"},
		"directory symlinked out of the root":  {policy: policy, dir: filepath.Join(root, "escape-dir"), wantMsg: "leads outside"},
		"file symlinked out of the root":       {policy: policy, dir: escapeFile, wantMsg: "leads outside"},
		"prefix look-alike of the root":        {policy: policy, dir: root + "-evil", wantMsg: "outside"},
		"namespace not allowed":                {policy: DirectoryPolicy{Root: root, Namespaces: []string{"team-a"}}, namespace: "team-b", dir: teamA, wantMsg: `namespace "team-b" may not use`},
		"namespace allowed":                    {policy: DirectoryPolicy{Root: root, Namespaces: []string{"team-a"}}, namespace: "team-a", dir: teamA, want: "team-a-jaas"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ns := tc.namespace
			if ns == "" {
				ns = "team-a"
			}
			r := &Resolver{Namespace: ns, Secrets: fakeSecrets{}, Directories: tc.policy}
			configs, err := r.LinkConfigs(context.Background(), &kafkalinkv1alpha1.KafkaClusterSpec{
				BootstrapEndpoint: "kafka:9092",
				Authentication: &kafkalinkv1alpha1.KafkaAuthentication{
					Type:                  kafkalinkv1alpha1.KafkaAuthenticationPlainPassthrough,
					JaasConfigPassThrough: &kafkalinkv1alpha1.SecretOrDirectory{DirectoryPathInContainer: tc.dir},
				},
			})
			for _, v := range configs {
				if strings.Contains(v, "OTHER-TEAM-SECRET") {
					t.Fatal("the other team's file reached the link configs")
				}
			}
			if tc.want != "" {
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(configs["sasl.jaas.config"], tc.want) {
					t.Errorf("sasl.jaas.config = %q, want it from %q", configs["sasl.jaas.config"], tc.want)
				}
				return
			}
			if !errors.Is(err, ErrDirectoryForbidden) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("err = %v, want ErrDirectoryForbidden with %q", err, tc.wantMsg)
			}
			if strings.Contains(err.Error(), "OTHER-TEAM-SECRET") {
				t.Error("the refusal carries the file's content")
			}
			// The webhook's check refuses what it can see without the
			// filesystem (everything but the symlinks).
			if !strings.Contains(name, "symlink") {
				if tc.policy.Check(ns, tc.dir) == nil {
					t.Error("Check allowed what Read refused")
				}
			}
		})
	}
}

func TestDirectoryPolicyFlags(t *testing.T) {
	for name, tc := range map[string]struct {
		p       DirectoryPolicy
		wantErr string
	}{
		"off":                     {},
		"root":                    {p: DirectoryPolicy{Root: "/mnt/kafkalink/"}},
		"relative root":           {p: DirectoryPolicy{Root: "mnt"}, wantErr: "absolute"},
		"slash":                   {p: DirectoryPolicy{Root: "/"}, wantErr: "every file"},
		"namespaces without root": {p: DirectoryPolicy{Namespaces: []string{"a"}}, wantErr: "needs --credential-directory-root"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Validate() = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
