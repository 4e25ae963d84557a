package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/credentials"
	"github.com/kafkalink/kafkalink/pkg/kafkarest"
)

// Event reasons.
// staleCacheRetry is how soon a reconcile that found the informer cache
// older than the controller's own last write tries again.
const staleCacheRetry = 200 * time.Millisecond

const (
	EventLinkCreated        = "LinkCreated"
	EventLinkCreateFailed   = "LinkCreateFailed"
	EventLinkConfigsUpdated = "LinkConfigsUpdated"
	EventMirrorCreated      = "MirrorCreated"
	EventMirrorsPaused      = "MirrorsPaused"
	EventMirrorsResumed     = "MirrorsResumed"
	EventMirrorsPromoted    = "MirrorsPromoted"
	EventMirrorsFailedOver  = "MirrorsFailedOver"
	EventMirrorsRestored    = "MirrorsRestored"
	EventMirrorsReversed    = "MirrorsReversed"
	EventMirrorDeleted      = "MirrorDeleted"
	EventMirrorActionFailed = "MirrorActionFailed"
	EventReferenceError     = "ReferenceError"
	EventDeletionBlocked    = "DeletionBlocked"
	EventFinalizerFailed    = "FinalizerFailed"
	EventDuplicateReleased  = "DuplicateReleased"
	EventLinkDeleted        = "LinkDeleted"
)

// blockedError is a condition the user must fix (a missing class, a
// forbidden reference, bad credentials): reported in status, retried at the
// resync period or when the referenced object changes, never hot-looped.
type blockedError struct {
	reason string
	err    error
}

func (e *blockedError) Error() string { return e.err.Error() }
func (e *blockedError) Unwrap() error { return e.err }

func blocked(reason string, format string, args ...any) error {
	return &blockedError{reason: reason, err: fmt.Errorf(format, args...)}
}

// side is one cluster reachable through REST.
type side struct {
	class     *kafkalinkv1alpha1.KafkaRestClass
	client    RESTClient
	clusterID string
	// key names the cluster's shared view (snapshot.go).
	key snapshotKey
}

