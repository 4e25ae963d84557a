package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the golden admission responses in testdata/golden")

// fakeLookup is an in-memory Lookup.
type fakeLookup struct {
	classes map[string]*kafkalinkv1alpha1.KafkaRestClass // namespace/name
	secrets map[string]bool                              // namespace/name
}

func (f *fakeLookup) KafkaRestClass(_ context.Context, ns, name string) (*kafkalinkv1alpha1.KafkaRestClass, error) {
	if k, ok := f.classes[ns+"/"+name]; ok {
		return k, nil
	}
	return nil, apierrors.NewNotFound(kafkalinkv1alpha1.Resource("kafkarestclasses"), name)
}

func (f *fakeLookup) SecretExists(_ context.Context, ns, name string) (bool, error) {
	return f.secrets[ns+"/"+name], nil
}

func testLookup() *fakeLookup {
	return &fakeLookup{
		classes: map[string]*kafkalinkv1alpha1.KafkaRestClass{
			"operator/krc-cloud": {ObjectMeta: metav1.ObjectMeta{Name: "krc-cloud", Namespace: "operator"}},
			"operator/krc-cfk":   {ObjectMeta: metav1.ObjectMeta{Name: "krc-cfk", Namespace: "operator"}},
			"platform/shared":    {ObjectMeta: metav1.ObjectMeta{Name: "shared", Namespace: "platform"}, Spec: kafkalinkv1alpha1.KafkaRestClassSpec{AllowedNamespaces: []string{"team-a"}}},
		},
		secrets: map[string]bool{"operator/plainpassjks": true, "operator/restclass-ccloud": true},
	}
}

// demoLink is the hybrid-cloud example with the given mirror topics.
func demoLink(topics ...kafkalinkv1alpha1.MirrorTopic) *kafkalinkv1alpha1.ClusterLink {
	return &kafkalinkv1alpha1.ClusterLink{
		TypeMeta:   metav1.TypeMeta{APIVersion: kafkalinkv1alpha1.SchemeGroupVersion.String(), Kind: "ClusterLink"},
		ObjectMeta: metav1.ObjectMeta{Name: "clusterlink-demo", Namespace: "operator", Generation: 1},
		Spec: kafkalinkv1alpha1.ClusterLinkSpec{
			DestinationKafkaCluster: kafkalinkv1alpha1.KafkaClusterSpec{
				KafkaRestClassRef: &kafkalinkv1alpha1.KafkaRestClassRef{Name: "krc-cloud", Namespace: "operator"},
			},
			SourceKafkaCluster: kafkalinkv1alpha1.KafkaClusterSpec{
				BootstrapEndpoint: "kafka.operator.svc.cluster.local:9071",
				Authentication: &kafkalinkv1alpha1.KafkaAuthentication{
					Type:       kafkalinkv1alpha1.KafkaAuthenticationPlain,
					JaasConfig: &kafkalinkv1alpha1.JaasConfig{SecretRef: "plainpassjks"},
				},
				KafkaRestClassRef: &kafkalinkv1alpha1.KafkaRestClassRef{Name: "krc-cfk", Namespace: "operator"},
			},
			DeletionPolicy: kafkalinkv1alpha1.DeletionPolicyFailover,
			MirrorTopics:   topics,
		},
	}
}

func topic(name string, state kafkalinkv1alpha1.MirrorTopicState) kafkalinkv1alpha1.MirrorTopic {
	return kafkalinkv1alpha1.MirrorTopic{Name: name, State: state}
}

// withStatus records observed statuses for topics, as the controller does.
func withStatus(cl *kafkalinkv1alpha1.ClusterLink, observed map[string]string) *kafkalinkv1alpha1.ClusterLink {
	cl = cl.DeepCopy()
	for _, t := range cl.Spec.MirrorTopics {
		if st, ok := observed[t.Name]; ok {
			cl.Status.MirrorTopics = append(cl.Status.MirrorTopics, kafkalinkv1alpha1.MirrorTopicStatus{
				Name: t.Name, SourceTopicName: t.SourceName(), Status: st, DesiredState: t.DesiredState(), Created: st != "ABSENT",
			})
		}
	}
	return cl
}

