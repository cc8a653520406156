"""The shared kernel every capability package builds on: one error hierarchy (errors), one resolver of names and
keys (resolve), one registry of derived per-snapshot indexes (derived), one geo helper (geo), one page shell for
server-rendered HTML (pages), the one rule for the region a page assumes when none is asked (regions), and download
helpers (downloads). It imports only the graph's schema and snapshot."""
