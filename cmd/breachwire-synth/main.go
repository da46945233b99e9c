// Command breachwire-synth writes a synthetic archive of news reports for
// load tests of `breachwire import`: one JSON object a line, as the import
// command reads them. Many companies suffer incidents; each incident is
// reported by several outlets in their own words over days, wire copies are
// syndicated with a dateline and a copyright line, follow-ups come later,
// some companies are hit twice months apart, and unrelated defense news
// fills the rest. Each line also carries "incident", the true grouping
// (0 for unrelated news), which import ignores.
//
// Usage:
//
//	breachwire-synth [-n 100000] [-seed 1] [-start 2019-01-01] > archive.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"
)

type line struct {
	URL       string `json:"url"`
	Title     string `json:"title"`
	Published string `json:"published"`
	Site      string `json:"site"`
	Text      string `json:"text"`
	Incident  int    `json:"incident"`
}

func main() {
	n := flag.Int("n", 100000, "number of articles to write")
	seed := flag.Uint64("seed", 1, "random seed (same seed, same archive)")
	start := flag.String("start", "2019-01-01", "date of the first incident")
	flag.Parse()
	t0, err := time.Parse("2006-01-02", *start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "breachwire-synth: -start %q is not a date like 2019-01-01\n", *start)
		os.Exit(2)
	}
	if *n < 1 {
		fmt.Fprintln(os.Stderr, "breachwire-synth: -n must be at least 1")
		os.Exit(2)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	g := newGen(*seed, t0)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, l := range g.archive(*n) {
		if err := enc.Encode(l); err != nil {
			fmt.Fprintf(os.Stderr, "breachwire-synth: %v\n", err)
			os.Exit(1)
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "breachwire-synth: %v\n", err)
		os.Exit(1)
	}
}

type gen struct {
	r         *rand.Rand
	t0        time.Time
	companies []string
	sites     []string
	places    []string
	groups    []string
	people    []string
	urls      int
}

var syllables = strings.Fields("al bra cor dan el fen gar hal ith jor kal lum mar nor ost pel quin ros sar tor ul ven wyn xan yor zel vek tam ris lon dar mek sol")

func newGen(seed uint64, t0 time.Time) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x5eed)), t0: t0}
	word := func(parts int) string {
		var b strings.Builder
		for range parts {
			b.WriteString(syllables[g.r.IntN(len(syllables))])
		}
		s := b.String()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	suffixes := []string{"Aerospace", "Defense Systems", "Dynamics", "Electronics", "Industries", "Technologies", "Shipbuilding", "Avionics", "Munitions", "Systems Corp."}
	for range 20000 {
		g.companies = append(g.companies, word(2+g.r.IntN(2))+" "+suffixes[g.r.IntN(len(suffixes))])
	}
	tlds := []string{"com", "net", "co.uk", "de", "jp", "org", "news"}
	for range 400 {
		g.sites = append(g.sites, strings.ToLower(word(2+g.r.IntN(2)))+"."+tlds[g.r.IntN(len(tlds))])
	}
	for range 300 {
		g.places = append(g.places, word(2+g.r.IntN(2)))
	}
	for range 200 {
		g.groups = append(g.groups, word(2)+" "+[]string{"Panda", "Bear", "Spider", "Kitten", "Team", "Group"}[g.r.IntN(6)])
	}
	for range 2000 {
		g.people = append(g.people, word(2)+" "+word(2+g.r.IntN(2)))
	}
	return g
}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

// incident is one breach: who, what, when, how much.
type incident struct {
	id       int
	company  string
	other    string // a company hit earlier, mentioned in passing
	attack   string
	group    string
	place    string
	person   string
	files    int
	day      time.Time
	agencies string
}

var attacks = []string{"ransomware attack", "data breach", "cyberattack", "network intrusion", "phishing campaign", "supply-chain compromise", "email compromise"}
var agencies = []string{"Defense Ministry", "Department of Defense", "Ministry of Defence", "Defense Contract Management Agency", "Acquisition Agency", "Navy", "Air Force"}

