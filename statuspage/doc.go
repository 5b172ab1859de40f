// Package statuspage serves what an organization's customers read without an API key:
// the status page itself (/status/{org_slug}, server-rendered HTML that needs no
// JavaScript), its Atlassian-Statuspage-shaped summary
// (/api/v1/public/{org_slug}/summary.json), an Atom feed of posts and incidents
// (/status/{org_slug}/feed.atom) and shields-style badges
// (/status/{org_slug}/badge/{service}.svg).
//
// DESIGN.md places "the public status page" in services, but the page shows incidents
// too and incidents imports services, so the page lives in its own top-level package
// that reads from services, incidents and orgs. It only reads: it never changes a
// status, and nothing imports it except cmd/statusgate.
//
// The one rule every route keeps: a service that is not public never appears anywhere
// here, neither by itself nor through an incident or a post that names it.
//
// # Statuses in the Statuspage vocabulary
//
// Component status: operational → "operational", degraded → "degraded_performance",
// down → "major_outage", maintenance → "under_maintenance". "partial_outage" is never
// used: statusgate has no partial state, and a service whose SLA counts degraded as
// down (degraded_counts_as_down) is still shown as degraded, because the page says
// what the service does, not how the SLA scores it.
//
// Page indicator (status.indicator and the banner at the top of the page), the worst
// of what the public services and the open public incidents say:
//
//	indicator    description                 when
//	none         All Systems Operational     every public service operational, no open incident
//	maintenance  Service Under Maintenance   worst service is in maintenance
//	minor        Minor Service Outage        a service is degraded, or an open minor incident
//	major        Partial System Outage       a service is down (not all), or an open major incident
//	critical     Major Service Outage        every public service is down, or an open critical incident
//
// "maintenance" is not in Statuspage's documented list (none, minor, major, critical),
// but real Statuspage pages answer it while a maintenance runs, and clients that read
// Statuspage already meet it; any problem outranks it.
//
// # Other choices
//
//   - summary.json lists the unresolved incidents (as Statuspage's does), timeline
//     newest first; an incident's components hold its service when that is public.
//     scheduled_maintenances is always [] (statusgate schedules none). Times are UTC,
//     page.time_zone is "Etc/UTC", component start_date is the creation date.
//   - The uptime bars are the last 90 UTC days (the last 30 on a phone), each
//     coloured by the day's worst status, grey without data, with "2026-01-15: 99.31%
//     uptime, worst: degraded" on hover; the figure beside them is the mean of the
//     days with data.
//   - The feed holds the newest 50 public posts and the public incidents open or
//     resolved in the last 30 days; entry ids are urn:uuid: of the post or incident,
//     so an incident is one entry whose <updated> moves.
//   - Badges: {service} is the name (case-insensitive) or the id. An unknown
//     organization, or a service that is unknown or not public, answers 404 with a
//     grey "status: not found" SVG so an <img> still shows something.
//   - An unknown organization answers 404: an HTML page for the status page, the
//     usual JSON error for summary.json and the feed.
//   - Every answer may be cached for 30 seconds (Cache-Control: public,
//     max-age=30); summary.json allows any origin (CORS), being public anyway. The
//     stylesheet's address carries its content hash and is cached for a day.
package statuspage
