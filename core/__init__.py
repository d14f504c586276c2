"""What every app shares and no app owns (DESIGN §3); imports no domain app."""
