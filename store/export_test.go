package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/breachwire/breachwire/store"
)

func TestExport(t *testing.T) {
	db, added := openCorpus(t)
	got := exportAll(t, db)
	want := corpus()
	if len(got) != len(want) {
		t.Fatalf("exported %d articles, want %d", len(got), len(want))
	}
	for i, a := range got {
		w := want[i]
		if a.ID != added[i].ArticleID || a.StoryID == nil || *a.StoryID != added[i].StoryID {
			t.Errorf("article %d: id %d story %v, want %d and %d", i, a.ID, a.StoryID, added[i].ArticleID, added[i].StoryID)
		}
		if a.URL != w.URL || a.Title != w.Title || a.Text != w.Text || a.Site != w.Site || a.Relevance != w.Relevance {
			t.Errorf("article %d: %+v, want the fields of %+v", i, a, w)
		}
		if a.Published == nil || !a.Published.Equal(w.Published) {
			t.Errorf("article %d: published %v, want %v", i, a.Published, w.Published)
		}
		if !reflect.DeepEqual(a.Companies, w.Companies) {
			t.Errorf("article %d: companies %+v, want %+v", i, a.Companies, w.Companies)
		}
		if !reflect.DeepEqual(a.Agencies, w.Agencies) {
			t.Errorf("article %d: agencies %+v, want %+v", i, a.Agencies, w.Agencies)
		}
		if !reflect.DeepEqual(a.Figures, w.Figures) {
			t.Errorf("article %d: figures %+v, want %+v", i, a.Figures, w.Figures)
		}
	}
}

func TestExportStopsOnError(t *testing.T) {
	db, _ := openCorpus(t)
	stop := errors.New("stop")
	n := 0
	err := db.Export(context.Background(), func(*store.ExportedArticle) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Export returned %v after %d calls, want the callback's error after 1", err, n)
	}
}
