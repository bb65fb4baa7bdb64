"""`dlcalc exam`: a mock final in the course's own structure — the paper, sitting it, grading it, printing it."""