// sync reconciles one ClusterLink.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) (result, error) {
	logger := klog.FromContext(ctx)
	cl, err := c.links.ClusterLinks(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		logger.V(4).Info("ClusterLink is gone")
		c.writes.forget(key)
		return result{}, nil
	}
	if err != nil {
		return result{}, err
	}
	if c.writes.stale(key, cl.ResourceVersion) {
		// The watch event of our own write requeues it; the delay is a
		// safety net should that event be coalesced away.
		logger.V(4).Info("Informer cache is older than our last write; waiting for it", "resourceVersion", cl.ResourceVersion)
		return result{requeueAfter: staleCacheRetry}, nil
	}
	if first := olderClaim(c.linkIndexer, cl); first != nil {
		return c.syncDuplicate(ctx, cl, first)
	}
	if cl.DeletionTimestamp != nil {
		return c.syncDelete(ctx, cl)
	}
	if !slices.Contains(cl.Finalizers, kafkalinkv1alpha1.FinalizerClusterLink) {
		updated, err := c.patchFinalizers(ctx, cl, append(slices.Clone(cl.Finalizers), kafkalinkv1alpha1.FinalizerClusterLink))
		if err != nil {
			// Nothing happens on the destination without the finalizer;
			// say why where users look (a denial names its cause).
			c.recorder.Eventf(cl, corev1.EventTypeWarning, EventFinalizerFailed, "Adding finalizer %s failed; nothing is created until it succeeds: %v", kafkalinkv1alpha1.FinalizerClusterLink, err)
			return result{}, fmt.Errorf("add finalizer: %w", err)
		}
		cl = updated
		c.writes.record(key, cl.ResourceVersion)
	}

	// A status deferred by the previous reconcile (memory.go) is the base
	// this one plans from, as long as the persisted status is still the
	// one it was computed from.
	persisted := cl
	var carried bool
	c.withMemory(cl, func(m *linkMemory) {
		if d := m.deferred; d != nil {
			m.deferred = nil
			if equality.Semantic.DeepEqual(d.from, &cl.Status) {
				cp := *cl
				cp.Status = *d.status
				cl, carried = &cp, true
			}
		}
	})

	status := cl.Status.DeepCopy()
	status.LinkName = cl.LinkName()
	obs := &observation{paused: cl.Annotations[kafkalinkv1alpha1.AnnotationPauseReconciliation] == "true", onlyCreated: true}
	res, syncErr := c.syncLink(ctx, cl, status, obs)
	if errors.Is(syncErr, ErrFenced) {
		// This replica may no longer lead: what it saw is not its to
		// report (no status write, no Event) — the worker retries once
		// the fence opens or the term ends (fence.go).
		return result{}, syncErr
	}

	var be *blockedError
	if errors.As(syncErr, &be) {
		obs.blockedReason, obs.blockedMessage = be.reason, be.Error()
		c.recorder.Event(cl, corev1.EventTypeWarning, EventReferenceError, be.Error())
		res, syncErr = result{requeueAfter: c.opts.ResyncPeriod}, nil
	} else if syncErr != nil && obs.blockedReason == "" {
		obs.blockedReason, obs.blockedMessage = kafkalinkv1alpha1.ReasonDestinationUnreachable, syncErr.Error()
	}
	if syncErr == nil && obs.unobserved {
		// Nothing was observed that status could report.
		return res, nil
	}
	status.ObservedGeneration = cl.Generation
	status.State = status.LinkState
	applyConditions(status, cl.Generation, obs)
	res = c.backOffWhileWaiting(cl, obs, syncErr, res)

	if syncErr == nil && obs.acted && obs.onlyCreated && !carried && res.requeueAfter > 0 && res.requeueAfter <= c.opts.TransitionPollInterval {
		// Only creations, and the follow-up reconcile comes within one poll:
		// it writes what it observes instead (two writes for a new link).
		from := persisted.Status.DeepCopy()
		c.withMemory(cl, func(m *linkMemory) { m.deferred = &deferredStatus{from: from, status: status} })
		return res, nil
	}
	if err := c.writeStatus(ctx, persisted, status); err != nil {
		return result{}, errors.Join(syncErr, err)
	}
	return res, syncErr
}

// backOffWhileWaiting stretches the requeue of a link that waits on the
// outside world — a source outage, a failed or unavailable link, mirrors
// degraded, or PENDING_* past a few polls — exponentially up to the resync
// period, and registers it with the recovery watch, which notices the end
// of the wait with one refresh per cluster. Anything else starts over at
// the poll interval, as does a spec change (and a Secret or
// KafkaRestClass change, see resetBackoff).
func (c *Controller) backOffWhileWaiting(cl *kafkalinkv1alpha1.ClusterLink, obs *observation, syncErr error, res result) result {
	linkDown := obs.linkExists && (obs.linkState != "ACTIVE" || (obs.linkError != "" && obs.linkError != "NO_ERROR"))
	waiting := syncErr == nil && !obs.acted && obs.blockedReason == "" && res.requeueAfter > 0 &&
		res.requeueAfter <= c.opts.TransitionPollInterval && (linkDown || len(obs.degraded) > 0 || obs.pending > 0)
	c.withMemory(cl, func(m *linkMemory) {
		if m.waitsGen != cl.Generation {
			m.waits, m.waitsGen = 0, cl.Generation
		}
		if !waiting {
			m.waits, m.watching = 0, false
			return
		}
		m.waits++
		if linkDown || len(obs.degraded) > 0 {
			// The outside world, not a transition: back off at once.
			m.waits = max(m.waits, 4)
		}
		m.watching = m.waits > 3
		res.requeueAfter = waitBackoff(c.opts.TransitionPollInterval, c.opts.ResyncPeriod, m.waits)
	})
	return res
}

