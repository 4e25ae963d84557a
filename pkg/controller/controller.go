// Package controller is kafkalink's ClusterLink controller: a hand-written
// client-go workqueue controller (the k8s.io/sample-controller shape) that
// makes each destination cluster match its ClusterLinks through the Kafka
// REST API v3, planning every action with pkg/mirror — the same state
// machine the admission webhook enforces.
//
// The REST API has no watch, so besides reacting to ClusterLink,
// KafkaRestClass and Secret events every link is re-read after
// ResyncPeriod (drift detection), and sooner while a mirror topic is in
// transition. Every sync plans from freshly observed state: two replicas
// briefly acting at once (leader election does not fence) issue the same
// idempotent actions.
package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	kubescheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/credentials"
	"github.com/kafkalink/kafkalink/pkg/generated/clientset/versioned"
	kafkalinkscheme "github.com/kafkalink/kafkalink/pkg/generated/clientset/versioned/scheme"
	informers "github.com/kafkalink/kafkalink/pkg/generated/informers/externalversions"
	listers "github.com/kafkalink/kafkalink/pkg/generated/listers/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/kubeclient"
	"github.com/kafkalink/kafkalink/pkg/metrics"
)

const (
	controllerName = "kafkalink-controller"
	// Index names on the informers' indexers.
	indexKafkaRestClass = "kafkaRestClass" // ClusterLinks by referenced class "ns/name"
	indexSecret         = "secret"         // ClusterLinks and classes by referenced Secret "ns/name"
	indexLocalLink      = "localLink"      // ClusterLinks by the link they manage (localLinkKey)
	indexClaimedLink    = "claimedLink"    // ClusterLinks by the cluster and link they have seen (claimedLinkKey)
	indexRemoteLink     = "remoteLink"     // bidirectional ClusterLinks by the other side's link (remoteLinkKey)
	indexKafkaRef       = "kafkaRef"       // KafkaRestClasses by the CFK Kafka they name "ns/name"
)

var secretsGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// Options configure a Controller.
type Options struct {
	KubeClient      kubernetes.Interface
	KafkalinkClient versioned.Interface
	MetadataClient  metadata.Interface
	// DynamicClient reads CFK Kafka resources for KafkaRestClasses that
	// name one (spec.kafkaClusterRef); nil: they stay unresolved.
	DynamicClient dynamic.Interface
	// Namespace restricts the controller to one namespace; empty watches all.
	Namespace string
	// Namespaces, when set, are the namespaces the controller watches (one
	// set of informers each), instead of Namespace.
	Namespaces []string
	// Directories decides which directoryPathInContainer credentials may
	// be read, for objects in which namespace; the zero value refuses all.
	Directories credentials.DirectoryPolicy
	// ResyncPeriod is how often a converged link is re-read from REST.
	ResyncPeriod time.Duration
	// TransitionPollInterval is how soon a link with mirror topics in
	// transition (WAIT) is re-read.
	TransitionPollInterval time.Duration
	// ViewRefreshInterval spaces the refreshes of one cluster's shared
	// view: a reconcile that needs a view newer than its actions waits for
	// the next refresh, which starts at least this long after the previous
	// one. While a thousand new links converge, their follow-ups then share
	// a refresh per interval instead of listing every mirror of the cluster
	// several times a second. Zero refreshes at once.
	ViewRefreshInterval time.Duration
	// TransitionTimeout is how long a mirror topic may stay PENDING_* before
	// the TransitionStuck condition reports it.
	TransitionTimeout time.Duration
	// Registry receives the controller's metrics; a new one when nil.
	Registry *prometheus.Registry
	// RESTClients builds REST clients; tests inject one bound to the emulator.
	RESTClients RESTClientFactory
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Identity names this replica (the leader election identity); REST
	// requests carry it in their User-Agent.
	Identity string
	// Fence, when set, must return nil before any REST write and before
	// each reconcile: a replica that may have lost the leader lease acts
	// on nothing (leader.go).
	Fence func() error
}

