package controller

import (
	kafkalinkv1alpha1 "github.com/kafkalink/kafkalink/pkg/apis/kafkalink/v1alpha1"
	"github.com/kafkalink/kafkalink/pkg/credentials"
)

// classKey is the "namespace/name" of a referenced KafkaRestClass; an empty
// namespace means the ClusterLink's own.
func classKey(cl *kafkalinkv1alpha1.ClusterLink, ref *kafkalinkv1alpha1.KafkaRestClassRef) string {
	ns := ref.Namespace
	if ns == "" {
		ns = cl.Namespace
	}
	return ns + "/" + ref.Name
}

// indexLinkByClass indexes ClusterLinks by the KafkaRestClasses they use, so
// a class change re-queues exactly its links.
func indexLinkByClass(obj any) ([]string, error) {
	cl, ok := obj.(*kafkalinkv1alpha1.ClusterLink)
	if !ok {
		return nil, nil
	}
	var keys []string
	for _, ref := range []*kafkalinkv1alpha1.KafkaRestClassRef{cl.Spec.DestinationKafkaCluster.KafkaRestClassRef, cl.Spec.SourceKafkaCluster.KafkaRestClassRef} {
		if ref != nil {
			keys = append(keys, classKey(cl, ref))
		}
	}
	return keys, nil
}

// indexLinkBySecret indexes ClusterLinks by the Secrets they reference
// (always in their own namespace), so a rotated password reaches the link.
func indexLinkBySecret(obj any) ([]string, error) {
	cl, ok := obj.(*kafkalinkv1alpha1.ClusterLink)
	if !ok {
		return nil, nil
	}
	var keys []string
	for _, r := range credentials.ClusterLinkSecretRefs(cl) {
		keys = append(keys, cl.Namespace+"/"+r.Name)
	}
	return keys, nil
}

// indexClassBySecret indexes KafkaRestClasses by the Secrets they reference.
func indexClassBySecret(obj any) ([]string, error) {
	k, ok := obj.(*kafkalinkv1alpha1.KafkaRestClass)
	if !ok {
		return nil, nil
	}
	var keys []string
	for _, r := range credentials.KafkaRestClassSecretRefs(k) {
		keys = append(keys, k.Namespace+"/"+r.Name)
	}
	return keys, nil
}

// localLinkKey identifies the link a ClusterLink manages: the REST class of
// the cluster the link lives on (the destination's, or the source's for a
// linkMode: Source link) and the link name. Two ClusterLinks with one key
// would fight over one link, and deleting either would fail over the
// other's mirrors.
func localLinkKey(cl *kafkalinkv1alpha1.ClusterLink) string {
	ref := cl.Spec.DestinationKafkaCluster.KafkaRestClassRef
	if cl.Spec.LinkMode() == kafkalinkv1alpha1.LinkModeSource {
		ref = cl.Spec.SourceKafkaCluster.KafkaRestClassRef
	}
	if ref == nil {
		return ""
	}
	return classKey(cl, ref) + "#" + cl.LinkName()
}

func indexLinkByLocalLink(obj any) ([]string, error) {
	cl, ok := obj.(*kafkalinkv1alpha1.ClusterLink)
	if !ok {
		return nil, nil
	}
	if k := localLinkKey(cl); k != "" {
		return []string{k}, nil
	}
	return nil, nil
}

// olderClaim returns the ClusterLink that claimed cl's link first (oldest
// creationTimestamp, then namespace/name), or nil when cl is that one.
func olderClaim(indexer interface {
	ByIndex(string, string) ([]any, error)
}, cl *kafkalinkv1alpha1.ClusterLink) *kafkalinkv1alpha1.ClusterLink {
	key := localLinkKey(cl)
	if key == "" {
		return nil
	}
	objs, err := indexer.ByIndex(indexLocalLink, key)
	if err != nil {
		return nil
	}
	// A ClusterLink that has already seen its link keeps it against an
	// older one that never has (the same rule as claimedElsewhere), so
	// the two checks never lock each other out.
	mine := claimedLinkKey(cl)
	var first *kafkalinkv1alpha1.ClusterLink
	for _, o := range objs {
		other, ok := o.(*kafkalinkv1alpha1.ClusterLink)
		if !ok {
			continue
		}
		if mine != "" && other.UID != cl.UID && claimedLinkKey(other) != mine {
			continue
		}
		if first == nil || claimsBefore(other, first) {
			first = other
		}
	}
	if first == nil || first.UID == cl.UID || (first.Namespace == cl.Namespace && first.Name == cl.Name) {
		return nil
	}
	return first
}

func claimsBefore(a, b *kafkalinkv1alpha1.ClusterLink) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
}

// claimedLinkKey is "clusterID#linkName" for a ClusterLink that has seen
// its link (status.clusterLinkID is set) on that cluster. Unlike
// localLinkKey it names the cluster itself, so two ClusterLinks reaching
// one cluster through different KafkaRestClasses still collide.
func claimedLinkKey(cl *kafkalinkv1alpha1.ClusterLink) string {
	if cl.Status.ClusterLinkID == "" {
		return ""
	}
	id := cl.Status.DestinationKafkaClusterID
	if cl.Spec.LinkMode() == kafkalinkv1alpha1.LinkModeSource {
		id = cl.Status.SourceKafkaClusterID
	}
	if id == "" {
		return ""
	}
	return id + "#" + cl.LinkName()
}

// resolvedLinkKey is "resolved/clusterID#linkName" for a ClusterLink whose
// cluster has been resolved, claimed or not: a duplicate waiting behind the
// owner is found by it when the owner goes away.
func resolvedLinkKey(cl *kafkalinkv1alpha1.ClusterLink) string {
	id := cl.Status.DestinationKafkaClusterID
	if cl.Spec.LinkMode() == kafkalinkv1alpha1.LinkModeSource {
		id = cl.Status.SourceKafkaClusterID
	}
	if id == "" {
		return ""
	}
	return "resolved/" + id + "#" + cl.LinkName()
}

func indexLinkByClaimedLink(obj any) ([]string, error) {
	cl, ok := obj.(*kafkalinkv1alpha1.ClusterLink)
	if !ok {
		return nil, nil
	}
	var keys []string
	if k := claimedLinkKey(cl); k != "" {
		keys = append(keys, k)
	}
	if k := resolvedLinkKey(cl); k != "" {
		keys = append(keys, k)
	}
	return keys, nil
}

// claimedElsewhere returns another ClusterLink that already manages link
// linkName on cluster clusterID: one that has seen it there, and either cl
// has not, or the other claimed it first. Nil when cl may act.
func claimedElsewhere(indexer interface {
	ByIndex(string, string) ([]any, error)
}, cl *kafkalinkv1alpha1.ClusterLink, clusterID string) *kafkalinkv1alpha1.ClusterLink {
	key := clusterID + "#" + cl.LinkName()
	objs, err := indexer.ByIndex(indexClaimedLink, key)
	if err != nil {
		return nil
	}
	mine := claimedLinkKey(cl) == key
	for _, o := range objs {
		other, ok := o.(*kafkalinkv1alpha1.ClusterLink)
		if !ok || other.UID == cl.UID || (other.Namespace == cl.Namespace && other.Name == cl.Name) {
			continue
		}
		if !mine || claimsBefore(other, cl) {
			return other
		}
	}
	return nil
}
