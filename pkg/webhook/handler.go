// Package webhook is kafkalink's validating admission webhook: an HTTPS
// server answering admission.k8s.io/v1 AdmissionReviews for ClusterLinks and
// KafkaRestClasses.
//
// The handler is transport only: it decodes, dispatches on the operation,
// calls pkg/mirror's validators (the same state machine the controller plans
// with) and the reference checks of this package, and encodes. It has no
// side effects, so dry-run requests are handled like any other. Anything it
// cannot decode is denied (fail closed): a skipped check could delete data.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"golang.org/x/sync/semaphore"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/klog/v2"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/credentials"
	"github.com/kafkalink/kafkalink/pkg/mirror"
)

const (
	// PathClusterLink is where ClusterLink admissions are served.
	PathClusterLink = "/validate-clusterlink"
	// PathKafkaRestClass is where KafkaRestClass admissions are served.
	PathKafkaRestClass = "/validate-kafkarestclass"

	// MaxRequestBytes caps an AdmissionReview body. The apiserver limits
	// objects to about 1.5 MiB and a review carries two of them.
	MaxRequestBytes = 3 << 20

	// maxReportedErrors bounds a denial: the first errors in full, then a
	// count. The apiserver and kubectl print every cause, and building the
	// message is what made a 10,000-error denial take seconds.
	maxReportedErrors = 50
	// maxWarnings bounds the warnings of one answer (the apiserver drops
	// warnings past 4 KiB in total anyway).
	maxWarnings = 20
)

// Defaults of Limits.
const (
	DefaultMaxConcurrentAdmissions = 64
	DefaultMaxInflightBytes        = 16 << 20
	DefaultQueueWait               = 2 * time.Second
)

var (
	clusterLinkGK    = kafkalinkv1alpha1.Kind("ClusterLink")
	kafkaRestClassGK = kafkalinkv1alpha1.Kind("KafkaRestClass")
)

// Limits bound the work the webhook takes on at once, and so its memory.
// A request first reserves its body size (at least MaxInflightBytes /
// MaxConcurrent) out of MaxInflightBytes; one that cannot within QueueWait
// is refused with HTTP 429 and Retry-After, which the apiserver retries.
// Small reviews so run up to MaxConcurrent at once, while 3 MiB ones run a
// few at a time instead of all decoding at once.
type Limits struct {
	MaxConcurrent    int
	MaxInflightBytes int64
	QueueWait        time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxConcurrent <= 0 {
		l.MaxConcurrent = DefaultMaxConcurrentAdmissions
	}
	if l.MaxInflightBytes <= 0 {
		l.MaxInflightBytes = DefaultMaxInflightBytes
	}
	if l.MaxInflightBytes < MaxRequestBytes {
		// The largest review must always fit, or it would wait forever.
		l.MaxInflightBytes = MaxRequestBytes
	}
	if l.QueueWait <= 0 {
		l.QueueWait = DefaultQueueWait
	}
	return l
}

// Handler serves the admission endpoints.
type Handler struct {
	lookup      Lookup
	metrics     *Metrics
	directories credentials.DirectoryPolicy
	mux         *http.ServeMux
	limits      Limits
	inflight    *semaphore.Weighted
	// minWeight is what a small review reserves: MaxConcurrent of them fill
	// the budget.
	minWeight int64
}

// HandlerOptions configure NewHandler.
type HandlerOptions struct {
	// Lookup may be nil: reference checks are then skipped
	// (--check-references=false).
	Lookup Lookup
	// Metrics may be nil.
	Metrics *Metrics
	Limits  Limits
	// Directories is the directoryPathInContainer policy; the zero value
	// refuses every directory.
	Directories credentials.DirectoryPolicy
}

