// Package v1alpha1 is the v1alpha1 version of the kafkalink.io API: the
// ClusterLink and KafkaRestClass resources. Field names follow Confluent for
// Kubernetes' platform.confluent.io/v1beta1 resources so that a CFK manifest
// applies after changing its apiVersion.
//
// +k8s:deepcopy-gen=package
// +groupName=kafkalink.io
// +kubebuilder:object:generate=false
package v1alpha1
