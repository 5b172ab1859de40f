package statuspage

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/statusgate/statusgate/incidents"
	"github.com/statusgate/statusgate/mapping"
)

// Atom 1.0 (RFC 4287). Entry ids are urn:uuid: URIs of the post or of the incident's
// timeline entry, which never change, so a feed reader shows each event once.

const atomNS = "http://www.w3.org/2005/Atom"

type atomFeed struct {
	XMLName xml.Name    `xml:"feed"`
	NS      string      `xml:"xmlns,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID        string    `xml:"id"`
	Title     string    `xml:"title"`
	Updated   string    `xml:"updated"`
	Published string    `xml:"published"`
	Link      atomLink  `xml:"link"`
	Category  []atomCat `xml:"category"`
	Content   atomText  `xml:"content"`
	updated   time.Time
}

type atomCat struct {
	Term string `xml:"term,attr"`
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// feed renders the Atom feed of a snapshot, newest first, at most feedEntries: one
// entry per post and one per incident event (timeline entry). A status-change post
// that an automatic incident's event reports too (same service, same moment, same
// status) is left out, so one change is one entry, linked to its incident.
func (h *Handler) feed(s snapshot) ([]byte, error) {
	page := h.pageURL(s.Org.Slug)
	f := atomFeed{
		NS: atomNS, ID: "urn:uuid:" + s.Org.ID.String(), Title: s.Identity.Title,
		Updated: atomTime(s.updatedAt()),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: page + "/feed.atom"},
			{Rel: "alternate", Type: "text/html", Href: page},
		},
		Author: atomAuthor{Name: s.Identity.Name},
	}
	reported := map[eventKey]bool{}
	for _, inc := range append(slices.Clone(s.Open), s.Past...) {
		link := h.incidentURL(s.Org.Slug, inc.ID)
		for _, u := range inc.Updates {
			if inc.Service != nil && u.ServiceStatus != nil {
				reported[eventKey{inc.Service.ID, u.At.UnixMicro(), *u.ServiceStatus}] = true
			}
			body := u.Message
			if body == "" {
				body = incidentStatusLabel(u.Status) + "."
			}
			f.Entries = append(f.Entries, atomEntry{
				ID: "urn:uuid:" + u.ID.String(), Title: fmt.Sprintf("%s: %s", incidentStatusLabel(u.Status), inc.Title),
				Updated: atomTime(u.At), Published: atomTime(u.At), updated: u.At,
				Link:     atomLink{Rel: "alternate", Type: "text/html", Href: link + "#update-" + u.ID.String()},
				Category: []atomCat{{Term: "incident"}},
				Content:  atomText{Type: "text", Body: body},
			})
		}
	}
	for _, p := range s.Posts {
		if p.Service != nil && p.ToStatus != nil && reported[eventKey{p.Service.ID, p.CreatedAt.UnixMicro(), *p.ToStatus}] {
			continue
		}
		title := p.Title
		if title == "" {
			title = firstLine(p.Body)
		}
		f.Entries = append(f.Entries, atomEntry{
			ID: "urn:uuid:" + p.ID.String(), Title: title,
			Updated: atomTime(p.CreatedAt), Published: atomTime(p.CreatedAt), updated: p.CreatedAt,
			Link:     atomLink{Rel: "alternate", Type: "text/html", Href: page + "#post-" + p.ID.String()},
			Category: []atomCat{{Term: "post"}},
			Content:  atomText{Type: "text", Body: p.Body},
		})
	}
	slices.SortStableFunc(f.Entries, func(a, b atomEntry) int { return b.updated.Compare(a.updated) })
	if len(f.Entries) > feedEntries {
		f.Entries = f.Entries[:feedEntries]
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding feed: %w", err)
	}
	return append([]byte(xml.Header), out...), nil
}

// eventKey identifies one status change of one service: what a change post and an
// automatic incident's timeline entry for it have in common.
type eventKey struct {
	service uuid.UUID
	atMicro int64
	status  mapping.Status
}

func byStartDesc(a, b incidents.Incident) int { return b.StartedAt.Compare(a.StartedAt) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(line); len(r) > 80 {
		return string(r[:79]) + "…"
	}
	return line
}

// newestFirst returns an incident's timeline, newest entry first.
func newestFirst(list []incidents.Update) []incidents.Update {
	out := slices.Clone(list)
	slices.SortStableFunc(out, func(a, b incidents.Update) int { return b.At.Compare(a.At) })
	return out
}

// incidentStatusLabel is an incident status as a visitor reads it.
func incidentStatusLabel(st string) string {
	switch st {
	case "investigating":
		return "Investigating"
	case "identified":
		return "Identified"
	case "monitoring":
		return "Monitoring"
	case "resolved":
		return "Resolved"
	case "":
		return "Update"
	}
	return strings.ToUpper(st[:1]) + st[1:]
}
