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

// mirrorRun collects one reconcile's mirror work over both directions of
// a link.
type mirrorRun struct {
	now      metav1.Time
	actions  map[string]string // topic -> action issued this sync
	failures map[string]string // topic -> error message
	// One-way actions: the validate_only answer, what a restore truncates
	// (or would), and the one-way action issued this sync.
	validation map[string]string
	truncated  map[string]*int64
	oneWay     map[string]string
	byStatus   map[string]int
	next       []kafkalinkv1alpha1.MirrorTopicStatus
	// busy: an action was issued or a topic waits (poll soon).
	busy bool
}

// mirrorGroup is the mirror topics of one direction: the cluster they live
// on, the link they are under there, what is listed under it, and the plan.
type mirrorGroup struct {
	dir    kafkalinkv1alpha1.MirrorTopicDirection
	side   *side
	link   string
	listed []Mirror
	plan   mirror.LinkPlan
}

func observedMirrors(listed []Mirror) []mirror.ObservedMirror {
	observed := make([]mirror.ObservedMirror, 0, len(listed))
	for _, m := range listed {
		observed = append(observed, mirror.ObservedMirror{Name: m.Name, SourceTopicName: m.SourceTopicName, Status: m.Status, MaxLag: m.MaxLag})
	}
	return observed
}

// syncMirrors plans every mirror topic with pkg/mirror from one list call
// per cluster, executes the plan grouped (creates per topic, one call per
// batch action, deletes per topic) and builds the mirror part of status.
// The toDestination topics live under the link on local's cluster; the
// toSource topics of a bidirectional link under the same link on the
// source cluster (syncToSource).
func (c *Controller) syncMirrors(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink, local *side, linkName string, listed []Mirror,
	status *kafkalinkv1alpha1.ClusterLinkStatus, obs *observation) (result, error) {
	logger := klog.FromContext(ctx)
	run := &mirrorRun{now: metav1.NewTime(c.opts.Now()), actions: map[string]string{}, failures: map[string]string{}, byStatus: map[string]int{},
		validation: map[string]string{}, truncated: map[string]*int64{}, oneWay: map[string]string{}}
	obs.degraded, obs.blocked, obs.actionFailed, obs.stuck = map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}

	plan := mirror.PlanLink(&cl.Spec, cl.Status.MirrorTopics, observedMirrors(listed))
	g := &mirrorGroup{dir: kafkalinkv1alpha1.DirectionToDestination, side: local, link: linkName, listed: listed, plan: plan}
	if err := c.runMirrorGroup(ctx, cl, g, run, obs); err != nil {
		return result{}, err
	}
	if needsSourceSide(cl) {
		if err := c.syncToSource(ctx, cl, local, linkName, run, obs); err != nil {
			return result{}, err
		}
	}

	// An action on one cluster can concern an entry the other group built
	// (a reverse from the source cluster): record every action on its entry.
	for i := range run.next {
		st := &run.next[i]
		if a, ok := run.actions[st.Name]; ok {
			st.LastAction, st.LastActionTime = a, &run.now
		}
		if a, ok := run.oneWay[st.Name]; ok {
			st.LastOneWayAction, st.LastOneWayActionTime = a, &run.now
		}
		if v, ok := run.validation[st.Name]; ok {
			st.Validation = truncate(v, 512)
			if p := run.truncated[st.Name]; p != nil {
				st.MessagesTruncated = p
			}
		}
		if f := run.failures[st.Name]; f != "" {
			st.Message = f
		}
	}
	sort.Slice(run.next, func(i, j int) bool { return run.next[i].Name < run.next[j].Name })
	status.MirrorTopics = run.next
	status.UnmanagedMirrorTopics = int32(len(plan.Unmanaged))
	status.MirrorTopicsReady = fmt.Sprintf("%d/%d", obs.ready, obs.total)
	c.metrics.setMirrorTopics(cl.Namespace, cl.Name, run.byStatus)

	logger.V(4).Info("Mirrors planned", "created", len(plan.Create), "paused", len(plan.Pause), "resumed", len(plan.Resume),
		"promoted", len(plan.Promote), "failedOver", len(plan.Failover), "deleted", len(plan.Delete), "waiting", len(plan.Wait), "unmanaged", len(plan.Unmanaged))

	converging := slices.ContainsFunc(obs.notInDesiredState, func(n string) bool { return run.failures[n] == "" && obs.blocked[n] == "" })
	if run.busy || converging {
		return result{requeueAfter: c.opts.TransitionPollInterval}, nil
	}
	if len(obs.notInDesiredState) > 0 {
		// Only refused or blocked topics are left (each says why):
		// retrying every poll would repeat the refusal; a spec change
		// requeues at once anyway.
		return result{requeueAfter: min(refusedRetry, c.opts.ResyncPeriod)}, nil
	}
	return result{requeueAfter: c.opts.ResyncPeriod}, nil
}

