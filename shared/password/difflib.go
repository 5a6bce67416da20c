package password

// quickRatio ports Python's difflib.SequenceMatcher(a=a, b=b).quick_ratio()
// (CPython 3.11), the only SequenceMatcher method Django's
// UserAttributeSimilarityValidator calls. Python strings are sequences of code
// points, hence runes. quick_ratio counts b in full (fullbcount), never b2j, so
// SequenceMatcher's junk and autojunk/"popular" rules, which only prune b2j
// for ratio(), cannot change its result.
func quickRatio(a, b []rune) float64 {
	// avail[x] is how many x of b are still unmatched; like Python's it goes
	// negative once a holds more x than b.
	avail := make(map[rune]int, len(b))
	for _, r := range b {
		avail[r]++
	}
	matches := 0
	for _, r := range a {
		if avail[r] > 0 {
			matches++
		}
		avail[r]--
	}
	return calculateRatio(matches, len(a)+len(b))
}

// calculateRatio is difflib._calculate_ratio: two empty sequences are identical.
func calculateRatio(matches, length int) float64 {
	if length == 0 {
		return 1.0
	}
	return 2.0 * float64(matches) / float64(length)
}
