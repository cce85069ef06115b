package admin

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func TestFormatGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(*bytes.Buffer) error
	}{
		{"list", func(b *bytes.Buffer) error { return FormatList(b, sampleServices()) }},
		{"stats", func(b *bytes.Buffer) error { return FormatStats(b, sampleServices()) }},
		{"status", func(b *bytes.Buffer) error { return FormatStatus(b, sampleStatus()) }},
		{"lcores", func(b *bytes.Buffer) error { return FormatLcores(b, sampleStats()) }},
		{"empty_list", func(b *bytes.Buffer) error { return FormatList(b, nil) }},
		{"empty_status", func(b *bytes.Buffer) error { return FormatStatus(b, Status{}) }},
		{"empty_lcores", func(b *bytes.Buffer) error { return FormatLcores(b, Stats{Lcores: []LcoreStats{{Lcore: 1}}}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.fn(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.Bytes())
		})
	}
}
