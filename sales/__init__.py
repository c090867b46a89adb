"""The Sales Bot: purchase, YooKassa payments, subscriptions (see issue 4)."""
