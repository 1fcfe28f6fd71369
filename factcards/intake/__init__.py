"""Source intake: from a page or a text to a stored source and candidate cards."""