// Controller reconciles ClusterLinks.
type Controller struct {
	opts      Options
	kube      kubernetes.Interface
	kafkalink versioned.Interface

	linkFactories   []informers.SharedInformerFactory
	secretFactories []metadatainformer.SharedInformerFactory
	links           listers.ClusterLinkLister
	classes         listers.KafkaRestClassLister
	linkIndexer     cache.Indexer
	classIndexer    cache.Indexer
	secrets         *secretCache
	synced          []cache.InformerSynced

	// queueRef is the workqueue of the current leadership term: a term
	// ends by shutting it down (its workers exit), the next one starts a
	// new one, while the informers keep running across terms.
	queueRef     atomic.Pointer[linkQueue]
	queueMetrics workqueue.MetricsProvider
	terms        atomic.Int32 // leadership terms started
	broadcaster  record.EventBroadcaster
	recorder     record.EventRecorder
	metrics      *controllerMetrics
	restClients  *restClientCache

	// transitions remembers when a topic entered a PENDING_* state, for
	// the TransitionStuck condition (status has no per-topic timestamp of
	// the observed status, and REST's state_time_ms is not always given).
	mu          sync.Mutex
	transitions map[string]time.Time
	// memory is what the controller remembers per ClusterLink (memory.go).
	memory map[cache.ObjectName]*linkMemory

	// snapshots are the shared per-cluster observations (snapshot.go).
	snapshots *snapshots

	writes ownWrites

	// kafkas resolves KafkaRestClass kafkaClusterRef (kafkas.go).
	kafkas *kafkaClusters
	// classQueueRef is the current term's KafkaRestClass status queue;
	// classChecks the last REST check per class (classstatus.go).
	classQueueRef atomic.Pointer[classQueue]
	classChecks   map[cache.ObjectName]classCheck
	// classLost counts, per class, reads through its client that failed
	// after an answer (classEndpointLost).
	classLost map[cache.ObjectName]uint64
}

func init() {
	// Events about ClusterLinks need the kafkalink types in the scheme the
	// event recorder uses to build object references.
	utilruntime.Must(kafkalinkscheme.AddToScheme(kubescheme.Scheme))
}

