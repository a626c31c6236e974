"""Team evaluation sessions: shortlist, run every candidate on the same inputs, blind votes and scores, results."""
