package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/credentials"
	"github.com/kafkalink/kafkalink/pkg/kafkarest"
)

// KafkaRestClass status: the endpoint in use (resolved through
// kafkaClusterRef where needed), the cluster id it serves and a Ready
// condition saying whether it answers — Reachable, CredentialsRefused,
// Unreachable, CredentialsError (a Secret is missing or malformed),
// KafkaClusterRefUnresolved or ClusterIDMismatch. The endpoint is asked
// at most once per resync period, and again at once when the spec, its
// Secrets or the resolved endpoint change. Status is written only when it
// changed.

type classQueue = workqueue.TypedRateLimitingInterface[cache.ObjectName]

// classCheck remembers the last REST check of a class.
type classCheck struct {
	generation  int64
	fingerprint string // endpoint and credentials checked
	// until is when the check's answer stops standing.
	until time.Time
}

// indexClassByKafka indexes KafkaRestClasses by the Kafka they name.
func indexClassByKafka(obj any) ([]string, error) {
	k, ok := obj.(*kafkalinkv1alpha1.KafkaRestClass)
	if !ok || k.Spec.KafkaClusterRef == nil {
		return nil, nil
	}
	ns := k.Spec.KafkaClusterRef.Namespace
	if ns == "" {
		ns = k.Namespace
	}
	return []string{ns + "/" + k.Spec.KafkaClusterRef.Name}, nil
}

func (c *Controller) newClassQueue() classQueue {
	q := workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.DefaultTypedControllerRateLimiter[cache.ObjectName](),
		workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: "kafkarestclass", MetricsProvider: c.queueMetrics},
	)
	c.classQueueRef.Store(&q)
	return q
}

// enqueueClass queues a class for a status check in the current term
// (dropped between terms: the next term checks every class).
func (c *Controller) enqueueClass(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	name, err := cache.ObjectToName(obj)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	if q := c.classQueueRef.Load(); q != nil {
		(*q).Add(name)
	}
}

// kafkaChanged: a CFK Kafka changed; its classes are checked again and
// their ClusterLinks reconcile against the (maybe new) endpoint.
func (c *Controller) kafkaChanged(key string) {
	classes, err := c.classIndexer.ByIndex(indexKafkaRef, key)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	for _, k := range classes {
		c.enqueueClass(k)
		c.enqueueLinksOfClass(k)
	}
}

func (c *Controller) runClassWorker(ctx context.Context, q classQueue) {
	for {
		key, shutdown := q.Get()
		if shutdown {
			return
		}
		func() {
			defer q.Done(key)
			ctx := klog.NewContext(ctx, klog.LoggerWithValues(klog.FromContext(ctx), "kafkaRestClass", key.String()))
			next, err := c.syncClass(ctx, key)
			if err != nil {
				klog.FromContext(ctx).Error(err, "Checking KafkaRestClass failed, will retry")
				q.AddRateLimited(key)
				return
			}
			q.Forget(key)
			if next > 0 {
				q.AddAfter(key, next)
			}
		}()
	}
}

// syncClass checks one KafkaRestClass and writes its status when it
// changed. It returns when to check again.
func (c *Controller) syncClass(ctx context.Context, key cache.ObjectName) (time.Duration, error) {
	class, err := c.classes.KafkaRestClasses(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		c.mu.Lock()
		delete(c.classChecks, key)
		delete(c.classLost, key)
		c.mu.Unlock()
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if c.opts.Fence != nil {
		if err := c.opts.Fence(); err != nil {
			return c.opts.TransitionPollInterval, nil
		}
	}
	status := class.Status.DeepCopy()
	status.ObservedGeneration = class.Generation
	ready := func(ok bool, reason, format string, args ...any) {
		setCondition(&status.Conditions, class.Generation, kafkalinkv1alpha1.ConditionReady, ok, reason, fmt.Sprintf(format, args...))
	}
	next := c.opts.ResyncPeriod
	target, err := c.classTarget(ctx, class)
	var be *blockedError
	switch {
	case errors.As(err, &be):
		status.Endpoint, status.KafkaClusterID, status.APIPrefix = "", "", ""
		ready(false, be.reason, "%s", be.Error())
	case err != nil:
		return 0, err
	default:
		status.Endpoint = target.endpoint
		resolver := &credentials.Resolver{Secrets: c.secrets, Namespace: class.Namespace, Directories: c.opts.Directories}
		creds, err := resolver.Rest(ctx, &class.Spec.KafkaRest)
		if err != nil {
			ready(false, kafkalinkv1alpha1.ReasonCredentialsError, "%v", err)
			break
		}
		fingerprint := target.endpoint + "|" + target.clusterID + "|" + creds.Fingerprint()
		now := c.opts.Now()
		c.mu.Lock()
		last, checked := c.classChecks[key]
		c.mu.Unlock()
		if checked && last.generation == class.Generation && last.fingerprint == fingerprint && now.Before(last.until) {
			// Checked against the same spec, endpoint and credentials,
			// and the answer still stands.
			return last.until.Sub(now), nil
		}
		c.mu.Lock()
		lost := c.classLost[key]
		c.mu.Unlock()
		next = c.checkEndpoint(ctx, class, target, creds, status, ready)
		c.mu.Lock()
		// A link's read that failed during this check queued another: this
		// check's answer must not stand in for it.
		if c.classLost[key] == lost {
			c.classChecks[key] = classCheck{generation: class.Generation, fingerprint: fingerprint, until: now.Add(next)}
		}
		c.mu.Unlock()
	}
	if equality.Semantic.DeepEqual(&class.Status, status) {
		return next, nil
	}
	cp := class.DeepCopy()
	cp.Status = *status
	if _, err := c.kafkalink.KafkalinkV1alpha1().KafkaRestClasses(class.Namespace).UpdateStatus(ctx, cp, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			// A newer copy is on its way (or the class is gone): its
			// event requeues it.
			c.mu.Lock()
			delete(c.classChecks, key)
			c.mu.Unlock()
			return 0, nil
		}
		// Check again on the retry: the status this check found is not
		// written.
		c.mu.Lock()
		delete(c.classChecks, key)
		c.mu.Unlock()
		return 0, fmt.Errorf("update KafkaRestClass status: %w", err)
	}
	return next, nil
}

