// Package notify carries events out of statusgate: the durable outbox, one Notifier per
// channel type (webhook, Slack, Discord, Microsoft Teams, PagerDuty, email), signing,
// retries with backoff, the attempt log, replay, and the channels API.
//
// Events arrive as notify's own Event type: cmd/statusgate converts domain changes
// (services, incidents) into Events and hands them to the outbox inside the same
// transaction as the change. notify therefore imports no domain package — only
// database, rest, apierr and secrets.
package notify