func raw(t testing.TB, obj any) []byte {
	t.Helper()
	if obj == nil {
		return nil
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func reviewBody(t testing.TB, kind string, op admissionv1.Operation, obj, old any, dryRun bool) []byte {
	t.Helper()
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID("uid-" + strings.ToLower(string(op))),
			Kind:      metav1.GroupVersionKind{Group: "kafkalink.io", Version: "v1alpha1", Kind: kind},
			Resource:  metav1.GroupVersionResource{Group: "kafkalink.io", Version: "v1alpha1", Resource: resourceOf(kind)},
			Name:      "clusterlink-demo",
			Namespace: "operator",
			Operation: op,
			DryRun:    ptr.To(dryRun),
		},
	}
	review.Request.Object.Raw = raw(t, obj)
	review.Request.OldObject.Raw = raw(t, old)
	return raw(t, review)
}

// resourceOf is the plural resource of a kafkalink kind.
func resourceOf(kind string) string {
	if kind == "KafkaRestClass" {
		return "kafkarestclasses"
	}
	return strings.ToLower(kind) + "s"
}

func post(t testing.TB, h http.Handler, path, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeResponse(t *testing.T, rec *httptest.ResponseRecorder) *admissionv1.AdmissionResponse {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" || out.Response == nil {
		t.Fatalf("response is not an admission.k8s.io/v1 AdmissionReview: %s", rec.Body)
	}
	if out.Response.Patch != nil {
		t.Fatal("a validating webhook must never patch")
	}
	return out.Response
}

// causeFields returns the field paths of a denial's causes.
func causeFields(resp *admissionv1.AdmissionResponse) []string {
	var fields []string
	if resp.Result != nil && resp.Result.Details != nil {
		for _, c := range resp.Result.Details.Causes {
			fields = append(fields, c.Field)
		}
	}
	return fields
}

