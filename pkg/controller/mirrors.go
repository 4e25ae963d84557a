package controller

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/mirror"
)

// batch is one batch action of a plan, with its event.
type batch struct {
	action MirrorAction
	names  []string
	last   string // lastAction recorded per topic
	event  string
	verb   string // for the Event: "Paused", ...
}

// syncMirrors plans every mirror topic with pkg/mirror from the one list
// call, executes the plan grouped (creates per topic, one call per batch
// action, deletes per topic) and builds the mirror part of status.
func (c *Controller) syncMirrors(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink, local *side, linkName string, listed []Mirror,
	status *kafkalinkv1alpha1.ClusterLinkStatus, obs *observation) (result, error) {
	logger := klog.FromContext(ctx)
	observed := make([]mirror.ObservedMirror, 0, len(listed))
	byName := make(map[string]Mirror, len(listed))
	for _, m := range listed {
		observed = append(observed, mirror.ObservedMirror{Name: m.Name, SourceTopicName: m.SourceTopicName, Status: m.Status, MaxLag: m.MaxLag})
		byName[m.Name] = m
	}
	plan := mirror.PlanLink(&cl.Spec, cl.Status.MirrorTopics, observed)

	now := metav1.NewTime(c.opts.Now())
	actions := map[string]string{}  // topic -> action issued this sync
	failures := map[string]string{} // topic -> error message

	if !obs.paused {
		var created []string
		for _, create := range plan.Create {
			req := CreateMirrorRequest{Name: create.Name, SourceTopicName: create.SourceTopicName, Configs: create.Configs}
			if create.ReplicationFactor != nil {
				req.ReplicationFactor = *create.ReplicationFactor
			}
			obs.acted = true
			if err := local.client.CreateMirror(ctx, local.clusterID, linkName, req); err != nil {
				obs.onlyCreated = false
				if isRetryable(err) {
					return result{}, restError(fmt.Errorf("create mirror %q: %w", create.Name, err))
				}
				failures[create.Name] = "create failed: " + err.Error()
				c.recorder.Eventf(cl, corev1.EventTypeWarning, EventMirrorActionFailed, "Creating mirror topic %s failed: %v", create.Name, err)
				continue
			}
			actions[create.Name] = string(mirror.ActionCreate)
			created = append(created, create.Name)
		}
		// One Event per reconcile, not per topic: a fleet of new links
		// would otherwise queue ten thousand Events.
		if len(created) > 0 {
			c.recorder.Eventf(cl, corev1.EventTypeNormal, EventMirrorCreated, "Created %s: %s", topicCount(len(created)), listNames(created))
		}
		// A topic created paused is paused in the same sync, unless its
		// create failed.
		plan.Pause = slices.DeleteFunc(plan.Pause, func(n string) bool { return failures[n] != "" })
		for _, b := range []batch{
			{ActionPause, plan.Pause, string(mirror.ActionPause), EventMirrorsPaused, "Paused"},
			{ActionResume, plan.Resume, string(mirror.ActionResume), EventMirrorsResumed, "Resumed"},
			{ActionPromote, plan.Promote, string(mirror.ActionPromote), EventMirrorsPromoted, "Promoting (stopping once caught up)"},
			{ActionFailover, plan.Failover, string(mirror.ActionFailover), EventMirrorsFailedOver, "Failing over (stopping now)"},
		} {
			if len(b.names) == 0 {
				continue
			}
			obs.acted, obs.onlyCreated = true, false
			perTopic, err := local.client.AlterMirrors(ctx, local.clusterID, linkName, b.action, b.names)
			if err != nil {
				return result{}, restError(fmt.Errorf("%s mirrors %v of link %q: %w", b.action, b.names, linkName, err))
			}
			var ok []string
			for _, n := range b.names {
				if e := perTopic[n]; e != nil {
					failures[n] = fmt.Sprintf("%s failed: %v", strings.ToLower(b.last), e)
					c.recorder.Eventf(cl, corev1.EventTypeWarning, EventMirrorActionFailed, "%s of mirror topic %s failed: %v", b.last, n, e)
					continue
				}
				actions[n] = b.last
				ok = append(ok, n)
			}
			if len(ok) > 0 {
				c.recorder.Eventf(cl, corev1.EventTypeNormal, b.event, "%s %s: %s", b.verb, topicCount(len(ok)), listNames(ok))
			}
		}
		if len(plan.Delete) > 0 {
			// The plan's list predates this sync's batch calls; a topic
			// stopped since (by hand, or a promote that just completed) is
			// a normal topic now and must not be deleted. Look again right
			// before deleting.
			fresh, err := local.client.ListMirrors(ctx, local.clusterID, linkName)
			if err != nil {
				return result{}, restError(fmt.Errorf("list mirrors of link %q before deleting: %w", linkName, err))
			}
			plan.Delete = stillDeletable(plan.Delete, byName, fresh)
		}
		for _, name := range plan.Delete {
			obs.acted, obs.onlyCreated = true, false
			if err := local.client.DeleteTopic(ctx, local.clusterID, name); err != nil && !isNotFound(err) {
				if isRetryable(err) {
					return result{}, restError(fmt.Errorf("delete mirror %q: %w", name, err))
				}
				failures[name] = "delete failed: " + err.Error()
				c.recorder.Eventf(cl, corev1.EventTypeWarning, EventMirrorActionFailed, "Deleting mirror topic %s failed: %v", name, err)
				continue
			}
			actions[name] = string(mirror.ActionDelete)
			c.recorder.Eventf(cl, corev1.EventTypeNormal, EventMirrorDeleted, "Deleted mirror topic %s (removed from spec.mirrorTopics)", name)
		}
	}

	// Status: every topic in spec, plus managed topics still being deleted.
	prev := map[string]kafkalinkv1alpha1.MirrorTopicStatus{}
	for _, s := range cl.Status.MirrorTopics {
		prev[s.Name] = s
	}
	var next []kafkalinkv1alpha1.MirrorTopicStatus
	byStatus := map[string]int{}
	obs.degraded, obs.blocked, obs.actionFailed, obs.stuck = map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
	inSpec := map[string]bool{}
	for _, t := range cl.Spec.MirrorTopics {
		inSpec[t.Name] = true
		st := prev[t.Name]
		st.Name, st.SourceTopicName, st.DesiredState = t.Name, t.SourceName(), t.DesiredState()
		if st.SourceTopicName == st.Name {
			st.SourceTopicName = "" // the default: status stays compact
		}
		m, exists := byName[t.Name]
		if exists {
			st.Status, st.MaxLag, st.Created = m.Status, m.MaxLag, true
		} else {
			st.Status, st.MaxLag = string(mirror.StatusAbsent), 0
		}
		d := plan.Decisions[t.Name]
		st.Message = ""
		if a, ok := actions[t.Name]; ok {
			st.LastAction, st.LastActionTime = a, &now
		}
		switch {
		case failures[t.Name] != "":
			st.Message = failures[t.Name]
			obs.actionFailed[t.Name] = failures[t.Name]
		case d.Action == mirror.ActionBlocked:
			st.Message = d.Reason
			obs.blocked[t.Name] = d.Reason
		case len(m.TransitionErrors) > 0:
			st.Message = strings.Join(m.TransitionErrors, "; ")
		}
		switch st.Status {
		case "FAILED", "LINK_FAILED", "SOURCE_UNAVAILABLE":
			obs.degraded[t.Name] = st.Status
		}
		if mirror.InDesiredState(t.DesiredState(), mirror.ParseStatus(st.Status)) {
			obs.ready++
		} else {
			obs.notInDesiredState = append(obs.notInDesiredState, t.Name)
		}
		if detail, stuck := c.trackTransition(cl, t.Name, st.Status, m.TransitionErrors); stuck {
			obs.stuck[t.Name] = detail
		}
		obs.total++
		if strings.HasPrefix(st.Status, "PENDING_") {
			obs.pending++
		}
		byStatus[st.Status]++
		next = append(next, st)
	}
	// Managed topics removed from spec stay listed until they are gone (a
	// failed delete must stay visible); stopped ones are released at once.
	released := map[string]bool{}
	for _, n := range plan.Release {
		released[n] = true
	}
	for _, s := range cl.Status.MirrorTopics {
		if inSpec[s.Name] || released[s.Name] || actions[s.Name] == string(mirror.ActionDelete) {
			continue
		}
		if _, exists := byName[s.Name]; !exists {
			continue
		}
		s.Message = failures[s.Name]
		if s.Message == "" {
			s.Message = "removed from spec.mirrorTopics; being deleted"
		}
		next = append(next, s)
	}
	sort.Slice(next, func(i, j int) bool { return next[i].Name < next[j].Name })
	status.MirrorTopics = next
	status.UnmanagedMirrorTopics = int32(len(plan.Unmanaged))
	status.MirrorTopicsReady = fmt.Sprintf("%d/%d", obs.ready, obs.total)
	c.metrics.setMirrorTopics(cl.Namespace, cl.Name, byStatus)

	logger.V(4).Info("Mirrors planned", "created", len(plan.Create), "paused", len(plan.Pause), "resumed", len(plan.Resume),
		"promoted", len(plan.Promote), "failedOver", len(plan.Failover), "deleted", len(plan.Delete), "waiting", len(plan.Wait), "unmanaged", len(plan.Unmanaged))

	converging := slices.ContainsFunc(obs.notInDesiredState, func(n string) bool { return failures[n] == "" })
	if len(actions) > 0 || len(plan.Wait) > 0 || converging {
		return result{requeueAfter: c.opts.TransitionPollInterval}, nil
	}
	if len(obs.notInDesiredState) > 0 {
		// Only refused actions are left (the topic says why): retrying
		// every poll would repeat the refusal; a spec change requeues at
		// once anyway.
		return result{requeueAfter: min(refusedRetry, c.opts.ResyncPeriod)}, nil
	}
	return result{requeueAfter: c.opts.ResyncPeriod}, nil
}