func (g *gen) archive(n int) []line {
	var out []line
	id := 0
	day := g.t0
	for len(out) < n {
		// About ten incidents and some unrelated news a day.
		day = day.Add(time.Duration(g.r.IntN(5)) * 30 * time.Minute)
		if g.r.IntN(5) == 0 {
			out = append(out, g.noise(day))
			continue
		}
		id++
		inc := incident{
			id: id, company: g.pick(g.companies[:5000+g.r.IntN(15000)]), other: g.pick(g.companies),
			attack: g.pick(attacks), group: g.pick(g.groups), place: g.pick(g.places), person: g.pick(g.people),
			files: 100 + g.r.IntN(90000), day: day, agencies: g.pick(agencies),
		}
		out = append(out, g.reports(inc)...)
	}
	// Outlets publish in time order, not incident by incident.
	sortByTime(out)
	return out[:n]
}

func sortByTime(ls []line) {
	slices.SortStableFunc(ls, func(a, b line) int { return strings.Compare(a.Published, b.Published) })
}

func (g *gen) url(site, slug string) string {
	g.urls++
	return fmt.Sprintf("https://%s/%s-%d", site, slug, g.urls)
}

// reports writes an incident's coverage: a wire report and its syndicated
// copies, independent reports in other words, and follow-ups days later.
func (g *gen) reports(inc incident) []line {
	var out []line
	wire := g.pick(g.sites)
	wireText := g.body(inc, 0)
	title := g.headline(inc, 0)
	at := inc.day
	out = append(out, line{URL: g.url(wire, "news"), Title: title, Published: at.Format(time.RFC3339), Site: wire, Text: wireText, Incident: inc.id})
	for range g.r.IntN(4) {
		site := g.pick(g.sites)
		text := strings.ToUpper(inc.place) + " (" + wire + ") - " + wireText + "\n\nCopyright " + at.Format("2006") + " " + site + ". All rights reserved."
		out = append(out, line{URL: g.url(site, "wire"), Title: title, Published: at.Add(time.Duration(1+g.r.IntN(6)) * time.Hour).Format(time.RFC3339), Site: site, Text: text, Incident: inc.id})
	}
	for v := range 1 + g.r.IntN(6) {
		site := g.pick(g.sites)
		when := at.Add(time.Duration(g.r.IntN(72)) * time.Hour)
		out = append(out, line{URL: g.url(site, "story"), Title: g.headline(inc, v+1), Published: when.Format(time.RFC3339), Site: site, Text: g.body(inc, v+1), Incident: inc.id})
	}
	for range g.r.IntN(3) {
		site := g.pick(g.sites)
		when := at.Add(time.Duration(3+g.r.IntN(9)) * 24 * time.Hour)
		out = append(out, line{URL: g.url(site, "follow-up"), Title: inc.company + " " + g.pick([]string{"faces questions over", "updates investigation into", "says customers notified after"}) + " " + inc.attack,
			Published: when.Format(time.RFC3339), Site: site, Text: g.followUp(inc), Incident: inc.id})
	}
	return out
}

func (g *gen) headline(inc incident, v int) string {
	forms := []string{
		"%[1]s hit by %[2]s, %[3]d files exposed",
		"%[1]s says hackers accessed %[3]d files",
		"Defense contractor %[1]s discloses %[2]s",
		"%[2]s at %[1]s may have exposed military data",
		"Hackers linked to %[4]s breached %[1]s, sources say",
		"%[1]s confirms %[2]s affecting defense work",
		"%[1]s investigates %[2]s at %[5]s site",
	}
	return fmt.Sprintf(forms[(v+inc.id)%len(forms)], inc.company, inc.attack, inc.files, inc.group, inc.place)
}

