package controller

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
)

// loggingRecorder logs every Event it records, so the controller's log
// tells the same story as `kubectl describe` (actions at level 0, warnings
// as errors-to-look-at), with the object as a structured key.
type loggingRecorder struct {
	record.EventRecorder
	logger klog.Logger
}

func (r *loggingRecorder) log(obj runtime.Object, eventType, reason, message string) {
	ref := "unknown"
	if cl, ok := obj.(*kafkalinkv1alpha1.ClusterLink); ok {
		ref = klog.KObj(cl).String()
	}
	r.logger.Info(message, "clusterLink", ref, "event", reason, "type", eventType)
}

func (r *loggingRecorder) Event(obj runtime.Object, eventType, reason, message string) {
	r.log(obj, eventType, reason, message)
	r.EventRecorder.Event(obj, eventType, reason, message)
}

func (r *loggingRecorder) Eventf(obj runtime.Object, eventType, reason, format string, args ...any) {
	r.log(obj, eventType, reason, fmt.Sprintf(format, args...))
	r.EventRecorder.Eventf(obj, eventType, reason, format, args...)
}

func (r *loggingRecorder) AnnotatedEventf(obj runtime.Object, annotations map[string]string, eventType, reason, format string, args ...any) {
	r.log(obj, eventType, reason, fmt.Sprintf(format, args...))
	r.EventRecorder.AnnotatedEventf(obj, annotations, eventType, reason, format, args...)
}

var _ record.EventRecorder = &loggingRecorder{}
