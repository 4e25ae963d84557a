package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/kafkarest"
	"github.com/kafkalink/kafkalink/pkg/mirror"
)

// syncDelete runs the finalizer. Failover: fail over every mirror still
// mirroring (managed or not) in one batch call, wait until none is
// PENDING_STOPPED, delete the link, drop the finalizer. Retain: drop the
// finalizer without any REST call. When the destination cannot be reached
// the finalizer stays, with a condition and an Event saying why and how to
// get out (switch to Retain) — it is never dropped silently.
func (c *Controller) syncDelete(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink) (result, error) {
	logger := klog.FromContext(ctx)
	if !slices.Contains(cl.Finalizers, kafkalinkv1alpha1.FinalizerClusterLink) {
		return result{}, nil
	}
	if cl.EffectiveDeletionPolicy() == kafkalinkv1alpha1.DeletionPolicyRetain {
		removed, err := c.removeFinalizer(ctx, cl)
		if removed {
			logger.Info("Deleted with policy Retain: link and mirror topics stay on the destination")
		}
		return result{}, err
	}

	if cl.Annotations[kafkalinkv1alpha1.AnnotationPauseReconciliation] == "true" {
		// The pause switch stops every REST action, the deletion failover
		// included: an operator pauses during an incident, and a prune
		// then must not fail over every mirror behind their back.
		msg := fmt.Sprintf("deletion waits: reconciliation is paused (annotation %s); remove the annotation to fail over every mirror topic and delete the link, "+
			"or set spec.deletionPolicy to Retain to delete only the Kubernetes object", kafkalinkv1alpha1.AnnotationPauseReconciliation)
		c.recorder.Event(cl, corev1.EventTypeWarning, EventDeletionBlocked, msg)
		status := cl.Status.DeepCopy()
		status.State = kafkalinkv1alpha1.ClusterLinkStateDeletionBlocked
		setCondition(&status.Conditions, cl.Generation, kafkalinkv1alpha1.ConditionReady, false, kafkalinkv1alpha1.ReasonReconciliationPaused, msg)
		// Removing the annotation or switching to Retain is an update that
		// requeues the object; the resync is only a safety net.
		return result{requeueAfter: c.opts.ResyncPeriod}, c.writeStatus(ctx, cl, status)
	}
	res, err := c.failoverAndDeleteLink(ctx, cl)
	if errors.Is(err, ErrFenced) {
		// Not ours to report: no status, no Event (fence.go).
		return result{}, err
	}
	if err == nil && res.done {
		// The Event follows the finalizer's removal, never precedes it: a
		// second reconcile of the same deletion (from an informer copy that
		// still shows the finalizer) finds the object gone or changed and
		// says nothing, so one deletion is one Event.
		removed, err := c.removeFinalizer(ctx, cl)
		if removed {
			if res.untouched != "" {
				c.recorder.Event(cl, corev1.EventTypeNormal, EventDuplicateReleased, res.untouched)
			} else {
				c.recorder.Eventf(cl, corev1.EventTypeNormal, EventLinkDeleted, "Failed over every mirror topic and deleted link %s", cl.LinkName())
			}
		}
		return result{}, err
	}
	status := cl.Status.DeepCopy()
	msg := res.message
	reason := kafkalinkv1alpha1.ReasonDeleting
	// kubectl get shows the deletion, not the link's last ACTIVE.
	status.State = kafkalinkv1alpha1.ClusterLinkStateDeleting
	if err != nil {
		status.State = kafkalinkv1alpha1.ClusterLinkStateDeletionBlocked
		reason = kafkalinkv1alpha1.ReasonDeletionBlocked
		msg = fmt.Sprintf("cannot fail over and delete the link: %v. The finalizer stays until this succeeds; "+
			"to delete only the Kubernetes object, set spec.deletionPolicy to Retain", err)
		c.recorder.Event(cl, corev1.EventTypeWarning, EventDeletionBlocked, msg)
	}
	setCondition(&status.Conditions, cl.Generation, kafkalinkv1alpha1.ConditionReady, false, reason, msg)
	if werr := c.writeStatus(ctx, cl, status); werr != nil {
		err = errors.Join(err, werr)
	}
	var be *blockedError
	if errors.As(err, &be) {
		// A user error (missing class, credentials): retry at the resync
		// period or when the reference changes, not in a hot loop.
		return result{requeueAfter: c.opts.ResyncPeriod}, nil
	}
	if err != nil {
		return result{}, err
	}
	return result{requeueAfter: c.opts.TransitionPollInterval}, nil
}

