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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/klog/v2"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
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

	// lookupTimeout bounds the reference checks' API calls so a slow
	// apiserver cannot push the whole admission past its timeoutSeconds.
	lookupTimeout = 2 * time.Second
)

var (
	clusterLinkGK    = kafkalinkv1alpha1.Kind("ClusterLink")
	kafkaRestClassGK = kafkalinkv1alpha1.Kind("KafkaRestClass")
)

// Handler serves the admission endpoints.
type Handler struct {
	lookup  Lookup
	metrics *Metrics
	mux     *http.ServeMux
}

// NewHandler returns the admission handler. lookup may be nil: reference
// checks that need the API server are then skipped. metrics may be nil.
func NewHandler(lookup Lookup, metrics *Metrics) *Handler {
	h := &Handler{lookup: lookup, metrics: metrics, mux: http.NewServeMux()}
	h.mux.Handle(PathClusterLink, h.review("clusterlinks", h.admitClusterLink))
	h.mux.Handle(PathKafkaRestClass, h.review("kafkarestclasses", h.admitKafkaRestClass))
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// admitFunc validates one request and returns the response to send.
type admitFunc func(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse

// review wraps an admitFunc with the AdmissionReview transport.
func (h *Handler) review(resource string, admit admitFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		logger := klog.FromContext(r.Context()).WithValues("resource", resource)
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "only POST is allowed", http.StatusMethodNotAllowed)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			http.Error(w, "Content-Type must be application/json", http.StatusUnsupportedMediaType)
			return
		}
		var in admissionv1.AdmissionReview
		body := http.MaxBytesReader(w, r.Body, MaxRequestBytes)
		if err := json.NewDecoder(body).Decode(&in); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, fmt.Sprintf("AdmissionReview larger than %d bytes", MaxRequestBytes), http.StatusRequestEntityTooLarge)
				return
			}
			// Without a decodable review there is no UID to answer; the
			// apiserver treats the 400 as a webhook failure and, with
			// failurePolicy Fail, rejects the request.
			http.Error(w, "malformed AdmissionReview: "+err.Error(), http.StatusBadRequest)
			return
		}
		if in.Request == nil {
			http.Error(w, "AdmissionReview has no request", http.StatusBadRequest)
			return
		}
		req := in.Request
		ctx := klog.NewContext(r.Context(), logger.WithValues("operation", req.Operation, "object", klog.KRef(req.Namespace, req.Name), "uid", req.UID))
		resp := admit(ctx, req)
		resp.UID = req.UID
		out := admissionv1.AdmissionReview{
			TypeMeta: metav1.TypeMeta{APIVersion: admissionv1.SchemeGroupVersion.String(), Kind: "AdmissionReview"},
			Response: resp,
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(&out); err != nil {
			klog.FromContext(ctx).Error(err, "Writing admission response failed")
		}
		h.metrics.observe(resource, string(req.Operation), resp.Allowed, time.Since(start))
		klog.FromContext(ctx).V(4).Info("Admission reviewed", "allowed", resp.Allowed, "warnings", len(resp.Warnings))
	})
}

// deny turns validation errors into a 422-style Invalid status, so kubectl
// prints every field path and message.
func deny(gk schema.GroupKind, name string, errs field.ErrorList, warnings []string) *admissionv1.AdmissionResponse {
	st := apierrors.NewInvalid(gk, name, errs).ErrStatus
	return &admissionv1.AdmissionResponse{Allowed: false, Result: &st, Warnings: warnings}
}

// badRequest denies a request the webhook cannot make sense of.
func badRequest(msg string) *admissionv1.AdmissionResponse {
	st := apierrors.NewBadRequest(msg).ErrStatus
	return &admissionv1.AdmissionResponse{Allowed: false, Result: &st}
}

func allow(warnings []string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{Allowed: true, Warnings: warnings}
}

// respond allows or denies according to errs.
func respond(gk schema.GroupKind, name string, errs field.ErrorList, warnings []string) *admissionv1.AdmissionResponse {
	if len(errs) > 0 {
		return deny(gk, name, errs, warnings)
	}
	return allow(warnings)
}

