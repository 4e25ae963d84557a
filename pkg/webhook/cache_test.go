package webhook

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	metadatafake "k8s.io/client-go/metadata/fake"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/generated/clientset/versioned/fake"
)

func secretMeta(namespace, name string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace,
			Labels: map[string]string{"team": "a"},
			// kubectl apply keeps the whole manifest, data included, here.
			Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"data":{"password":"c2VjcmV0"}}`},
		},
	}
}

// TestCacheLookup: the caches refuse to answer before they synced, hold
// Secrets as bare identities (no labels, no annotations: the last-applied
// annotation carries the Secret's data), and, limited to some namespaces,
// refuse lookups elsewhere instead of calling them absent.
func TestCacheLookup(t *testing.T) {
	classes := fake.NewSimpleClientset(
		&kafkalinkv1alpha1.KafkaRestClass{ObjectMeta: metav1.ObjectMeta{Name: "krc", Namespace: "team-a"}},
		&kafkalinkv1alpha1.KafkaRestClass{ObjectMeta: metav1.ObjectMeta{Name: "krc", Namespace: "team-b"}},
	)
	scheme := runtime.NewScheme()
	_ = metav1.AddMetaToScheme(scheme)
	_ = corev1.AddToScheme(scheme)
	md := metadatafake.NewSimpleMetadataClient(scheme, secretMeta("team-a", "creds"), secretMeta("team-b", "creds"))
	for _, tt := range []struct {
		name       string
		namespaces []string
		unwatched  string // a namespace the lookup must refuse, "" for none
	}{
		{"every namespace", nil, ""},
		{"team-a only", []string{"team-a"}, "team-b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			l, err := NewCacheLookup(classes, md, tt.namespaces...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.KafkaRestClass(ctx, "team-a", "krc"); !errors.Is(err, ErrCacheNotSynced) {
				t.Errorf("class lookup before sync: %v, want ErrCacheNotSynced", err)
			}
			if ok, err := l.SecretExists(ctx, "team-a", "creds"); ok || !errors.Is(err, ErrCacheNotSynced) {
				t.Errorf("Secret lookup before sync: %v %v, want ErrCacheNotSynced", ok, err)
			}
			if l.Ready() == nil {
				t.Error("ready before the caches synced")
			}
			l.Start(ctx)
			defer func() { cancel(); l.Shutdown() }()
			if !l.WaitForSync(ctx) || l.Ready() != nil {
				t.Fatal("caches did not sync")
			}
			if k, err := l.KafkaRestClass(ctx, "team-a", "krc"); err != nil || k.Name != "krc" {
				t.Errorf("class lookup: %v %v", k, err)
			}
			if _, err := l.KafkaRestClass(ctx, "team-a", "missing"); !isNotFound(err) {
				t.Errorf("missing class: %v, want NotFound", err)
			}
			if ok, err := l.SecretExists(ctx, "team-a", "creds"); !ok || err != nil {
				t.Errorf("Secret lookup: %v %v", ok, err)
			}
			if ok, err := l.SecretExists(ctx, "team-a", "missing"); ok || err != nil {
				t.Errorf("missing Secret: %v %v", ok, err)
			}
			for _, obj := range l.secrets.List() {
				m, err := meta.Accessor(obj)
				if err != nil {
					t.Fatal(err)
				}
				if len(m.GetAnnotations()) != 0 || len(m.GetLabels()) != 0 || len(m.GetManagedFields()) != 0 {
					t.Errorf("cached Secret %s/%s keeps annotations %v labels %v", m.GetNamespace(), m.GetName(), m.GetAnnotations(), m.GetLabels())
				}
			}
			if tt.unwatched == "" {
				if ok, err := l.SecretExists(ctx, "team-b", "creds"); !ok || err != nil {
					t.Errorf("Secret in team-b: %v %v", ok, err)
				}
				return
			}
			var nw *NamespaceNotWatchedError
			if _, err := l.KafkaRestClass(ctx, tt.unwatched, "krc"); !errors.As(err, &nw) || isNotFound(err) {
				t.Errorf("class in an unwatched namespace: %v, want NamespaceNotWatchedError", err)
			}
			if ok, err := l.SecretExists(ctx, tt.unwatched, "creds"); ok || !errors.As(err, &nw) {
				t.Errorf("Secret in an unwatched namespace: %v %v, want NamespaceNotWatchedError", ok, err)
			}
		})
	}
}