// NewHandler returns the admission handler.
func NewHandler(o HandlerOptions) *Handler {
	limits := o.Limits.withDefaults()
	h := &Handler{
		lookup: o.Lookup, metrics: o.Metrics, directories: o.Directories, mux: http.NewServeMux(), limits: limits,
		inflight:  semaphore.NewWeighted(limits.MaxInflightBytes),
		minWeight: max(1, limits.MaxInflightBytes/int64(limits.MaxConcurrent)),
	}
	h.mux.Handle(PathClusterLink, serveReview(h, "clusterlinks", clusterLinkGK, h.admitClusterLink))
	h.mux.Handle(PathKafkaRestClass, serveReview(h, "kafkarestclasses", kafkaRestClassGK, h.admitKafkaRestClass))
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// reviewIn is an admission.k8s.io/v1 AdmissionReview whose objects decode
// straight into the endpoint's type: one pass from the body to typed
// objects, without the RawExtension copies of admissionv1.AdmissionReview.
type reviewIn[T any] struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	Request    *requestIn[T] `json:"request"`
}

// requestIn is the part of admissionv1.AdmissionRequest the webhook reads.
type requestIn[T any] struct {
	UID         types.UID                   `json:"uid"`
	Kind        metav1.GroupVersionKind     `json:"kind"`
	Resource    metav1.GroupVersionResource `json:"resource"`
	SubResource string                      `json:"subResource,omitempty"`
	Name        string                      `json:"name,omitempty"`
	Namespace   string                      `json:"namespace,omitempty"`
	Operation   admissionv1.Operation       `json:"operation"`
	Object      *T                          `json:"object,omitempty"`
	OldObject   *T                          `json:"oldObject,omitempty"`
	DryRun      *bool                       `json:"dryRun,omitempty"`
}

// skipped decodes any JSON value to nothing: the second, cheap pass that
// finds the UID of a review whose objects did not decode.
type skipped struct{}

func (*skipped) UnmarshalJSON([]byte) error { return nil }

// admitFunc validates one decoded request and returns the response to send.
type admitFunc[T any] func(ctx context.Context, req *requestIn[T]) *admissionv1.AdmissionResponse

var admissionV1 = admissionv1.SchemeGroupVersion.String()

