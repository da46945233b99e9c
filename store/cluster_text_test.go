package store

import (
	"math"
	"math/bits"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSimHashCopiesAndStrangers(t *testing.T) {
	base := "NEC Corp. said Friday it had been hit by a major cyberattack that resulted in unauthorized access to 27,445 files, " +
		"including some related to its work with the Defense Ministry. The Tokyo-based electronics maker said the intrusion " +
		"into its internal servers took place between December 2016 and June 2018. It said no damage such as leaks of " +
		"information had been confirmed so far, and that it had reported the incident to the ministry."
	other := "Mitsubishi Electric Corp. said Monday that a massive cyberattack may have leaked personal data of about 8,000 people " +
		"and confidential corporate information. The company said it had detected suspicious activity on a terminal at a " +
		"research facility in June 2019, and that hackers gained access through an antivirus server."
	h0, n0 := simHash(base)
	if n0 < minShingles {
		t.Fatalf("base has %d shingles, want at least %d", n0, minShingles)
	}
	tests := []struct {
		name    string
		text    string
		maxDist int
		minDist int
		copy    bool
	}{
		{"identical", base, 0, 0, true},
		{"case and punctuation", strings.ToUpper(strings.ReplaceAll(base, ". ", "! ")), 0, 0, true},
		{"dateline and copyright", "TOKYO (Kyodo) -- " + base + " Copyright 2020 Kyodo News.", 16, 0, true},
		{"another story", other, 64, 12, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := simHash(tt.text)
			d := bits.OnesCount64(h ^ h0)
			if d > tt.maxDist || d < tt.minDist {
				t.Errorf("distance %d, want %d..%d", d, tt.minDist, tt.maxDist)
			}
			if got := shingleJaccard(base, tt.text) >= minCopyJaccard; got != tt.copy {
				t.Errorf("Jaccard %.2f >= %.2f: got %v, want %v", shingleJaccard(base, tt.text), minCopyJaccard, got, tt.copy)
			}
			shared := 0
			keys := copyKeys(tt.text, h)
			for _, k := range copyKeys(base, h0) {
				for _, k2 := range keys {
					if k == k2 {
						shared++
					}
				}
			}
			if (shared > 0) != tt.copy {
				t.Errorf("shared copy keys %d; want some: %v", shared, tt.copy)
			}
		})
	}
}

func TestVectorOps(t *testing.T) {
	idf := func(string) float64 { return 1 }
	a := articleFeatures("NEC hit by cyberattack", "NEC said files were accessed.").weigh(idf)
	b := articleFeatures("Saab wins order", "Saab received an order for four Gripen fighters.").weigh(idf)
	if n := a.norm(); math.Abs(n-1) > 1e-5 {
		t.Errorf("norm = %v, want 1", n)
	}
	if c := cosine(a, a); math.Abs(c-1) > 1e-5 {
		t.Errorf("cosine(a, a) = %v, want 1", c)
	}
	if c := cosine(a, b); c > 0.05 {
		t.Errorf("cosine(a, b) = %v, want about 0", c)
	}
	sum := a.add(b)
	if got, want := dot(sum, a), 1+dot(a, b); math.Abs(got-want) > 1e-5 {
		t.Errorf("dot(a+b, a) = %v, want %v", got, want)
	}
	if got := decodeVector(sum.encode()); len(got) != len(sum) || dot(got, sum) != dot(sum, sum) {
		t.Errorf("encode/decode changed the vector")
	}
	if got := sum.truncate(3); len(got) != 3 {
		t.Errorf("truncate(3) has %d terms", len(got))
	}
}

func TestFeaturesNamesAndHeadline(t *testing.T) {
	f := articleFeatures("Breach", "The breach hit Norvex Aerospace. Norvex said so.")
	// "norvex": once inside a sentence (a name, x4), once starting one (x1).
	if got, want := f.uni["norvex"], nameWeight+1; got != want {
		t.Errorf("norvex counts %v, want %v", got, want)
	}
	if got, want := f.uni["breach"], titleWeight+1; got != want {
		t.Errorf("breach counts %v, want %v", got, want)
	}
	if _, ok := f.uni["the"]; ok {
		t.Error("stop word kept")
	}
}

// FuzzClusterText: any text, however broken, gives features, a SimHash and
// copy keys without panicking, and a unit or empty vector.
func FuzzClusterText(f *testing.F) {
	f.Add("NEC hit", "NEC Corp. said 27,445 files were accessed.\n\nMitsubishi Electric: a similar attack.")
	f.Add("", "")
	f.Add("\xff\xfe", "a.b.c!!! ??? \x00 Ünïcödé ТЕКСТ 日本電気")
	f.Fuzz(func(t *testing.T, title, text string) {
		v := articleFeatures(title, text).weigh(func(string) float64 { return 1.5 })
		if n := v.norm(); len(v) > 0 && math.Abs(n-1) > 1e-3 {
			t.Errorf("norm %v", n)
		}
		h, n := simHash(text)
		if n > 0 {
			if k := copyKeys(text, h); len(k) < 4 {
				t.Errorf("%d copy keys", len(k))
			}
		}
		if utf8.ValidString(text) {
			_ = shingleJaccard(text, title)
		}
	})
}

// wordHashesPlain is wordHashes as strings.FieldsFuncSeq finds the words.
func wordHashesPlain(text string) []uint64 {
	var words []uint64
	for w := range strings.FieldsFuncSeq(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		words = append(words, hashLower64(w))
	}
	return words
}

func TestWordHashesMatchesFieldsFunc(t *testing.T) {
	texts := []string{
		"", " ", "a", "A1", "..", "Hello, World! 42 times.",
		"NEC Corp. said Friday it had been hit by a major cyberattack (27,445 files).",
		"Ünïcödé wörds — naïve café ĲSSEL straße ΣΊΣΥΦΟΣ Ⅻ ½ ٣٤ 日本語のテキスト",
		"mixed\u00a0nbsp\u2009thin\u200bzero-width\ttab\nnewline",
		"invalid \xff\xfe bytes\xc3 and \xe2\x82 truncated \xf0\x9f\x98",
		"emoji 🙂 between😀words and ªºµ",
		"trailing word",
		"trailing sep ",
	}
	for i := range 200 {
		var b strings.Builder
		for j := range 40 {
			switch (i*7 + j*13) % 9 {
			case 0:
				b.WriteString("Word")
			case 1:
				b.WriteString(" ")
			case 2:
				b.WriteString("é")
			case 3:
				b.WriteByte(byte(0x80 + (i+j)%0x80))
			case 4:
				b.WriteString("9")
			case 5:
				b.WriteString(",")
			case 6:
				b.WriteString("日")
			case 7:
				b.WriteString("\u2003")
			default:
				b.WriteString("x")
			}
		}
		texts = append(texts, b.String())
	}
	for _, text := range texts {
		got, want := wordHashes(text), wordHashesPlain(text)
		if !slices.Equal(got, want) {
			t.Errorf("wordHashes(%q) = %v, want %v", text, got, want)
		}
	}
}
