//go:build unix

package subprocess

import (
	"os/exec"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct{ give, want string }{
		{"", "''"},
		{"plain", "plain"},
		{"a/b-c_d.e:f,g@h%i+j=k", "a/b-c_d.e:f,g@h%i+j=k"},
		{"two words", "'two words'"},
		{"it's", `'it'"'"'s'`},
		{"$(rm -rf /)", "'$(rm -rf /)'"},
		{"`x`;y|z&", "'`x`;y|z&'"},
		{"new\nline", "'new\nline'"},
		{"*", "'*'"},
	}
	for _, tc := range tests {
		if got := Quote(tc.give); got != tc.want {
			t.Errorf("Quote(%q) = %q, want %q", tc.give, got, tc.want)
		}
	}
}

// The real check: /bin/sh reads each quoted word back unchanged.
func TestQuoteRoundTripsThroughSh(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	words := []string{"", "a b", "it's", "$HOME", "`id`", "a\"b", "back\\slash", "new\nline", "*", "-n", "é ü"}
	out, err := exec.Command(sh, "-c", "printf '%s\\0' "+QuoteArgs(words...)).Output()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	start := 0
	for i, b := range out {
		if b == 0 {
			got = append(got, string(out[start:i]))
			start = i + 1
		}
	}
	if len(got) != len(words) {
		t.Fatalf("sh saw %d words %q, want %d", len(got), got, len(words))
	}
	for i := range words {
		if got[i] != words[i] {
			t.Errorf("word %d: sh saw %q, want %q", i, got[i], words[i])
		}
	}
}
