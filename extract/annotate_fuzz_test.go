package extract

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzAnnotate checks that any title and text annotate without panicking
// and with results that keep their invariants.
func FuzzAnnotate(f *testing.F) {
	f.Add("NEC says hackers accessed 27,445 files", "TOKYO (Kyodo) -- NEC Corp. said Friday it came under cyberattacks. The Defense Ministry said...")
	f.Add("", "Tsurugi Aerotech Co., a maker of parts, said 1.2 million records and 30GB of data were stolen.")
	f.Add("Ministry of", "Ministry of\n\nof the Agency Authority Command Self-Defense Force")
	f.Add("x", "tens of thousands of hundreds of more than at least 1,2,3,4 2.5bn 9999999999999999999999 files")
	f.Add("’s", "U.S. S.p.A. Co., Ltd., K.K. & - -- — ’ ' . , ;")
	f.Fuzz(func(t *testing.T, title, text string) {
		a := Article{Title: title, Text: text}
		Annotate(&a)
		if a.Relevance < 0 || a.Relevance > 1 {
			t.Errorf("relevance %v out of [0,1]", a.Relevance)
		}
		primaries := 0
		for _, c := range a.Companies {
			if c.Primary {
				primaries++
			}
			if c.Mentions < 1 || c.Name == "" {
				t.Errorf("company %+v: want a name and at least one mention", c)
			}
		}
		if primaries > 1 {
			t.Errorf("got %d primary companies, want at most one", primaries)
		}
		all := title + "\n\n" + text
		for _, fg := range a.Figures {
			if fg.Value < 1 {
				t.Errorf("figure %+v: value below 1", fg)
			}
			if !strings.Contains(all, fg.Text) {
				t.Errorf("figure text %q is not in the input", fg.Text)
			}
		}
		if utf8.ValidString(all) {
			for _, ag := range a.Agencies {
				if !utf8.ValidString(ag.Name) {
					t.Errorf("agency name %q is not UTF-8", ag.Name)
				}
			}
		}
	})
}

// FuzzFigures drives the number and figure parser with text around a count.
func FuzzFigures(f *testing.F) {
	for _, s := range []string{
		"27,445", "about 8,000", "1.2 million", "2.5bn", "more than 500", "nearly 2,000",
		"tens of thousands of", "30GB of", "1.5 terabytes of", "$27,445", "12%", "2018",
		"1,2345", "0.0000001", "99999999999999999999", "hundreds of thousands of", "a million",
	} {
		f.Add(s, "files")
	}
	f.Fuzz(func(t *testing.T, amount, noun string) {
		a := Article{Text: "Hackers stole " + amount + " " + noun + "."}
		Annotate(&a)
		for _, fg := range a.Figures {
			if fg.Value < 1 || fg.Value > 1e16 {
				t.Errorf("figure %+v: value out of range", fg)
			}
		}
	})
}
