"""The stop-order family: /stops, /shorts, /nuke, /cancel, /stash, /restore and stop activations.

`plan` is the pure core (levels, rounding, lots, skipping, restore dedupe); `ledger` journals
every stop's client UUID before it is sent; `desk.StopsDesk` is the driver the Engine composes;
`watch.ActivationWatcher` notices stops that fired. Bulk requests run through
`bot.engine.bulk.BulkExecutor` under the broker's rate budgets.
"""
