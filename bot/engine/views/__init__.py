"""The owner's views: /portfolio, /orders, /stats, /chart, the dashboard feed and the
notification levels.

Pure cores (no I/O): `portfolio` (positions, P&L, spread grouping), `improvement` (the crossing
price an order is measured against), `live_orders` (the account's orders with their tasks),
`series` (bounded, downsampled quote history), `levels` (which events notify how), `picture`
(a PNG of a chart; imports Pillow only when called). The driver is `desk.ViewsDesk`.
"""
