"""The term report: pure arithmetic (`figures`), the database part (`collect`), formats."""
