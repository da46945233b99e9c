package fetch_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachwire/breachwire/fetch"
	"github.com/breachwire/breachwire/store"
)

const benchFeeds = "../../shared/bench/feeds"

// benchFeedWant is what a test expects to be stored from one real-world
// feed of ../shared/bench/feeds: how many articles and some titles, checked
// by hand against the files (INDEX.md says what is odd about each).
var benchFeedWant = []struct {
	file   string
	count  int
	titles []string
	// dated: every item's date must be read (some are written oddly)
	dated bool
}{
	{"feedparser_eucjp_nodecl.xml", 1, []string{"ゲーム三昧な正月"}, false},
	{"feedparser_shiftjis_nodecl.xml", 1, []string{"DrecomRSSに記事投稿が反映されない…"}, false},
	{"miniflux_bbc_urdu.xml", 26, []string{
		"امریکی عسکری امداد کی بندش کی وجوہات: انڈیا سے جنگ، جوہری پروگرام اور اب دہشت گردوں کی پشت پناہی",
		"پاکستان امریکہ تعلقات میں ’ڈو مور‘ کا نیا ایڈیشن جو آج تک چل رہا"}, false},
	// One of its 10 items is empty (no title, link or text) and is skipped.
	{"miniflux_cerclepsy_latin1_nodecl.xml", 9, []string{
		"Perturbateurs endocriniens : quels effets sur le cerveau ?",
		"Psychologue à domicile : de la clinique à l'état brut"}, false},
	{"miniflux_golem_iso-8859-1.xml", 40, []string{
		"Red Dead Redemption 2: Hinweise auf PC-Umsetzung in App von Rockstar Games",
		"Xiaomi: Das Mi Mix 3 hat keine Notch und eine versteckte Frontkamera"}, true},
	{"miniflux_heise_rdf.xml", 60, []string{
		"OLED-TVs: Vorsichtsmaßnahmen gegen Einbrennen",
		"Mega-Deal: IBM übernimmt Red Hat"}, false},
	{"miniflux_ibash_windows-1251.xml", 50, []string{"Цитата #17703", "Цитата #17220"}, true},
	// Each item holds an <image> with its own <title>; the item's is wanted.
	{"nnw_aktuality_sk.rss", 30, []string{
		"Analytici Goldman Sachs zvýšili odhad rastu ekonomiky USA",
		"Poslanci OĽANO navrhujú individuálne vzdelávanie umožniť i na druhom stupni"}, false},
	// Each item's <author> holds a job <title>; the item's is wanted.
	{"nnw_google_cloudblog.rss", 20, []string{
		"Want to keep your employees productive? Pay attention to shadow IT clues",
		"Last month today: August on GCP"}, false},
	// Dates like 2020/1/10 14:33:00.
	{"nnw_kc0011_gb2312.rss", 20, []string{"建国35周年纪念，华表，和平鸽", "世博五卷"}, true},
	{"nnw_livemint.xml", 25, []string{
		"PM Modi-Xi Jinping informal summit in Varanasi this October: Report",
		"US takes India off watchlist for currency practices"}, true},
	{"rssparser_guardian.rss", 55, []string{
		"Trump State of the Union address promised unity but emphasized discord",
		"Earth's ultimate yogis – in pictures"}, true},
	{"rssparser_jn_pt_iso-8859-1.rss", 40, []string{
		"Mãe de utente é a nova presidente da Raríssimas",
		"Lisboa quer passes sociais com acesso a táxis e bicicletas"}, true},
	// Portuguese day and month names in pubDate.
	{"rssparser_uol_noticias_latin1_nodecl.rss", 15, []string{
		"Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno",
		`Fama "A" é campeã da Primeira Divisão da Copa Cidade Alta de Futebol Suíço`}, true},
}

// mojibake are sequences that appear when UTF-8 is read as a single-byte
// charset or the other way round.
var mojibake = []string{"\uFFFD", "Ã", "Â", "Ð", "â€", "Ñ\u0081"}

func openStore(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "bw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rawDB opens the same file for the test's own read-only queries.
func rawDB(t testing.TB, db *store.DB) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+db.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func TestPollRealWorldFeeds(t *testing.T) {
	if _, err := os.Stat(benchFeeds); err != nil {
		t.Skipf("benchmark feeds not found at %s (the shared bench data is not checked in): %v", benchFeeds, err)
	}
	// Served as a generic type with no charset, so decoding rests on the
	// documents themselves.
	srv := httptest.NewServer(http.StripPrefix("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		http.ServeFile(w, r, filepath.Join(benchFeeds, filepath.Base(r.URL.Path)))
	})))
	defer srv.Close()

	ctx := context.Background()
	db := openStore(t)
	ids := map[string]int64{}
	files := []string{"feedparser_incomplete_cdata.xml"}
	for _, w := range benchFeedWant {
		files = append(files, w.file)
	}
	for _, f := range files {
		id, _, err := db.AddFeed(ctx, fetch.Feed{URL: srv.URL + "/" + f})
		if err != nil {
			t.Fatal(err)
		}
		ids[f] = id
	}
	client := fetch.NewClient(fetch.Options{PerHostDelay: -1})
	fetch.RefuseGuardedForTest(client) // article links point at the real sites
	feeds, err := db.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := (&fetch.Poller{Client: client, Store: db}).Poll(ctx, feeds)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sum.FeedsOK, len(files)-1; got != want {
		t.Errorf("got %d feeds OK, want %d", got, want)
	}

	raw := rawDB(t, db)
	for _, w := range benchFeedWant {
		t.Run(w.file, func(t *testing.T) {
			rows, err := raw.Query("SELECT title, fetch_error, published IS NOT NULL FROM articles WHERE feed_id = ?", ids[w.file])
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			stored := map[string]bool{}
			n := 0
			for rows.Next() {
				var title, fetchErr string
				var dated bool
				if err := rows.Scan(&title, &fetchErr, &dated); err != nil {
					t.Fatal(err)
				}
				n++
				stored[title] = true
				for _, bad := range mojibake {
					if strings.Contains(title, bad) {
						t.Errorf("title %q contains %q: decoded with the wrong charset", title, bad)
					}
				}
				if title == "" {
					t.Error("article stored with an empty title")
				}
				if w.dated && !dated {
					t.Errorf("article %q stored without its date", title)
				}
				if fetchErr == "" {
					t.Errorf("article %q: fetch_error empty, want the refused page fetch recorded", title)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if n != w.count {
				t.Errorf("got %d articles stored, want %d", n, w.count)
			}
			for _, title := range w.titles {
				if !stored[title] {
					t.Errorf("title %q not stored", title)
				}
			}
		})
	}

	t.Run("feedparser_incomplete_cdata.xml", func(t *testing.T) {
		var lastError string
		var consecutive, articles int
		err := raw.QueryRow(`SELECT last_error, consecutive_errors,
			(SELECT count(*) FROM articles WHERE feed_id = feeds.id) FROM feeds WHERE id = ?`,
			ids["feedparser_incomplete_cdata.xml"]).Scan(&lastError, &consecutive, &articles)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(lastError, "XML syntax error") || !strings.Contains(lastError, "feedparser_incomplete_cdata.xml") || consecutive != 1 {
			t.Errorf("got last_error %q, consecutive_errors %d; want an XML syntax error naming the feed, 1", lastError, consecutive)
		}
		if articles != 0 {
			t.Errorf("got %d articles from the truncated feed, want 0", articles)
		}
	})
}
