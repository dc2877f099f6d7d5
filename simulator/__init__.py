"""The exchange simulator: T-Invest REST/WebSocket JSON over an embedded MOEX-like exchange."""
