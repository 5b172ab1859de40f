package statuspage

import (
	"fmt"
	"html"
	"strings"

	"github.com/statusgate/statusgate/mapping"
)

const svgType = "image/svg+xml; charset=utf-8"

// Badge colours: the shields.io palette, so our badges sit well beside others in a
// README.
var badgeColour = map[mapping.Status]string{
	mapping.Operational: "#4c1",
	mapping.Degraded:    "#dfb317",
	mapping.Down:        "#e05d44",
	mapping.Maintenance: "#007ec6",
}

// badgeMessage is the right half of a badge: short, lower case, shields-style.
var badgeMessage = map[mapping.Status]string{
	mapping.Operational: "operational",
	mapping.Degraded:    "degraded",
	mapping.Down:        "down",
	mapping.Maintenance: "maintenance",
}

func statusBadge(name string, st mapping.Status) []byte {
	msg, ok := badgeMessage[st]
	if !ok {
		msg = "unknown"
	}
	colour, ok := badgeColour[st]
	if !ok {
		colour = "#9f9f9f"
	}
	return badge(name, msg, colour)
}

func notFoundBadge() []byte { return badge("status", "not found", "#9f9f9f") }

// badge draws a shields.io "flat" badge: a grey label and a coloured message, white
// Verdana 11px text with a 1px shadow, widths estimated from the text.
func badge(label, message, colour string) []byte {
	const pad = 10
	lw := textWidth(label) + pad
	mw := textWidth(message) + pad
	w := lw + mw
	l, m := html.EscapeString(label), html.EscapeString(message)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s: %s">`, w, l, m)
	fmt.Fprintf(&b, `<title>%s: %s</title>`, l, m)
	b.WriteString(`<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`)
	fmt.Fprintf(&b, `<clipPath id="r"><rect width="%d" height="20" rx="3" fill="#fff"/></clipPath>`, w)
	fmt.Fprintf(&b, `<g clip-path="url(#r)"><rect width="%d" height="20" fill="#555"/><rect x="%d" width="%d" height="20" fill="%s"/><rect width="%d" height="20" fill="url(#s)"/></g>`, lw, lw, mw, colour, w)
	b.WriteString(`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="11">`)
	for _, part := range []struct {
		x    float64
		text string
	}{{float64(lw) / 2, l}, {float64(lw) + float64(mw)/2, m}} {
		fmt.Fprintf(&b, `<text x="%.1f" y="15" fill="#010101" fill-opacity=".3" aria-hidden="true">%s</text>`, part.x, part.text)
		fmt.Fprintf(&b, `<text x="%.1f" y="14">%s</text>`, part.x, part.text)
	}
	b.WriteString(`</g></svg>`)
	return []byte(b.String())
}

// textWidth estimates the width in pixels of s in Verdana 11px, close enough that the
// text never overflows its half of the badge.
func textWidth(s string) int {
	w := 0.0
	for _, r := range s {
		switch {
		case strings.ContainsRune("il.,:;|!'`", r):
			w += 3.5
		case strings.ContainsRune("fjrtI()[] -", r):
			w += 4.5
		case strings.ContainsRune("mwMW", r):
			w += 10.5
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			w += 7.5
		case r < 128:
			w += 6.6
		default:
			w += 8 // wider scripts; err on the roomy side
		}
	}
	return int(w + 0.5)
}

// faviconColour is the icon's colour for each overall indicator: the banner's
// colours, grey for an unknown page.
var faviconColour = map[string]string{
	IndicatorNone:        "#1a7f37",
	IndicatorMaintenance: "#0969da",
	IndicatorMinor:       "#9a6700",
	IndicatorMajor:       "#cf222e",
	IndicatorCritical:    "#82071e",
}

// favicon draws a filled circle in the indicator's colour with the banner's mark (a
// tick, an exclamation mark, a spanner-like dash for maintenance), so a browser tab
// shows the state at a glance. An unknown indicator is a grey circle.
func favicon(indicator string) []byte {
	colour, ok := faviconColour[indicator]
	if !ok {
		colour = "#9f9f9f"
	}
	var mark string
	switch indicator {
	case IndicatorNone:
		mark = `<path d="M9 16.5l4.5 4.5L23 11.5" fill="none" stroke="#fff" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/>`
	case IndicatorMinor, IndicatorMajor, IndicatorCritical:
		mark = `<path d="M16 8v10" stroke="#fff" stroke-width="3.5" stroke-linecap="round"/><circle cx="16" cy="23.5" r="2.2" fill="#fff"/>`
	case IndicatorMaintenance:
		mark = `<path d="M10 16h12" stroke="#fff" stroke-width="3.5" stroke-linecap="round"/>`
	}
	label := indicatorDescription[indicator]
	if label == "" {
		label = "status unknown"
	}
	return []byte(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32" role="img" aria-label="%s" data-indicator="%s"><circle cx="16" cy="16" r="15" fill="%s"/>%s</svg>`,
		html.EscapeString(label), html.EscapeString(indicator), colour, mark))
}
