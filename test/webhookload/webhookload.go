// Package webhookload drives admission webhooks the way the apiserver
// does — AdmissionReviews over TLS on keep-alive connections, many at once
// — and measures admissions per second and latency percentiles. It also
// has a minimal decode-and-allow handler to compare against, and the
// reviews both are sent. hack/webhook-load (make bench-webhook) and the
// end-to-end suite use it.
package webhookload

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// Names the reviews refer to; a cluster under test must hold them in
// Namespace for the reference checks to pass.
const (
	Namespace   = "load"
	ClassName   = "krc-load"
	SecretName  = "load-jaas"
	ClusterLink = "load-link"
)

// Result is one measured level.
type Result struct {
	Target      string
	Concurrency int
	Requests    int
	Errors      int
	// FirstError is an example of what failed.
	FirstError string
	Elapsed    time.Duration
	PerSecond  float64
	P50, P99   time.Duration
}

func (r Result) String() string {
	return fmt.Sprintf("%-10s c=%-3d %8.0f adm/s  p50 %8s  p99 %8s  (%d requests, %d errors)",
		r.Target, r.Concurrency, r.PerSecond, r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Requests, r.Errors)
}

// Client returns an HTTPS client trusting ca that keeps up to conns
// connections alive, as the apiserver's webhook client does.
func Client(ca []byte, conns int) (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("CA is not PEM")
	}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     time.Minute,
		},
	}, nil
}

// Answer is what one review got.
type Answer struct {
	Code    int
	Allowed bool
	Body    []byte
}

// Post sends one review and reads the whole answer.
func Post(ctx context.Context, c *http.Client, url string, body []byte) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Answer{}, err
	}
	a := Answer{Code: resp.StatusCode, Body: b}
	if resp.StatusCode == http.StatusOK {
		var out admissionv1.AdmissionReview
		if err := json.Unmarshal(b, &out); err != nil || out.Response == nil {
			return a, fmt.Errorf("answer is not an AdmissionReview: %.200s", b)
		}
		a.Allowed = out.Response.Allowed
	}
	return a, nil
}

// Run sends body to url from concurrency workers for duration and measures
// the answers. want checks each answer; a failed check counts as an error.
func Run(ctx context.Context, target, url string, ca, body []byte, concurrency int, duration time.Duration, want func(Answer) error) (Result, error) {
	c, err := Client(ca, concurrency)
	if err != nil {
		return Result{}, err
	}
	defer c.CloseIdleConnections()
	// Warm the connections so the TLS handshakes are not measured.
	for range concurrency {
		if _, err := Post(ctx, c, url, body); err != nil {
			return Result{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	var mu sync.Mutex
	var latencies []time.Duration
	res := Result{Target: target, Concurrency: concurrency}
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			var mine []time.Duration
			errs, first := 0, ""
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				a, err := Post(ctx, c, url, body)
				mine = append(mine, time.Since(t0))
				if err == nil && want != nil {
					err = want(a)
				}
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, mine...)
			res.Errors += errs
			if res.FirstError == "" {
				res.FirstError = first
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Requests = len(latencies)
	res.PerSecond = float64(res.Requests) / res.Elapsed.Seconds()
	slices.Sort(latencies)
	if n := len(latencies); n > 0 {
		res.P50 = latencies[n/2]
		res.P99 = latencies[min(n-1, n*99/100)]
	}
	return res, ctx.Err()
}

// Allowed is a want for reviews that must be admitted.
func Allowed(a Answer) error {
	if a.Code != http.StatusOK || !a.Allowed {
		return fmt.Errorf("HTTP %d, allowed=%v: %.300s", a.Code, a.Allowed, a.Body)
	}
	return nil
}

// MinimalHandler decodes the AdmissionReview and allows it: the floor any
// webhook written in Go on net/http pays.
func MinimalHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in admissionv1.AdmissionReview
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 3<<20)).Decode(&in); err != nil || in.Request == nil {
			http.Error(w, "bad review", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(admissionv1.AdmissionReview{
			TypeMeta: in.TypeMeta,
			Response: &admissionv1.AdmissionResponse{UID: in.Request.UID, Allowed: true},
		})
	})
}

