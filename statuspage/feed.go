package statuspage

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/statusgate/statusgate/incidents"
)

// Atom 1.0 (RFC 4287). Entry ids are urn:uuid: URIs of the post or incident id, which
// never change, so a feed reader shows an entry once and an incident's later updates
// as an update of the same entry.

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

// feed renders the Atom feed of a snapshot's posts and incidents, newest first.
func (h *Handler) feed(s snapshot) ([]byte, error) {
	page := h.pageURL(s.Org.Slug)
	f := atomFeed{
		NS: atomNS, ID: "urn:uuid:" + s.Org.ID.String(), Title: s.Org.Name + " status",
		Updated: atomTime(s.updatedAt()),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: page + "/feed.atom"},
			{Rel: "alternate", Type: "text/html", Href: page},
		},
		Author: atomAuthor{Name: s.Org.Name},
	}
	for _, p := range s.Posts {
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
	seen := map[string]bool{}
	for _, inc := range append(slices.Clone(s.Open), s.Recent...) {
		id := inc.ID.String()
		if seen[id] {
			continue
		}
		seen[id] = true
		f.Entries = append(f.Entries, atomEntry{
			ID: "urn:uuid:" + id, Title: fmt.Sprintf("%s: %s", incidentStatusLabel(inc.Status), inc.Title),
			Updated: atomTime(inc.UpdatedAt), Published: atomTime(inc.StartedAt), updated: inc.UpdatedAt,
			Link:     atomLink{Rel: "alternate", Type: "text/html", Href: page + "#incident-" + id},
			Category: []atomCat{{Term: "incident"}},
			Content:  atomText{Type: "text", Body: incidentText(inc)},
		})
	}
	slices.SortStableFunc(f.Entries, func(a, b atomEntry) int { return b.updated.Compare(a.updated) })
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding feed: %w", err)
	}
	return append([]byte(xml.Header), out...), nil
}

// incidentText is an incident as plain text: its facts, then its timeline, newest
// first as on the page.
func incidentText(inc incidents.Incident) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Status: %s. Impact: %s. Started %s.", incidentStatusLabel(inc.Status), inc.Severity, inc.StartedAt.UTC().Format(displayTime))
	if inc.Service != nil {
		fmt.Fprintf(&b, " Affects %s.", inc.Service.Name)
	}
	if inc.ResolvedAt != nil {
		fmt.Fprintf(&b, " Resolved %s.", inc.ResolvedAt.UTC().Format(displayTime))
	}
	for _, u := range newestFirst(inc.Updates) {
		fmt.Fprintf(&b, "\n\n%s - %s: %s", u.At.UTC().Format(displayTime), incidentStatusLabel(u.Status), u.Message)
	}
	return b.String()
}

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