// NewController wires informers, indexers, the workqueue and the event recorder.
func NewController(ctx context.Context, opts Options) (*Controller, error) {
	logger := klog.FromContext(ctx)
	if opts.ResyncPeriod <= 0 {
		opts.ResyncPeriod = 5 * time.Minute
	}
	if opts.TransitionPollInterval <= 0 {
		opts.TransitionPollInterval = 5 * time.Second
	}
	if opts.TransitionTimeout <= 0 {
		opts.TransitionTimeout = 10 * time.Minute
	}
	if opts.Registry == nil {
		opts.Registry = metrics.NewRegistry()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Controller{
		opts:        opts,
		kube:        opts.KubeClient,
		kafkalink:   opts.KafkalinkClient,
		metrics:     newControllerMetrics(opts.Registry),
		transitions: map[string]time.Time{},
		memory:      map[cache.ObjectName]*linkMemory{},
		classChecks: map[cache.ObjectName]classCheck{},
		classLost:   map[cache.ObjectName]uint64{},
	}
	c.kafkas = &kafkaClusters{dynamic: opts.DynamicClient, namespaces: opts.watchedNamespaces(), now: opts.Now, changed: c.kafkaChanged}
	if opts.KubeClient != nil {
		c.kafkas.discovery = opts.KubeClient.Discovery()
	}
	c.snapshots = newSnapshots(opts.Now, c.observedChange)
	c.snapshots.minInterval = opts.ViewRefreshInterval
	if opts.RESTClients == nil {
		opts.RESTClients = restClientFactory(c.metrics.observeREST, opts.Identity, opts.Fence)
		c.opts.RESTClients = opts.RESTClients
	}
	c.restClients = newRESTClientCache(fencedFactory(opts.RESTClients, opts.Fence), opts.Now, c.classEndpointLost)

	// One set of informers per watched namespace (one set for all when
	// Namespaces is empty): a least-privilege install holds Roles in
	// exactly those namespaces and nothing cluster-wide. Informer resync is
	// off: drift detection is the queue's AddAfter.
	var linkInformers, classInformers, secretInformers []cache.SharedIndexInformer
	for _, ns := range opts.watchedNamespaces() {
		lf := informers.NewSharedInformerFactoryWithOptions(opts.KafkalinkClient, 0, informers.WithNamespace(ns), informers.WithTransform(stripForCache))
		sf := metadatainformer.NewFilteredSharedInformerFactory(opts.MetadataClient, 0, ns, nil)
		c.linkFactories = append(c.linkFactories, lf)
		c.secretFactories = append(c.secretFactories, sf)
		linkInformer := lf.Kafkalink().V1alpha1().ClusterLinks().Informer()
		classInformer := lf.Kafkalink().V1alpha1().KafkaRestClasses().Informer()
		secretInformer := sf.ForResource(secretsGVR).Informer()
		// Secrets are cached as metadata only (values are read on demand,
		// secrets.go), and without managedFields.
		if err := secretInformer.SetTransform(stripForCache); err != nil {
			return nil, fmt.Errorf("set Secret transform: %w", err)
		}
		if err := linkInformer.AddIndexers(cache.Indexers{
			indexKafkaRestClass: indexLinkByClass,
			indexSecret:         indexLinkBySecret,
			indexLocalLink:      indexLinkByLocalLink,
			indexClaimedLink:    indexLinkByClaimedLink,
			indexRemoteLink:     indexLinkByRemoteLink,
		}); err != nil {
			return nil, fmt.Errorf("add ClusterLink indexers: %w", err)
		}
		if err := classInformer.AddIndexers(cache.Indexers{indexSecret: indexClassBySecret, indexKafkaRef: indexClassByKafka}); err != nil {
			return nil, fmt.Errorf("add KafkaRestClass indexers: %w", err)
		}
		linkInformers = append(linkInformers, linkInformer)
		classInformers = append(classInformers, classInformer)
		secretInformers = append(secretInformers, secretInformer)
	}
	c.linkIndexer = kubeclient.MergedIndexer(linkInformers)
	c.classIndexer = kubeclient.MergedIndexer(classInformers)
	c.links = listers.NewClusterLinkLister(c.linkIndexer)
	c.classes = listers.NewKafkaRestClassLister(c.classIndexer)
	c.secrets = newSecretCache(opts.KubeClient, kubeclient.MergedIndexer(secretInformers))

	c.queueMetrics = metrics.NewWorkqueueProvider(opts.Registry)
	c.newQueue()

	c.broadcaster = record.NewBroadcaster(record.WithContext(ctx))
	c.broadcaster.StartStructuredLogging(4)
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: opts.KubeClient.CoreV1().Events("")})
	c.recorder = &loggingRecorder{EventRecorder: c.broadcaster.NewRecorder(kubescheme.Scheme, corev1.EventSource{Component: controllerName}), logger: klog.FromContext(ctx)}

	handlers := []struct {
		name      string
		informers []cache.SharedIndexInformer
		handler   cache.ResourceEventHandler
	}{
		{"ClusterLink", linkInformers, cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueue,
			UpdateFunc: func(old, obj any) {
				// Status-only updates (our own writes) change no generation,
				// annotations, finalizers or deletion timestamp: skip them.
				if o, n := old.(*kafkalinkv1alpha1.ClusterLink), obj.(*kafkalinkv1alpha1.ClusterLink); o.Generation == n.Generation &&
					equalStringMaps(o.Annotations, n.Annotations) && o.DeletionTimestamp.Equal(n.DeletionTimestamp) && len(o.Finalizers) == len(n.Finalizers) {
					return
				}
				c.enqueue(obj)
			},
			DeleteFunc: c.forgetLink,
		}},
		{"KafkaRestClass", classInformers, cache.ResourceEventHandlerFuncs{
			AddFunc: func(obj any) { c.enqueueLinksOfClass(obj); c.enqueueClass(obj) },
			UpdateFunc: func(old, obj any) {
				// Status-only updates (the class status this controller
				// writes) change nothing a link or a check depends on.
				if o, n := old.(*kafkalinkv1alpha1.KafkaRestClass), obj.(*kafkalinkv1alpha1.KafkaRestClass); o.Generation == n.Generation &&
					equalStringMaps(o.Annotations, n.Annotations) && o.DeletionTimestamp.Equal(n.DeletionTimestamp) {
					return
				}
				c.enqueueLinksOfClass(obj)
				c.enqueueClass(obj)
			},
			DeleteFunc: func(obj any) { c.enqueueLinksOfClass(obj); c.enqueueClass(obj) },
		}},
		{"Secret", secretInformers, cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueueLinksOfSecret,
			UpdateFunc: func(old, obj any) {
				if o, ok := old.(metav1.Object); ok {
					if n, ok := obj.(metav1.Object); ok && o.GetResourceVersion() == n.GetResourceVersion() {
						return
					}
				}
				c.enqueueLinksOfSecret(obj)
			},
			DeleteFunc: c.enqueueLinksOfSecret,
		}},
	}
	for _, h := range handlers {
		for _, inf := range h.informers {
			if _, err := inf.AddEventHandler(h.handler); err != nil {
				return nil, fmt.Errorf("add %s event handler: %w", h.name, err)
			}
			c.synced = append(c.synced, inf.HasSynced)
		}
	}
	logger.V(2).Info("Controller wired", "namespaces", opts.watchedNamespaces(), "resyncPeriod", opts.ResyncPeriod)
	return c, nil
}