// serveReview wraps an admitFunc with the AdmissionReview transport: limits,
// decoding (every failure is a denial or a 4xx, never an admission), the
// envelope checks, and the answer.
func serveReview[T any](h *Handler, resource string, gk schema.GroupKind, admit admitFunc[T]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		logger := klog.FromContext(r.Context())
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "only POST is allowed", http.StatusMethodNotAllowed)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			http.Error(w, "Content-Type must be application/json", http.StatusUnsupportedMediaType)
			return
		}
		if r.ContentLength > MaxRequestBytes {
			http.Error(w, fmt.Sprintf("AdmissionReview larger than %d bytes", MaxRequestBytes), http.StatusRequestEntityTooLarge)
			return
		}
		release, ok := h.reserve(r)
		if !ok {
			h.metrics.throttled(resource)
			w.Header().Set("Retry-After", "1")
			http.Error(w, fmt.Sprintf("the kafkalink webhook is answering as many admissions as it allows at once (%d, %d bytes); retry", h.limits.MaxConcurrent, h.limits.MaxInflightBytes), http.StatusTooManyRequests)
			return
		}
		defer release()
		body, err := readBody(w, r)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, fmt.Sprintf("AdmissionReview larger than %d bytes", MaxRequestBytes), http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "reading the AdmissionReview: "+err.Error(), http.StatusBadRequest)
			return
		}
		if len(bytes.TrimSpace(body)) == 0 {
			http.Error(w, "empty body: expected an admission.k8s.io/v1 AdmissionReview", http.StatusBadRequest)
			return
		}
		if err := checkDepth(body, maxJSONDepth); err != nil {
			http.Error(w, "malformed AdmissionReview: "+err.Error(), http.StatusBadRequest)
			return
		}
		var in reviewIn[T]
		var resp *admissionv1.AdmissionResponse
		var uid types.UID
		operation := ""
		if err := json.Unmarshal(body, &in); err != nil {
			// The objects may be what failed: find the UID to answer with a
			// denial that names the problem. Without one, the 400 makes the
			// apiserver reject the request (failurePolicy Fail).
			var envelope reviewIn[skipped]
			if json.Unmarshal(body, &envelope) != nil || envelope.Request == nil || envelope.Request.UID == "" || envelope.APIVersion != admissionV1 {
				http.Error(w, "malformed AdmissionReview: "+describeJSONError(err), http.StatusBadRequest)
				return
			}
			uid, operation = envelope.Request.UID, string(envelope.Request.Operation)
			resp = badRequest(fmt.Sprintf("cannot decode the %s in the AdmissionReview: %s", gk.Kind, describeJSONError(err)))
		} else {
			if msg := checkEnvelope(in.APIVersion, in.Kind); msg != "" {
				http.Error(w, msg, http.StatusBadRequest)
				return
			}
			if in.Request == nil {
				http.Error(w, "AdmissionReview has no request", http.StatusBadRequest)
				return
			}
			req := in.Request
			uid, operation = req.UID, string(req.Operation)
			if req.UID == "" {
				http.Error(w, "AdmissionReview request has no uid", http.StatusBadRequest)
				return
			}
			ctx := r.Context()
			if req.Kind.Group != gk.Group || req.Kind.Kind != gk.Kind || req.Resource.Group != gk.Group || req.Resource.Resource != resource {
				resp = badRequest(fmt.Sprintf("this endpoint validates %s (%s), not kind %s resource %s",
					gk, resource, schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}, schema.GroupResource{Group: req.Resource.Group, Resource: req.Resource.Resource}))
			} else {
				resp = admit(ctx, req)
			}
		}
		resp.UID = uid
		out := admissionv1.AdmissionReview{
			TypeMeta: metav1.TypeMeta{APIVersion: admissionV1, Kind: "AdmissionReview"},
			Response: resp,
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(&out); err != nil {
			logger.Error(err, "Writing admission response failed", "resource", resource, "uid", uid)
		}
		h.metrics.observe(resource, operation, resp.Allowed, time.Since(start))
		if logger := logger.V(4); logger.Enabled() {
			logger.Info("Admission reviewed", "operation", operation, "uid", uid, "allowed", resp.Allowed, "warnings", len(resp.Warnings), "duration", time.Since(start))
		}
	})
}

// describeJSONError names what did not decode without the Go type names of
// the webhook's internals.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		where := "the AdmissionReview"
		if typeErr.Field != "" {
			where = typeErr.Field
		}
		return fmt.Sprintf("%s is a JSON %s, which it cannot be (at byte %d)", where, typeErr.Value, typeErr.Offset)
	}
	return err.Error()
}

// checkEnvelope refuses reviews in any version but admission.k8s.io/v1:
// the webhook configuration asks for v1 only, and an answer in the wrong
// version would be misread.
func checkEnvelope(apiVersion, kind string) string {
	if apiVersion != admissionV1 || kind != "AdmissionReview" {
		return fmt.Sprintf("unsupported envelope %s %s: this webhook answers %s AdmissionReview only (admissionReviewVersions: [v1])", apiVersion, kind, admissionV1)
	}
	return ""
}

// maxJSONDepth is far deeper than any ClusterLink or KafkaRestClass (their
// managedFields included) and far shallower than what makes decoding
// expensive; the decoder's own limit is 10,000.
const maxJSONDepth = 100

