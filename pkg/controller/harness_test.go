package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	kubefake "k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2/ktesting"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/generated/clientset/versioned/fake"
)

// fixture is a controller on fake clientsets, synced by hand (no workers),
// so a test controls exactly when each reconcile happens.
type fixture struct {
	t        testing.TB
	ctx      context.Context
	c        *Controller
	kube     *kubefake.Clientset
	client   *fake.Clientset
	recorder *record.FakeRecorder
	now      time.Time
}

const testNamespace = "operator"

func newFixture(t testing.TB, factory RESTClientFactory, objs ...runtime.Object) *fixture {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)

	var kubeObjs, linkObjs []runtime.Object
	var secretMeta []runtime.Object
	for _, o := range objs {
		switch v := o.(type) {
		case *corev1.Secret:
			kubeObjs = append(kubeObjs, v)
			secretMeta = append(secretMeta, &metav1.PartialObjectMetadata{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
				ObjectMeta: v.ObjectMeta,
			})
		default:
			linkObjs = append(linkObjs, o)
		}
	}
	scheme := runtime.NewScheme()
	_ = metav1.AddMetaToScheme(scheme)
	_ = corev1.AddToScheme(scheme)
	f := &fixture{
		t:      t,
		ctx:    ctx,
		kube:   kubefake.NewClientset(kubeObjs...),
		client: fake.NewSimpleClientset(linkObjs...),
		now:    time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC),
	}
	apiserverSemantics(f.client)
	meta := metadatafake.NewSimpleMetadataClient(scheme, secretMeta...)
	c, err := NewController(ctx, Options{
		KubeClient:             f.kube,
		KafkalinkClient:        f.client,
		MetadataClient:         meta,
		ResyncPeriod:           5 * time.Minute,
		TransitionPollInterval: 2 * time.Second,
		TransitionTimeout:      time.Minute,
		RESTClients:            factory,
		Now:                    func() time.Time { return f.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.recorder = record.NewFakeRecorder(1000)
	c.recorder = f.recorder
	c.Start(ctx)
	t.Cleanup(func() {
		cancel()
		c.Shutdown()
	})
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		t.Fatal("caches did not sync")
	}
	f.c = c
	return f
}

// apiserverSemantics makes the fake clientset behave like the apiserver
// where the controller depends on it: every write bumps resourceVersion, a
// write with a stale resourceVersion is a conflict, the status subresource
// changes only status, and a main-resource update leaves status alone.
func apiserverSemantics(client *fake.Clientset) {
	var rv int64 = 1000
	write := func(action clienttesting.Action, obj *kafkalinkv1alpha1.ClusterLink, current *kafkalinkv1alpha1.ClusterLink) (bool, runtime.Object, error) {
		gvr := action.GetResource()
		if obj.ResourceVersion != "" && obj.ResourceVersion != current.ResourceVersion {
			return true, nil, apierrors.NewConflict(gvr.GroupResource(), obj.Name, fmt.Errorf("the object has been modified"))
		}
		next := current.DeepCopy()
		if action.GetSubresource() == "status" {
			next.Status = obj.Status
		} else {
			obj.Status = current.Status
			next = obj
			if !equality.Semantic.DeepEqual(current.Spec, obj.Spec) {
				next.Generation = current.Generation + 1
			}
			if next.DeletionTimestamp != nil && len(next.Finalizers) == 0 {
				return true, next, client.Tracker().Delete(gvr, action.GetNamespace(), obj.Name)
			}
		}
		rv++
		next.ResourceVersion = strconv.FormatInt(rv, 10)
		if err := client.Tracker().Update(gvr, next, action.GetNamespace()); err != nil {
			return true, nil, err
		}
		return true, next, nil
	}
	current := func(action clienttesting.Action, name string) (*kafkalinkv1alpha1.ClusterLink, error) {
		cur, err := client.Tracker().Get(action.GetResource(), action.GetNamespace(), name)
		if err != nil {
			return nil, err
		}
		return cur.(*kafkalinkv1alpha1.ClusterLink), nil
	}
	client.PrependReactor("update", "clusterlinks", func(action clienttesting.Action) (bool, runtime.Object, error) {
		obj := action.(clienttesting.UpdateAction).GetObject().(*kafkalinkv1alpha1.ClusterLink).DeepCopy()
		cur, err := current(action, obj.Name)
		if err != nil {
			return true, nil, err
		}
		return write(action, obj, cur)
	})
	// JSON merge patches (RFC 7386), as the controller sends for finalizers.
	client.PrependReactor("patch", "clusterlinks", func(action clienttesting.Action) (bool, runtime.Object, error) {
		p := action.(clienttesting.PatchAction)
		if p.GetPatchType() != types.MergePatchType {
			return true, nil, fmt.Errorf("harness: unsupported patch type %s", p.GetPatchType())
		}
		cur, err := current(action, p.GetName())
		if err != nil {
			return true, nil, err
		}
		var doc, patch any
		b, _ := json.Marshal(cur)
		if err := json.Unmarshal(b, &doc); err != nil {
			return true, nil, err
		}
		if err := json.Unmarshal(p.GetPatch(), &patch); err != nil {
			return true, nil, err
		}
		b, _ = json.Marshal(mergePatch(doc, patch))
		obj := &kafkalinkv1alpha1.ClusterLink{}
		if err := json.Unmarshal(b, obj); err != nil {
			return true, nil, err
		}
		return write(action, obj, cur)
	})
}

// mergePatch applies an RFC 7386 JSON merge patch.
func mergePatch(doc, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	dm, ok := doc.(map[string]any)
	if !ok {
		dm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(dm, k)
			continue
		}
		dm[k] = mergePatch(dm[k], v)
	}
	return dm
}