// syncDuplicate handles a ClusterLink whose link another, older ClusterLink
// already manages: it makes no REST call at all (acting would fight the
// owner, and a failover on deletion would stop the owner's mirrors), says
// why in Ready, and lets its own deletion finish without touching the link.
func (c *Controller) syncDuplicate(ctx context.Context, cl, first *kafkalinkv1alpha1.ClusterLink) (result, error) {
	if cl.DeletionTimestamp != nil {
		if slices.Contains(cl.Finalizers, kafkalinkv1alpha1.FinalizerClusterLink) {
			_, err := c.removeFinalizer(ctx, cl)
			return result{}, err
		}
		return result{}, nil
	}
	msg := fmt.Sprintf("link %q is already managed by ClusterLink %s/%s; this ClusterLink does nothing until that one is deleted or it names another link (spec.name)",
		cl.LinkName(), first.Namespace, first.Name)
	c.recorder.Event(cl, corev1.EventTypeWarning, EventReferenceError, msg)
	status := cl.Status.DeepCopy()
	status.ObservedGeneration = cl.Generation
	applyConditions(status, cl.Generation, &observation{blockedReason: kafkalinkv1alpha1.ReasonDuplicateLink, blockedMessage: msg})
	return result{requeueAfter: c.opts.ResyncPeriod}, c.writeStatus(ctx, cl, status)
}