type deleteProgress struct {
	done    bool
	message string
	// untouched, when set, says why the link was left alone.
	untouched string
}

func (c *Controller) failoverAndDeleteLink(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink) (deleteProgress, error) {
	local, _, err := c.sides(ctx, cl, cl.Status.DeepCopy())
	if err != nil {
		return deleteProgress{}, err
	}
	linkName := cl.LinkName()
	if other := claimedElsewhere(c.linkIndexer, cl, local.clusterID); other != nil {
		// Failing over would stop the mirrors the other ClusterLink manages.
		return deleteProgress{done: true, untouched: fmt.Sprintf("link %s on cluster %s is managed by ClusterLink %s/%s; deleted this ClusterLink without touching it", linkName, local.clusterID, other.Namespace, other.Name)}, nil
	}
	// The toSource mirrors this ClusterLink manages live under the other
	// side's link: they are failed over too, after the local ones (a
	// source that is gone must not hold up the local failover), before
	// the link is deleted. The other side's link stays: its ClusterLink
	// owns it.
	toSourceDone := func() (deleteProgress, bool, error) {
		if !needsSourceSide(cl) {
			return deleteProgress{}, true, nil
		}
		return c.failoverToSource(ctx, cl, linkName, local.clusterID)
	}
	if _, err := local.client.GetLink(ctx, local.clusterID, linkName); kafkarest.IsNotFound(err) {
		// A 404 also answers a wrong cluster id; dropping the finalizer
		// then would skip the failover. Only a cluster that lists its
		// links, without this one, proves the link is gone.
		names, lerr := local.client.LinkNames(ctx, local.clusterID)
		if lerr != nil {
			return deleteProgress{}, restError(fmt.Errorf("link %q not found, and listing the links of cluster %q failed (is the cluster id right?): %w", linkName, local.clusterID, lerr))
		}
		if !slices.Contains(names, linkName) {
			if progress, done, err := toSourceDone(); err != nil || !done {
				return progress, err
			}
			return deleteProgress{done: true}, nil
		}
		return deleteProgress{}, restError(fmt.Errorf("link %q answered 404 but is listed on cluster %q; retrying", linkName, local.clusterID))
	} else if err != nil {
		return deleteProgress{}, restError(fmt.Errorf("get link %q: %w", linkName, err))
	}
	listed, err := local.client.ListMirrors(ctx, local.clusterID, linkName)
	if err != nil {
		return deleteProgress{}, restError(fmt.Errorf("list mirrors of link %q: %w", linkName, err))
	}
	observed := make([]mirror.ObservedMirror, 0, len(listed))
	for _, m := range listed {
		observed = append(observed, mirror.ObservedMirror{Name: m.Name, SourceTopicName: m.SourceTopicName, Status: m.Status, MaxLag: m.MaxLag})
	}
	toFailover, waiting := mirror.FailoverOnDelete(observed)
	if len(toFailover) > 0 {
		failed, err := validatedFailover(ctx, local, linkName, toFailover)
		if err != nil {
			return deleteProgress{}, restError(fmt.Errorf("fail over mirrors of link %q: %w", linkName, err))
		}
		if len(failed) > 0 {
			return deleteProgress{}, fmt.Errorf("failover refused for %s", summarise(failed))
		}
		c.recorder.Eventf(cl, corev1.EventTypeNormal, EventMirrorsFailedOver, "Failing over %s before deleting link %s: %s", mirror.Count(len(toFailover), "mirror topic"), linkName, listNames(toFailover))
		return deleteProgress{message: fmt.Sprintf("failing over %s before deleting the link", mirror.Count(len(toFailover), "mirror topic"))}, nil
	}
	if waiting > 0 {
		return deleteProgress{message: fmt.Sprintf("waiting for %s to leave PENDING_STOPPED before deleting the link", mirror.Count(waiting, "mirror topic"))}, nil
	}
	if progress, done, err := toSourceDone(); err != nil || !done {
		return progress, err
	}
	if err := local.client.DeleteLink(ctx, local.clusterID, linkName); err != nil && !kafkarest.IsNotFound(err) {
		return deleteProgress{}, restError(fmt.Errorf("delete link %q: %w", linkName, err))
	}
	return deleteProgress{done: true}, nil
}