// Link is a ClusterLink in Namespace with n mirror topics, referencing
// ClassName and SecretName. pad lengthens every topic (through a config
// value) to build large objects.
func Link(n, pad int) *kafkalinkv1alpha1.ClusterLink {
	cl := &kafkalinkv1alpha1.ClusterLink{
		TypeMeta:   metav1.TypeMeta{APIVersion: kafkalinkv1alpha1.SchemeGroupVersion.String(), Kind: "ClusterLink"},
		ObjectMeta: metav1.ObjectMeta{Name: ClusterLink, Namespace: Namespace, Generation: 1},
		Spec: kafkalinkv1alpha1.ClusterLinkSpec{
			DestinationKafkaCluster: kafkalinkv1alpha1.KafkaClusterSpec{
				KafkaRestClassRef: &kafkalinkv1alpha1.KafkaRestClassRef{Name: ClassName, Namespace: Namespace},
			},
			SourceKafkaCluster: kafkalinkv1alpha1.KafkaClusterSpec{
				BootstrapEndpoint: "kafka.source.svc:9092",
				Authentication: &kafkalinkv1alpha1.KafkaAuthentication{
					Type:       kafkalinkv1alpha1.KafkaAuthenticationPlain,
					JaasConfig: &kafkalinkv1alpha1.JaasConfig{SecretRef: SecretName},
				},
			},
		},
	}
	for i := range n {
		t := kafkalinkv1alpha1.MirrorTopic{Name: fmt.Sprintf("topic-%05d", i), State: kafkalinkv1alpha1.MirrorTopicStateActive}
		if pad > 0 {
			t.Configs = map[string]string{"description": strings.Repeat("x", pad)}
		}
		cl.Spec.MirrorTopics = append(cl.Spec.MirrorTopics, t)
		cl.Status.MirrorTopics = append(cl.Status.MirrorTopics, kafkalinkv1alpha1.MirrorTopicStatus{
			Name: t.Name, SourceTopicName: t.Name, Status: "ACTIVE", DesiredState: kafkalinkv1alpha1.MirrorTopicStateActive, Created: true,
		})
	}
	return cl
}

// UpdateReview is an UPDATE of Link(n, pad) pausing its first topic: a
// spec change, so every check (state machine and references) runs.
func UpdateReview(uid string, n, pad int) []byte {
	old := Link(n, pad)
	obj := old.DeepCopy()
	obj.Generation++
	if n > 0 {
		obj.Spec.MirrorTopics[0].State = kafkalinkv1alpha1.MirrorTopicStatePause
	}
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID(uid),
			Kind:      metav1.GroupVersionKind{Group: "kafkalink.io", Version: "v1alpha1", Kind: "ClusterLink"},
			Resource:  metav1.GroupVersionResource{Group: "kafkalink.io", Version: "v1alpha1", Resource: "clusterlinks"},
			Name:      ClusterLink,
			Namespace: Namespace,
			Operation: admissionv1.Update,
		},
	}
	review.Request.Object.Raw, _ = json.Marshal(obj)
	review.Request.OldObject.Raw, _ = json.Marshal(old)
	b, _ := json.Marshal(review)
	return b
}

// NearLimitReview is an UPDATE review just under size bytes.
func NearLimitReview(uid string, size int) []byte {
	const topics = 2000
	body := UpdateReview(uid, topics, 1)
	pad := (size - len(body)) / (2 * topics)
	return UpdateReview(uid, topics, max(1, pad-1))
}

// PeakRSS is the peak resident set of a process (VmHWM), in bytes.
func PeakRSS(pid int) (int64, error) {
	return procStatus(pid, "VmHWM:")
}

// RSS is the current resident set of a process (VmRSS), in bytes.
func RSS(pid int) (int64, error) {
	return procStatus(pid, "VmRSS:")
}

func procStatus(pid int, key string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == key {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", key, pid)
}
