// Package extract turns bytes into facts: the main text and metadata of an
// article page, and the companies, agencies and exposed-data figures the text
// names. It does no I/O; every function here is pure and safe for concurrent use.
package extract

import "time"

// Article is what breachwire knows about one report. Its JSON form is the
// `extract` command's output and part of the public contract (DESIGN.md).
type Article struct {
	URL          string    `json:"url"`
	CanonicalURL string    `json:"canonical_url"`
	Title        string    `json:"title"`
	Published    time.Time `json:"published,omitzero"`
	Site         string    `json:"site"`
	Lang         string    `json:"lang"`
	// Text is the main text: paragraphs separated by blank lines.
	Text string `json:"text"`

	Companies []Company `json:"companies"`
	Agencies  []Agency  `json:"agencies"`
	Figures   []Figure  `json:"figures"`
	// Relevance in [0,1]: how clearly this is a cyber incident or disclosure
	// with a defense link.
	Relevance float64 `json:"relevance"`

	// FetchError is set when the page could not be fetched and the article
	// was built from the feed's own title and summary instead.
	FetchError string `json:"fetch_error,omitempty"`
	// FetchRetry is set with FetchError when its cause may pass (a network
	// error, a timeout, a 429 or 5xx answer): later polls try the page again.
	FetchRetry bool `json:"-"`
}

// Company is a company named in the text.
type Company struct {
	Name     string `json:"name"`
	Mentions int    `json:"mentions"`
	// Primary marks the one company the report is about; at most one per article.
	Primary bool   `json:"primary"`
	Country string `json:"country,omitempty"`
}

// Agency is a government body named in the text.
type Agency struct {
	Name     string `json:"name"`
	Mentions int    `json:"mentions"`
	Country  string `json:"country,omitempty"`
}

// Figure kinds.
const (
	KindFiles     = "files"
	KindDocuments = "documents"
	KindRecords   = "records"
	KindEmails    = "emails"
	KindAccounts  = "accounts"
	KindPeople    = "people"
	KindBytes     = "bytes"
)

// Figure is a count of exposed things, e.g. 27,445 files.
type Figure struct {
	Kind   string `json:"kind"`
	Value  int64  `json:"value"`
	Approx bool   `json:"approx"`
	// Text is the fragment of the sentence the figure came from.
	Text string `json:"text"`
}

// PrimaryCompany returns the name of the primary company, or "".
func (a *Article) PrimaryCompany() string {
	for _, c := range a.Companies {
		if c.Primary {
			return c.Name
		}
	}
	return ""
}
