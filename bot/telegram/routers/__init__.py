"""One router per feature; each module has `make_router()` (a router attaches to one
dispatcher only, and tests build many)."""