func TestAdmitClusterLink(t *testing.T) {
	promoted := withStatus(demoLink(topic("demo-topic", kafkalinkv1alpha1.MirrorTopicStatePromote)), map[string]string{"demo-topic": "STOPPED"})
	active := withStatus(demoLink(topic("demo-topic", kafkalinkv1alpha1.MirrorTopicStateActive)), map[string]string{"demo-topic": "ACTIVE"})
	terminating := promoted.DeepCopy()
	terminating.DeletionTimestamp = ptr.To(metav1.Now())
	terminating.Finalizers = []string{kafkalinkv1alpha1.FinalizerClusterLink}
	renamedSource := active.DeepCopy()
	renamedSource.Spec.MirrorTopics[0].SourceTopicName = "other-topic"
	protected := active.DeepCopy()
	protected.Spec.DeletionProtection = true
	crossNS := demoLink(topic("demo-topic", ""))
	crossNS.Spec.DestinationKafkaCluster.KafkaRestClassRef = &kafkalinkv1alpha1.KafkaRestClassRef{Name: "shared", Namespace: "platform"}
	crossNSSecret := demoLink(topic("demo-topic", ""))
	crossNSSecret.Spec.SourceKafkaCluster.Authentication.JaasConfig.SecretRef = "other/plainpassjks"
	missingSecret := demoLink(topic("demo-topic", ""))
	missingSecret.Spec.SourceKafkaCluster.Authentication.JaasConfig.SecretRef = "not-yet"
	metadataOnly := promoted.DeepCopy()
	metadataOnly.Finalizers = nil
	metadataOnly.Labels = map[string]string{"team": "a"}

	cases := map[string]struct {
		op          admissionv1.Operation
		obj, old    *kafkalinkv1alpha1.ClusterLink
		wantAllowed bool
		wantFields  []string // cause field paths of a denial
		wantWarning string   // substring of one warning
	}{
		"create the hybrid-cloud example": {
			op: admissionv1.Create, obj: demoLink(topic("demo-topic", "")), wantAllowed: true,
		},
		"create with a new topic in FAILOVER": {
			op: admissionv1.Create, obj: demoLink(topic("demo-topic", kafkalinkv1alpha1.MirrorTopicStateFailover)),
			wantFields: []string{"spec.mirrorTopics[name=demo-topic].state"},
		},
		"promoted topic back to ACTIVE": {
			op: admissionv1.Update, old: promoted, obj: withStatus(demoLink(topic("demo-topic", kafkalinkv1alpha1.MirrorTopicStateActive)), map[string]string{"demo-topic": "STOPPED"}),
			wantFields: []string{"spec.mirrorTopics[name=demo-topic].state"},
		},
		"PROMOTE escalated to FAILOVER": {
			op:          admissionv1.Update,
			old:         withStatus(demoLink(topic("demo-topic", kafkalinkv1alpha1.MirrorTopicStatePromote)), map[string]string{"demo-topic": "SOURCE_UNAVAILABLE"}),
			obj:         withStatus(demoLink(topic("demo-topic", kafkalinkv1alpha1.MirrorTopicStateFailover)), map[string]string{"demo-topic": "SOURCE_UNAVAILABLE"}),
			wantAllowed: true,
		},
		"sourceTopicName changed": {
			op: admissionv1.Update, old: active, obj: renamedSource,
			wantFields: []string{"spec.mirrorTopics[name=demo-topic].sourceTopicName"},
		},
		"topic removed is deleted, with a warning": {
			op: admissionv1.Update, old: active, obj: withStatus(demoLink(), nil), wantAllowed: true, wantWarning: "demo-topic",
		},
		"metadata-only update of a promoted link": {
			op: admissionv1.Update, old: promoted, obj: metadataOnly, wantAllowed: true,
		},
		"terminating object switched to Retain": {
			op: admissionv1.Update, old: terminating,
			obj: func() *kafkalinkv1alpha1.ClusterLink {
				o := terminating.DeepCopy()
				o.Spec.DeletionPolicy = kafkalinkv1alpha1.DeletionPolicyRetain
				return o
			}(),
			wantAllowed: true,
		},
		"delete of a protected link": {
			op: admissionv1.Delete, old: protected, wantFields: []string{"spec.deletionProtection"},
		},
		"delete fails over mirrors, with a warning": {
			op: admissionv1.Delete, old: active, wantAllowed: true, wantWarning: "fail",
		},
		"KafkaRestClass in a namespace that does not allow it": {
			op: admissionv1.Create, obj: crossNS, wantFields: []string{"spec.destinationKafkaCluster.kafkaRestClassRef.namespace"},
		},
		"Secret in another namespace": {
			op: admissionv1.Create, obj: crossNSSecret, wantFields: []string{"spec.sourceKafkaCluster.authentication.jaasConfig.secretRef"},
		},
		"Secret that does not exist yet": {
			op: admissionv1.Create, obj: missingSecret, wantAllowed: true, wantWarning: "Secret operator/not-yet does not exist yet",
		},
	}
	h := NewHandler(HandlerOptions{Lookup: testLookup()})
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var obj, old any
			if tc.obj != nil {
				obj = tc.obj
			}
			if tc.old != nil {
				old = tc.old
			}
			var responses []*admissionv1.AdmissionResponse
			for _, dryRun := range []bool{false, true} {
				body := reviewBody(t, "ClusterLink", tc.op, obj, old, dryRun)
				responses = append(responses, decodeResponse(t, post(t, h, PathClusterLink, "application/json", body)))
			}
			resp := responses[0]
			if !equalJSON(t, responses[0], responses[1]) {
				t.Errorf("dry-run answered differently:\n%s\n%s", raw(t, responses[0]), raw(t, responses[1]))
			}
			if resp.UID != types.UID("uid-"+strings.ToLower(string(tc.op))) {
				t.Errorf("UID %q not echoed", resp.UID)
			}
			if resp.Allowed != tc.wantAllowed {
				t.Fatalf("allowed = %v, want %v; result: %+v", resp.Allowed, tc.wantAllowed, resp.Result)
			}
			if !tc.wantAllowed {
				if resp.Result == nil || resp.Result.Code != http.StatusUnprocessableEntity || resp.Result.Reason != metav1.StatusReasonInvalid {
					t.Fatalf("denial is not a 422 Invalid: %+v", resp.Result)
				}
				got := causeFields(resp)
				for _, f := range tc.wantFields {
					if !contains(got, f) {
						t.Errorf("causes %v lack field %s; message: %s", got, f, resp.Result.Message)
					}
				}
			}
			if tc.wantWarning != "" && !anyContains(resp.Warnings, tc.wantWarning) {
				t.Errorf("warnings %q lack %q", resp.Warnings, tc.wantWarning)
			}
			for _, w := range resp.Warnings {
				if len(w) > 200 {
					t.Errorf("warning longer than 200 characters (the apiserver truncates): %q", w)
				}
			}
			checkGolden(t, name, resp)
		})
	}
}