// classEndpointLost: a ClusterLink's read through this class's client was
// refused or not answered after the endpoint had answered: check the class
// again now, not at its next period.
func (c *Controller) classEndpointLost(key string) {
	ns, name, ok := strings.Cut(key, "/")
	if !ok {
		return
	}
	k := cache.ObjectName{Namespace: ns, Name: name}
	c.mu.Lock()
	delete(c.classChecks, k)
	c.classLost[k]++
	c.mu.Unlock()
	if q := c.classQueueRef.Load(); q != nil {
		(*q).Add(k)
	}
}

// answerSlack is how much older than a resync period a ClusterLink's read
// may be and still stand for the class check: views refresh once per
// period, a little later each time, and the class check follows them.
func answerSlack(period time.Duration) time.Duration {
	return min(period/10, 10*time.Second)
}

// checkEndpoint fills the status from the endpoint's answer. When a
// ClusterLink's reads through this class's client were answered within the
// resync period (its cluster's shared view), that answer is the check and
// no call is made: a converged fleet costs its two view lists per cluster
// and period, nothing more. Otherwise it asks (GET /clusters). It returns
// when to check again.
func (c *Controller) checkEndpoint(ctx context.Context, class *kafkalinkv1alpha1.KafkaRestClass, target restTarget, creds *credentials.RestCredentials,
	status *kafkalinkv1alpha1.KafkaRestClassStatus, ready func(bool, string, string, ...any)) time.Duration {
	next := c.opts.ResyncPeriod
	entry, err := c.restClients.get(class.Namespace+"/"+class.Name, RESTConfig{Endpoint: target.endpoint, Credentials: creds})
	if err != nil {
		ready(false, kafkalinkv1alpha1.ReasonCredentialsError, "%v", err)
		return next
	}
	var id string
	now := c.opts.Now()
	if a := c.restClients.lastAnswer(entry); a != nil && !a.failed && a.clusterID != "" && now.Sub(a.at) < c.opts.ResyncPeriod &&
		(target.clusterID == "" || target.clusterID == a.clusterID) {
		id = a.clusterID
		// Look again just after the view that follows this answer.
		next = a.at.Add(c.opts.ResyncPeriod + answerSlack(c.opts.ResyncPeriod)).Sub(now)
	} else {
		id, err = entry.client.ClusterID(ctx)
		switch {
		case kafkarest.IsUnauthorized(err):
			ready(false, kafkalinkv1alpha1.ReasonCredentialsRefused, "%s refused the credentials: %v", target.endpoint, err)
			return next
		case err != nil:
			ready(false, kafkalinkv1alpha1.ReasonUnreachable, "cannot reach the REST API v3 at %s: %v", target.endpoint, err)
			return next
		}
	}
	if p := apiPrefix(entry.client); p != "" {
		status.APIPrefix = p
	}
	if target.clusterID != "" && target.clusterID != id {
		status.KafkaClusterID = ""
		ready(false, kafkalinkv1alpha1.ReasonClusterIDMismatch, "%s serves cluster %q, not the configured %q (spec.kafkaRest.kafkaClusterID or the Kafka's status.clusterID)", target.endpoint, id, target.clusterID)
		return next
	}
	status.KafkaClusterID = id
	ready(true, kafkalinkv1alpha1.ReasonReachable, "the REST API v3 at %s answers for cluster %s", target.endpoint, id)
	return next
}
