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
