package credentials

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// ErrDirectoryForbidden is wrapped by every refusal of a
// directoryPathInContainer.
var ErrDirectoryForbidden = errors.New("directory credentials are not allowed")

// Flag names of DirectoryPolicy; messages name them so a user knows what a
// cluster admin would have to change.
const (
	FlagDirectoryRoot       = "credential-directory-root"
	FlagDirectoryNamespaces = "credential-directory-namespaces"
)

// DirectoryPolicy decides which directoryPathInContainer values may be read
// on behalf of objects in which namespace. Anyone who may create a
// ClusterLink or KafkaRestClass names such a path, and the controller reads
// it with its own identity: without a policy, a tenant could make it read
// another team's mounted credentials and send them to the tenant's endpoint.
// The zero value refuses every directory.
type DirectoryPolicy struct {
	// Root is the only directory credentials may come from (e.g. where a
	// Vault agent writes); "" turns directory credentials off.
	Root string
	// Namespaces may use directory credentials; empty means every
	// namespace (once Root is set).
	Namespaces []string
}

// AddFlags registers the policy's flags.
func (p *DirectoryPolicy) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&p.Root, FlagDirectoryRoot, "", "Directory under which directoryPathInContainer credentials may be read (symlinks followed, never out of it). Empty: directory credentials are refused.")
	fs.Func(FlagDirectoryNamespaces, "Comma-separated namespaces whose objects may use directoryPathInContainer (default: every namespace, once --"+FlagDirectoryRoot+" is set).", func(v string) error {
		for _, ns := range strings.Split(v, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				p.Namespaces = append(p.Namespaces, ns)
			}
		}
		return nil
	})
}

// Validate checks the flags themselves.
func (p *DirectoryPolicy) Validate() error {
	if p.Root == "" {
		if len(p.Namespaces) > 0 {
			return fmt.Errorf("--%s needs --%s", FlagDirectoryNamespaces, FlagDirectoryRoot)
		}
		return nil
	}
	if !filepath.IsAbs(p.Root) {
		return fmt.Errorf("--%s must be an absolute path, got %q", FlagDirectoryRoot, p.Root)
	}
	p.Root = filepath.Clean(p.Root)
	if p.Root == "/" {
		return fmt.Errorf("--%s=/ would let every object read every file of the controller", FlagDirectoryRoot)
	}
	return nil
}

// Check decides on a declared path, as the webhook and the controller both
// do: directory credentials on, the namespace allowed, and the path
// absolute, without "..", and inside Root. It does not touch the
// filesystem; reading through Read also refuses symlinks that leave Root.
func (p DirectoryPolicy) Check(namespace, dir string) error {
	switch {
	case p.Root == "":
		return fmt.Errorf("%w: this kafkalink installation reads credentials from Secrets only (a cluster admin enables directories with --%s on the controller and the webhook)",
			ErrDirectoryForbidden, FlagDirectoryRoot)
	case len(p.Namespaces) > 0 && !slices.Contains(p.Namespaces, namespace):
		return fmt.Errorf("%w: namespace %q may not use directoryPathInContainer (allowed by --%s: %s); use a Secret",
			ErrDirectoryForbidden, namespace, FlagDirectoryNamespaces, strings.Join(p.Namespaces, ", "))
	case !filepath.IsAbs(dir):
		return fmt.Errorf("%w: %q is not an absolute path under %s (--%s)", ErrDirectoryForbidden, dir, p.Root, FlagDirectoryRoot)
	case slices.Contains(strings.Split(dir, "/"), ".."):
		return fmt.Errorf("%w: %q contains \"..\"; give a path under %s (--%s) without it", ErrDirectoryForbidden, dir, p.Root, FlagDirectoryRoot)
	}
	rel, err := filepath.Rel(p.Root, filepath.Clean(dir))
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("%w: %q is outside %s (--%s)", ErrDirectoryForbidden, dir, p.Root, FlagDirectoryRoot)
	}
	return nil
}

// Read reads key from dir on behalf of namespace. The file is opened
// through an os.Root at the policy's root, so neither "..", nor a symlink
// anywhere on the way, can reach a file outside it.
func (p DirectoryPolicy) Read(namespace, dir, key string) ([]byte, error) {
	if err := p.Check(namespace, dir); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(p.Root)
	if err != nil {
		return nil, fmt.Errorf("open --%s %s: %w", FlagDirectoryRoot, p.Root, err)
	}
	defer root.Close()
	rel, _ := filepath.Rel(p.Root, filepath.Join(filepath.Clean(dir), key))
	b, err := root.ReadFile(rel)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("file %s: %w", filepath.Join(dir, key), ErrNotFound)
	case strings.Contains(err.Error(), "path escapes from parent"): // os.Root's refusal

		return nil, fmt.Errorf("%w: %s leads outside %s (a symlink?)", ErrDirectoryForbidden, filepath.Join(dir, key), p.Root)
	default:
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, key), err)
	}
}

// DirectoryRef is one directoryPathInContainer of an object.
type DirectoryRef struct {
	Path *field.Path
	Dir  string
}

