// Package statuspage serves what an organization's customers read without an API key:
// the status page itself (/status/{org_slug}, server-rendered HTML that needs no
// JavaScript) and one page per incident (/status/{org_slug}/incidents/{id}), its
// favicon (/status/{org_slug}/favicon.svg), an Atom feed (/status/{org_slug}/feed.atom),
// shields-style badges (/status/{org_slug}/badge/{service}.svg), and Atlassian
// Statuspage's public read API v2 (/status/{org_slug}/api/v2/..., the same at /api/v2/
// for the organization the Host names, and the first summary at
// /api/v1/public/{org_slug}/summary.json).
//
// DESIGN.md places "the public status page" in services, but the page shows incidents
// too and incidents imports services, so the page lives in its own top-level package
// that reads from services, incidents and orgs. It only reads: it never changes a
// status, and nothing imports it except cmd/statusgate.
//
// The one rule every route keeps: a service that is not public never appears anywhere
// here, neither by itself nor through an incident, a post or a group that names it.
//
// # Statuses in the Statuspage vocabulary
//
// Component status: operational → "operational", degraded → "degraded_performance",
// down → "major_outage", maintenance → "under_maintenance". "partial_outage" is never
// used: statusgate has no partial state, and a service whose SLA counts degraded as
// down (degraded_counts_as_down) is still shown as degraded, because the page says
// what the service does, not how the SLA scores it. A group component has the worst
// status of its public members.
//
// Page indicator (status.indicator, the banner at the top of the page and the
// favicon's colour), the worst of what the public services and the open public
// incidents say:
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
// Statuspage already meet it (Atlassian's widget colours it blue); any problem
// outranks it.
//
// # The v2 API
//
//   - summary.json, status.json, components.json, incidents.json (the newest 50
//     public incidents open or resolved in the last 90 days), incidents/unresolved.json,
//     scheduled-maintenances.json, scheduled-maintenances/upcoming.json and
//     scheduled-maintenances/active.json, each starting with page{id, name, url,
//     time_zone, updated_at}. Scheduled maintenances are the planned windows of
//     maintenances (Config.Maintenances) with a public service: scheduled, running,
//     and completed in the last 90 days, never cancelled ones; upcoming = scheduled,
//     active = in_progress, summary.json = not completed. Each has impact
//     "maintenance", its public services as components, and a timeline derived from
//     the window (scheduled, in_progress, completed entries with stable ids). The
//     HTML page lists those running or to come above the services.
//   - Components are in the page's order, each group as a group component (its id
//     derived from the organization and the group's name, "components" listing its
//     members) just before its members, whose group_id points at it; position counts
//     1, 2, ... through that list.
//   - An incident's timeline is newest first. affected_components ({code, name,
//     old_status, new_status}) is filled for entries of automatic incidents, which
//     record the service status they report: from the previous such entry's status
//     (operational before the first) to this one's. Entries people write report none.
//   - shortlink is the incident's own page. Times are UTC.
//   - Every answer allows any origin; OPTIONS preflight to any public API path is
//     answered before routing (204, GET and OPTIONS allowed, the asked headers
//     allowed). An unknown file answers 404 JSON, and so does anything unknown under
//     /status/ or /api/v1/public/ (the latter would otherwise meet the admin API's
//     catch-all and its 401).
//   - The root /api/v2/ serves the organization Config.HostOrgFunc names for the
//     request's host, the default organization when it names none: Atlassian's widget
//     replaces the whole path of the page address it is given.
//
// # The page
//
//   - The uptime bars are the last 90 UTC days (the last 30 on a phone), each
//     coloured by the day's worst status, grey without data, with "2026-01-15: 99.31%
//     uptime, worst: degraded" on hover. The figure beside them is the uptime since the
//     service was created (services.Store.LifetimeSLA), labelled "since <date>".
//   - Services are ordered by position, then name; a group is one heading placed where
//     its first service would stand, its services in their order under it, with the
//     worst status of them.
//   - Past incidents: those resolved in the last 90 days, at most 50, each with its
//     duration and its timeline (in a <details>, so it needs no script).
//   - Times are written in the page's time zone, named in every stamp ("15 Jan 2026
//     10:00 UTC"); one inline script, allowed by its hash in the
//     Content-Security-Policy, rewrites each <time datetime> into the visitor's zone.
//     The organization's profile (orgs: display name, page title, logo, support
//     link, time zone) is read in identityOf and nowhere else: the header shows the
//     display name (else the name, else the slug) and the logo, <title> and the
//     feed's title are the page title (else "<name> status"), "Contact support"
//     links the support URL, and every stamp and the zone note ("Times are in CET
//     (Europe/Berlin).") use the organization's zone. The daily bars stay UTC days.
//   - The Content-Security-Policy allows images from the page itself only; with a
//     logo, from any https: address too (http: as well for an http logo), since a
//     logo usually lives on a CDN or the organization's own site. Scripts stay the
//     one hash.
//   - Light and dark follow prefers-color-scheme; the banner keeps its colours (it
//     carries white text) in both.
//
// # The feed
//
// The newest 50 public posts and one entry per timeline entry of the public incidents
// open or resolved in the last 90 days, newest first, at most 100 entries. Entry ids
// are urn:uuid: of the post or the timeline entry, so each event is one entry. A
// status-change post that an automatic incident's entry also reports (same service,
// same moment, same status) is left out: one change, one entry, linked to the
// incident's page.
//
// # Other choices
//
//   - Badges: {service} is the name (case-insensitive) or the id. An unknown
//     organization, or a service that is unknown or not public, answers 404 with a
//     grey "status: not found" SVG so an <img> still shows something; the favicon of
//     an unknown organization is a grey circle with 404.
//   - An unknown organization answers 404: an HTML page for the status and incident
//     pages, the usual JSON error for the JSON and the feed.
//   - Every answer may be cached for 30 seconds (Cache-Control: public,
//     max-age=30). The stylesheet's address carries its content hash and is cached for
//     a day; the favicon's carries the indicator, so a tab's icon follows the state.
package statuspage
