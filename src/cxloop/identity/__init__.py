"""Identity resolution: identifier normalization and the rules that link records to one customer."""
