"""One module per report family; each exposes ``START`` and a collector class."""
