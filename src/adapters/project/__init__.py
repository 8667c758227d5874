"""A new workspace project on disk: the files `fabctl init` writes, and the refusal to overwrite them."""
