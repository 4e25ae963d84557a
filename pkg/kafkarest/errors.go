package kafkarest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Error is a non-2xx answer of the REST API (or a per-topic failure of a
// batch call, see AlterMirrorResult.Err).
type Error struct {
	// StatusCode is the HTTP status code.
	StatusCode int
	// ErrorCode is the Kafka REST error_code of the body (e.g. 40403), 0
	// when the body had none.
	ErrorCode int
	// Message is the message of the body, or the HTTP status text.
	Message string
	// Method and Endpoint identify the call; Endpoint is the path template
	// (e.g. "/clusters/{cluster_id}/links"), never a URL with credentials.
	Method, Endpoint string
	// RetryAfter is the server's Retry-After, 0 when absent.
	RetryAfter time.Duration
}

// Error formats as
// `POST /clusters/{cluster_id}/links: 409 (error_code 40902): Cluster link 'x' already exists`.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Method != "" && e.Endpoint != "":
		b.WriteString(e.Method + " " + e.Endpoint + ": ")
	case e.Endpoint != "":
		b.WriteString(e.Endpoint + ": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if e.ErrorCode != 0 && e.ErrorCode != e.StatusCode {
		fmt.Fprintf(&b, " (error_code %d)", e.ErrorCode)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

func asError(err error) (*Error, bool) {
	var e *Error
	if err != nil && errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// IsNotFound reports whether err is a 404 answer.
func IsNotFound(err error) bool {
	e, ok := asError(err)
	return ok && e.StatusCode == http.StatusNotFound
}

// IsAlreadyExists reports whether err is a 409 answer, or a 400 answer whose
// message says the resource already exists (some Kafka versions answer
// "Topic 'x' already exists" with 400).
func IsAlreadyExists(err error) bool {
	e, ok := asError(err)
	if !ok {
		return false
	}
	return e.StatusCode == http.StatusConflict ||
		(e.StatusCode == http.StatusBadRequest && strings.Contains(strings.ToLower(e.Message), "already exists"))
}

// IsUnauthorized reports whether err is a 401 or 403 answer.
func IsUnauthorized(err error) bool {
	e, ok := asError(err)
	return ok && (e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden)
}

// IsAlreadyStopped reports whether err says the mirror topic has already
// stopped mirroring ("Topic 'x' has already stopped its mirror"), which makes
// a repeated promote or failover an idempotent success.
func IsAlreadyStopped(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	if e, ok := asError(err); ok {
		msg = e.Message
	}
	msg = strings.ToLower(msg)
	return strings.Contains(msg, "already stopped") || strings.Contains(msg, "already been stopped")
}

// IsRetryable reports whether err is transient: a connection-level failure
// (reset, refused, EOF, timeout) that was not caused by the caller cancelling
// its context, a 5xx answer, a 429 or a 408. TLS verification failures and
// other 4xx answers are not retryable.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if e, ok := asError(err); ok {
		return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusRequestTimeout
	}
	if isTLSConfigError(err) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var ue *url.Error
	return errors.As(err, &ue)
}

// isTLSConfigError reports certificate and protocol problems that a retry
// cannot fix.
func isTLSConfigError(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verify           *tls.CertificateVerificationError
		alert            tls.AlertError
		recordHeader     tls.RecordHeaderError
	)
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verify) ||
		errors.As(err, &alert) || errors.As(err, &recordHeader) ||
		strings.Contains(err.Error(), "protocol version not supported") ||
		strings.Contains(err.Error(), "tls: ")
}

// RetryAfter returns the server's Retry-After of an *Error, else 0.
func RetryAfter(err error) time.Duration {
	if e, ok := asError(err); ok {
		return e.RetryAfter
	}
	return 0
}

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// newHTTPError builds an *Error from a non-2xx response, parsing the body
// defensively: JSON {"error_code":..,"message":..} (error_code as number or
// string), plain text, or an HTML page (then only the status text is kept).
func newHTTPError(method, endpoint string, resp *http.Response, body []byte, now time.Time) *Error {
	e := &Error{StatusCode: resp.StatusCode, Method: method, Endpoint: endpoint}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '{' {
		var wire struct {
			ErrorCode json.RawMessage `json:"error_code"`
			Message   *string         `json:"message"`
			Detail    *string         `json:"detail"`
		}
		if json.Unmarshal(body, &wire) == nil {
			e.ErrorCode = parseCode(wire.ErrorCode)
			switch {
			case wire.Message != nil:
				e.Message = *wire.Message
			case wire.Detail != nil:
				e.Message = *wire.Detail
			}
		}
	} else if len(body) > 0 && !looksHTML(resp, body) && utf8.Valid(body) {
		msg := string(body)
		if len(msg) > 512 {
			msg = msg[:512] + "..."
		}
		e.Message = strings.Join(strings.Fields(msg), " ")
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

func looksHTML(resp *http.Response, body []byte) bool {
	if strings.Contains(strings.ToLower(resp.Header.Get("Content-Type")), "html") {
		return true
	}
	return len(body) > 0 && body[0] == '<'
}

// parseCode accepts 40403, "40403" and null.
func parseCode(raw json.RawMessage) int {
	if len(raw) == 0 {
		return 0
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if i, err := n.Int64(); err == nil {
			return int(i)
		}
		if f, err := n.Float64(); err == nil {
			return int(f)
		}
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if i, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			return i
		}
	}
	return 0
}

// parseRetryAfter accepts delay-seconds and HTTP-date forms.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
