package subprocess

import "strings"

// Quote returns s quoted for a POSIX shell, so that Shell passes it to the
// command as exactly one word, whatever it contains (asyncio users reach
// for shlex.quote). Words made only of letters, digits and @%+=:,./_- are
// returned unchanged; anything else is wrapped in single quotes, with each
// single quote written as '"'"'.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// QuoteArgs quotes each word with Quote and joins them with spaces: a
// command line for Shell built from untrusted words.
func QuoteArgs(words ...string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = Quote(w)
	}
	return strings.Join(q, " ")
}
