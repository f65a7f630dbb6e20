"""Personal-data rights: legal pages, a person's export and deletion, retention of others' data."""
