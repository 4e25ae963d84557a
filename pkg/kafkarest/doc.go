// Package kafkarest is a small, dependency-free client for the Cluster
// Linking endpoints of the Confluent Kafka REST API v3 (contract: the
// kafkarest-v3 OpenAPI document): clusters, cluster links, link
// configs, mirror topics, mirror state changes and topic deletion.
//
// Why a hand-written client instead of the generated
// github.com/confluentinc/ccloud-sdk-go-v2/kafkarest package:
//
//   - the generated client hard-codes the "/kafka/v3" path prefix, while
//     Confluent Platform's embedded REST proxy (and stand-alone REST Proxy)
//     serve the API under "/v3"; this client discovers the prefix once per
//     endpoint and caches it;
//   - it has no retries, no backoff and no Retry-After handling, which an
//     operator reconciling many links needs against rate-limited Confluent
//     Cloud endpoints;
//   - it returns untyped errors, so "not found", "already exists",
//     "unauthorized" and "retryable" cannot be told apart reliably; this
//     package returns *Error with the HTTP status and the Kafka error_code;
//   - it pulls a large dependency tree for the dozen calls we need.
//
// Behaviour in short:
//
//   - every HTTP attempt has its own timeout (Config.Timeout) and the
//     caller's context deadline also applies;
//   - connection errors, 429 and 5xx answers are retried with full-jitter
//     exponential backoff (Config.InitialBackoff .. Config.MaxBackoff),
//     honouring Retry-After (capped at 4*MaxBackoff); other 4xx answers are
//     never retried. Create calls are retried too: callers treat
//     IsAlreadyExists as success;
//   - credentials are sent as HTTP basic auth or a bearer token and never
//     appear in errors or in the Observe hook, which only sees the path
//     template (for example "/clusters/{cluster_id}/links/{link_name}").
package kafkarest
