// Package emulator is an in-memory emulator of the Confluent Kafka REST API v3
// Cluster Linking endpoints (links, link configs, mirror topics and the mirror
// batch actions), faithful to the OpenAPI contract vendored under
// test/testdata/kafkarest-v3/, and of an OAuth 2.0 token endpoint. It is used
// by unit and e2e tests and by `make run`.
//
// State transitions are computed lazily from the (injectable) clock on every
// read, so the emulator runs no background goroutines: a promoted mirror is
// PENDING_STOPPED until the stop delay elapsed and STOPPED afterwards, the
// mirror lag of a new mirror decays linearly to zero, a restored mirror
// passes through PENDING_SETUP_FOR_RESTORE and PENDING_RESTORE, and tokens
// expire.
//
// Every topic has a log-end offset per partition. Tests write with
// Cluster.Produce (or POST /admin/produce) and read with Cluster.EndOffsets
// (or end_offsets in GET /admin/state); mirror topics copy their source as
// described below, which is what truncate-and-restore's messages_truncated
// and the lag preconditions of promote and reverse are computed from.
//
// # Fidelity
//
// Every behaviour is either sourced (the spec, a documentation page, a
// specification or Confluent's published source says so) or assumed (our
// choice where no public source was found, with the reason). "spec" is
// test/testdata/kafkarest-v3/kafkarest-v3.openapi.yaml; its known
// deviations are listed, with their reasons, at the top of contract_test.go.
//
//	Behaviour                                          Status
//	---------------------------------------------------------------------------------------------
//	REST API
//	paths under /kafka/v3 (Confluent Server) or /v3    sourced: spec paths; kafkarest-v3 README
//	GET /clusters/{id}/topics lists topics             sourced: spec operation listKafkaTopics
//	create link / create mirror answer 201             assumed: what servers answer (spec: 204);
//	                                                   clients accept any 2xx
//	error body {"error_code", "message"}               sourced: spec #/components/schemas/Error
//	link_state, link_error values                      sourced: spec LinkState, LinkError
//	mirror_status values (PENDING_MIRROR and           sourced: spec MirrorTopicStatus
//	  PENDING_SYNCHRONIZE are never reported)
//	sensitive link configs (sasl.jaas.config under     sourced: Kafka's ConfigEntry (value null
//	  any prefix, passwords, keys): is_sensitive       when isSensitive); the spec's value is
//	  true, value null                                 not nullable (deviation 4)
//	mirror topic name = source topic name, or          sourced: Confluent CLI reference,
//	  cluster.link.prefix + source name; else 400      "confluent kafka mirror create"; the
//	  error_code 40002                                 message wording is assumed
//	mirror_topic_name omitted: prefix + source name    sourced: same page (--source-topic only
//	                                                   needed with a prefix)
//	mirrors only on DESTINATION/BIDIRECTIONAL links    assumed: a SOURCE link has no mirrors
//	a SOURCE link is UNAVAILABLE, link_error           assumed: no page documents the waiting
//	  TIMEOUT_ERROR with a message, until the remote   state; UNAVAILABLE is the spec state of
//	  cluster has its DESTINATION link with            a link that cannot reach its peer
//	  connection.mode=INBOUND of the same name
//	an INBOUND destination link is UNAVAILABLE until   assumed: as above, from the other side
//	  its SOURCE side exists
//	promote refused while lag > 0 or the source is     assumed: Confluent's description of
//	  unavailable; failover always allowed             promote versus failover
//	PENDING_STOPPED for a stop delay, then STOPPED     assumed: the delay is configurable
//	lag decays linearly (WithLagDecay)                 assumed: test control
//	auto-create mirror topics from topic filters       assumed: Kafka resource-filter rules
//	DELETE link refused while mirrors are not          assumed: what servers answer without
//	  STOPPED unless force=true                        force
//	Error codes (the HTTP status stays the first three digits of a five-digit code)
//	unknown endpoint / unknown cluster: 404, 404       sourced: spec examples endpoint_not_found,
//	                                                   cluster_not_found
//	undecodable body, bad query value, missing         sourced: spec example
//	  required field: 400, 400                         bad_request_cannot_deserialize
//	body over 1 MiB: 413, 413                          sourced: spec 413 example (code = status)
//	wrong method: 405, 405                             assumed: the framework's answer; not in
//	                                                   the spec
//	Kafka refusals (invalid request or config, topic   sourced: spec create_topic_already_exists;
//	  exists, link to itself, read-only config): 400,  Confluent rest-utils KafkaExceptionMapper
//	  40002                                            (KAFKA_BAD_REQUEST_ERROR_CODE)
//	authentication failed: 401, 40101                  sourced: spec 401 description and
//	                                                   kafka_authentication_failed example
//	unknown topic or mirror topic: 404, 40403          sourced: spec unknown_topic_or_partition
//	unknown cluster link: 404, 40404                   assumed: no public source found; Kafka
//	                                                   answers use 404xx and clients classify by
//	                                                   HTTP status
//	duplicate link: 409, 40902                         assumed: observed shape, kept for clients
//	rate limited: 429, 42901 JSON (HTML429: Jetty's    sourced: rest-utils
//	  text/html page)                                  TOO_MANY_REQUESTS_ERROR_CODE; spec 429
//	injected server error: 500, 50003                  sourced: spec 5XX description (retriable
//	                                                   Kafka errors carry 50003)
//	batch actions' per-topic error_code: 40002 for a   assumed: the spec does not document the
//	  precondition the topic does not meet, 40403      values; the codes of the same refusals as
//	  for an unknown topic                             whole requests (above); clients take the
//	                                                   HTTP status from the first three digits
//	Offsets and mirror actions
//	every partition has a log-end offset; Produce      assumed: test control
//	  appends records
//	mirror topics are read-only: Produce to a mirror   sourced: Confluent Platform docs, "Manage
//	  topic that is not STOPPED fails                  Mirror Topics" (producing to a mirror
//	                                                   topic fails)
//	an ACTIVE mirror whose link reaches the source     assumed: keeps WithLagDecay's lag model;
//	  copies it: end = source end - modelled lag,      every partition lags by the same amount
//	  never lower than it was; PAUSED,                 (at most what the source has)
//	  SOURCE_UNAVAILABLE, LINK_PAUSED copy nothing
//	reported lag: the modelled lag, or what a          assumed: the lag of a mirror that cannot
//	  partition has not copied when that is more;      copy grows with its source
//	  last_source_fetch_offset = the mirror's end
//	promote, failover and reverse stop copying at      assumed: the point the two logs diverge
//	  once; the offsets then are the divergence point  from is what the mirror had copied
//	truncate-and-restore on a local topic whose        sourced: REST reference "update kafka mirror
//	  remote (bidirectional link, same name) STOPPED   topics truncate and restore mirror"
//	  mirror copied it: truncate the local topic to    (truncates the local topic to the remote
//	  the offsets that mirror stopped at, and mirror   stopped mirror log end offsets and mirrors
//	  the remote topic                                 the remote topic)
//	truncate-and-restore on a local STOPPED mirror:    assumed: the same operation seen from the
//	  truncate it to the offsets it stopped at and     failed-over side; no page documents or
//	  mirror its source again                          excludes it
//	refused (40002) unless STOPPED (the remote         assumed: preconditions of the sourced
//	  mirror, or the local one), the remote cluster    description; message wording assumed
//	  reachable, the source topic present (else
//	  40403) and not itself a mirror of the topic
//	messages_truncated = sum over partitions of end    sourced: spec AlterMirrorStatusResponseData,
//	  - divergence point (at least 0);                 PartitionLevelTruncationData; CLI
//	  partition_level_truncation_data (partition_id,   truncate-and-restore --include-partitions
//	  offset_truncated_to, messages_truncated) only    (messages truncated per partition)
//	  with include_partition_level_truncation_data
//	a restore is PENDING_SETUP_FOR_RESTORE for one     statuses sourced: spec MirrorTopicStatus;
//	  stop delay, PENDING_RESTORE for another, then    order and timing assumed; other actions
//	  ACTIVE; other actions are refused meanwhile      on a restoring topic refused: assumed
//	reverse-and-start-mirror / -pause-mirror: the      sourced: CLI reference "confluent kafka
//	  local mirror stops, the remote topic becomes a   mirror reverse-and-start / reverse-and-
//	  mirror of it, ACTIVE or PAUSED                   pause" (reverse local mirror topics, start
//	                                                   or pause remote mirror topics)
//	reverse only on BIDIRECTIONAL links, with the      assumed: what reversing needs (a link on
//	  remote reachable, lag 0, the remote side of the  both sides, nothing left to copy, no
//	  link present, the remote topic not a mirror      second mirror of the same topic)
//	  (STOPPED mirrors do not count)
//	reverse: the local topic is PENDING_STOPPED for    assumed: no page documents intermediate
//	  the stop delay, then STOPPED; the remote mirror  statuses of a reverse; the remote mirror
//	  is ACTIVE or PAUSED at once, at the same         starts where the logs agree (lag 0)
//	  offsets
//	validate_only=true on every mirror action          sourced: spec validate_only ("to validate
//	  answers what the call would answer and           the action can be performed"), CLI
//	  changes nothing                                  --dry-run
//	validate_only answers include messages_truncated   assumed: the answer has the fields and a
//	  and partition_level_truncation_data              dry run tells what the call would cost
//	OAuth token endpoint (TokenHandler, ServeOAuth)
//	grant_type=client_credentials only                 sourced: RFC 6749 §4.4
//	client_secret_basic (id and secret form-encoded    sourced: RFC 6749 §2.3.1
//	  before Basic) and client_secret_post; exactly
//	  one authentication method
//	JWT client assertion: client_assertion_type        sourced: RFC 7523 §2.2, §3
//	  jwt-bearer, RS256, iss = sub = client id, aud
//	  = token endpoint URL, exp required, nbf, iat,
//	  jti not replayed while the assertion is valid
//	aud may also be the issuer URL (scheme://host)     assumed: identity providers accept either
//	a Basic header with an empty secret beside an      assumed: x/oauth2's AuthStyleInHeader
//	  assertion only names the client                  sends one
//	alg other than RS256 refused; exp at most          assumed: MaxAssertionLifetime, 30s skew
//	  MaxAssertionLifetime ahead; nbf, iat 30s skew    allowed for nbf and iat, never for exp
//	answers {access_token, token_type Bearer,          sourced: RFC 6749 §5.1 (and no-store)
//	  expires_in, scope}
//	errors {error, error_description}: invalid_request sourced: RFC 6749 §5.2; RFC 7523 §3.2
//	  400, unsupported_grant_type 400,                 (a bad assertion is invalid_client)
//	  invalid_client 401 (also for bad assertions)
//	opaque random tokens, 1h default lifetime          assumed: WithTokenTTL changes it
//	tokens stay valid after their client's secret or   assumed: authorization servers do not
//	  key is rotated (RevokeTokens ends them)          revoke on rotation
//	RequireOAuth: only issued unexpired bearer         sourced: RFC 6750 §3 (401 with a Bearer
//	  tokens; 401 40101, WWW-Authenticate Bearer       challenge); 40101 as above
//	the admin API takes the same credentials           assumed: one credential per cluster
//
// The request log (Requests, GET /admin/requests) records every REST and
// token request by endpoint template, with its query string and whether it
// was validate_only, with the OAuth client and its authentication method,
// and never a secret, token or assertion.
package emulator