func equalJSON(t *testing.T, a, b any) bool { return bytes.Equal(raw(t, a), raw(t, b)) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func anyContains(list []string, sub string) bool {
	for _, x := range list {
		if strings.Contains(x, sub) {
			return true
		}
	}
	return false
}

// checkGolden compares the user-facing part of a response (allowed, message,
// causes, warnings) with testdata/golden; -update rewrites the files.
func checkGolden(t *testing.T, name string, resp *admissionv1.AdmissionResponse) {
	t.Helper()
	type golden struct {
		Allowed  bool                 `json:"allowed"`
		Code     int32                `json:"code,omitempty"`
		Message  string               `json:"message,omitempty"`
		Causes   []metav1.StatusCause `json:"causes,omitempty"`
		Warnings []string             `json:"warnings,omitempty"`
		Reason   metav1.StatusReason  `json:"reason,omitempty"`
	}
	g := golden{Allowed: resp.Allowed, Warnings: resp.Warnings}
	if resp.Result != nil {
		g.Code, g.Message, g.Reason = resp.Result.Code, resp.Result.Message, resp.Result.Reason
		if resp.Result.Details != nil {
			g.Causes = resp.Result.Details.Causes
		}
	}
	got, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("testdata", "golden", strings.ReplaceAll(name, " ", "_")+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read golden file (run go test ./pkg/webhook -update to create it): %v", err)
	}
	if string(bytes.TrimSpace(want)) != string(got) {
		t.Errorf("response differs from %s (go test ./pkg/webhook -update rewrites it):\ngot:\n%s\nwant:\n%s", file, got, want)
	}
}

func TestAdmitKafkaRestClass(t *testing.T) {
	base := func() *kafkalinkv1alpha1.KafkaRestClass {
		return &kafkalinkv1alpha1.KafkaRestClass{
			TypeMeta:   metav1.TypeMeta{APIVersion: "kafkalink.io/v1alpha1", Kind: "KafkaRestClass"},
			ObjectMeta: metav1.ObjectMeta{Name: "krc-cloud", Namespace: "operator"},
			Spec: kafkalinkv1alpha1.KafkaRestClassSpec{KafkaRest: kafkalinkv1alpha1.KafkaRestSpec{
				Endpoint: "https://pkc-xxxxx.confluent.cloud:443",
				Authentication: &kafkalinkv1alpha1.RestAuthentication{
					Type: kafkalinkv1alpha1.RestAuthenticationBasic, Basic: &kafkalinkv1alpha1.BasicAuthentication{SecretRef: "restclass-ccloud"},
				},
			}},
		}
	}
	mod := func(f func(k *kafkalinkv1alpha1.KafkaRestClass)) *kafkalinkv1alpha1.KafkaRestClass {
		k := base()
		f(k)
		return k
	}
	cases := map[string]struct {
		obj         *kafkalinkv1alpha1.KafkaRestClass
		wantAllowed bool
		wantFields  []string
		wantWarning string
		notInBody   string
	}{
		"valid":              {obj: base(), wantAllowed: true},
		"credentials in URL": {obj: mod(func(k *kafkalinkv1alpha1.KafkaRestClass) { k.Spec.KafkaRest.Endpoint = "https://key:s3cr3t@pkc:443" }), wantFields: []string{"spec.kafkaRest.endpoint"}, notInBody: "s3cr3t"},
		"no host":            {obj: mod(func(k *kafkalinkv1alpha1.KafkaRestClass) { k.Spec.KafkaRest.Endpoint = "https://" }), wantFields: []string{"spec.kafkaRest.endpoint"}},
		"basic without secret": {obj: mod(func(k *kafkalinkv1alpha1.KafkaRestClass) { k.Spec.KafkaRest.Authentication.Basic = nil }),
			wantFields: []string{"spec.kafkaRest.authentication.basic"}},
		"mtls without tls": {obj: mod(func(k *kafkalinkv1alpha1.KafkaRestClass) {
			k.Spec.KafkaRest.Authentication = &kafkalinkv1alpha1.RestAuthentication{Type: kafkalinkv1alpha1.RestAuthenticationMTLS}
		}), wantFields: []string{"spec.kafkaRest.tls"}},
		"bad allowed namespace": {obj: mod(func(k *kafkalinkv1alpha1.KafkaRestClass) { k.Spec.AllowedNamespaces = []string{"team-a", "Team_B"} }),
			wantFields: []string{"spec.allowedNamespaces[1]"}},
		"secondary REST is ignored": {obj: mod(func(k *kafkalinkv1alpha1.KafkaRestClass) {
			k.Spec.SecondaryKafkaRest = &kafkalinkv1alpha1.KafkaRestSpec{Endpoint: "https://other:443"}
		}), wantAllowed: true, wantWarning: "ignored"},
		"plain http with credentials": {obj: mod(func(k *kafkalinkv1alpha1.KafkaRestClass) { k.Spec.KafkaRest.Endpoint = "http://kafka:8090" }),
			wantAllowed: true, wantWarning: "unencrypted"},
		"missing secret": {obj: mod(func(k *kafkalinkv1alpha1.KafkaRestClass) { k.Spec.KafkaRest.Authentication.Basic.SecretRef = "later" }),
			wantAllowed: true, wantWarning: "Secret operator/later does not exist yet"},
	}
	h := NewHandler(HandlerOptions{Lookup: testLookup()})
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := post(t, h, PathKafkaRestClass, "application/json", reviewBody(t, "KafkaRestClass", admissionv1.Create, tc.obj, nil, false))
			if tc.notInBody != "" && strings.Contains(rec.Body.String(), tc.notInBody) {
				t.Errorf("response echoes a secret value: %s", rec.Body)
			}
			resp := decodeResponse(t, rec)
			if resp.Allowed != tc.wantAllowed {
				t.Fatalf("allowed = %v, want %v: %+v", resp.Allowed, tc.wantAllowed, resp.Result)
			}
			for _, f := range tc.wantFields {
				if !contains(causeFields(resp), f) {
					t.Errorf("causes %v lack %s", causeFields(resp), f)
				}
			}
			if tc.wantWarning != "" && !anyContains(resp.Warnings, tc.wantWarning) {
				t.Errorf("warnings %q lack %q", resp.Warnings, tc.wantWarning)
			}
		})
	}
}