// ClusterLinkDirectoryRefs lists every directoryPathInContainer of a ClusterLink.
func ClusterLinkDirectoryRefs(cl *kafkalinkv1alpha1.ClusterLink) []DirectoryRef {
	spec := field.NewPath("spec")
	refs := clusterDirectoryRefs(spec.Child("sourceKafkaCluster"), &cl.Spec.SourceKafkaCluster)
	return append(refs, clusterDirectoryRefs(spec.Child("destinationKafkaCluster"), &cl.Spec.DestinationKafkaCluster)...)
}

func clusterDirectoryRefs(p *field.Path, c *kafkalinkv1alpha1.KafkaClusterSpec) []DirectoryRef {
	var refs []DirectoryRef
	add := func(path *field.Path, dir string) {
		if dir != "" {
			refs = append(refs, DirectoryRef{path, dir})
		}
	}
	if a := c.Authentication; a != nil {
		ap := p.Child("authentication")
		if a.JaasConfigPassThrough != nil {
			add(ap.Child("jaasConfigPassThrough", "directoryPathInContainer"), a.JaasConfigPassThrough.DirectoryPathInContainer)
		}
		if a.OAuthBearer != nil {
			add(ap.Child("oauthbearer", "directoryPathInContainer"), a.OAuthBearer.DirectoryPathInContainer)
		}
		if s := a.OAuthSettings; s != nil {
			refs = append(refs, clientAssertionDirectoryRefs(ap.Child("oauthSettings", "clientAssertion"), s.ClientAssertion)...)
		}
	}
	if t := c.TLS; t != nil {
		add(p.Child("tls", "directoryPathInContainer"), t.DirectoryPathInContainer)
	}
	return refs
}

// clientAssertionDirectoryRefs lists the directories of an OAuth client assertion.
func clientAssertionDirectoryRefs(p *field.Path, ca *kafkalinkv1alpha1.ClientAssertion) []DirectoryRef {
	if ca == nil {
		return nil
	}
	var refs []DirectoryRef
	if f := ca.JwtTokenFile; f != nil && f.DirectoryPathInContainer != "" {
		refs = append(refs, DirectoryRef{p.Child("jwtTokenFile", "directoryPathInContainer"), f.DirectoryPathInContainer})
	}
	if l := ca.LocalClientAssertion; l != nil && l.PrivateKeyFile != nil && l.PrivateKeyFile.DirectoryPathInContainer != "" {
		refs = append(refs, DirectoryRef{p.Child("localClientAssertion", "privateKeyFile", "directoryPathInContainer"), l.PrivateKeyFile.DirectoryPathInContainer})
	}
	return refs
}

// KafkaRestClassDirectoryRefs lists every directoryPathInContainer of a
// KafkaRestClass, under kafkaRest and secondaryKafkaRest.
func KafkaRestClassDirectoryRefs(k *kafkalinkv1alpha1.KafkaRestClass) []DirectoryRef {
	refs := restDirectoryRefs(field.NewPath("spec", "kafkaRest"), &k.Spec.KafkaRest)
	if k.Spec.SecondaryKafkaRest != nil {
		refs = append(refs, restDirectoryRefs(field.NewPath("spec", "secondaryKafkaRest"), k.Spec.SecondaryKafkaRest)...)
	}
	return refs
}

func restDirectoryRefs(p *field.Path, r *kafkalinkv1alpha1.KafkaRestSpec) []DirectoryRef {
	var refs []DirectoryRef
	add := func(path *field.Path, dir string) {
		if dir != "" {
			refs = append(refs, DirectoryRef{path, dir})
		}
	}
	if a := r.Authentication; a != nil {
		ap := p.Child("authentication")
		if a.Basic != nil {
			add(ap.Child("basic", "directoryPathInContainer"), a.Basic.DirectoryPathInContainer)
		}
		if a.Bearer != nil {
			add(ap.Child("bearer", "directoryPathInContainer"), a.Bearer.DirectoryPathInContainer)
		}
		if a.OAuth != nil {
			add(ap.Child("oauth", "directoryPathInContainer"), a.OAuth.DirectoryPathInContainer)
			if c := a.OAuth.Configuration; c != nil {
				refs = append(refs, clientAssertionDirectoryRefs(ap.Child("oauth", "configuration", "clientAssertion"), c.ClientAssertion)...)
			}
		}
	}
	if t := r.TLS; t != nil {
		add(p.Child("tls", "directoryPathInContainer"), t.DirectoryPathInContainer)
	}
	return refs
}

// ValidateDirectories refuses every directory reference the policy does not
// allow, with the field path and the reason.
func (p DirectoryPolicy) ValidateDirectories(namespace string, refs []DirectoryRef) field.ErrorList {
	var errs field.ErrorList
	for _, r := range refs {
		if err := p.Check(namespace, r.Dir); err != nil {
			errs = append(errs, field.Forbidden(r.Path, err.Error()))
		}
	}
	return errs
}
