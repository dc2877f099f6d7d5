"""T-Invest API v2 client: REST (httpx) and WebSocket streams (aiohttp), typed results with
Decimal prices, rate limiting, retries and error mapping. Never imports Django or the simulator.
"""