// TestTransport covers the HTTP envelope: methods, content types, size
// limits and malformed reviews are refused without a panic.
func TestTransport(t *testing.T) {
	h := NewHandler(HandlerOptions{})
	valid := reviewBody(t, "ClusterLink", admissionv1.Create, demoLink(topic("a", "")), nil, false)
	wrongKind := reviewBody(t, "KafkaRestClass", admissionv1.Create, demoLink(topic("a", "")), nil, false)
	garbageObject := bytes.Replace(valid, []byte(`"kind":"ClusterLink","apiVersion"`), []byte(`"kind":7,"apiVersion"`), 1)
	cases := map[string]struct {
		method, path, contentType string
		body                      []byte
		wantCode                  int
		wantDenied                string // substring of a denial message (HTTP 200)
	}{
		"GET":                 {method: http.MethodGet, path: PathClusterLink, wantCode: http.StatusMethodNotAllowed},
		"text/plain":          {method: http.MethodPost, path: PathClusterLink, contentType: "text/plain", body: valid, wantCode: http.StatusUnsupportedMediaType},
		"malformed JSON":      {method: http.MethodPost, path: PathClusterLink, contentType: "application/json", body: []byte(`{"request":`), wantCode: http.StatusBadRequest},
		"no request":          {method: http.MethodPost, path: PathClusterLink, contentType: "application/json", body: []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), wantCode: http.StatusBadRequest},
		"oversized":           {method: http.MethodPost, path: PathClusterLink, contentType: "application/json", body: append(append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), MaxRequestBytes)...), '"', '}'), wantCode: http.StatusRequestEntityTooLarge},
		"unknown path":        {method: http.MethodPost, path: "/mutate", contentType: "application/json", body: valid, wantCode: http.StatusNotFound},
		"wrong kind":          {method: http.MethodPost, path: PathClusterLink, contentType: "application/json", body: wrongKind, wantCode: http.StatusOK, wantDenied: "validates ClusterLink.kafkalink.io"},
		"undecodable object":  {method: http.MethodPost, path: PathClusterLink, contentType: "application/json", body: garbageObject, wantCode: http.StatusOK, wantDenied: "cannot decode the ClusterLink"},
		"charset is accepted": {method: http.MethodPost, path: PathClusterLink, contentType: "application/json; charset=utf-8", body: valid, wantCode: http.StatusOK},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, bytes.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantCode {
				t.Fatalf("HTTP %d, want %d: %s", rec.Code, tc.wantCode, rec.Body)
			}
			if tc.wantDenied != "" {
				resp := decodeResponse(t, rec)
				if resp.Allowed || resp.Result == nil || !strings.Contains(resp.Result.Message, tc.wantDenied) {
					t.Errorf("want a denial containing %q, got %+v", tc.wantDenied, resp)
				}
			}
		})
	}
}

