package extract

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

func annotate(title, text, site string) Article {
	a := Article{Title: title, Text: text, Site: site}
	Annotate(&a)
	return a
}

func companyNames(a Article) []string {
	var out []string
	for _, c := range a.Companies {
		out = append(out, c.Name)
	}
	return out
}

func agencyNames(a Article) []string {
	var out []string
	for _, ag := range a.Agencies {
		out = append(out, ag.Name)
	}
	return out
}

// TestSeedNEC is the seed case of issue 3, on the full wire report.
func TestSeedNEC(t *testing.T) {
	text, err := os.ReadFile("../../shared/seed/nec-report.txt")
	if err != nil {
		t.Skipf("seed report not available (%v); it lives in the shared data next to the repository", err)
	}
	a := Article{Text: string(text), URL: "https://english.kyodonews.net/news/2020/01/nec.html"}
	Annotate(&a)

	if got, want := companyNames(a), []string{"NEC", "Mitsubishi Electric"}; !reflect.DeepEqual(got, want) {
		t.Errorf("companies: got %q, want %q", got, want)
	}
	if got := a.PrimaryCompany(); got != "NEC" {
		t.Errorf("primary: got %q, want NEC", got)
	}
	wantAgencies := map[string]bool{
		"Ministry of Defense (Japan)": true, "Acquisition, Technology and Logistics Agency": true,
		"Maritime Self-Defense Force": true, "Nuclear Regulation Authority": true,
	}
	got := agencyNames(a)
	if len(got) != len(wantAgencies) {
		t.Errorf("agencies: got %q, want the %d of the seed case", got, len(wantAgencies))
	}
	for _, n := range got {
		if !wantAgencies[n] {
			t.Errorf("agencies: unexpected %q", n)
		}
	}
	wantFig := []Figure{{Kind: KindFiles, Value: 27445, Text: "27,445 files"}}
	if !reflect.DeepEqual(a.Figures, wantFig) {
		t.Errorf("figures: got %+v, want %+v", a.Figures, wantFig)
	}
	if a.Relevance < 0.5 {
		t.Errorf("relevance: got %.3f, want at least 0.5", a.Relevance)
	}
}

