"""Calendar spreads.

- `maths` — pure Decimal maths: ratio, sizes in whole lots, points → roubles, the executable
  spread (far leg at the passive price, near leg at the VWAP its hedge would pay), target
  comparison, hedge sizes with the rounding remainder.
- `prices` — /sprices data: `engine_spread_prices(ctx, spreads) -> list[SpreadQuote]`.
- `machine` — the spread job's decisions as a pure state machine (`SpreadMachine`).
- `job` — the job bound to the engine: `start_spread`, `start_spreads_all`, `resume_spreads`,
  `SpreadRun` (one job), `SpreadRun.order_event` for order-state events.
- `order_events` — `OrderEventRouter`: the account's order-state stream routed to the jobs.
- `legs` — Base spread task → `SpreadConfig`; `SpreadTuning` (the job's knobs).
"""