// BenchmarkAdmitClusterLink1000 measures one UPDATE admission of a
// ClusterLink with 1,000 mirror topics: decode, validate, encode.
func BenchmarkAdmitClusterLink1000(b *testing.B) {
	var topics []kafkalinkv1alpha1.MirrorTopic
	observed := map[string]string{}
	for i := range 1000 {
		name := fmt.Sprintf("topic-%04d", i)
		topics = append(topics, topic(name, kafkalinkv1alpha1.MirrorTopicStateActive))
		observed[name] = "ACTIVE"
	}
	old := withStatus(demoLink(topics...), observed)
	obj := old.DeepCopy()
	obj.Spec.MirrorTopics[500].State = kafkalinkv1alpha1.MirrorTopicStatePause
	body := reviewBody(b, "ClusterLink", admissionv1.Update, obj, old, false)
	h := NewHandler(HandlerOptions{})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rec := post(b, h, PathClusterLink, "application/json", body)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"allowed":true`)) {
			b.Fatalf("unexpected response %d: %.200s", rec.Code, rec.Body)
		}
	}
}

// A metadata-only update (the controller adding its finalizer) is never
// judged by the reference checks, even when the stored object has an empty
// map the controller's client omits (nil and empty are the same spec) and
// the class has since stopped admitting the namespace: a denial here would
// wedge the ClusterLink.
func TestMetadataOnlyUpdateWithEmptyVersusNilSpecFields(t *testing.T) {
	old := demoLink(topic("a", ""))
	old.Spec.DestinationKafkaCluster.KafkaRestClassRef = &kafkalinkv1alpha1.KafkaRestClassRef{Name: "shared", Namespace: "platform"}
	updated := old.DeepCopy()
	updated.Finalizers = []string{kafkalinkv1alpha1.FinalizerClusterLink}
	var stored map[string]any
	if err := json.Unmarshal(raw(t, old), &stored); err != nil {
		t.Fatal(err)
	}
	stored["spec"].(map[string]any)["configs"] = map[string]any{}
	body := reviewBody(t, "ClusterLink", admissionv1.Update, updated, stored, false)
	resp := decodeResponse(t, post(t, NewHandler(HandlerOptions{Lookup: testLookup()}), PathClusterLink, "application/json", body))
	if !resp.Allowed {
		t.Errorf("finalizer-only update denied: %s", resp.Result.Message)
	}
	// The same class reference in a real spec change is still judged.
	updated.Spec.Configs = map[string]string{"x": "y"}
	body = reviewBody(t, "ClusterLink", admissionv1.Update, updated, stored, false)
	if resp := decodeResponse(t, post(t, NewHandler(HandlerOptions{Lookup: testLookup()}), PathClusterLink, "application/json", body)); resp.Allowed {
		t.Error("a spec change with a class that does not admit the namespace was allowed")
	}
}