// sync runs one reconcile of a ClusterLink after the informers caught up
// with the apiserver (fake) state.
func (f *fixture) sync(name string) (result, error) {
	f.t.Helper()
	f.waitForCache(name)
	return f.c.sync(f.ctx, cache.ObjectName{Namespace: testNamespace, Name: name})
}

// waitForCache waits until the lister shows the apiserver's current
// resourceVersion of the ClusterLink (or its absence).
func (f *fixture) waitForCache(name string) {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		want, err := f.client.KafkalinkV1alpha1().ClusterLinks(testNamespace).Get(f.ctx, name, metav1.GetOptions{})
		got, lerr := f.c.links.ClusterLinks(testNamespace).Get(name)
		switch {
		case err != nil && lerr != nil:
			return
		case err == nil && lerr == nil && got.ResourceVersion == want.ResourceVersion:
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.t.Fatalf("informer cache never caught up with ClusterLink %s", name)
}

func (f *fixture) get(name string) *kafkalinkv1alpha1.ClusterLink {
	f.t.Helper()
	cl, err := f.client.KafkalinkV1alpha1().ClusterLinks(testNamespace).Get(f.ctx, name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return cl
}

func (f *fixture) update(cl *kafkalinkv1alpha1.ClusterLink) {
	f.t.Helper()
	if _, err := f.client.KafkalinkV1alpha1().ClusterLinks(testNamespace).Update(f.ctx, cl, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

// writes counts the create/update/patch/delete actions on ClusterLinks
// since the last reset: apiserver writes per reconcile.
func (f *fixture) writes() int {
	n := 0
	for _, a := range f.client.Actions() {
		switch a.GetVerb() {
		case "create", "update", "patch", "delete":
			n++
		}
	}
	return n
}

func (f *fixture) resetActions() { f.client.ClearActions() }

func (f *fixture) statusWrites() int {
	n := 0
	for _, a := range f.client.Actions() {
		if u, ok := a.(clienttesting.UpdateAction); ok && u.GetSubresource() == "status" {
			n++
		}
	}
	return n
}

func condition(cl *kafkalinkv1alpha1.ClusterLink, typ string) *metav1.Condition {
	for i := range cl.Status.Conditions {
		if cl.Status.Conditions[i].Type == typ {
			return &cl.Status.Conditions[i]
		}
	}
	return nil
}

func topicStatus(cl *kafkalinkv1alpha1.ClusterLink, name string) *kafkalinkv1alpha1.MirrorTopicStatus {
	for i := range cl.Status.MirrorTopics {
		if cl.Status.MirrorTopics[i].Name == name {
			return &cl.Status.MirrorTopics[i]
		}
	}
	return nil
}

// Objects of the hybrid-cloud example.

func basicSecret(name, user, pass string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace, ResourceVersion: "1"},
		Data:       map[string][]byte{"basic.txt": []byte("username=" + user + "\npassword=" + pass + "\n")},
	}
}

func plainSecret(name, user, pass string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace, ResourceVersion: "1"},
		Data:       map[string][]byte{"plain.txt": []byte("username=" + user + "\npassword=" + pass + "\n")},
	}
}

func restClass(name, endpoint, clusterID string) *kafkalinkv1alpha1.KafkaRestClass {
	return &kafkalinkv1alpha1.KafkaRestClass{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace},
		Spec: kafkalinkv1alpha1.KafkaRestClassSpec{KafkaRest: kafkalinkv1alpha1.KafkaRestSpec{
			Endpoint: endpoint, KafkaClusterID: clusterID,
			Authentication: &kafkalinkv1alpha1.RestAuthentication{
				Type: kafkalinkv1alpha1.RestAuthenticationBasic, Basic: &kafkalinkv1alpha1.BasicAuthentication{SecretRef: "restclass-" + name},
			},
		}},
	}
}

func clusterLink(name string, topics ...kafkalinkv1alpha1.MirrorTopic) *kafkalinkv1alpha1.ClusterLink {
	return &kafkalinkv1alpha1.ClusterLink{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace, Generation: 1, UID: "uid-" + "1", ResourceVersion: "1"},
		Spec: kafkalinkv1alpha1.ClusterLinkSpec{
			DestinationKafkaCluster: kafkalinkv1alpha1.KafkaClusterSpec{
				KafkaRestClassRef: &kafkalinkv1alpha1.KafkaRestClassRef{Name: "krc-cloud"},
			},
			SourceKafkaCluster: kafkalinkv1alpha1.KafkaClusterSpec{
				BootstrapEndpoint: "onprem:9071",
				ClusterID:         "onprem",
				Authentication: &kafkalinkv1alpha1.KafkaAuthentication{
					Type: kafkalinkv1alpha1.KafkaAuthenticationPlain, JaasConfig: &kafkalinkv1alpha1.JaasConfig{SecretRef: "plainpassjks"},
				},
			},
			MirrorTopics: topics,
		},
	}
}

func mt(name string, state kafkalinkv1alpha1.MirrorTopicState) kafkalinkv1alpha1.MirrorTopic {
	return kafkalinkv1alpha1.MirrorTopic{Name: name, State: state}
}
