"""土地超市 (land supermarket): 标准地 rules, parcel ↔ project matching with reasons, optimal batch assignment,
reservations that never double-book (commands), CSV tools, API router, storefront pages and CLI."""
