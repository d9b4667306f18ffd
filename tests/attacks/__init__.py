"""The attack corpus of issue 5: one named test per attack, each defence listed in docs/attacks.md."""
