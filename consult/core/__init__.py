"""What every area shares: clock, errors, permissions, audit log, sanitising, i18n, mail."""
