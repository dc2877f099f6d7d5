"""The execution engine: jobs, the order lifecycle, risk checks, trading sessions.

Entry point: `bot.engine.trader.Engine` (implements `bot.engine.interface.Trader`). Modules:
`interface`/`events` (the contract with the transports), `text_keys` (keys of user texts),
`jobs` (registry), `orders` (lifecycle), `sellbuy` (the sell/buy job), `recorder` + `journal`
(Base records, durable and off the hot path), `market` (order books), `order_watch` (pushed
order states), `sessions`, `risk`, `catalogue`, `broker_port` + `tinvest_port` (the broker).
Never imports Django or aiogram.
"""
