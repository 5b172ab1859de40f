// Package receiver holds the inbound webhook endpoint and everything an operator
// configures about it: receivers (token, target service, field paths, status mapping,
// preset, signature, auto-incident policy), the token and signature checks, the
// delivery log (the newest 50, and apart from them the newest 20 that did not
// authenticate) and the dry run.
//
// One inbound request is handled in this order: token lookup (from an in-memory set
// of known token hashes, with a per-address limit on failures: guard.go), rate limit,
// body size limit, signature check over the raw bytes, mapping.Extract, target service, and then
// one transaction that writes the delivery log row and calls services.Transition, so a
// 2xx answer means the change and its log entry are both committed. It imports mapping
// and services, never incidents or notify.
package receiver
