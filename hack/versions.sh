# Pinned versions of the tools kafkalink builds; hack/tools/*/go.mod must agree.
KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.6.16
CONTROLLER_GEN_VERSION=v0.23.0