// writeStatus updates status only when it changed: a converged link costs
// no apiserver write per resync.
func (c *Controller) writeStatus(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink, status *kafkalinkv1alpha1.ClusterLinkStatus) error {
	c.withMemory(cl, func(m *linkMemory) { m.deferred = nil })
	if equality.Semantic.DeepEqual(&cl.Status, status) {
		return nil
	}
	cp := cl.DeepCopy()
	cp.Status = *status
	updated, err := c.kafkalink.KafkalinkV1alpha1().ClusterLinks(cl.Namespace).UpdateStatus(ctx, cp, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	c.writes.record(cache.MetaObjectToName(updated), updated.ResourceVersion)
	return nil
}

// resolveSide finds a KafkaRestClass under the reference policy, resolves
// its credentials and returns a REST client for it.
func (c *Controller) resolveSide(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink, ref *kafkalinkv1alpha1.KafkaRestClassRef, what string) (*side, error) {
	if ref == nil {
		return nil, blocked(kafkalinkv1alpha1.ReasonInvalidSpec, "%s.kafkaRestClassRef is required", what)
	}
	ns := ref.Namespace
	if ns == "" {
		ns = cl.Namespace
	}
	class, err := c.classes.KafkaRestClasses(ns).Get(ref.Name)
	if apierrors.IsNotFound(err) {
		return nil, blocked(kafkalinkv1alpha1.ReasonKafkaRestClassNotFound, "KafkaRestClass %s/%s (%s.kafkaRestClassRef) does not exist", ns, ref.Name, what)
	}
	if err != nil {
		return nil, err
	}
	if !class.AllowsNamespace(cl.Namespace) {
		return nil, blocked(kafkalinkv1alpha1.ReasonKafkaRestClassForbidden,
			"KafkaRestClass %s/%s does not allow ClusterLinks from namespace %q (its spec.allowedNamespaces)", ns, ref.Name, cl.Namespace)
	}
	target, err := c.classTarget(ctx, class)
	if err != nil {
		return nil, err
	}
	// Credentials come from Secrets in the class's own namespace.
	resolver := &credentials.Resolver{Secrets: c.secrets, Namespace: class.Namespace, Directories: c.opts.Directories}
	creds, err := resolver.Rest(ctx, &class.Spec.KafkaRest)
	if err != nil {
		return nil, blocked(kafkalinkv1alpha1.ReasonCredentialsError, "KafkaRestClass %s/%s: %w", ns, ref.Name, err)
	}
	entry, err := c.restClients.get(ns+"/"+ref.Name, RESTConfig{Endpoint: target.endpoint, Credentials: creds})
	if err != nil {
		return nil, blocked(kafkalinkv1alpha1.ReasonCredentialsError, "KafkaRestClass %s/%s: %w", ns, ref.Name, err)
	}
	id, err := c.restClients.clusterID(ctx, entry, target.clusterID)
	if err != nil {
		return nil, restError(fmt.Errorf("read the cluster id from %s: %w", target.endpoint, err))
	}
	return &side{class: class, client: entry.client, clusterID: id, key: snapshotKey{endpoint: target.endpoint, clusterID: id}}, nil
}

// restError turns REST failures into what the worker should do: a 429
// with Retry-After waits that long; 401/403 are user errors.
func restError(err error) error {
	var re *kafkarest.Error
	if errors.As(err, &re) {
		if kafkarest.IsUnauthorized(err) {
			return blocked(kafkalinkv1alpha1.ReasonCredentialsError, "%w", err)
		}
		if after := kafkarest.RetryAfter(err); after > 0 {
			return &retryAfterError{after: after, err: err}
		}
	}
	return err
}

// sides returns the local side (where the link object lives: the
// destination, or the source for linkMode Source) and the remote cluster id.
func (c *Controller) sides(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink, status *kafkalinkv1alpha1.ClusterLinkStatus) (*side, string, error) {
	local, remote := &cl.Spec.DestinationKafkaCluster, &cl.Spec.SourceKafkaCluster
	localName, remoteName := "spec.destinationKafkaCluster", "spec.sourceKafkaCluster"
	if cl.Spec.LinkMode() == kafkalinkv1alpha1.LinkModeSource {
		local, remote = remote, local
		localName, remoteName = remoteName, localName
	}
	l, err := c.resolveSide(ctx, cl, local.KafkaRestClassRef, localName)
	if err != nil {
		return nil, "", err
	}
	// The link lives on the cluster it was first seen on. A KafkaRestClass
	// re-pointed elsewhere (a typo fix, the DR cluster) must not make the
	// controller create the link again there and orphan the original, nor
	// let a deletion "confirm" the link gone on the wrong cluster and skip
	// the failover.
	pinned := cl.Status.DestinationKafkaClusterID
	if cl.Spec.LinkMode() == kafkalinkv1alpha1.LinkModeSource {
		pinned = cl.Status.SourceKafkaClusterID
	}
	created := cl.Status.ClusterLinkID != "" || cl.Status.AppliedLinkConfigs != ""
	if created && pinned != "" && l.clusterID != pinned {
		return nil, "", blocked(kafkalinkv1alpha1.ReasonClusterChanged,
			"link %q lives on cluster %q, but %s now resolves to cluster %q through KafkaRestClass %s/%s; kafkalink will not create the link there or act on it. "+
				"Point the KafkaRestClass back at cluster %q; to move the link, delete this ClusterLink (spec.deletionPolicy Retain leaves the old link alone) and create a new one",
			cl.LinkName(), pinned, localName, l.clusterID, l.class.Namespace, l.class.Name, pinned)
	}
	remoteID := remote.ClusterID
	if remoteID == "" && remote.KafkaRestClassRef != nil {
		r, err := c.resolveSide(ctx, cl, remote.KafkaRestClassRef, remoteName)
		if err != nil {
			return nil, "", err
		}
		remoteID = r.clusterID
	}
	if cl.Spec.LinkMode() == kafkalinkv1alpha1.LinkModeSource {
		status.SourceKafkaClusterID, status.DestinationKafkaClusterID = l.clusterID, remoteID
	} else {
		status.SourceKafkaClusterID, status.DestinationKafkaClusterID = remoteID, l.clusterID
	}
	return l, remoteID, nil
}

// desiredLinkConfigs are the link's configs: connection settings for the
// remote side from its bootstrap, authentication and TLS, filters,
// auto-create and prefix, link and connection mode, then spec.configs on top.
func (c *Controller) desiredLinkConfigs(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink) (map[string]string, error) {
	remote := &cl.Spec.SourceKafkaCluster
	if cl.Spec.LinkMode() == kafkalinkv1alpha1.LinkModeSource {
		remote = &cl.Spec.DestinationKafkaCluster
	}
	cfg := map[string]string{}
	resolver := &credentials.Resolver{Secrets: c.secrets, Namespace: cl.Namespace, Directories: c.opts.Directories}
	if cl.Spec.ConnectionMode() != kafkalinkv1alpha1.ConnectionModeInbound {
		gen, err := resolver.LinkConfigs(ctx, remote)
		if err != nil {
			return nil, blocked(kafkalinkv1alpha1.ReasonCredentialsError, "link credentials: %w", err)
		}
		cfg = gen
	}
	if sil := cl.Spec.SourceInitiatedLink; sil != nil {
		cfg["link.mode"] = strings.ToUpper(string(sil.LinkMode))
		cfg["connection.mode"] = strings.ToUpper(string(cl.Spec.ConnectionMode()))
		// In a source-initiated or bidirectional link the link also
		// authenticates to its own cluster: the local.* configs, from the
		// side it lives on (as CFK derives them).
		local := &cl.Spec.DestinationKafkaCluster
		if cl.Spec.LinkMode() == kafkalinkv1alpha1.LinkModeSource {
			local = &cl.Spec.SourceKafkaCluster
		}
		if local.Authentication != nil || local.TLS != nil {
			own := *local
			own.BootstrapEndpoint = "" // the link knows its own cluster
			gen, err := resolver.LinkConfigs(ctx, &own)
			if err != nil {
				return nil, blocked(kafkalinkv1alpha1.ReasonCredentialsError, "local link credentials: %w", err)
			}
			for k, v := range gen {
				cfg["local."+k] = v
			}
		}
	}
	if len(cl.Spec.ConsumerGroupFilters) > 0 {
		cfg["consumer.offset.sync.enable"] = "true"
		cfg["consumer.offset.group.filters"] = filterJSON("groupFilters", cl.Spec.ConsumerGroupFilters)
	}
	if len(cl.Spec.ACLFilters) > 0 {
		cfg["acl.sync.enable"] = "true"
		cfg["acl.filters"] = aclFilterJSON(cl.Spec.ACLFilters)
	}
	if o := cl.Spec.MirrorTopicOptions; o != nil {
		if o.Prefix != "" {
			cfg["cluster.link.prefix"] = o.Prefix
		}
		if a := o.AutoCreateTopics; a != nil {
			cfg["auto.create.mirror.topics.enable"] = fmt.Sprint(a.Enabled)
			if len(a.TopicFilters) > 0 {
				cfg["auto.create.mirror.topics.filters"] = filterJSON("topicFilters", a.TopicFilters)
			}
		}
	}
	for k, v := range cl.Spec.Configs {
		cfg[k] = v
	}
	return cfg, nil
}

func filterJSON(field string, filters []kafkalinkv1alpha1.ResourceFilter) string {
	type f struct {
		Name        string `json:"name"`
		PatternType string `json:"patternType"`
		FilterType  string `json:"filterType"`
	}
	out := make([]f, 0, len(filters))
	for _, x := range filters {
		out = append(out, f{x.Name, string(x.PatternType), string(x.FilterType)})
	}
	b, _ := json.Marshal(map[string]any{field: out})
	return string(b)
}

func aclFilterJSON(filters []kafkalinkv1alpha1.ACLFilter) string {
	type rf struct {
		ResourceType string `json:"resourceType"`
		Name         string `json:"name,omitempty"`
		PatternType  string `json:"patternType"`
	}
	type af struct {
		Principal      string `json:"principal,omitempty"`
		Host           string `json:"host,omitempty"`
		Operation      string `json:"operation"`
		PermissionType string `json:"permissionType"`
	}
	type f struct {
		ResourceFilter rf `json:"resourceFilter"`
		AccessFilter   af `json:"accessFilter"`
	}
	out := make([]f, 0, len(filters))
	for _, x := range filters {
		rt := x.ResourceFilter.ResourceType
		if rt == "transcationId" { // CFK's spelling
			rt = "transactionalId"
		}
		out = append(out, f{rf{rt, x.ResourceFilter.Name, x.ResourceFilter.PatternType},
			af{x.AccessFilter.Principal, x.AccessFilter.Host, x.AccessFilter.Operation, x.AccessFilter.PermissionType}})
	}
	b, _ := json.Marshal(map[string]any{"aclFilters": out})
	return string(b)
}

// configHash digests the desired configs (keyed by the object's UID, so the
// digest of a password cannot be compared across objects).
func configHash(uid string, cfg map[string]string) string {
	h := sha256.New()
	h.Write([]byte(uid))
	for _, k := range credentials.SortedKeys(cfg) {
		fmt.Fprintf(h, "\x00%s=%s", k, cfg[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// syncLink does the observe, plan, act and report steps of docs/design.md §5 and fills status and obs.
func (c *Controller) syncLink(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink, status *kafkalinkv1alpha1.ClusterLinkStatus, obs *observation) (result, error) {
	logger := klog.FromContext(ctx)
	local, remoteID, err := c.sides(ctx, cl, status)
	if err != nil {
		return result{}, err
	}
	linkName := cl.LinkName()
	if other := claimedElsewhere(c.linkIndexer, cl, local.clusterID); other != nil {
		// Same cluster reached through another KafkaRestClass: the
		// class-keyed guard in sync cannot see it.
		return result{}, blocked(kafkalinkv1alpha1.ReasonDuplicateLink,
			"link %q on cluster %q is already managed by ClusterLink %s/%s; this ClusterLink does nothing until that one is deleted or it names another link (spec.name)",
			linkName, local.clusterID, other.Namespace, other.Name)
	}
	var after uint64
	c.withMemory(cl, func(m *linkMemory) {
		if m.cluster != local.key {
			// Another cluster: its generations are not this one's.
			m.seenGen = 0
		}
		m.cluster, after = local.key, m.seenGen
	})
	view, err := c.snapshots.get(ctx, local.key, local.client, after, false)
	if err != nil {
		return result{}, restError(err)
	}
	// Whatever happens below, the next reconcile plans from a newer view:
	// one started after this reconcile's actions, if it acted.
	defer func() {
		seen := view.gen
		if obs.acted {
			seen = c.snapshots.started(local.key)
		}
		c.withMemory(cl, func(m *linkMemory) { m.seenGen = seen })
	}()
	link, exists := view.links[linkName]
	if !exists && cl.Status.ClusterLinkID != "" {
		// A link this ClusterLink has seen is missing from the view.
		// Before re-creating it (and taking every mirror under it as
		// gone), ask for the link itself: a view that raced with the
		// link's creation must not drop the ownership records.
		if _, err := local.client.GetLink(ctx, local.clusterID, linkName); err == nil {
			obs.acted, obs.unobserved = true, true // plan next from a newer view
			return result{requeueAfter: c.opts.TransitionPollInterval}, nil
		} else if !kafkarest.IsNotFound(err) {
			return result{}, restError(fmt.Errorf("get link %q: %w", linkName, err))
		}
	}
	if !exists {
		if obs.paused {
			obs.linkExists = false
			return result{requeueAfter: c.opts.ResyncPeriod}, nil
		}
		cfg, err := c.desiredLinkConfigs(ctx, cl)
		if err != nil {
			return result{}, err
		}
		if remoteID == "" && !(cl.Spec.SourceInitiatedLink != nil) {
			// The REST API can discover the source id from bootstrap.servers.
			logger.V(2).Info("Creating link without a source cluster id; the destination discovers it")
		}
		obs.acted, obs.onlyCreated = true, true
		if err := local.client.CreateLink(ctx, local.clusterID, CreateLinkRequest{Name: linkName, SourceClusterID: remoteID, Configs: cfg}); err != nil {
			if errors.Is(err, ErrFenced) {
				return result{}, err
			}
			c.recorder.Eventf(cl, corev1.EventTypeWarning, EventLinkCreateFailed, "Creating link %s failed: %v", linkName, err)
			return result{}, restError(fmt.Errorf("create link %q: %w", linkName, err))
		}
		c.recorder.Eventf(cl, corev1.EventTypeNormal, EventLinkCreated, "Created link %s on cluster %s", linkName, local.clusterID)
		status.AppliedLinkConfigs = configHash(string(cl.UID), cfg)
		// A link created from this spec starts with no task in error.
		c.withMemory(cl, func(m *linkMemory) { m.tasksKnown, m.tasksFor, m.taskErrors = true, status.AppliedLinkConfigs, nil })
		obs.linkExists = false
		// A new link has no mirror topics: create them in this same
		// reconcile; the next one observes the result.
		return c.syncMirrors(ctx, cl, local, linkName, nil, status, obs)
	}
	var tasksKnown bool
	c.withMemory(cl, func(m *linkMemory) {
		if tasksKnown = m.tasksKnown && m.tasksFor == status.AppliedLinkConfigs; tasksKnown {
			link.TaskErrors = m.taskErrors
		}
	})
	if !tasksKnown {
		full, err := local.client.GetLink(ctx, local.clusterID, linkName)
		if kafkarest.IsNotFound(err) {
			// Deleted since the view was taken: look again at a newer one.
			obs.acted = true
			return result{requeueAfter: c.opts.TransitionPollInterval}, nil
		}
		if err != nil {
			return result{}, restError(fmt.Errorf("get link %q: %w", linkName, err))
		}
		link = *full
		c.withMemory(cl, func(m *linkMemory) {
			m.tasksKnown, m.tasksFor, m.taskErrors = true, status.AppliedLinkConfigs, full.TaskErrors
		})
	}
	obs.linkExists = true
	obs.linkState, obs.linkError, obs.taskErrors = link.State, link.Error, link.TaskErrors
	status.ClusterLinkID, status.LinkState = link.ID, link.State
	if status.SourceKafkaClusterID == "" && cl.Spec.LinkMode() != kafkalinkv1alpha1.LinkModeSource {
		// No id in the spec or through a class: the destination
		// discovered it from bootstrap.servers; report that one.
		status.SourceKafkaClusterID = link.SourceClusterID
	}
	status.LinkError = ""
	if link.Error != "" && link.Error != "NO_ERROR" {
		status.LinkError = strings.TrimSpace(link.Error + " " + link.ErrorMessage)
	}

	if !obs.paused {
		if err := c.syncLinkConfigs(ctx, cl, local, linkName, status, obs); err != nil {
			return result{}, err
		}
	}

	withMirrors, err := c.snapshots.get(ctx, local.key, local.client, after, true)
	if err != nil {
		return result{}, restError(err)
	}
	view = withMirrors
	return c.syncMirrors(ctx, cl, local, linkName, view.mirrors[linkName], status, obs)
}

// syncLinkConfigs repairs config drift with one configs:alter call when the
// desired configs changed since they were last applied.
func (c *Controller) syncLinkConfigs(ctx context.Context, cl *kafkalinkv1alpha1.ClusterLink, local *side, linkName string, status *kafkalinkv1alpha1.ClusterLinkStatus, obs *observation) error {
	cfg, err := c.desiredLinkConfigs(ctx, cl)
	if err != nil {
		return err
	}
	hash := configHash(string(cl.UID), cfg)
	if status.AppliedLinkConfigs == hash {
		return nil
	}
	current, err := local.client.ListLinkConfigs(ctx, local.clusterID, linkName)
	if err != nil {
		return restError(fmt.Errorf("list configs of link %q: %w", linkName, err))
	}
	set := map[string]string{}
	for k, v := range cfg {
		// Sensitive values are never returned by the API: set them again.
		if cur, ok := current[k]; !ok || cur != v || credentials.IsSensitive(k) {
			set[k] = v
		}
	}
	// The link mode and prefix cannot change on a live link.
	for _, k := range []string{"link.mode", "connection.mode", "cluster.link.prefix"} {
		delete(set, k)
	}
	if len(set) > 0 {
		obs.acted, obs.onlyCreated = true, false
		if err := local.client.AlterLinkConfigs(ctx, local.clusterID, linkName, set); err != nil {
			return restError(fmt.Errorf("alter configs of link %q: %w", linkName, err))
		}
		c.recorder.Eventf(cl, corev1.EventTypeNormal, EventLinkConfigsUpdated, "Updated link configs: %s", strings.Join(credentials.SortedKeys(set), ", "))
	}
	status.AppliedLinkConfigs = hash
	return nil
}