func decodeClusterLink(raw []byte) (*kafkalinkv1alpha1.ClusterLink, error) {
	if len(raw) == 0 {
		return nil, errors.New("no object in the request")
	}
	obj := &kafkalinkv1alpha1.ClusterLink{}
	if err := json.Unmarshal(raw, obj); err != nil {
		return nil, err
	}
	if obj.Kind != "ClusterLink" {
		return nil, fmt.Errorf("object kind is %q, want ClusterLink", obj.Kind)
	}
	return obj, nil
}

func decodeKafkaRestClass(raw []byte) (*kafkalinkv1alpha1.KafkaRestClass, error) {
	if len(raw) == 0 {
		return nil, errors.New("no object in the request")
	}
	obj := &kafkalinkv1alpha1.KafkaRestClass{}
	if err := json.Unmarshal(raw, obj); err != nil {
		return nil, err
	}
	if obj.Kind != "KafkaRestClass" {
		return nil, fmt.Errorf("object kind is %q, want KafkaRestClass", obj.Kind)
	}
	return obj, nil
}

func checkKind(req *admissionv1.AdmissionRequest, gk schema.GroupKind) error {
	if req.Kind.Group != gk.Group || req.Kind.Kind != gk.Kind {
		return fmt.Errorf("this endpoint validates %s, not %s", gk, schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind})
	}
	return nil
}

func (h *Handler) admitClusterLink(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	if err := checkKind(req, clusterLinkGK); err != nil {
		return badRequest(err.Error())
	}
	switch req.Operation {
	case admissionv1.Create:
		obj, err := decodeClusterLink(req.Object.Raw)
		if err != nil {
			return badRequest("cannot decode the ClusterLink: " + err.Error())
		}
		errs, warnings := mirror.ValidateCreate(obj)
		refErrs, refWarnings := h.checkClusterLinkReferences(ctx, obj)
		return respond(clusterLinkGK, obj.Name, append(errs, refErrs...), append(warnings, refWarnings...))
	case admissionv1.Update:
		obj, err := decodeClusterLink(req.Object.Raw)
		if err != nil {
			return badRequest("cannot decode the ClusterLink: " + err.Error())
		}
		old, err := decodeClusterLink(req.OldObject.Raw)
		if err != nil {
			return badRequest("cannot decode the old ClusterLink: " + err.Error())
		}
		errs, warnings := mirror.ValidateUpdate(old, obj)
		// Reference checks run only when the spec changes: an update that
		// only touches metadata (a finalizer removal) or a terminating
		// object must never be denied, or deletion could wedge.
		if old.DeletionTimestamp == nil && obj.DeletionTimestamp == nil && !mirror.SpecEqual(&old.Spec, &obj.Spec) {
			refErrs, refWarnings := h.checkClusterLinkReferences(ctx, obj)
			errs = append(errs, refErrs...)
			warnings = append(warnings, refWarnings...)
		}
		return respond(clusterLinkGK, obj.Name, errs, warnings)
	case admissionv1.Delete:
		old, err := decodeClusterLink(req.OldObject.Raw)
		if err != nil {
			return badRequest("cannot decode the ClusterLink being deleted: " + err.Error())
		}
		errs, warnings := mirror.ValidateDelete(old)
		return respond(clusterLinkGK, old.Name, errs, warnings)
	default:
		return allow(nil)
	}
}

func (h *Handler) admitKafkaRestClass(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	if err := checkKind(req, kafkaRestClassGK); err != nil {
		return badRequest(err.Error())
	}
	switch req.Operation {
	case admissionv1.Create, admissionv1.Update:
		obj, err := decodeKafkaRestClass(req.Object.Raw)
		if err != nil {
			return badRequest("cannot decode the KafkaRestClass: " + err.Error())
		}
		if req.Operation == admissionv1.Update {
			old, err := decodeKafkaRestClass(req.OldObject.Raw)
			if err != nil {
				return badRequest("cannot decode the old KafkaRestClass: " + err.Error())
			}
			if obj.DeletionTimestamp != nil || equality.Semantic.DeepEqual(old.Spec, obj.Spec) {
				return allow(nil)
			}
		}
		errs, warnings := ValidateKafkaRestClass(obj)
		warnings = append(warnings, h.checkKafkaRestClassSecrets(ctx, obj)...)
		return respond(kafkaRestClassGK, obj.Name, errs, warnings)
	default:
		return allow(nil)
	}
}
