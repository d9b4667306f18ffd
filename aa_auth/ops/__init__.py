"""What operators and auditors run: the command line, audits and their views, keystores, rendering."""
