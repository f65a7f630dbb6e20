"""General assembly: roll, proxies, resolutions, secret ballots, tally and minutes."""
