package config

import "strings"

// suggest returns the candidate closest to s by edit distance, ignoring
// case, when it is close enough to be a likely typo; otherwise "".
func suggest(s string, candidates []string) string {
	best, bestDist := "", -1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		dist := editDistance(ls, strings.ToLower(c))
		if bestDist < 0 || dist < bestDist {
			best, bestDist = c, dist
		}
	}
	if bestDist < 0 || best == s {
		return ""
	}
	// Allow about one edit per three characters, and at least two, so
	// "api_bas" finds "api_base" but "foo" does not find "tpm".
	limit := len([]rune(s)) / 3
	if limit < 2 {
		limit = 2
	}
	if bestDist > limit || bestDist >= len([]rune(s)) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 200 || len(rb) > 200 {
		// Keys this long are not typos of anything we know.
		return len(ra) + len(rb)
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Suggest is suggest for other packages that check names (the management
// API's request fields): the likely intended candidate, or "".
func Suggest(s string, candidates []string) string { return suggest(s, candidates) }