func TestAcronymsOnWordBoundaries(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"It is necessary to patch the servers, the company said.", nil},
		{"Analyst Jonas Baer said the breach was serious.", nil},
		{"NEC said hackers accessed its servers.", []string{"NEC"}},
		{"The nec module was updated.", nil},
		{"BAE Systems said it was investigating; BAE declined to comment further.", []string{"BAE Systems"}},
		{"Hackers accessed data at HAL, the aircraft maker.", []string{"Hindustan Aeronautics"}},
		{"The hal9000 server was fine.", nil},
		{"MHI and KHI both build submarines.", []string{"Mitsubishi Heavy Industries", "Kawasaki Heavy Industries"}},
		{"Lockheed said the F-35 program was not affected.", []string{"Lockheed Martin"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := companyNames(annotate("", tt.text, ""))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPublishersAreNotCompanies(t *testing.T) {
	text := "TOKYO (Kyodo) -- Reuters and the Associated Press (AP) reported, citing Bloomberg and Yonhap, that AFP had confirmed the story."
	if got := companyNames(annotate("", text, "")); len(got) != 0 {
		t.Errorf("got companies %q, want none", got)
	}
}

func TestSharedAgencyNamesFromContext(t *testing.T) {
	tests := []struct {
		name, site, text, want string
	}{
		{"qualifier", "", "Japan's Defense Ministry said it was investigating.", "Ministry of Defense (Japan)"},
		{"adjective", "", "The British Ministry of Defence said no data was lost.", "Ministry of Defence (United Kingdom)"},
		{"korean qualifier", "", "South Korea's Defense Ministry said hackers tried to get in.", "Ministry of National Defense (South Korea)"},
		{"other entities", "", "Mitsubishi Heavy Industries told the Defense Ministry and the Acquisition, Technology and Logistics Agency about the breach.", "Ministry of Defense (Japan)"},
		{"dateline", "", "SEOUL (Yonhap) -- The Defense Ministry said on Monday that hackers had targeted contractors.", "Ministry of National Defense (South Korea)"},
		{"site", "example.co.uk", "The MoD said it was aware of the incident.", "Ministry of Defence (United Kingdom)"},
		{"nothing decides", "", "The Defense Ministry said it was aware of the incident.", "Ministry of Defense"},
		{"lower case after a country", "", "Japan's defence ministry said it was investigating.", "Ministry of Defense (Japan)"},
		{"service of a country without a row", "", "Embraer said the Brazilian Air Force was not affected.", "Brazilian Air Force"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := annotate("", tt.text, tt.site)
			got := agencyNames(a)
			found := false
			for _, n := range got {
				if n == tt.want {
					found = true
				}
			}
			if !found {
				t.Errorf("got agencies %q, want %q among them", got, tt.want)
			}
		})
	}
}

func TestUnknownNames(t *testing.T) {
	text := "Tsurugi Aerotech Co., a maker of components for patrol aircraft, said hackers stole design files. " +
		"Tsurugi Aerotech said it had informed the Fisheries Agency and the Ministry of Foreign Affairs. " +
		"Kestrel Avionics, a supplier of cockpit displays, was not affected."
	a := annotate("", text, "")
	wantC := map[string]int{"Tsurugi Aerotech": 2, "Kestrel Avionics": 1}
	if len(a.Companies) != len(wantC) {
		t.Errorf("companies: got %+v, want %v", a.Companies, wantC)
	}
	for _, c := range a.Companies {
		if wantC[c.Name] != c.Mentions {
			t.Errorf("company %q: got %d mentions, want %d", c.Name, c.Mentions, wantC[c.Name])
		}
	}
	if got := a.PrimaryCompany(); got != "Tsurugi Aerotech" {
		t.Errorf("primary: got %q, want Tsurugi Aerotech", got)
	}
	got := agencyNames(a)
	for _, want := range []string{"Fisheries Agency", "Ministry of Foreign Affairs"} {
		if !strings.Contains(strings.Join(got, "|"), want) {
			t.Errorf("agencies: got %q, want %q among them", got, want)
		}
	}
}

func TestNoPrimaryWhenNoCompanyIsTheSubject(t *testing.T) {
	a := annotate("Defense Ministry says its network was breached",
		"TOKYO -- Japan's Defense Ministry said Thursday its network had been breached. Officials said contractors such as NEC and Fujitsu were not affected.", "")
	if got := a.PrimaryCompany(); got != "" {
		t.Errorf("primary: got %q, want none", got)
	}
}

func TestJointSubjectHasNoPrimary(t *testing.T) {
	a := annotate("Embraer and Saab show jets at air show",
		"Embraer and Saab displayed their latest aircraft this week. Both companies said they were in talks with several air forces.", "")
	if got := a.PrimaryCompany(); got != "" {
		t.Errorf("primary: got %q, want none for a joint subject", got)
	}
}

func TestFigures(t *testing.T) {
	tests := []struct {
		text string
		want []string // kind=value~ (~ for approximate) "text"
	}{
		{"Hackers gained unauthorized access to 27,445 files.", []string{`files=27445 "27,445 files"`}},
		{"About 8,000 internal documents were leaked.", []string{`documents=8000~ "About 8,000 internal documents"`}},
		{"The attackers stole 1.2 million customer records.", []string{`records=1200000 "1.2 million customer records"`}},
		{"The gang claims 2.5bn records were stolen.", []string{`records=2500000000 "2.5bn records"`}},
		{"More than 500 emails were leaked.", []string{`emails=500~ "More than 500 emails"`}},
		{"Nearly 2,000 employees' data was exposed.", []string{`people=2000~ "Nearly 2,000 employees"`}},
		{"Tens of thousands of files were stolen.", []string{`files=10000~ "Tens of thousands of files"`}},
		{"Hundreds of documents were leaked.", []string{`documents=100~ "Hundreds of documents"`}},
		{"The hackers stole 30GB of data.", []string{`bytes=30000000000 "30GB of data"`}},
		{"They exfiltrated 1.5 terabytes of engineering files.", []string{`bytes=1500000000000 "1.5 terabytes of engineering"`}},
		{"The personal data of 8,122 people was exposed.", []string{`people=8122 "8,122 people"`}},
		{"Some 90 employee email accounts were compromised.", []string{`accounts=90~ "Some 90 employee email accounts"`}},
		{"The attack happened in fiscal 2016 and 2018, and was detected in December 2016.", nil},
		{"The breach cost $27,445 and shares fell 12% to 1,320p.", nil},
		{"The company recalled 12,000 cameras after the breach.", nil},
		{"Join 27,000 readers who get our newsletter.", nil},
		{"The company, which employs 147,000 people, said it was hacked.", nil},
		{"A 45-year-old engineer was charged with stealing files.", nil},
		{"Call +1 555 0100 to report leaked files.", nil},
		{"In 2019 documents were stolen.", nil},
		{"The company lists 2,000 files in its catalogue.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			a := annotate("", tt.text, "")
			var got []string
			for _, f := range a.Figures {
				s := fmt.Sprintf("%s=%d", f.Kind, f.Value)
				if f.Approx {
					s += "~"
				}
				got = append(got, fmt.Sprintf("%s %q", s, f.Text))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRelevanceSeparatesIncidentsFromTheRest(t *testing.T) {
	incident := annotate("Kawasaki Heavy says hackers accessed defense data",
		"Kawasaki Heavy Industries said hackers gained unauthorized access to servers holding submarine data for the Defense Ministry.", "")
	procurement := annotate("Kawasaki Heavy wins submarine order",
		"Kawasaki Heavy Industries won an order for two submarines from the Defense Ministry.", "")
	retail := annotate("Retailer hit by data breach",
		"Hackers stole the card details of 2 million customers from Belmond & Finch Inc., a fashion retailer.", "")
	for _, a := range []Article{incident, procurement, retail} {
		if a.Relevance < 0 || a.Relevance > 1 {
			t.Errorf("relevance %v out of [0,1]", a.Relevance)
		}
	}
	if incident.Relevance < 0.5 {
		t.Errorf("incident: got %.3f, want at least 0.5", incident.Relevance)
	}
	if procurement.Relevance >= 0.5 || retail.Relevance >= 0.5 {
		t.Errorf("procurement %.3f, retail %.3f: want both below 0.5", procurement.Relevance, retail.Relevance)
	}
}

func TestCanonicalLookups(t *testing.T) {
	companies := []struct{ in, want string }{
		{"NEC Corp.", "NEC"}, {"nec corporation", "NEC"}, {"MHI", "Mitsubishi Heavy Industries"},
		{"Lockheed", "Lockheed Martin"}, {"BAE", "BAE Systems"}, {"Mitsubishi Electric Corp.", "Mitsubishi Electric"},
		{"Kyodo", ""}, {"Nonexistent Widgets", ""},
	}
	for _, tt := range companies {
		got, ok := CanonicalCompany(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("CanonicalCompany(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	agencies := []struct{ in, want string }{
		{"ATLA", "Acquisition, Technology and Logistics Agency"}, {"pentagon", "Department of Defense"},
		{"Defense Ministry", ""}, {"MSDF", "Maritime Self-Defense Force"},
	}
	for _, tt := range agencies {
		got, ok := CanonicalAgency(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("CanonicalAgency(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	names := AgencyNames("defense ministry")
	if !strings.Contains(strings.Join(names, "|"), "Ministry of Defense (Japan)") || len(names) < 5 {
		t.Errorf("AgencyNames(defense ministry) = %q, want every country's ministry", names)
	}
	if got := AgencyNames("no such body"); len(got) != 0 {
		t.Errorf("AgencyNames(unknown) = %q, want none", got)
	}
}

func TestGazetteerCoverage(t *testing.T) {
	g, err := parseGazetteer(companiesTSV, agenciesTSV, countriesTSV)
	if err != nil {
		t.Fatal(err)
	}
	defense, agencies := 0, 0
	countries := map[string]bool{}
	for _, c := range g.companies {
		if c.sector == sectorDefense {
			defense++
			countries[c.country] = true
		}
	}
	for _, a := range g.agencies {
		if a.country != "" {
			agencies++
		}
	}
	if defense < 200 {
		t.Errorf("got %d defense and aerospace companies, want at least 200", defense)
	}
	if agencies < 120 {
		t.Errorf("got %d agencies, want at least 120", agencies)
	}
	for _, c := range []string{"US", "JP", "KR", "GB", "FR", "DE", "IT", "SE", "NO", "ES", "IL", "TR", "IN", "AU", "CN", "TW", "CA"} {
		if !countries[c] {
			t.Errorf("no company from %s", c)
		}
	}
	for _, a := range g.agencies {
		if _, ok := g.countryCode[a.country]; a.country != "" && a.country != "EU" && !ok {
			t.Errorf("agency %q: country %q is not in countries.tsv", a.name, a.country)
		}
	}
}