// runMirrorGroup executes one direction's plan (unless reconciliation is
// paused) and appends the status entries of its topics to run.next.
func (c *Controller) runMirrorGroup(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink, g *mirrorGroup, run *mirrorRun, obs *observation) error {
	plan := &g.plan
	byName := make(map[string]Mirror, len(g.listed))
	for _, m := range g.listed {
		byName[m.Name] = m
	}
	where := ""
	if g.dir == kafkalinkv1alpha1.DirectionToSource {
		where = " on the source cluster"
	}
	// A group without a side (its cluster cannot be reached) only
	// reports its statuses.
	if !obs.paused && g.side != nil {
		client, clusterID, linkName := g.side.client, g.side.clusterID, g.link
		var created []string
		for _, create := range plan.Create {
			req := CreateMirrorRequest{Name: create.Name, SourceTopicName: create.SourceTopicName, Configs: create.Configs}
			if create.ReplicationFactor != nil {
				req.ReplicationFactor = *create.ReplicationFactor
			}
			obs.acted = true
			if err := client.CreateMirror(ctx, clusterID, linkName, req); err != nil {
				obs.onlyCreated = false
				if isRetryable(err) {
					return restError(fmt.Errorf("create mirror %q%s: %w", create.Name, where, err))
				}
				run.failures[create.Name] = "create failed: " + err.Error()
				c.recorder.Eventf(cl, corev1.EventTypeWarning, EventMirrorActionFailed, "Creating mirror topic %s%s failed: %v", create.Name, where, err)
				continue
			}
			run.actions[create.Name] = string(mirror.ActionCreate)
			created = append(created, create.Name)
		}
		// One Event per reconcile, not per topic: a fleet of new links
		// would otherwise queue ten thousand Events.
		if len(created) > 0 {
			c.recorder.Eventf(cl, corev1.EventTypeNormal, EventMirrorCreated, "Created %s%s: %s", topicCount(len(created)), where, listNames(created))
		}
		// A topic created paused is paused in the same sync, unless its
		// create failed.
		plan.Pause = slices.DeleteFunc(plan.Pause, func(n string) bool { return run.failures[n] != "" })
		for _, b := range []batch{
			{ActionPause, plan.Pause, string(mirror.ActionPause), EventMirrorsPaused, "Paused"},
			{ActionResume, plan.Resume, string(mirror.ActionResume), EventMirrorsResumed, "Resumed"},
			{ActionPromote, plan.Promote, string(mirror.ActionPromote), EventMirrorsPromoted, "Promoting (stopping once caught up)"},
			{ActionFailover, plan.Failover, string(mirror.ActionFailover), EventMirrorsFailedOver, "Failing over (stopping now)"},
			{ActionRestore, plan.Restore, string(mirror.ActionRestore), EventMirrorsRestored, "Truncating and restoring as mirrors"},
			{ActionReverseStart, plan.ReverseStart, string(mirror.ActionReverseStart), EventMirrorsReversed, "Reversing (the other cluster's same-named topic mirrors them, started)"},
			{ActionReversePause, plan.ReversePause, string(mirror.ActionReversePause), EventMirrorsReversed, "Reversing (the other cluster's same-named topic mirrors them, paused)"},
		} {
			if len(b.names) == 0 {
				continue
			}
			obs.acted, obs.onlyCreated = true, false
			names := b.names
			oneWay := mirror.Action(b.last).OneWay()
			if oneWay {
				// An action that cannot be undone is asked about first
				// (validate_only); a topic the destination refuses is
				// reported and not acted on.
				checks, err := client.ValidateMirrors(ctx, clusterID, linkName, b.action, names)
				if err != nil {
					return restError(fmt.Errorf("validate %s of mirrors %v of link %q%s: %w", b.action, names, linkName, where, err))
				}
				names = nil
				for _, n := range b.names {
					chk := checks[n]
					run.truncated[n] = chk.MessagesTruncated
					if chk.Err != nil {
						run.validation[n] = "refused: " + chk.Err.Error()
						run.failures[n] = fmt.Sprintf("%s refused by the destination (validate_only): %v", strings.ToLower(b.last), chk.Err)
						c.recorder.Eventf(cl, corev1.EventTypeWarning, EventMirrorActionFailed, "%s of mirror topic %s%s refused by validate_only, not attempted: %v", b.last, n, where, chk.Err)
						continue
					}
					run.validation[n] = "accepted"
					names = append(names, n)
				}
				if len(names) == 0 {
					continue
				}
			}
			perTopic, err := client.AlterMirrors(ctx, clusterID, linkName, b.action, names)
			if err != nil {
				return restError(fmt.Errorf("%s mirrors %v of link %q%s: %w", b.action, names, linkName, where, err))
			}
			var ok []string
			var truncated int64
			for _, n := range names {
				res := perTopic[n]
				if e := res.Err; e != nil {
					run.failures[n] = fmt.Sprintf("%s failed: %v", strings.ToLower(b.last), e)
					c.recorder.Eventf(cl, corev1.EventTypeWarning, EventMirrorActionFailed, "%s of mirror topic %s%s failed: %v", b.last, n, where, e)
					continue
				}
				if res.MessagesTruncated != nil {
					run.truncated[n] = res.MessagesTruncated
				}
				if p := run.truncated[n]; p != nil {
					truncated += *p
				}
				run.actions[n] = b.last
				if oneWay {
					run.oneWay[n] = b.last
				}
				ok = append(ok, n)
			}
			if len(ok) > 0 && b.action == ActionRestore {
				c.recorder.Eventf(cl, corev1.EventTypeNormal, b.event, "Truncating and restoring %s%s as mirrors (%d messages truncated): %s", topicCount(len(ok)), where, truncated, listNames(ok))
				ok = nil
			}
			if len(ok) > 0 {
				c.recorder.Eventf(cl, corev1.EventTypeNormal, b.event, "%s %s%s: %s", b.verb, topicCount(len(ok)), where, listNames(ok))
			}
		}
		if len(plan.Delete) > 0 {
			// The plan's list predates this sync's batch calls; a topic
			// stopped since (by hand, or a promote that just completed) is
			// a normal topic now and must not be deleted. Look again right
			// before deleting.
			fresh, err := client.ListMirrors(ctx, clusterID, linkName)
			if err != nil {
				return restError(fmt.Errorf("list mirrors of link %q%s before deleting: %w", linkName, where, err))
			}
			plan.Delete = stillDeletable(plan.Delete, byName, fresh)
		}
		for _, name := range plan.Delete {
			obs.acted, obs.onlyCreated = true, false
			if err := client.DeleteTopic(ctx, clusterID, name); err != nil && !isNotFound(err) {
				if isRetryable(err) {
					return restError(fmt.Errorf("delete mirror %q%s: %w", name, where, err))
				}
				run.failures[name] = "delete failed: " + err.Error()
				c.recorder.Eventf(cl, corev1.EventTypeWarning, EventMirrorActionFailed, "Deleting mirror topic %s%s failed: %v", name, where, err)
				continue
			}
			run.actions[name] = string(mirror.ActionDelete)
			c.recorder.Eventf(cl, corev1.EventTypeNormal, EventMirrorDeleted, "Deleted mirror topic %s%s (removed from spec.mirrorTopics)", name, where)
		}
	}
	for n, why := range plan.ReverseBlocked {
		run.failures[n] = why
	}
	c.groupStatuses(cl, g, byName, run, obs)
	if len(plan.Wait) > 0 {
		run.busy = true
	}
	return nil
}

