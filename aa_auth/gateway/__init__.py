"""The order intake gateway (SPEC section 14): `aa-auth gateway serve`. Importing starts nothing."""
