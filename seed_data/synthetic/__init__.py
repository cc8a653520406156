"""The parts of ChainMatch's deterministic synthetic demo data, by job (seed_data/generator.py puts them together
into one SyntheticWorld): common tunables and helpers, firms, funds, land parcels, projects, and the fast path
that turns records into store rows."""