// groupStatuses appends to run.next the status of every spec topic of the
// group's direction, plus its managed topics still being deleted.
func (c *Controller) groupStatuses(cl *kafkalinkv1alpha1.ClusterLink, g *mirrorGroup, byName map[string]Mirror, run *mirrorRun, obs *observation) {
	prev := map[string]kafkalinkv1alpha1.MirrorTopicStatus{}
	for _, s := range cl.Status.MirrorTopics {
		prev[s.Name] = s
	}
	var dirField kafkalinkv1alpha1.MirrorTopicDirection
	if g.dir == kafkalinkv1alpha1.DirectionToSource {
		dirField = g.dir // omitted for toDestination: status stays compact
	}
	inSpec := map[string]bool{}
	for _, t := range cl.Spec.MirrorTopics {
		inSpec[t.Name] = true
		if t.EffectiveDirection() != g.dir {
			continue
		}
		st := prev[t.Name]
		st.Name, st.SourceTopicName, st.DesiredState, st.Direction = t.Name, t.SourceName(), t.DesiredState(), dirField
		if st.SourceTopicName == st.Name {
			st.SourceTopicName = "" // the default: status stays compact
		}
		m, exists := byName[t.Name]
		switch {
		case g.plan.Reversing[t.Name]:
			// Being reversed from the other cluster and not a mirror here
			// yet (absent, or a stopped former mirror): keep what was seen
			// there.
			st.Direction = prev[t.Name].Direction
		case exists:
			st.Status, st.MaxLag, st.Created = m.Status, m.MaxLag, true
		default:
			st.Status, st.MaxLag = string(mirror.StatusAbsent), 0
		}
		d := g.plan.Decisions[t.Name]
		st.Message = "" // actions and their answers are recorded by syncMirrors, once
		switch {
		case run.failures[t.Name] != "":
			st.Message = run.failures[t.Name]
			obs.actionFailed[t.Name] = run.failures[t.Name]
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
		if mirror.InDesiredState(t.DesiredState(), mirror.ParseStatus(st.Status)) && !g.plan.Reversing[t.Name] {
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
		run.byStatus[st.Status]++
		run.next = append(run.next, st)
	}
	// Managed topics removed from spec stay listed until they are gone (a
	// failed delete must stay visible); stopped ones are released at once.
	released := map[string]bool{}
	for _, n := range g.plan.Release {
		released[n] = true
	}
	for _, s := range cl.Status.MirrorTopics {
		if inSpec[s.Name] || mirror.StatusDirection(&s) != g.dir || released[s.Name] || run.actions[s.Name] == string(mirror.ActionDelete) {
			continue
		}
		if _, exists := byName[s.Name]; !exists {
			continue
		}
		s.Message = run.failures[s.Name]
		if s.Message == "" {
			s.Message = "removed from spec.mirrorTopics; being deleted"
		}
		run.next = append(run.next, s)
	}
	if len(run.actions) > 0 {
		run.busy = true
	}
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