// removeFinalizer drops the controller's finalizer and reports whether this
// call removed it. The patch is guarded by the resourceVersion of cl, so a
// reconcile working from an informer copy older than an earlier removal
// cannot remove it twice: the object is gone (NotFound, the deletion
// already finished: success, nothing removed) or has changed since
// (Conflict, requeued quietly; the next copy no longer has the finalizer).
func (c *Controller) removeFinalizer(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink) (bool, error) {
	finalizers := slices.DeleteFunc(slices.Clone(cl.Finalizers), func(f string) bool { return f == kafkalinkv1alpha1.FinalizerClusterLink })
	updated, err := c.patchFinalizers(ctx, cl, finalizers)
	if apierrors.IsNotFound(err) {
		klog.FromContext(ctx).V(4).Info("ClusterLink already gone; its finalizer was removed before")
		c.forgetLink(cl)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("remove finalizer: %w", err)
	}
	c.forgetLink(cl)
	// Other finalizers may keep the object a while longer; the informer's
	// delete event forgets this record.
	c.writes.record(cache.MetaObjectToName(updated), updated.ResourceVersion)
	return true, nil
}

// patchFinalizers sets the finalizers with a merge patch guarded by the
// resourceVersion the controller read (a conflict if the object changed
// since). A patch, not an Update: the informer's copy lacks the fields its
// transform dropped (managedFields, kubectl's last-applied annotation),
// and an Update would erase them on the server.
func (c *Controller) patchFinalizers(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink, finalizers []string) (*kafkalinkv1alpha1.ClusterLink, error) {
	if finalizers == nil {
		finalizers = []string{}
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"finalizers": finalizers, "resourceVersion": cl.ResourceVersion}})
	if err != nil {
		return nil, err
	}
	return c.kafkalink.KafkalinkV1alpha1().ClusterLinks(cl.Namespace).Patch(ctx, cl.Name, types.MergePatchType, patch, metav1.PatchOptions{})
}

func isNotFound(err error) bool { return kafkarest.IsNotFound(err) }

// isRetryable: the call may succeed later, so the reconcile stops and the
// item is retried instead of recording a per-topic failure. A fenced write
// was never sent: it is for the next leader (or this one's next renewal).
func isRetryable(err error) bool { return kafkarest.IsRetryable(err) || errors.Is(err, ErrFenced) }