// body paraphrases the incident: the facts in one of several wordings, in
// a varying order, with background sentences around them.
func (g *gen) body(inc incident, v int) string {
	f := func(forms ...string) string {
		return fmt.Sprintf(forms[g.r.IntN(len(forms))], inc.company, inc.attack, inc.files, inc.group, inc.place, inc.person, inc.agencies, inc.other)
	}
	facts := []string{
		f("%[1]s said it had suffered a %[2]s in which %[3]d files were accessed.",
			"The %[2]s at %[1]s exposed %[3]d files, the company said.",
			"Intruders reached %[3]d files at %[1]s during the %[2]s, according to a company statement.",
			"%[1]s disclosed that %[3]d files had been accessed without authorization."),
		f("Some of the files concerned contracts with the %[7]s.",
			"The %[7]s said it had been informed and was assessing the damage.",
			"Officials at the %[7]s said classified material was not believed to be involved."),
		f("Investigators suspect %[4]s, a group known for targeting defense suppliers.",
			"Security researchers attributed the activity to %[4]s.",
			"The intrusion bore the hallmarks of %[4]s, analysts said."),
		f("The breach was found at the company's facility in %[5]s.",
			"Suspicious traffic was first detected at a plant in %[5]s.",
			"Staff in %[5]s noticed the intrusion during a routine audit."),
		f("\"We take the security of our systems extremely seriously,\" said %[6]s, a spokesperson for %[1]s.",
			"%[6]s, who speaks for %[1]s, said customers were being notified.",
			"A spokesperson, %[6]s, declined to say how the attackers got in."),
	}
	if g.r.IntN(3) == 0 {
		facts = append(facts, f("Earlier this year %[8]s reported a similar incident.", "The case follows an attack on %[8]s last year."))
	}
	g.r.Shuffle(len(facts)-1, func(i, j int) { facts[i+1], facts[j+1] = facts[j+1], facts[i+1] })
	background := []string{
		"Defense suppliers have become frequent targets as governments raise military spending.",
		"Regulators have urged contractors to report cyber incidents within days of discovering them.",
		"The industry has struggled to secure smaller subcontractors, which often lack dedicated security teams.",
		"Lawmakers have called for stricter rules on how sensitive program data is stored.",
		"Shares of the company were little changed in afternoon trading.",
		"Analysts said the disclosure was unlikely to affect current contracts.",
		"Several contractors have reported similar attacks in recent months.",
		"The government has set aside new funds for supply-chain security.",
	}
	g.r.Shuffle(len(background), func(i, j int) { background[i], background[j] = background[j], background[i] })
	paras := []string{strings.Join(facts[:2], " "), strings.Join(facts[2:], " "), strings.Join(background[:1+g.r.IntN(4)], " ")}
	return strings.Join(paras, "\n\n")
}

func (g *gen) followUp(inc incident) string {
	return fmt.Sprintf("%s is still assessing the %s disclosed last week, in which %d files were accessed.\n\n"+
		"The %s has asked for a full report, and %s said the investigation into %s was continuing. "+
		"Customers in %s have been told to watch for phishing messages.",
		inc.company, inc.attack, inc.files, inc.agencies, inc.person, inc.group, inc.place)
}

func (g *gen) noise(day time.Time) line {
	site := g.pick(g.sites)
	c := g.pick(g.companies)
	title := fmt.Sprintf("%s wins %s contract for %s", c, g.pick([]string{"Army", "Navy", "Air Force", "Coast Guard"}), g.pick([]string{"radar upgrades", "training systems", "ship maintenance", "satellite ground stations", "armored vehicles"}))
	text := fmt.Sprintf("%s has been awarded a contract worth $%d million, the company said. The work will be carried out in %s and is expected to be completed by %d.\n\n%s said the award reflected the company's long record in the sector.",
		c, 5+g.r.IntN(900), g.pick(g.places), day.Year()+1+g.r.IntN(4), g.pick(g.people))
	return line{URL: g.url(site, "contract"), Title: title, Published: day.Format(time.RFC3339), Site: site, Text: text}
}