// Run starts the informers and workers and blocks until ctx ends, then
// drains the queue and shuts everything down.
func (c *Controller) Run(ctx context.Context, workers int) error {
	c.Start(ctx)
	defer c.Shutdown()
	return c.Lead(ctx, workers)
}

// Start runs the informers until ctx ends. They keep running across
// leadership terms, so a replica that becomes leader has warm caches.
func (c *Controller) Start(ctx context.Context) {
	c.kafkas.start(ctx)
	for i := range c.linkFactories {
		c.linkFactories[i].Start(ctx.Done())
		c.secretFactories[i].Start(ctx.Done())
	}
}

// Shutdown stops the informers and the event broadcaster after ctx ended.
func (c *Controller) Shutdown() {
	c.queue().ShutDown()
	if q := c.classQueueRef.Load(); q != nil {
		(*q).ShutDown()
	}
	for i := range c.linkFactories {
		c.linkFactories[i].Shutdown()
		c.secretFactories[i].Shutdown()
	}
	c.kafkas.shutdown()
	c.broadcaster.Shutdown()
}

// Lead runs one leadership term: workers reconcile every ClusterLink until
// ctx ends, then the term's queue is shut down and every worker has
// returned before Lead does, so nothing acts after the term.
func (c *Controller) Lead(ctx context.Context, workers int) error {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx)
	// Every term has its own queue: the last term's is shut down.
	q := c.queue()
	if q.ShuttingDown() || c.terms.Add(1) > 1 {
		q = c.newQueue()
	}
	logger.Info("Starting controller", "workers", workers)
	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced...) {
		q.ShutDown()
		return errors.New("informer caches did not sync")
	}
	// Events seen while another replica led were dropped: look at
	// every ClusterLink once.
	links, err := c.links.List(labels.Everything())
	if err != nil {
		q.ShutDown()
		return err
	}
	for _, cl := range links {
		c.enqueue(cl)
	}
	cq := c.newClassQueue()
	classes, err := c.classes.List(labels.Everything())
	if err != nil {
		q.ShutDown()
		cq.ShutDown()
		return err
	}
	for _, k := range classes {
		c.enqueueClass(k)
	}
	var wg sync.WaitGroup
	wg.Go(func() { c.runClassWorker(ctx, cq) })
	for range workers {
		wg.Go(func() { wait.UntilWithContext(ctx, func(ctx context.Context) { c.runWorker(ctx, q) }, time.Second) })
	}
	wg.Go(func() { c.runRecoveryWatch(ctx) })
	wg.Go(func() { wait.UntilWithContext(ctx, c.sweep, c.opts.ResyncPeriod) })
	<-ctx.Done()
	logger.Info("Shutting down workers")
	q.ShutDown()
	cq.ShutDown()
	wg.Wait()
	return nil
}

// linkQueue is the workqueue of ClusterLink keys.
type linkQueue struct {
	workqueue.TypedRateLimitingInterface[cache.ObjectName]
}

func (c *Controller) newQueue() *linkQueue {
	q := &linkQueue{workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.DefaultTypedControllerRateLimiter[cache.ObjectName](),
		workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: "clusterlink", MetricsProvider: c.queueMetrics},
	)}
	c.queueRef.Store(q)
	return q
}

// queue is the current term's queue (shut down between terms: adds are
// then dropped, and the next term enqueues everything).
func (c *Controller) queue() *linkQueue { return c.queueRef.Load() }

// HasSynced reports whether the informer caches are synced (readiness).
func (c *Controller) HasSynced() bool {
	for _, s := range c.synced {
		if !s() {
			return false
		}
	}
	return true
}

func (c *Controller) runWorker(ctx context.Context, q *linkQueue) {
	for c.processNextWorkItem(ctx, q) {
	}
}

