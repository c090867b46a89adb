"""The bot pool: the waiting worker process (one per slot) and the pool manager."""
