"""The market recorder ("tape") and /whatif.

While the bot runs, the order books and last prices it already receives on its market-data
stream (the instruments of its jobs plus the watchlist of the trading settings) are written to
an append-only, compressed file per day in the bot's state folder. The format is documented in
`format.py` (JSON lines in gzip members, one member per second); the simulator reads it on its own
(`python -m simulator --replay FOLDER`). `/whatif` replays recorded days against that simulator,
with the live spread job's code, in a short-lived worker process of its own.

- `format.py`: the record schema, encoding and the crash-tolerant reader (pure).
- `policy.py`: day files, the size cap and the retention (pure decisions).
- `writer.py`: the bounded queue and the writer thread (never blocks the trading path).
- `service.py`: wiring into the engine (stream tap, watchlist subscriptions, /whatif).
- `timeline.py`: the recording as a what-if reads it (the legs' moments and books) and where
  the replay may jump over moments without the job noticing (the job's own maths).
- `whatif.py`: the what-if run (in-process simulator replay, virtual clock, the spread job).
- `worker.py`: the what-if's worker process (niced, memory-capped, killed with its caller).
"""