func (c *Controller) processNextWorkItem(ctx context.Context, q *linkQueue) bool {
	key, shutdown := q.Get()
	if shutdown {
		return false
	}
	defer q.Done(key)
	logger := klog.LoggerWithValues(klog.FromContext(ctx), "clusterLink", key.String())
	ctx = klog.NewContext(ctx, logger)

	if c.opts.Fence != nil {
		if err := c.opts.Fence(); err != nil {
			// Not ours to act on now: the term is ending, or the lease is
			// about to be renewed. Look again later.
			// A fixed delay, not the rate limiter: a fence that stays
			// closed for a while must not push every key's back-off (and
			// the queue's shared token bucket) minutes into the future.
			logger.V(2).Info("Not reconciling", "reason", err)
			c.metrics.fencedAt("reconcile")
			q.AddAfter(key, fencedRetry)
			return true
		}
	}
	start := c.opts.Now()
	res, err := c.sync(ctx, key)
	c.metrics.observeReconcile(err, c.opts.Now().Sub(start))
	var retry *retryAfterError
	switch {
	case err == nil:
		// Forget resets the rate limiter's backoff for this key.
		q.Forget(key)
		if res.requeueAfter > 0 {
			q.AddAfter(key, res.requeueAfter)
		}
	case errors.Is(err, ErrFenced):
		logger.V(2).Info("Write not sent: this replica may no longer lead", "reason", err)
		c.metrics.fencedAt("write")
		q.AddAfter(key, fencedRetry)
	case apierrors.IsConflict(err):
		// Someone wrote the object since we read it; the update event
		// brings the new version soon. Requeue quietly.
		logger.V(4).Info("Conflict, requeueing", "err", err)
		q.AddRateLimited(key)
	case errors.As(err, &retry):
		logger.V(2).Info("Destination asked us to slow down", "retryAfter", retry.after, "err", err)
		q.AddAfter(key, retry.after)
	default:
		logger.Error(err, "Syncing ClusterLink failed, will retry")
		q.AddRateLimited(key)
	}
	return true
}

// fencedRetry is how soon a key refused by the fence is looked at again: a
// renewal reopens the fence within the retry period, or the term ends and
// the next one starts with a new queue.
const fencedRetry = time.Second

// result says when to look at a ClusterLink again after a successful sync.
type result struct {
	requeueAfter time.Duration
}

// retryAfterError asks the worker to retry after a server-given delay
// (HTTP 429 Retry-After) instead of the rate limiter's backoff.
type retryAfterError struct {
	after time.Duration
	err   error
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

func (c *Controller) enqueue(obj any) {
	name, err := cache.ObjectToName(obj)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	c.queue().Add(name)
}

func (c *Controller) forgetLink(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	cl, ok := obj.(*kafkalinkv1alpha1.ClusterLink)
	if !ok {
		return
	}
	c.mu.Lock()
	prefix := cl.Namespace + "/" + cl.Name + "/"
	for k := range c.transitions {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			delete(c.transitions, k)
		}
	}
	delete(c.memory, cache.MetaObjectToName(cl))
	c.mu.Unlock()
	c.writes.forget(cache.MetaObjectToName(cl))
	c.metrics.forgetLink(cl.Namespace, cl.Name)
	// A ClusterLink waiting behind this one for the same link takes over.
	if k := localLinkKey(cl); k != "" {
		c.enqueueByIndex(c.linkIndexer, indexLocalLink, k)
	}
	if k := resolvedLinkKey(cl); k != "" {
		c.enqueueByIndex(c.linkIndexer, indexClaimedLink, k)
	}
}

func (c *Controller) enqueueByIndex(indexer cache.Indexer, index, key string) {
	objs, err := indexer.ByIndex(index, key)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	for _, o := range objs {
		c.enqueue(o)
	}
}

// enqueueByIndexResettingBackoff enqueues like enqueueByIndex and makes the
// links poll at the normal interval again: what they waited for may have
// been fixed (a rotated password, a corrected endpoint).
func (c *Controller) enqueueByIndexResettingBackoff(indexer cache.Indexer, index, key string) {
	objs, err := indexer.ByIndex(index, key)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	for _, o := range objs {
		if name, err := cache.ObjectToName(o); err == nil {
			c.resetBackoff(name)
		}
		c.enqueue(o)
	}
}

// observedChange is called by a cluster view refresh for every link whose
// observed state changed: its ClusterLink reconciles now instead of at its
// next (possibly backed-off) poll.
func (c *Controller) observedChange(clusterID, link string) {
	c.enqueueByIndex(c.linkIndexer, indexClaimedLink, clusterID+"#"+link)
	// The other side of a bidirectional link, for its toSource topics.
	c.enqueueByIndex(c.linkIndexer, indexRemoteLink, clusterID+"#"+link)
}

func (c *Controller) enqueueLinksOfClass(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	m, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	c.enqueueByIndexResettingBackoff(c.linkIndexer, indexKafkaRestClass, m.GetNamespace()+"/"+m.GetName())
}

func (c *Controller) enqueueLinksOfSecret(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	m, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	key := m.GetNamespace() + "/" + m.GetName()
	c.enqueueByIndexResettingBackoff(c.linkIndexer, indexSecret, key)
	classes, err := c.classIndexer.ByIndex(indexSecret, key)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	for _, k := range classes {
		c.enqueueLinksOfClass(k)
		c.enqueueClass(k)
	}
}

func equalStringMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}