// checkDepth refuses JSON nested deeper than limit, in one pass over the
// bytes and before anything is decoded.
func checkDepth(body []byte, limit int) error {
	depth, inString, escaped := 0, false, false
	for i, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > limit {
				return fmt.Errorf("JSON nested deeper than %d levels (at byte %d); no ClusterLink or KafkaRestClass is", limit, i)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// reserve waits up to QueueWait for room for this request's body.
func (h *Handler) reserve(r *http.Request) (release func(), ok bool) {
	weight := int64(MaxRequestBytes) // unknown length: assume the largest
	if r.ContentLength >= 0 {
		weight = max(r.ContentLength, h.minWeight)
	}
	weight = min(weight, h.limits.MaxInflightBytes)
	// The common case takes no timer.
	if !h.inflight.TryAcquire(weight) {
		ctx, cancel := context.WithTimeout(r.Context(), h.limits.QueueWait)
		defer cancel()
		if err := h.inflight.Acquire(ctx, weight); err != nil {
			return nil, false
		}
	}
	h.metrics.inflightAdd(weight)
	return func() {
		h.inflight.Release(weight)
		h.metrics.inflightAdd(-weight)
	}, true
}

// readBody reads the whole body into one buffer of its declared size.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, MaxRequestBytes)
	if r.ContentLength < 0 {
		return io.ReadAll(body)
	}
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// unavailable denies a request whose checks could not be answered, with a
// status kubectl shows as retryable.
func unavailable(err error) *admissionv1.AdmissionResponse {
	st := apierrors.NewServiceUnavailable("kafkalink webhook cannot check this request right now, retry in a few seconds: " + err.Error()).ErrStatus
	st.Details = &metav1.StatusDetails{RetryAfterSeconds: 2}
	return &admissionv1.AdmissionResponse{Allowed: false, Result: &st}
}

// capErrors keeps the first maxReportedErrors errors and summarises the
// rest in one, so a denial costs the same whatever the number of errors.
func capErrors(errs field.ErrorList) field.ErrorList {
	if len(errs) <= maxReportedErrors {
		return errs
	}
	rest := errs[maxReportedErrors:]
	out := make(field.ErrorList, maxReportedErrors, maxReportedErrors+1)
	copy(out, errs[:maxReportedErrors])
	return append(out, field.Forbidden(field.NewPath("spec"), fmt.Sprintf(
		"and %s, not listed (the next at %s): fix the ones above and apply again to see them", mirror.Count(len(rest), "more error"), rest[0].Field)))
}

// capWarnings keeps the first maxWarnings warnings and counts the rest.
func capWarnings(warnings []string) []string {
	if len(warnings) <= maxWarnings {
		return warnings
	}
	return append(warnings[:maxWarnings:maxWarnings], "and "+mirror.Count(len(warnings)-maxWarnings, "more warning"))
}

// deny turns validation errors into a 422-style Invalid status, so kubectl
// prints every field path and message.
func deny(gk schema.GroupKind, name string, errs field.ErrorList, warnings []string) *admissionv1.AdmissionResponse {
	st := apierrors.NewInvalid(gk, name, capErrors(errs)).ErrStatus
	return &admissionv1.AdmissionResponse{Allowed: false, Result: &st, Warnings: capWarnings(warnings)}
}

// badRequest denies a request the webhook cannot make sense of.
func badRequest(msg string) *admissionv1.AdmissionResponse {
	st := apierrors.NewBadRequest(msg).ErrStatus
	return &admissionv1.AdmissionResponse{Allowed: false, Result: &st}
}

func allow(warnings []string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{Allowed: true, Warnings: capWarnings(warnings)}
}

// respond allows or denies according to errs.
func respond(gk schema.GroupKind, name string, errs field.ErrorList, warnings []string) *admissionv1.AdmissionResponse {
	if len(errs) > 0 {
		return deny(gk, name, errs, warnings)
	}
	return allow(warnings)
}

// checkObject refuses a missing object or one of another kind.
func checkObject[T any, PT interface {
	*T
	GetObjectKind() schema.ObjectKind
}](what string, gk schema.GroupKind, obj PT) error {
	if obj == nil {
		return fmt.Errorf("the AdmissionReview has no %s", what)
	}
	if got := obj.GetObjectKind().GroupVersionKind(); got.GroupKind() != gk {
		return fmt.Errorf("the %s is a %q of apiVersion %q, want %s", what, got.Kind, got.GroupVersion(), gk)
	}
	return nil
}

func (h *Handler) admitClusterLink(ctx context.Context, req *requestIn[kafkalinkv1alpha1.ClusterLink]) *admissionv1.AdmissionResponse {
	obj, old := req.Object, req.OldObject
	objErr := func() error { return checkObject("object", clusterLinkGK, obj) }
	oldErr := func() error { return checkObject("oldObject", clusterLinkGK, old) }
	switch req.Operation {
	case admissionv1.Create:
		if err := objErr(); err != nil {
			return badRequest(err.Error())
		}
		errs, warnings := mirror.ValidateCreate(obj)
		errs = append(errs, h.directories.ValidateDirectories(obj.Namespace, credentials.ClusterLinkDirectoryRefs(obj))...)
		refErrs, refWarnings, err := h.checkClusterLinkReferences(ctx, obj)
		if err != nil {
			return unavailable(err)
		}
		warnings = append(warnings, ClusterLinkFieldWarnings(obj)...)
		return respond(clusterLinkGK, obj.Name, append(errs, refErrs...), append(warnings, refWarnings...))
	case admissionv1.Update:
		if err := errors.Join(objErr(), oldErr()); err != nil {
			return badRequest(err.Error())
		}
		errs, warnings := mirror.ValidateUpdate(old, obj)
		// Reference checks run only when the spec changes: an update that
		// only touches metadata (a finalizer removal) or a terminating
		// object must never be denied, or deletion could wedge.
		if old.DeletionTimestamp == nil && obj.DeletionTimestamp == nil && !mirror.SpecEqual(&old.Spec, &obj.Spec) {
			errs = append(errs, h.directories.ValidateDirectories(obj.Namespace, credentials.ClusterLinkDirectoryRefs(obj))...)
			refErrs, refWarnings, err := h.checkClusterLinkReferences(ctx, obj)
			if err != nil {
				return unavailable(err)
			}
			errs = append(errs, refErrs...)
			warnings = append(warnings, refWarnings...)
			warnings = append(warnings, ClusterLinkFieldWarnings(obj)...)
		}
		return respond(clusterLinkGK, obj.Name, errs, warnings)
	case admissionv1.Delete:
		if err := oldErr(); err != nil {
			return badRequest(err.Error())
		}
		errs, warnings := mirror.ValidateDelete(old)
		return respond(clusterLinkGK, old.Name, errs, warnings)
	default:
		return badRequest(fmt.Sprintf("operation %q is not validated here; the webhook configuration should send CREATE, UPDATE and DELETE only", req.Operation))
	}
}

func (h *Handler) admitKafkaRestClass(ctx context.Context, req *requestIn[kafkalinkv1alpha1.KafkaRestClass]) *admissionv1.AdmissionResponse {
	switch req.Operation {
	case admissionv1.Create, admissionv1.Update:
		obj, old := req.Object, req.OldObject
		if err := checkObject("object", kafkaRestClassGK, obj); err != nil {
			return badRequest(err.Error())
		}
		if req.Operation == admissionv1.Update {
			if err := checkObject("oldObject", kafkaRestClassGK, old); err != nil {
				return badRequest(err.Error())
			}
			if obj.DeletionTimestamp != nil || equality.Semantic.DeepEqual(old.Spec, obj.Spec) {
				return allow(nil)
			}
		}
		errs, warnings := ValidateKafkaRestClass(obj)
		errs = append(errs, h.directories.ValidateDirectories(obj.Namespace, credentials.KafkaRestClassDirectoryRefs(obj))...)
		refErrs, secretWarnings, err := h.checkKafkaRestClassSecrets(ctx, obj)
		if err != nil {
			return unavailable(err)
		}
		return respond(kafkaRestClassGK, obj.Name, append(errs, refErrs...), append(warnings, secretWarnings...))
	case admissionv1.Delete:
		return allow(nil)
	default:
		return badRequest(fmt.Sprintf("operation %q is not validated here; the webhook configuration should send CREATE and UPDATE only", req.Operation))
	}
}
