"""产业链图谱 (chain maps): which segments of a chain are strong, weak or missing in a region, who leads, and where
to move (补链/强链/延链) — the analysis (read side), its API router, offline pages, renderings and CLI."""