// stillDeletable keeps the planned deletions whose topic is still listed
// as the same mirror (same source topic) in a status that allows deletion.
func stillDeletable(planned []string, before map[string]Mirror, fresh []Mirror) []string {
	now := make(map[string]Mirror, len(fresh))
	for _, m := range fresh {
		now[m.Name] = m
	}
	var keep []string
	for _, n := range planned {
		m, ok := now[n]
		if ok && m.SourceTopicName == before[n].SourceTopicName && mirror.OnRemoval(mirror.ParseStatus(m.Status)) == mirror.RemovalDelete {
			keep = append(keep, n)
		}
	}
	return keep
}

// refusedRetry is how soon a link whose only unconverged topics were
// refused by the destination tries again.
const refusedRetry = time.Minute

// trackTransition remembers when a topic entered a PENDING_* status and
// reports whether it has been there longer than the transition timeout.
func (c *Controller) trackTransition(cl *kafkalinkv1alpha1.ClusterLink, topic, status string, transitionErrors []string) (string, bool) {
	key := cl.Namespace + "/" + cl.Name + "/" + topic
	c.mu.Lock()
	defer c.mu.Unlock()
	if !strings.HasPrefix(status, "PENDING_") {
		delete(c.transitions, key)
		return "", false
	}
	since, ok := c.transitions[key]
	if !ok {
		c.transitions[key] = c.opts.Now()
		return "", false
	}
	if d := c.opts.Now().Sub(since); d > c.opts.TransitionTimeout {
		detail := fmt.Sprintf("%s for %s", status, d.Round(1e9))
		if len(transitionErrors) > 0 {
			detail += " (" + strings.Join(transitionErrors, "; ") + ")"
		}
		return detail, true
	}
	return "", false
}

func listNames(names []string) string {
	if len(names) <= 10 {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:10], ", ") + fmt.Sprintf(" and %d more", len(names)-10)
}

func topicCount(n int) string {
	return mirror.Count(n, "mirror topic")
}