// failoverToSource fails over the toSource mirror topics cl manages on the
// source cluster and reports done once none of them is still mirroring.
func (c *Controller) failoverToSource(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink, linkName, localID string) (deleteProgress, bool, error) {
	remote, err := c.resolveSide(ctx, cl, cl.Spec.SourceKafkaCluster.KafkaRestClassRef, "spec.sourceKafkaCluster")
	if err != nil {
		return deleteProgress{}, false, fmt.Errorf("reach the source cluster to fail over the toSource mirror topics: %w", err)
	}
	link, err := remote.client.GetLink(ctx, remote.clusterID, linkName)
	if kafkarest.IsNotFound(err) {
		// As for the local link: only a cluster that lists its links,
		// without this one, proves it gone (a 404 also answers a wrong id).
		names, lerr := remote.client.LinkNames(ctx, remote.clusterID)
		if lerr != nil {
			return deleteProgress{}, false, restError(fmt.Errorf("link %q not found on the source cluster, and listing its links failed: %w", linkName, lerr))
		}
		if !slices.Contains(names, linkName) {
			return deleteProgress{}, true, nil // the other side's link is gone, and its mirrors with it
		}
		return deleteProgress{}, false, restError(fmt.Errorf("link %q answered 404 but is listed on the source cluster; retrying", linkName))
	}
	if err != nil {
		return deleteProgress{}, false, restError(fmt.Errorf("get link %q on the source cluster: %w", linkName, err))
	}
	if link.SourceClusterID != "" && link.SourceClusterID != localID {
		// Not the other side of this link (the class points elsewhere
		// now): nothing there is this ClusterLink's to fail over.
		return deleteProgress{}, true, nil
	}
	listed, err := remote.client.ListMirrors(ctx, remote.clusterID, linkName)
	if err != nil {
		return deleteProgress{}, false, restError(fmt.Errorf("list mirrors of link %q on the source cluster: %w", linkName, err))
	}
	mine := map[string]bool{}
	for i := range cl.Status.MirrorTopics {
		if s := &cl.Status.MirrorTopics[i]; s.Direction == kafkalinkv1alpha1.DirectionToSource {
			mine[s.Name] = true
		}
	}
	var observed []mirror.ObservedMirror
	for _, m := range observedMirrors(listed) {
		if mine[m.Name] {
			observed = append(observed, m)
		}
	}
	toFailover, waiting := mirror.FailoverOnDelete(observed)
	if len(toFailover) > 0 {
		failed, err := validatedFailover(ctx, remote, linkName, toFailover)
		if err != nil {
			return deleteProgress{}, false, restError(fmt.Errorf("fail over the toSource mirrors of link %q on the source cluster: %w", linkName, err))
		}
		if len(failed) > 0 {
			return deleteProgress{}, false, fmt.Errorf("failover on the source cluster refused for %s", summarise(failed))
		}
		c.recorder.Eventf(cl, corev1.EventTypeNormal, EventMirrorsFailedOver, "Failing over %s on the source cluster before deleting link %s: %s", mirror.Count(len(toFailover), "toSource mirror topic"), linkName, listNames(toFailover))
		return deleteProgress{message: fmt.Sprintf("failing over %s on the source cluster before deleting the link", mirror.Count(len(toFailover), "toSource mirror topic"))}, false, nil
	}
	if waiting > 0 {
		return deleteProgress{message: fmt.Sprintf("waiting for %s on the source cluster to leave PENDING_STOPPED before deleting the link", mirror.Count(waiting, "toSource mirror topic"))}, false, nil
	}
	return deleteProgress{}, true, nil
}

// validatedFailover fails over names on s's cluster, asking with
// validate_only first as before every one-way action: the topics the
// destination accepts are failed over, the refused ones are returned (the
// deletion then waits and says why).
func validatedFailover(ctx context.Context, s *side, linkName string, names []string) (map[string]string, error) {
	failed := map[string]string{}
	checks, err := s.client.ValidateMirrors(ctx, s.clusterID, linkName, ActionFailover, names)
	if err != nil {
		return nil, err
	}
	var accepted []string
	for _, n := range names {
		if chk := checks[n]; chk.Err != nil {
			failed[n] = "validate_only: " + chk.Err.Error()
			continue
		}
		accepted = append(accepted, n)
	}
	if len(accepted) == 0 {
		return failed, nil
	}
	perTopic, err := s.client.AlterMirrors(ctx, s.clusterID, linkName, ActionFailover, accepted)
	if err != nil {
		return nil, err
	}
	for n, res := range perTopic {
		if res.Err != nil {
			failed[n] = res.Err.Error()
		}
	}
	return failed, nil
}
