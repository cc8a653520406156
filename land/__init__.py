"""土地超市 (land supermarket): 标准地 rules, parcel ↔ project matching with reasons, optimal batch assignment,
reservations that never double-book (commands), CSV tools, API router, storefront pages and CLI."""

from land.reservations import STATE_FIELDS as PARCEL_STATE_FIELDS  # noqa: E402,F401  (the fields only reservations write)
